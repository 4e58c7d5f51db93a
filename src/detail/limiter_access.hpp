// The rate limiter as a call uses it: a reservation taken synchronously (the fast path, no
// coroutine), and, only when it must wait, a wait that another thread can end (cancellation or
// shutdown reaching the call through its pool ticket) instead of the coroutine's slot.
#pragma once

#include "../http/pool_core.hpp"
#include "rearm_hook.hpp"

#include <minapp/rate_limiter.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace minapp::detail {

/// Ends one limiter wait from any thread.
class limiter_stop final : public http::detail::external_wait {
public:
    explicit limiter_stop(rate_limiter& limiter) noexcept
        : limiter_(limiter) {}
    void stop() noexcept override;

private:
    friend struct limiter_access;
    rate_limiter& limiter_;
    bool stopped_ = false;                       // under the limiter's mutex
    boost::asio::steady_timer* timer_ = nullptr; // under the limiter's mutex
};

struct limiter_access {
    /// A place in the limiter's schedule.
    struct reservation {
        bool granted = false; ///< The request may go now.
        std::uint64_t id = 0;
        std::chrono::steady_clock::time_point arrived{};
    };

    /// Takes the next place; granted at once when nobody is queued and its instant has come.
    static reservation reserve(rate_limiter& limiter);

    /// Waits for a reservation that was not granted at once. error::cancelled when `stop` ended
    /// it (the place is given back).
    static boost::asio::awaitable<boost::system::error_code>
    wait(rate_limiter& limiter, reservation r, limiter_stop& stop, rearm_hook rearm);

    /// Gives back a reservation that will not wait (its call was stopped first).
    static void give_back(rate_limiter& limiter, const reservation& r);

    /// Why the limiter's budget last refused callers (see token_sink::refuse).
    static std::string refusal_reason(const rate_limiter& limiter);
};

} // namespace minapp::detail
