// What the client needs of a connection pool beyond its public interface: the machinery itself.
#pragma once

#include <minapp/http/connection_pool.hpp>

#include <memory>

namespace minapp::http::detail {

class pool_core;

struct pool_access {
    /// The pool's machinery: calls use its attempts, tickets and shutdown directly.
    static const std::shared_ptr<pool_core>& core(const connection_pool& pool);
};

} // namespace minapp::http::detail
