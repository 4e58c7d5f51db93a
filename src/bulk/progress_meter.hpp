// Counting a bulk run's outcomes and calling its progress callback at a bounded rate.
#pragma once

#include <minapp/bulk_progress.hpp>
#include <minapp/bulk_update.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>

namespace minapp::detail {

/// Tallies outcomes; not thread-safe (a run's strand owns it).
class progress_meter {
public:
    progress_meter(std::function<void(const bulk_progress&)> callback,
                   std::chrono::milliseconds interval, std::optional<std::size_t> total);

    /// Counts `n` items with `status`, then reports if the interval has passed.
    void add(outcome_status status, std::size_t n = 1);
    /// Counts `n` items done without one of the four statuses, then reports likewise.
    void add_done(std::size_t n);
    /// The final report (always delivered); returns the final counts.
    bulk_progress finish();
    /// The counts now.
    bulk_progress snapshot() const;

private:
    void tick();

    std::function<void(const bulk_progress&)> callback_;
    std::chrono::steady_clock::duration interval_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_report_;
    bulk_progress counts_;
};

} // namespace minapp::detail
