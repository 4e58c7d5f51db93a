// The emulator's optional requests-per-minute budget (the API publishes RPM capacities but no
// throttling behaviour; the emulator answers 429 + Retry-After beyond the budget).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace minapp::emulator {

/// A fixed-window request budget: at most `limit` requests per window, the window starting at
/// the first request after the previous one ended. Fixed windows are easy to reason about in
/// tests: the (limit+1)-th request of a window is always refused.
///
/// Thread safety: all member functions may be called concurrently.
class rate_budget {
public:
    using clock = std::chrono::steady_clock;

    /// `limit` = 0 admits everything.
    explicit rate_budget(std::uint64_t limit = 0,
                         std::chrono::milliseconds window = std::chrono::minutes(1));

    /// Changes the limit and starts a new window with the next request.
    void set_limit(std::uint64_t limit);

    /// The current limit (0 = unlimited).
    std::uint64_t limit() const;

    /// Counts one request at `now`. Returns nullopt when it is admitted, otherwise the whole
    /// seconds (at least 1) until the window ends: the Retry-After value.
    std::optional<std::chrono::seconds> try_acquire(clock::time_point now);

private:
    mutable std::mutex mutex_;
    std::uint64_t limit_;
    std::chrono::milliseconds window_;
    std::optional<clock::time_point> window_start_;
    std::uint64_t used_ = 0;
};

} // namespace minapp::emulator
