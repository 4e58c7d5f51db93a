// Progress counters of a running bulk operation.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace minapp {

/// Where a bulk operation stands. Counts are of items (`update_users`) or users
/// (`update_where`) with a final outcome.
struct bulk_progress {
    std::size_t done = 0;               ///< Accounted for so far (the sum of the four below).
    std::optional<std::size_t> total{}; ///< The whole input, when known in advance.
    std::size_t succeeded = 0;
    std::size_t failed = 0;
    std::size_t unknown = 0;
    std::size_t not_attempted = 0;
    std::chrono::steady_clock::duration elapsed{}; ///< Since the run started.

    /// Items accounted for per second since the start (0 before any time has passed).
    double rate() const noexcept {
        const double s = std::chrono::duration<double>(elapsed).count();
        return s > 0 ? static_cast<double>(done) / s : 0.0;
    }
};

} // namespace minapp
