#include "redis_gcra.hpp"

#include "redis_error.hpp"

#include <minapp/detail/gcra.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace minapp::fleet {

namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::microseconds;

namespace {

// KEYS[1]: the budget's hash, fields `tat` and `cooldown` (integer microseconds).
// ARGV: op ('take' or 'pause'), T, tau, n (take) or d (pause), expiry margin in ms, lookahead,
// and optionally the instant to use instead of TIME (tests).
// Returns {granted, wait, now, first, cooling}, integers, microseconds: wait is how long from
// now until the next token conforms, after this call's grant; first is when the first granted
// token conforms, from now (0 unless a lookahead granted tokens of the near future); cooling is
// what is left of a cooldown (0 when none).
// gcra_arithmetic.hpp is the same computation in C++; the tests hold the two together.
//
// Lua 5.1 numbers are doubles: integers up to 2^53 (285 years of microseconds) are exact, and
// the instants are written with %.0f because tostring() keeps only 14 digits.
constexpr const char* script_text = R"lua(
local t = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local margin = tonumber(ARGV[5])
local lookahead = tonumber(ARGV[6])
local now = ARGV[7] and tonumber(ARGV[7])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local state = redis.call('HMGET', KEYS[1], 'tat', 'cooldown')
-- A TAT in the past is worth no more than now: idle time does not bank tokens beyond the burst.
local tat = math.max(tonumber(state[1]) or now, now)
local cooldown = tonumber(state[2]) or 0
local granted = 0
local first = 0
if ARGV[1] == 'pause' then
  cooldown = math.max(cooldown, now + amount)
  -- The schedule restarts at the end of the cooldown without a burst.
  tat = math.max(tat, cooldown + tau)
elseif cooldown <= now and tat - tau <= now + lookahead then
  -- Token k (from 0) conforms at tat + k*T - tau; those conforming by now + lookahead go.
  granted = math.min(amount, math.floor((now + lookahead + tau - tat) / t) + 1)
  first = math.max(0, tat - tau - now)
  tat = tat + granted * t
end
-- Until the next token conforms, after what this call took.
local wait = math.max(0, cooldown - now, tat - tau - now)
if granted > 0 or ARGV[1] == 'pause' then
  redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat),
             'cooldown', string.format('%.0f', cooldown))
  -- Once TAT has passed, the state means the same as no state: keep it until then, plus a margin.
  redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((tat - now) / 1000) + margin))
end
return {granted, wait, now, first, math.max(0, cooldown - now)}
)lua";

// Larger burst windows would bring instants near 2^53, where Lua's doubles stop being exact.
constexpr double max_window_us = 1e15;

std::string decimal(std::int64_t v) {
    return std::to_string(v);
}

} // namespace

redis_gcra::redis_gcra(redis_connection& connection, std::string key, const rate_limit& limit)
    : connection_(connection)
    , key_(std::move(key)) {
    detail::check_rate_limit(limit);
    const double interval = std::ceil(1e6 / limit.per_second);
    const double tolerance = std::floor((limit.burst - 1) * interval);
    if (!(interval + tolerance <= max_window_us)) {
        throw std::invalid_argument("redis_gcra: burst window over 10^15 microseconds");
    }
    interval_ = microseconds(static_cast<microseconds::rep>(interval));
    tolerance_ = microseconds(static_cast<microseconds::rep>(tolerance));
    // Two burst windows, in whole milliseconds.
    margin_ = std::chrono::ceil<std::chrono::milliseconds>(2 * (interval_ + tolerance_));
}

asio::awaitable<boost::system::result<gcra_grant>> redis_gcra::take(std::int64_t n,
                                                                    microseconds lookahead) {
    if (n < 1 || lookahead.count() < 0) {
        throw std::invalid_argument("redis_gcra::take: n must be >= 1, lookahead >= 0");
    }
    return run("take", n, lookahead, std::nullopt);
}

asio::awaitable<boost::system::result<gcra_grant>> redis_gcra::pause(microseconds d) {
    if (d.count() < 0) {
        throw std::invalid_argument("redis_gcra::pause: negative duration");
    }
    return run("pause", d.count(), microseconds(0), std::nullopt);
}

asio::awaitable<boost::system::result<gcra_grant>>
redis_gcra::take_at(std::int64_t n, microseconds now, microseconds lookahead) {
    if (n < 1 || lookahead.count() < 0) {
        throw std::invalid_argument("redis_gcra::take_at: n must be >= 1, lookahead >= 0");
    }
    return run("take", n, lookahead, now);
}

asio::awaitable<boost::system::result<gcra_grant>> redis_gcra::pause_at(microseconds d,
                                                                        microseconds now) {
    if (d.count() < 0) {
        throw std::invalid_argument("redis_gcra::pause_at: negative duration");
    }
    return run("pause", d.count(), microseconds(0), now);
}

asio::awaitable<boost::system::result<gcra_grant>>
redis_gcra::run(const char* op, std::int64_t amount, microseconds lookahead,
                std::optional<microseconds> now) {
    if (sha_.empty()) {
        std::vector<std::string> load{"SCRIPT", "LOAD", script_text};
        ++round_trips_;
        auto loaded = co_await connection_.command(std::move(load));
        if (!loaded) {
            co_return loaded.error();
        }
        if (loaded->is_error()) {
            last_error_ = loaded->as_text();
            co_return error_code(redis_errc::error_reply);
        }
        if (!loaded->is_string()) {
            co_return error_code(redis_errc::unexpected_reply);
        }
        sha_ = loaded->as_text();
    }

    std::vector<std::string> argv{"EVALSHA",
                                  sha_,
                                  "1",
                                  key_,
                                  op,
                                  decimal(interval_.count()),
                                  decimal(tolerance_.count()),
                                  decimal(amount),
                                  decimal(margin_.count()),
                                  decimal(lookahead.count())};
    if (now) {
        argv.push_back(decimal(now->count()));
    }
    // Kept for the EVAL fallback; the command takes its argv by value.
    std::vector<std::string> copy = argv;
    ++round_trips_;
    auto reply = co_await connection_.command(std::move(copy));
    if (reply && reply->is_error() && reply->as_text().starts_with("NOSCRIPT")) {
        argv[0] = "EVAL";
        argv[1] = script_text;
        ++round_trips_;
        reply = co_await connection_.command(std::move(argv));
    }
    if (!reply) {
        co_return reply.error();
    }
    if (reply->is_error()) {
        last_error_ = reply->as_text();
        co_return error_code(redis_errc::error_reply);
    }
    const auto& e = reply->elements();
    if (!reply->is_array() || e.size() != 5 ||
        !std::all_of(e.begin(), e.end(), [](const redis_reply& v) { return v.is_integer(); })) {
        co_return error_code(redis_errc::unexpected_reply);
    }
    gcra_grant g;
    g.granted = e[0].as_integer();
    g.wait = microseconds(e[1].as_integer());
    g.server_time = microseconds(e[2].as_integer());
    g.first = microseconds(e[3].as_integer());
    g.cooldown = microseconds(e[4].as_integer());
    co_return g;
}

} // namespace minapp::fleet
