// One measured run: what a scenario did with one implementation, and how much it cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace minapp::bench {

struct figures {
    std::string scenario;
    std::string impl; ///< "minapp", "floor", "curl" or "wrk"
    std::size_t concurrency = 0;
    std::size_t requests = 0; ///< Requests (or items) in the timed phase.
    std::size_t errors = 0;
    double seconds = 0; ///< Wall time of the timed phase.
    double cpu_us = 0;  ///< Client user+sys CPU over the timed phase, microseconds.
    double p50_ms = 0;
    double p99_ms = 0;
    std::size_t peak_rss_kib = 0;
    std::uint64_t connections = 0; ///< Connections opened (whole run).
    std::uint64_t handshakes = 0;  ///< Full TLS handshakes (whole run).
    double target_rate = 0;        ///< update-many at a rate, fleet: the configured rate.
    /// Heap allocations of this process over the timed phase; -1 where not counted (wrk, which
    /// runs in a process of its own, or a sanitizer build).
    std::int64_t allocations = -1;
    // Soak only.
    std::int64_t rss_growth_kib = 0; ///< RSS at the end minus RSS after the warm-up.
    /// The part of rss_growth_kib that came in the second half of the post-warm-up requests: a
    /// leak grows as much there as in the first half, caches filling up do not.
    std::int64_t rss_growth_second_half_kib = 0;
    std::size_t unexpected_errors = 0; ///< Errors of a kind the injected faults cannot cause.
    bool counters_balance = true;      ///< opened == closed + idle, none in use, at the end.
    // Fleet only (several client processes on one rate budget): sums over the processes.
    std::size_t processes = 1;
    std::uint64_t round_trips = 0; ///< Redis commands of the budgets over the timed phase.
    std::uint64_t fallbacks = 0;   ///< Times a budget lost Redis and fell back (whole run).
    std::uint64_t wakeups = 0;     ///< Voluntary context switches over the timed phase.
    /// The fewest and most requests one process completed in the timed phase.
    std::size_t process_requests_min = 0;
    std::size_t process_requests_max = 0;
    double server_cpu_us = 0; ///< The emulator's CPU over the timed phase.
    double redis_cpu_us = 0;  ///< redis-server's CPU over the timed phase.

    double per_second() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
    double cpu_per_request_us() const {
        return requests > 0 ? cpu_us / static_cast<double>(requests) : 0;
    }
    /// Redis round trips per 1000 requests (fleet).
    double round_trips_per_1000() const {
        return requests > 0
                   ? 1000.0 * static_cast<double>(round_trips) / static_cast<double>(requests)
                   : 0;
    }
    double allocations_per_request() const {
        return requests > 0 ? static_cast<double>(allocations) / static_cast<double>(requests) : 0;
    }

    /// One line of text (fields separated by tabs), to cross a pipe from a child process.
    std::string serialize() const;
    static figures parse(const std::string& line);
};

} // namespace minapp::bench
