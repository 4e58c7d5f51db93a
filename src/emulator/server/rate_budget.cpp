#include <minapp/emulator/rate_budget.hpp>

#include <algorithm>

namespace minapp::emulator {

rate_budget::rate_budget(std::uint64_t limit, std::chrono::milliseconds window)
    : limit_(limit)
    , window_(window) {}

void rate_budget::set_limit(std::uint64_t limit) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
    window_start_.reset();
    used_ = 0;
}

std::uint64_t rate_budget::limit() const {
    std::lock_guard lock(mutex_);
    return limit_;
}

std::optional<std::chrono::seconds> rate_budget::try_acquire(clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (limit_ == 0) {
        return std::nullopt;
    }
    if (!window_start_ || now - *window_start_ >= window_) {
        window_start_ = now;
        used_ = 0;
    }
    if (used_ < limit_) {
        ++used_;
        return std::nullopt;
    }
    const auto remaining = *window_start_ + window_ - now;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(remaining);
    return std::max(seconds, std::chrono::seconds(1));
}

} // namespace minapp::emulator
