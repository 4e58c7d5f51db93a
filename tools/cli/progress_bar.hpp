// The progress line of long CLI commands, redrawn in place on stderr.
#pragma once

#include <minapp/bulk_progress.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

namespace minapp::cli {

/// Draws "label 1234/10000 12% 850/s ETA 10s 3 failed" on one line, at most ten times a second
/// (the rate and ETA only once they mean something: see attempted_rate).
/// Does nothing when disabled (stderr is not a terminal and --progress was not given).
class progress_bar {
public:
    progress_bar(std::ostream& out, bool enabled, std::string label);
    ~progress_bar();
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;

    /// A bulk run's counts.
    void update(const bulk_progress& p);
    /// A count of items, for listings (no failures).
    void update(std::size_t done, std::optional<std::size_t> total);
    /// Draws the last state and ends the line.
    void finish();

private:
    void draw(std::size_t done, std::optional<std::size_t> total, std::size_t not_applied,
              std::size_t not_attempted, bool force);

    std::ostream& out_;
    bool enabled_;
    std::string label_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
    std::size_t done_ = 0;
    std::optional<std::size_t> total_;
    std::size_t not_applied_ = 0;
    std::size_t not_attempted_ = 0;
};

/// The progress line for `done` of `total` after `seconds`, e.g.
/// "users 1234/10000 12% 850/s ETA 10s 3 failed" (the pure part of progress_bar). The rate
/// counts the items attempted (`done` minus `not_attempted`), and it and the ETA are left out
/// while too little has run (see attempted_rate).
std::string progress_line(const std::string& label, std::size_t done,
                          std::optional<std::size_t> total, double seconds, std::size_t not_applied,
                          std::size_t not_attempted = 0);

} // namespace minapp::cli
