// The per-client retry budget (gRPC's retry throttling): a token bucket that failures drain and
// successes refill, so that retries cannot multiply the load during an outage.
#pragma once

#include <atomic>
#include <cstdint>

namespace minapp::detail {

/// A lock-free token bucket shared by every call of a client. Tokens are kept in thousandths.
class retry_budget {
public:
    /// `max_tokens` <= 0 disables the budget (every retry allowed).
    retry_budget(double max_tokens, double token_ratio) noexcept;

    /// Records a failed attempt (takes one token).
    void on_failure() noexcept;
    /// Records a successful call (gives back `token_ratio`, up to the maximum).
    void on_success() noexcept;
    /// Whether a retry may be sent now: more than half of the maximum remains.
    bool retry_allowed() const noexcept;
    /// Tokens left, for tests and stats.
    double tokens() const noexcept;

private:
    void add(std::int64_t delta) noexcept;

    std::int64_t max_milli_;
    std::int64_t ratio_milli_;
    std::atomic<std::int64_t> milli_;
};

} // namespace minapp::detail
