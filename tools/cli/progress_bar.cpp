#include "progress_bar.hpp"

#include "bulk_output.hpp"

#include <cmath>
#include <sstream>

namespace minapp::cli {

using clock = std::chrono::steady_clock;

std::string progress_line(const std::string& label, std::size_t done,
                          std::optional<std::size_t> total, double seconds, std::size_t not_applied,
                          std::size_t not_attempted) {
    // A stream, not string concatenation: g++ 12 reports a false -Wrestrict on the latter.
    std::ostringstream line;
    line << label << ' ' << done;
    if (total) {
        line << '/' << *total;
        if (*total > 0) {
            line << ' ' << done * 100 / *total << '%';
        }
    }
    const auto rate = attempted_rate(done >= not_attempted ? done - not_attempted : 0, seconds);
    if (rate) {
        line << ' ' << std::llround(*rate) << "/s";
    }
    if (rate && *rate > 0 && total && *total >= done) {
        line << " ETA " << std::llround(static_cast<double>(*total - done) / *rate) << 's';
    }
    if (not_applied > 0) {
        line << ' ' << not_applied << " failed";
    }
    return line.str();
}

progress_bar::progress_bar(std::ostream& out, bool enabled, std::string label)
    : out_(out)
    , enabled_(enabled)
    , label_(std::move(label))
    , start_(clock::now())
    , last_(start_) {}

progress_bar::~progress_bar() {
    finish();
}

void progress_bar::update(const bulk_progress& p) {
    draw(p.done, p.total, p.failed + p.unknown, p.not_attempted, false);
}

void progress_bar::update(std::size_t done, std::optional<std::size_t> total) {
    draw(done, total, 0, 0, false);
}

void progress_bar::draw(std::size_t done, std::optional<std::size_t> total, std::size_t not_applied,
                        std::size_t not_attempted, bool force) {
    done_ = done;
    total_ = total;
    not_applied_ = not_applied;
    not_attempted_ = not_attempted;
    if (!enabled_) {
        return;
    }
    const auto now = clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    // \33[K clears what a longer previous line left behind.
    out_ << '\r' << progress_line(label_, done, total, seconds, not_applied, not_attempted)
         << "\33[K" << std::flush;
}

void progress_bar::finish() {
    if (!enabled_) {
        return;
    }
    draw(done_, total_, not_applied_, not_attempted_, true);
    out_ << '\n' << std::flush;
    enabled_ = false;
}

} // namespace minapp::cli
