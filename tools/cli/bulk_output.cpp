#include "bulk_output.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

namespace minapp::cli {

std::optional<double> attempted_rate(std::size_t attempted, double seconds) {
    if (seconds <= 0 || (seconds < 1.0 && attempted < 100)) {
        return std::nullopt;
    }
    return static_cast<double>(attempted) / seconds;
}

std::optional<double> attempted_rate(const bulk_progress& p) {
    const std::size_t attempted = p.done >= p.not_attempted ? p.done - p.not_attempted : 0;
    return attempted_rate(attempted, std::chrono::duration<double>(p.elapsed).count());
}

std::string rate_text(double rate) {
    char buf[64];
    if (rate >= 9.95) {
        std::snprintf(buf, sizeof buf, "%lld", std::llround(rate));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f", rate);
    }
    return buf;
}

std::string seconds_text(double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", seconds);
    return buf;
}

double rounded_to_milliseconds(double seconds) {
    return std::round(seconds * 1000) / 1000;
}

std::string update_many_summary(const bulk_report& report) {
    const auto& t = report.totals;
    // A stream, not string concatenation: g++ 12 reports a false -Wrestrict on the latter.
    std::ostringstream line;
    line << "update-many: " << t.done << " items: " << t.succeeded << " succeeded, " << t.failed
         << " failed, " << t.unknown << " unknown, " << t.not_attempted << " not attempted in "
         << seconds_text(std::chrono::duration<double>(t.elapsed).count()) << " s";
    if (const auto rate = attempted_rate(t)) {
        line << " (" << rate_text(*rate) << " items/s)";
    }
    line << (report.cancelled ? "; cancelled" : "") << (report.stopped_on_error ? "; stopped" : "");
    return line.str();
}

input_order::input_order(std::function<void(update_outcome&&)> emit)
    : emit_(std::move(emit)) {}

void input_order::push(update_outcome&& outcome) {
    if (outcome.index != next_) {
        ahead_.insert_or_assign(outcome.index, std::move(outcome));
        return;
    }
    emit_(std::move(outcome));
    ++next_;
    for (auto it = ahead_.begin(); it != ahead_.end() && it->first == next_;
         it = ahead_.erase(it)) {
        emit_(std::move(it->second));
        ++next_;
    }
}

void input_order::flush() {
    for (auto& [index, outcome] : ahead_) {
        emit_(std::move(outcome));
        next_ = index + 1;
    }
    ahead_.clear();
}

} // namespace minapp::cli
