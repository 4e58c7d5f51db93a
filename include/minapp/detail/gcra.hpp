// The arithmetic of minapp::rate_limiter: a GCRA schedule with reservations, a FIFO of pending
// reservations and an adaptive (AIMD) rate. Pure: it never reads a clock, sleeps or locks; every
// instant is an argument, so tests drive it with explicit time points.
#pragma once

#include <minapp/detail/ticket_position.hpp>
#include <minapp/rate_limiter.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>

namespace minapp::detail {

/// Throws std::invalid_argument when `limit` is outside the ranges documented on `rate_limit`.
inline void check_rate_limit(const rate_limit& limit) {
    auto fail = [](const char* what) {
        throw std::invalid_argument(what);
    };
    if (!std::isfinite(limit.per_second) || limit.per_second <= 0) {
        fail("rate_limit: per_second must be finite and > 0");
    }
    if (!std::isfinite(limit.burst) || limit.burst < 1) {
        fail("rate_limit: burst must be finite and >= 1");
    }
    if (!(limit.throttle_factor > 0 && limit.throttle_factor <= 1)) {
        fail("rate_limit: throttle_factor must be in (0, 1]");
    }
    if (!(limit.min_fraction > 0 && limit.min_fraction <= 1)) {
        fail("rate_limit: min_fraction must be in (0, 1]");
    }
    if (!std::isfinite(limit.recovery) || limit.recovery < 0) {
        fail("rate_limit: recovery must be finite and >= 0");
    }
}

/// GCRA in virtual-scheduling form: TAT is the theoretical arrival time of the next request at
/// the emission interval T = 1 / rate, and a request conforms at max(now, TAT - tau) with
/// tau = (burst - 1) * T. `reserve` hands out that instant and advances TAT, so concurrent callers
/// receive increasing instants in call order.
///
/// TAT is kept in double seconds relative to `origin_` rather than in clock ticks, so that
/// intervals which are not a whole number of ticks (1/3 s in nanoseconds) do not accumulate
/// rounding error; instants handed out are rounded up to a tick, never early. The origin moves
/// to `now` whenever the schedule is idle (TAT in the past), which keeps the offsets small.
///
/// Reservations that cannot go at once stay pending until `complete` or `cancel`. The pending
/// ones are a FIFO of tickets matched by position to a FIFO of slots (instants): a
/// cancelled ticket leaves the queue and everyone behind moves up one slot; the last slot is then
/// free and the schedule rolls back over it when nothing was reserved after it.
///
/// Not thread-safe: the owner serialises calls.
template <class Clock>
class gcra_schedule {
public:
    using duration = typename Clock::duration;
    using time_point = typename Clock::time_point;
    using ticket = std::uint64_t;

    /// The result of `reserve`: the caller may go at `at`. Unless it may go at once, the
    /// reservation is pending under `id` until `complete` or `cancel`.
    struct reservation {
        ticket id;
        time_point at;
        bool pending;
    };

    /// The result of `cancel` and `complete`.
    struct removal {
        bool gave_back = false;     ///< the cancelled place was used by others or rolled back
        std::optional<ticket> wake; ///< a pending ticket now due earlier than it was told
    };

    explicit gcra_schedule(const rate_limit& limit)
        : limit_(limit)
        , rate_(limit.per_second)
        , step_(limit.per_second * limit.recovery) {
        check_rate_limit(limit);
    }

    /// Reserves the first conforming instant for a caller arriving at `now`. A caller may go at
    /// once only when its instant has come and nobody is pending: one that arrives while an
    /// earlier caller is due but has not gone yet queues behind it, so that nobody overtakes.
    reservation reserve(time_point now) {
        double n = seconds(now);
        if (tat_ <= n) {
            rebase(now);
            n = 0;
        }
        const double before = tat_;
        const double at = std::max(n, tat_ - tolerance());
        tat_ += interval();
        const time_point when = at <= n ? now : to_time(at);
        const reservation r{next_ticket_++, when, when > now || !tickets_.empty()};
        if (r.pending) {
            tickets_.push_back({r.id, r.at});
            slots_.push_back({r.at, before, tat_});
        }
        return r;
    }

    /// The current instant of pending ticket `id`, recorded as the instant its caller was told
    /// (see `removal::wake`); nullopt when `id` is not pending.
    std::optional<time_point> arm(ticket id) {
        const auto p = find(id);
        if (!p) {
            return std::nullopt;
        }
        tickets_[*p].told = slots_[*p].at;
        return slots_[*p].at;
    }

    /// The caller of pending ticket `id` went: its slot is used up.
    removal complete(ticket id) {
        removal r;
        if (const auto p = find(id)) {
            tickets_.erase(tickets_.begin() + static_cast<std::ptrdiff_t>(*p));
            slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(*p));
            r.wake = stale(*p);
        }
        return r;
    }

