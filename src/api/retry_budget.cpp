#include "retry_budget.hpp"

#include <algorithm>
#include <cmath>

namespace minapp::detail {

retry_budget::retry_budget(double max_tokens, double token_ratio) noexcept
    : max_milli_(max_tokens > 0 ? std::llround(max_tokens * 1000) : 0)
    , ratio_milli_(std::max<std::int64_t>(0, std::llround(token_ratio * 1000)))
    , milli_(max_milli_) {}

void retry_budget::add(std::int64_t delta) noexcept {
    if (max_milli_ == 0) {
        return;
    }
    auto current = milli_.load(std::memory_order_relaxed);
    std::int64_t next = 0;
    do {
        next = std::clamp<std::int64_t>(current + delta, 0, max_milli_);
    } while (!milli_.compare_exchange_weak(current, next, std::memory_order_relaxed));
}

void retry_budget::on_failure() noexcept {
    add(-1000);
}

void retry_budget::on_success() noexcept {
    add(ratio_milli_);
}

bool retry_budget::retry_allowed() const noexcept {
    return max_milli_ == 0 || milli_.load(std::memory_order_relaxed) * 2 > max_milli_;
}

double retry_budget::tokens() const noexcept {
    return static_cast<double>(milli_.load(std::memory_order_relaxed)) / 1000.0;
}

} // namespace minapp::detail
