// One rate budget shared by a fleet of clients: GCRA evaluated atomically inside Redis by a Lua
// script, on Redis's clock, taking tokens in batches.
#pragma once

#include "redis_connection.hpp"

#include <minapp/co_await_safe.hpp>
#include <minapp/rate_limiter.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace minapp::fleet {

/// What one `take` or `pause` found, on Redis's clock.
struct gcra_grant {
    std::int64_t granted = 0; ///< Tokens granted, 0..n (always 0 for `pause`).
    /// How long until the next token conforms, counting the tokens just granted (during a
    /// cooldown, at least its remainder); zero when one conforms already.
    std::chrono::microseconds wait{0};
    std::chrono::microseconds server_time{0}; ///< Redis TIME at evaluation, since the Unix epoch.
    /// When the first granted token conforms, from `server_time`: zero unless a lookahead granted
    /// tokens of the near future (token k then conforms at first + k * interval()).
    std::chrono::microseconds first{0};
    /// What is left of a fleet-wide cooldown (zero when none).
    std::chrono::microseconds cooldown{0};
};
static_assert(co_await_safe<gcra_grant>);

/// The GCRA of `minapp::rate_limit` (emission interval T = 1 / per_second, tolerance
/// tau = (burst - 1) * T) for one budget key in Redis, shared by every client that uses the key
/// with the same parameters.
///
/// The state (TAT and a cooldown instant, integer microseconds) lives in one Redis hash and is
/// read and written by one Lua script, so concurrent clients never interleave inside a decision;
/// the script reads Redis TIME, so the clients' clocks do not matter. T is rounded up to a whole
/// microsecond (never faster than configured) and tau down. The key expires once its state could
/// no longer hold anyone back, plus a margin of two burst windows, so idle budgets vanish.
///
/// The script is loaded with SCRIPT LOAD on first use and run with EVALSHA; when Redis has lost
/// it (NOSCRIPT, e.g. after SCRIPT FLUSH or a restart) the call is repeated once with EVAL, which
/// also caches the script in Redis again.
///
/// Errors: those of `redis_connection::command`; `redis_errc::error_reply` when Redis answers an
/// error (its text in `last_error()`); `redis_errc::unexpected_reply` for another shape of reply.
///
/// Not thread-safe; the connection and this object must outlive every call.
class redis_gcra {
public:
    /// Throws std::invalid_argument when `limit` is out of the ranges documented on `rate_limit`
    /// or its burst window (tau + T) exceeds 10^15 microseconds.
    redis_gcra(redis_connection& connection, std::string key, const rate_limit& limit);

    /// Grants as many of `n` tokens as conform now, or within `lookahead` from now (all of them,
    /// or fewer, or none), advancing the schedule by the tokens granted: a token of the near
    /// future is a reservation its holder may use from its instant on (see `gcra_grant::first`).
    /// During a cooldown nothing is granted. Throws std::invalid_argument unless n >= 1 and
    /// lookahead >= 0.
    boost::asio::awaitable<boost::system::result<gcra_grant>>
    take(std::int64_t n, std::chrono::microseconds lookahead = std::chrono::microseconds(0));

    /// Starts (or extends) a fleet-wide cooldown: no token is granted before `now + d`, and the
    /// schedule restarts from there at the sustained rate without a burst (as
    /// `rate_limiter::pause_until` does). Throws std::invalid_argument when `d` is negative.
    boost::asio::awaitable<boost::system::result<gcra_grant>> pause(std::chrono::microseconds d);

    /// `take` as if Redis TIME read `now` (for tests of the arithmetic: it lets a test drive the
    /// script's clock). Not for production: instants must come from one clock.
    boost::asio::awaitable<boost::system::result<gcra_grant>>
    take_at(std::int64_t n, std::chrono::microseconds now,
            std::chrono::microseconds lookahead = std::chrono::microseconds(0));
    /// `pause` as if Redis TIME read `now` (for tests, see `take_at`).
    boost::asio::awaitable<boost::system::result<gcra_grant>>
    pause_at(std::chrono::microseconds d, std::chrono::microseconds now);

    const std::string& key() const noexcept { return key_; }
    /// T, whole microseconds.
    std::chrono::microseconds interval() const noexcept { return interval_; }
    /// tau, whole microseconds.
    std::chrono::microseconds tolerance() const noexcept { return tolerance_; }
    /// The SHA1 under which Redis caches the script; empty until the first call loaded it.
    const std::string& script_sha() const noexcept { return sha_; }
    /// The text of the last error reply from Redis.
    const std::string& last_error() const noexcept { return last_error_; }
    /// Commands sent to Redis so far (SCRIPT LOAD, EVALSHA and the EVAL fallback).
    std::uint64_t round_trips() const noexcept { return round_trips_; }

private:
    boost::asio::awaitable<boost::system::result<gcra_grant>>
    run(const char* op, std::int64_t amount, std::chrono::microseconds lookahead,
        std::optional<std::chrono::microseconds> now);

    redis_connection& connection_;
    std::string key_;
    std::chrono::microseconds interval_;
    std::chrono::microseconds tolerance_;
    std::chrono::milliseconds margin_;
    std::string sha_;
    std::string last_error_;
    std::uint64_t round_trips_ = 0;
};

} // namespace minapp::fleet
