// What the bulk commands print besides results: how long a run took, how fast it went, the
// stderr summary of `users update-many`, and its outcomes put back into input order.
#pragma once

#include <minapp/bulk_progress.hpp>
#include <minapp/bulk_update.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace minapp::cli {

/// Items attempted per second of wall time, or nullopt while too little has run for a rate to
/// mean anything (under 1 s and under 100 items): 5 items done in 10 ms are not a rate of 500/s.
std::optional<double> attempted_rate(std::size_t attempted, double seconds);

/// The rate of a bulk run: items that were sent (done minus not attempted, so that a cancelled
/// run does not count the items it skipped) over the elapsed time; see above.
std::optional<double> attempted_rate(const bulk_progress& p);

/// A rate as people read it: whole numbers from 10 up ("525"), one decimal below ("0.5").
std::string rate_text(double rate);

/// Seconds with three decimals: "0.010", "4.231".
std::string seconds_text(double seconds);

/// `seconds` rounded to milliseconds, for JSON (0.042 rather than 0.04213771).
double rounded_to_milliseconds(double seconds);

/// The stderr summary of `users update-many` (without a line end), e.g. "update-many: 5 items: 5
/// succeeded, 0 failed, 0 unknown, 0 not attempted in 4.231 s (1 items/s)".
std::string update_many_summary(const bulk_report& report);

/// Puts outcomes that arrive in completion order back into input order. Only outcomes ahead of
/// the next index to print are held (by index), and each contiguous run is passed on as soon as
/// it is complete, so what is held is what finished ahead of the oldest unfinished item (about
/// the concurrency window), never the whole input.
class input_order {
public:
    explicit input_order(std::function<void(update_outcome&&)> emit);

    /// Takes one outcome; emits it and whatever it completes, or holds it.
    void push(update_outcome&& outcome);
    /// Emits what is still held, in index order, skipping any gap (every item of a run has an
    /// outcome, so after a run nothing should be held).
    void flush();
    /// Outcomes held, waiting for an earlier one.
    std::size_t held() const noexcept { return ahead_.size(); }

private:
    std::function<void(update_outcome&&)> emit_;
    std::size_t next_ = 0;
    std::map<std::size_t, update_outcome> ahead_;
};

} // namespace minapp::cli
