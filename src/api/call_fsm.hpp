// One API call's retry logic as a state machine without I/O, in the style of Boost.Redis's
// exec_fsm: the driver (client_impl) performs the action it returns and reports what happened.
// It owns the verdict on whether a failed write may have been applied, the retry budget's
// accounting and the failure's diagnostics.
#pragma once

#include "retry_budget.hpp"

#include <minapp/result.hpp>
#include <minapp/retry_policy.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace minapp::detail {

/// Why a wait ended before its time.
enum class call_stop { none, cancelled, shut_down };

/// What one attempt produced, as the machine needs it.
struct attempt_report {
    boost::system::error_code ec;            ///< transport failure; empty when a response arrived
    unsigned status = 0;                     ///< the response's status (ec empty)
    bool request_sent = false;               ///< the request may have reached the server
    bool earlier_attempt_unanswered = false; ///< the pool re-sent after a lost answer
    int sends = 1;                           ///< requests this attempt sent (the pool's re-send)
    std::string_view detail;                 ///< transport detail
    std::string_view server_message;         ///< the error body's message, redacted
    std::string_view retry_after;            ///< the Retry-After header
};

class call_fsm {
public:
    enum class action {
        acquire, ///< wait for the rate limiter, then on_acquired()
        send,    ///< make one attempt, then on_sent()
        sleep,   ///< wait delay(), then on_slept()
        done,    ///< succeeded(), or failure()
    };

    struct settings {
        const retry_policy* policy = nullptr;
        retry_budget* budget = nullptr;
        bool idempotent = true; ///< sending it twice has the effect of sending it once
        bool write = false;     ///< not a GET
        bool limited = false;   ///< every attempt waits for a rate limiter
        bool renewable = false; ///< a 401 can be cured by a new token: replay once
    };

    /// `f` carries the method and path of the call's diagnostics.
    call_fsm(settings s, failure f)
        : s_(s)
        , f_(std::move(f)) {}

    action start() { return s_.limited ? action::acquire : action::send; }
    action on_acquired(call_stop stop);
    /// The rate limiter refused the attempt with `code` (its shared budget is unavailable and
    /// its policy is to fail), for `reason`: the call ends without this attempt being sent.
    action on_refused(boost::system::error_code code, std::string_view reason = {});
    /// `now` reads an HTTP-date Retry-After.
    action on_sent(const attempt_report& r, std::chrono::system_clock::time_point now);
    action on_slept(call_stop stop);

    bool succeeded() const noexcept { return succeeded_; }
    /// The failure, once done without success.
    failure& failure_info() noexcept { return f_; }
    /// Requests sent so far (retries and the pool's re-sends included).
    int attempts() const noexcept { return sends_; }
    /// The backoff before the next attempt (after action::sleep); `jitter01` in [0, 1) draws
    /// it (equal jitter, see backoff_delay).
    std::chrono::milliseconds delay(double jitter01) const;
    /// After on_sent() of a 401 that will be replayed: the token the attempt used must be
    /// invalidated before the next one.
    bool token_refused() const noexcept { return token_refused_; }
    /// After on_sent() of a 429: the pause every caller of the limiter should take.
    std::optional<std::chrono::milliseconds> throttle_pause() const noexcept {
        return throttle_pause_;
    }

private:
    action stopped(call_stop stop, const char* where);
    action give_up();

    settings s_;
    failure f_;
    int attempt_ = 1;
    int sends_ = 0;
    bool succeeded_ = false;
    bool may_have_applied_ = false; // a lost answer of a write: the verdict becomes "maybe"
    bool throttled_ = false;        // the last failure asked to slow down (429, 503)
    bool replayed_ = false;         // a 401 was replayed with a new token (once per call)
    bool token_refused_ = false;    // the last attempt's token was refused
    std::optional<std::chrono::milliseconds> retry_after_;
    std::optional<std::chrono::milliseconds> throttle_pause_;
};

} // namespace minapp::detail
