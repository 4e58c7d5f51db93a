// A client-side rate limiter (GCRA with reservations, adaptive on throttling).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

namespace minapp {

class rate_budget;
class token_sink;

namespace detail {
struct limiter_access;
class limiter_stop;
} // namespace detail

/// How fast requests may go. A value type; `rate_limiter` checks it at construction.
///
/// `per_second` and `burst` define a GCRA (generic cell rate algorithm): requests are spaced
/// `1 / per_second` apart, and after idle time up to `burst` requests may go at once. Over any
/// interval of length L at most `burst + per_second * L` requests are admitted.
///
/// The other fields drive the adaptive rate (AIMD): each throttling episode multiplies the
/// effective rate by `throttle_factor`, never below `per_second * min_fraction`; every success
/// then adds `recovery` times the rate set by the last reduction, up to `per_second`.
struct rate_limit {
    double per_second;            ///< Sustained rate, requests per second; finite and > 0.
    double burst = 1;             ///< Requests that may go at once after idle time; >= 1.
    double throttle_factor = 0.5; ///< Rate multiplier per throttling episode, in (0, 1].
    double min_fraction = 0.01;   ///< Floor of the effective rate, as a fraction, in (0, 1].
    double recovery = 0.01;       ///< Additive increase per success (see above); >= 0.
};

/// Counters of a rate limiter, monotonic since construction except `waiting`.
struct rate_limiter_stats {
    std::uint64_t granted = 0;           ///< acquire() calls that let their request go.
    std::uint64_t waited = 0;            ///< Of those, the ones that had to sleep first.
    std::uint64_t cancelled = 0;         ///< acquire() calls that ended with error::cancelled.
    std::uint64_t throttled = 0;         ///< on_throttled() calls.
    std::uint64_t throttle_episodes = 0; ///< Throttled calls that lowered the effective rate.
    std::uint64_t refused = 0; ///< acquire() calls its rate_budget refused (no token to be had).
    std::uint64_t waiting = 0; ///< Callers asleep in acquire() now.
    std::chrono::steady_clock::duration total_wait{}; ///< Sum of the sleeps of granted calls.
};

/// Admits requests at a configured rate, in FIFO order, for any number of concurrent callers;
/// one limiter is meant to be shared by every request to one server (listing and bulk updates
/// draw from the same budget).
///
/// Each `acquire()` atomically reserves the next instant at which a request conforms to the
/// schedule and sleeps on a timer until then: no polling, and callers go in the order they
/// arrived. A throttling answer from the server (`on_throttled`, `pause_until`) pushes the
/// instants of every caller, sleeping or future, past the pause, and lowers the effective rate
/// (see `rate_limit`); successes (`on_success`) raise it back gradually.
///
/// Thread safety: every member function may be called concurrently from any thread. The state is
/// guarded by one mutex, held only for short bookkeeping, never across a wait. A caller sleeps on
/// a timer of its own coroutine's executor and resumes there.
///
/// Lifetime: callers of `acquire()` keep the shared state alive, so the limiter object may be
/// destroyed before they finish; they still complete at their reserved instants.
class rate_limiter {
public:
    /// Throws std::invalid_argument when `limit` is out of the ranges documented on `rate_limit`.
    explicit rate_limiter(rate_limit limit);

    /// A limiter whose tokens come from `budget` (e.g. one shared by a fleet of processes,
    /// `minapp::fleet::make_redis_rate_limiter`) instead of its own schedule. Callers still wait
    /// in FIFO order and cancellation still gives a caller's place back (the token it would have
    /// had goes to the next caller). `limit` is the budget's rate as reported by `limit()`; the
    /// rate is not adapted locally: a throttling answer drops the tokens held and is passed on
    /// to the budget (`rate_budget::on_throttled`), which pauses everyone sharing it. `acquire`
    /// may then also fail with `error::rate_budget_unavailable` when the budget refuses (see its
    /// policy). Throws std::invalid_argument as above, or when `budget` is null.
    rate_limiter(rate_limit limit, std::shared_ptr<rate_budget> budget);
    ~rate_limiter();
    rate_limiter(const rate_limiter&) = delete;
    rate_limiter& operator=(const rate_limiter&) = delete;

    /// Completes, with a success code, once the caller's request may go. Callers go in the order
    /// of their calls; one that need not wait (its instant has come and nobody is queued)
    /// completes without suspending. The call holds the limiter's state, so the limiter object
    /// may be destroyed before it starts or while it waits.
    ///
    /// Cancellation: terminal cancellation of the calling coroutine ends the wait at once with
    /// `error::cancelled` (also when it is already cancelled at the call). The reservation is
    /// given back: callers queued behind move up one place each, and when it was the last
    /// reservation made the schedule rolls back so the next caller takes its instant. Only when
    /// the last place cannot be rolled back (a later caller already went) is one slot of the
    /// budget lost. Errors: `error::cancelled`, and `error::rate_budget_unavailable` from a
    /// limiter on a `rate_budget` that refused; never throws for cancellation delivered on the
    /// caller's executor.
    boost::asio::awaitable<boost::system::error_code> acquire();

    /// Reports a throttling answer (429, or 503 with Retry-After): no request goes before
    /// `now + retry_after`, everyone queued is re-spaced from there at the effective rate with
    /// no burst, and the effective rate is reduced once per episode: a report that arrives while
    /// the limiter is still paused by an earlier one only extends the pause.
    void on_throttled(std::chrono::steady_clock::duration retry_after);

    /// As above, where `admitted_at` is when the throttled request left `acquire()`: the rate is
    /// reduced only if that request was admitted after the last reduction, so the answers of
    /// requests sent at the old rate count as one episode however late they arrive.
    void on_throttled(std::chrono::steady_clock::duration retry_after,
                      std::chrono::steady_clock::time_point admitted_at);

    /// Pushes the schedule back: no request goes before `until` (e.g. an HTTP-date Retry-After),
    /// and queued callers are re-spaced from there. Does not change the effective rate.
    void pause_until(std::chrono::steady_clock::time_point until);

    /// Reports a successful answer: raises the effective rate by one recovery step, up to the
    /// configured rate.
    void on_success();

    /// The rate the schedule currently follows, in requests per second.
    double effective_rate() const;

    /// The configuration the limiter was created with.
    const rate_limit& limit() const noexcept;

    /// A snapshot of the counters.
    rate_limiter_stats stats() const;

private:
    friend struct detail::limiter_access;
    friend class detail::limiter_stop;
    friend class token_sink;
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace minapp
