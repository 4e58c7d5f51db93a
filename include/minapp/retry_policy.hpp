// When and how fast the client retries a failed request.
#pragma once

#include <chrono>
#include <cstdint>

namespace minapp {

/// Retry settings of a client. Retried by default: failures before the request was written,
/// 429 (always: the server did not apply it), 502/503/504 and timeouts or dropped connections of
/// idempotent requests. A non-idempotent request (atomic update) that may have reached the
/// server is never re-sent: it fails with `error::outcome_unknown`.
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
    /// Seed of the backoff jitter, so that a test run is reproducible.
    std::uint64_t jitter_seed = 0x6d696e617070ULL;
};

} // namespace minapp