    /// The caller of pending ticket `id` gave up: the callers behind it move up one slot each and
    /// the last slot is rolled back if nothing was reserved after it.
    removal cancel(ticket id) {
        removal r;
        const auto p = find(id);
        if (!p) {
            return r;
        }
        const slot freed = slots_.back();
        tickets_.erase(tickets_.begin() + static_cast<std::ptrdiff_t>(*p));
        slots_.pop_back();
        // Exact comparison on purpose: equality means TAT is the very value this slot produced.
        const bool rolled_back = tat_ == freed.tat_after;
        if (rolled_back) {
            tat_ = freed.tat_before;
        }
        r.gave_back = rolled_back || *p < tickets_.size();
        r.wake = stale(*p);
        return r;
    }

    /// No request conforms before `until`; pending slots not yet due at `now` are re-spaced from
    /// `until` at the effective rate without burst (never moved earlier), and so is the future.
    void pause_until(time_point until, time_point now) {
        paused_until_ = std::max(paused_until_, until);
        double n = seconds(now);
        if (tat_ <= n) {
            rebase(now);
            n = 0;
        }
        const double u = std::max(seconds(until), n);
        const double t = interval();
        const double tau = tolerance();
        // TAT values are computed by one expression so that rollbacks find them equal.
        const auto tat_at = [&](std::size_t k) {
            return u + tau + static_cast<double>(k) * t;
        };
        for (std::size_t k = 0; k < slots_.size(); ++k) {
            auto& s = slots_[k];
            const time_point moved = to_time(u + static_cast<double>(k) * t);
            if (s.at > now && moved > s.at) {
                s = {moved, tat_at(k), tat_at(k + 1)};
            }
        }
        tat_ = std::max(tat_, tat_at(slots_.size()));
    }

    /// A throttling answer at `now`: pauses for `retry_after` and, once per episode, multiplies
    /// the effective rate by the throttle factor. With `admitted_at` (when the throttled request
    /// went) the episode is exact: requests admitted before the last reduction are echoes of it.
    /// Without, a report during the pause of an earlier one is an echo. Returns whether this
    /// report began a new episode (the rate was multiplied by the throttle factor).
    bool on_throttled(time_point now, duration retry_after,
                      std::optional<time_point> admitted_at = std::nullopt) {
        const bool echo = admitted_at ? *admitted_at < last_reduction_ : now < paused_until_;
        if (!echo) {
            rate_ =
                std::max(limit_.per_second * limit_.min_fraction, rate_ * limit_.throttle_factor);
            step_ = rate_ * limit_.recovery;
            last_reduction_ = now;
        }
        pause_until(now + std::max(retry_after, duration::zero()), now);
        return !echo;
    }

    /// A successful answer: additive increase toward the configured rate. The new rate applies
    /// to reservations made from now on.
    void on_success() { rate_ = std::min(limit_.per_second, rate_ + step_); }

    /// The rate the schedule follows now, requests per second.
    double effective_rate() const noexcept { return rate_; }

    /// The latest instant passed to `pause_until` (time_point::min() if none).
    time_point paused_until() const noexcept { return paused_until_; }

    /// Number of pending reservations.
    std::size_t pending() const noexcept { return tickets_.size(); }

private:
    struct entry {
        ticket id;
        time_point told; // the instant the caller last armed its timer for
    };
    struct slot {
        time_point at;
        double tat_before; // TAT that made this slot, restored when it is rolled back
        double tat_after;  // TAT right after it was made (NaN: it can no longer be rolled back)
    };

    double interval() const noexcept { return 1.0 / rate_; }
    double tolerance() const noexcept { return (limit_.burst - 1) * interval(); }

    double seconds(time_point t) const {
        return std::chrono::duration<double>(t - origin_).count();
    }
    // Rounded up to a whole tick so that no caller goes early, ignoring a thousandth of a tick:
    // floating-point noise must not turn an exact instant (0.1 s + 0.1 s) into one tick later.
    time_point to_time(double s) const {
        const std::chrono::duration<double, typename duration::period> d =
            std::chrono::duration<double>(s);
        return origin_ + duration(static_cast<typename duration::rep>(std::ceil(d.count() - 1e-3)));
    }

    // Only called when TAT is not in the future: every pending slot is due, so rolling one back
    // could not help anyone, and their TAT values (relative to the old origin) must never match
    // again.
    void rebase(time_point now) {
        origin_ = now;
        tat_ = 0;
        for (auto& s : slots_) {
            s.tat_after = std::numeric_limits<double>::quiet_NaN();
        }
    }

    std::optional<std::size_t> find(ticket id) const { return ticket_position(tickets_, id); }

    // The caller now at position `p` sleeps past its slot when its predecessor's removal moved
    // it up; only that one needs waking, the ones behind it are woken in turn as the queue
    // advances.
    std::optional<ticket> stale(std::size_t p) const {
        if (p < tickets_.size() && tickets_[p].told > slots_[p].at) {
            return tickets_[p].id;
        }
        return std::nullopt;
    }

    rate_limit limit_;
    double rate_;
    double step_;
    time_point origin_{};
    double tat_ = 0;
    ticket next_ticket_ = 1;
    std::deque<entry> tickets_;
    std::deque<slot> slots_;
    time_point paused_until_ = time_point::min();
    time_point last_reduction_ = time_point::min();
};

} // namespace minapp::detail
