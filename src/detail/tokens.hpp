// How the library awaits its own asynchronous operations inside a caller's coroutine.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace minapp::detail {

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

/// An operation the library awaits inside the caller's coroutine. Its completion comes back as
/// a tuple (errors are values, not exceptions), and it never takes over that coroutine's
/// cancellation slot, where the call keeps its own handler (which ends the operation in a
/// thread-safe way through the pool). `co_await` of this object costs no coroutine frame:
/// `use_awaitable` initiates every operation from a coroutine of its own, while an awaitable
/// launches an object like this one directly with its own handler, as it launches `deferred`
/// operations (to which Boost 1.81 cannot bind a slot). `launch(handler)` starts the operation,
/// whose completion signature is `Signature`, with the handler it is given; `allocator` is what
/// the operation's intermediate steps allocate with.
///
/// Awaited as a temporary (`co_await internal_operation_of<...>(...)`), which is why it holds
/// only what is trivially destructible: g++ 12 destroys the temporaries of a `co_await`
/// expression twice, harmless only for those.
template <class Signature, class Launch, class Allocator>
class internal_operation;

template <class... Args, class Launch, class Allocator>
class internal_operation<void(Args...), Launch, Allocator> {
    static_assert(std::is_trivially_destructible_v<Launch> &&
                      std::is_trivially_destructible_v<Allocator>,
                  "capture references and plain values only (see above)");

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
