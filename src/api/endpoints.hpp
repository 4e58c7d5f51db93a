// The endpoints as coroutines over the shared client state, which each call owns: the public
// `client` members forward to these, and bulk runs call them directly.
#pragma once

#include "client_impl.hpp"

#include <minapp/batch_update.hpp>
#include <minapp/client.hpp>
#include <minapp/update.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/where.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>

namespace minapp::detail {

/// `client::update_user`.
/// Like every endpoint function, it builds the request before returning: the arguments are not
/// read once the awaitable exists.
boost::asio::awaitable<result<user_profile>> update_user(std::shared_ptr<client_impl> c,
                                                         std::int64_t id, const update& change);

/// `client::update_users_batch`.
boost::asio::awaitable<result<batch_update_result>>
update_users_batch(std::shared_ptr<client_impl> c, const where& filter, const update& change,
                   batch_slice slice);

/// The checks `client::validate` makes.
std::optional<failure> check_update(const update& change, bool allow_builtin);

} // namespace minapp::detail
