// The completion token of the library's internal operations inside a caller's coroutine.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minapp::detail {

/// `as_tuple(use_awaitable)`, with no cancellation slot: an operation awaited inside the
/// caller's coroutine must not take over that coroutine's slot, where the call keeps its own
/// handler (which ends the operation in a thread-safe way through the pool). Errors come back as
/// values. (Boost 1.81 cannot bind a slot to `deferred`.)
inline auto internal_op() {
    return boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                               boost::asio::as_tuple(boost::asio::use_awaitable));
}

} // namespace minapp::detail
