#include "progress_meter.hpp"

namespace minapp::detail {

using clock = std::chrono::steady_clock;

progress_meter::progress_meter(std::function<void(const bulk_progress&)> callback,
                               std::chrono::milliseconds interval, std::optional<std::size_t> total)
    : callback_(std::move(callback))
    , interval_(interval)
    , start_(clock::now())
    , last_report_(start_) {
    counts_.total = total;
}

void progress_meter::add(outcome_status status, std::size_t n) {
    switch (status) {
    case outcome_status::succeeded:
        counts_.succeeded += n;
        break;
    case outcome_status::failed:
        counts_.failed += n;
        break;
    case outcome_status::unknown:
        counts_.unknown += n;
        break;
    case outcome_status::not_attempted:
        counts_.not_attempted += n;
        break;
    }
    add_done(n);
}

void progress_meter::add_done(std::size_t n) {
    counts_.done += n;
    tick();
}

void progress_meter::tick() {
    if (!callback_) {
        return;
    }
    const auto now = clock::now();
    if (now - last_report_ >= interval_) {
        last_report_ = now;
        callback_(snapshot());
    }
}

bulk_progress progress_meter::snapshot() const {
    bulk_progress p = counts_;
    p.elapsed = clock::now() - start_;
    return p;
}

bulk_progress progress_meter::finish() {
    auto p = snapshot();
    if (callback_) {
        callback_(p);
    }
    return p;
}

} // namespace minapp::detail
