// Running a coroutine on a strand from a coroutine on any executor, with the caller's
// cancellation relayed onto that strand.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <utility>

namespace minapp::detail {

using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

/// Awaits `inner`, run as its own coroutine on `strand`. The caller's terminal or partial
/// cancellation (emitted on any thread) is posted onto the strand and emitted there, as
/// terminal, on `relay`, whose slot `inner` is bound to: Boost 1.81's co_spawn would emit it on
/// the emitting thread. `relay` is
/// shared so that a relay posted just before `inner` finishes never touches a dead signal; its
/// owner may also emit it on the strand (a shutdown). The caller checks for a cancellation that
/// landed before the call: co_await would throw for it.
template <class T>
boost::asio::awaitable<T> run_on_strand(strand_type strand, boost::asio::awaitable<T> inner,
                                        std::shared_ptr<boost::asio::cancellation_signal> relay) {
    namespace asio = boost::asio;
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    auto slot = state.slot();
    if (slot.is_connected()) {
        slot.assign([strand, relay](asio::cancellation_type type) {
            // Terminal and partial end the operation; total (no side effects allowed) is not
            // supported, as in most Asio operations. Beast's streams act on terminal only.
            constexpr auto ends = asio::cancellation_type::terminal |
                                  asio::cancellation_type::partial;
            if ((type & ends) != asio::cancellation_type::none) {
                asio::post(strand, [relay] { relay->emit(asio::cancellation_type::terminal); });
            }
        });
    }
    T out = co_await asio::co_spawn(
        strand, std::move(inner), asio::bind_cancellation_slot(relay->slot(), asio::use_awaitable));
    if (slot.is_connected()) {
        slot.clear();
    }
    co_return out;
}

} // namespace minapp::detail
