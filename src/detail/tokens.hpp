// The completion token of the library's internal operations inside a caller's coroutine.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace minapp::detail {

/// `as_tuple(use_awaitable)`, with no cancellation slot: an operation awaited inside the
/// caller's coroutine must not take over that coroutine's slot, where the call keeps its own
/// handler (which ends the operation in a thread-safe way through the pool). Errors come back as
/// values. (Boost 1.81 cannot bind a slot to `deferred`.)
inline auto internal_op() {
    return boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                               boost::asio::as_tuple(boost::asio::use_awaitable));
}

/// The handler an internal_operation gives the operation it launches: the awaiting coroutine's
/// handler, called with the completion's arguments as one tuple, with no cancellation slot and
/// with the operation's allocator.
template <class Handler, class Allocator>
class internal_handler {
public:
    using executor_type = boost::asio::associated_executor_t<Handler>;
    using allocator_type = Allocator;
    using cancellation_slot_type = boost::asio::cancellation_slot;

    internal_handler(Handler handler, Allocator allocator)
        : handler_(std::move(handler))
        , allocator_(std::move(allocator)) {}

    executor_type get_executor() const noexcept {
        return boost::asio::get_associated_executor(handler_);
    }
    allocator_type get_allocator() const noexcept { return allocator_; }
    cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }

    template <class... Args>
    void operator()(Args&&... args) {
        std::move(handler_)(std::make_tuple(std::forward<Args>(args)...));
    }

private:
    Handler handler_;
    Allocator allocator_;
};

/// The same contract as `internal_op` (errors as values, no cancellation slot), for the hot
/// path: `co_await` of this object costs no coroutine frame. `use_awaitable` initiates every
/// operation from a coroutine of its own (a frame allocation per read or write); an awaitable
/// instead launches an object like this one directly with its own handler, as it launches
/// `deferred` operations. `launch(handler)` starts the operation, whose completion signature is
/// `Signature`, with the handler it is given; `allocator` is what the operation's intermediate
/// steps allocate with.
///
/// Await it as a named object (`auto op = internal_operation_of<...>(...);
/// co_await std::move(op);`): g++ 12 destroys temporaries of a `co_await` expression twice.
template <class Signature, class Launch, class Allocator>
class internal_operation;

template <class... Args, class Launch, class Allocator>
class internal_operation<void(Args...), Launch, Allocator> {
public:
    internal_operation(Launch launch, Allocator allocator)
        : launch_(std::move(launch))
        , allocator_(std::move(allocator)) {}

    // Not for pointers: the awaitable probes every awaited object with a pointer to its frame
    // (for callables that launch from inside it), and that probe must fail quietly.
    template <class Token>
    requires(!std::is_pointer_v<std::remove_cvref_t<Token>>) auto operator()(Token&& token) const {
        return boost::asio::async_initiate<Token, void(std::tuple<std::decay_t<Args>...>)>(
            [this](auto handler) {
                launch_(
                    internal_handler<decltype(handler), Allocator>(std::move(handler), allocator_));
            },
            token);
    }

private:
    Launch launch_;
    Allocator allocator_;
};

/// An internal_operation of completion signature `Signature`.
template <class Signature, class Launch, class Allocator = std::allocator<void>>
internal_operation<Signature, Launch, Allocator> internal_operation_of(Launch launch,
                                                                       Allocator allocator = {}) {
    return {std::move(launch), std::move(allocator)};
}

} // namespace minapp::detail
