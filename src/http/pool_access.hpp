// What the client needs of a connection pool beyond its public interface: its strand, and a
// send that runs on that strand without a coroutine hop of its own.
#pragma once

#include "../detail/run_on_strand.hpp"

#include <minapp/http/connection_pool.hpp>

#include <chrono>

namespace minapp::http::detail {

struct pool_access {
    /// The strand every connection of `pool` lives on.
    static const minapp::detail::strand_type& strand(const connection_pool& pool) noexcept;

    /// `pool.send(req, deadline)` for a coroutine that already runs on `strand(pool)`: the
    /// exchange follows that coroutine's cancellation state directly.
    static boost::asio::awaitable<send_result>
    send_on_strand(const connection_pool& pool, request req,
                   std::chrono::steady_clock::time_point deadline);
};

} // namespace minapp::http::detail
