// When and how fast the client retries a failed request.
#pragma once

#include <chrono>
#include <cstdint>

namespace minapp {

/// Retry settings of a client. Retried by default: failures before the request was written,
/// 429 (always: the server did not apply it), 502/503/504 and timeouts or dropped connections of
/// idempotent requests, and 500 for reads (GET) only. A non-idempotent request (atomic update) that
/// may have reached the server is never re-sent: it fails with `error::outcome_unknown`. An
/// idempotent write that is retried after a lost answer and then fails also ends with
/// `error::outcome_unknown`, since the lost attempt may have been applied.
struct retry_policy {
    /// Attempts per call, the first included (1 disables retries).
    int max_attempts = 4;
    /// Backoff before the first retry; doubled (times `multiplier`) for each later one.
    std::chrono::milliseconds initial_backoff{100};
    double multiplier = 2.0;
    /// Upper bound of one backoff (before jitter).
    std::chrono::milliseconds max_backoff{10'000};
    /// Least wait after a throttling answer (429, 503) without a longer Retry-After.
    std::chrono::milliseconds throttle_floor{1'000};
    /// Retry budget of the client (the token bucket of gRPC's retry throttling): every failed
    /// attempt other than a 429 takes one token, every success gives back `budget_token_ratio`,
    /// and a retry is allowed only while more than half of `budget_max_tokens` remain. During an
    /// outage retries therefore stop after about `budget_max_tokens / 2` failures instead of
    /// multiplying the load by `max_attempts`; in steady state at most about `budget_token_ratio`
    /// retries per success get through. 429s are paced by the throttle floor and the rate limiter
    /// instead. 0 disables the budget.
    double budget_max_tokens = 100;
    /// Tokens a successful call gives back, in (0, 1].
    double budget_token_ratio = 0.2;
    /// Seed of the backoff jitter, so that a test run is reproducible.
    std::uint64_t jitter_seed = 0x6d696e617070ULL;
};

} // namespace minapp
