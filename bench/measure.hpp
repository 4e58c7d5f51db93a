// What the benchmark measures about its own process: CPU time, memory, latency percentiles.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minapp::bench {

/// User + system CPU time of this process (or of its reaped children).
std::chrono::microseconds cpu_time(bool children = false);

/// Voluntary context switches of this process so far: the times it slept (in epoll_wait, say)
/// and was woken, each a cost of its own in a paced client.
std::uint64_t voluntary_switches();

/// User + system CPU time of another process so far, from /proc/PID/stat (clock-tick
/// resolution, 10 ms on Linux); 0 when it cannot be read.
std::chrono::microseconds process_cpu_time(int pid);

/// Peak resident set size of this process so far, in KiB (VmHWM).
std::size_t peak_rss_kib();
/// Current resident set size, in KiB (VmRSS).
std::size_t current_rss_kib();

/// Heap allocations (successful malloc, calloc, realloc and aligned allocations, whoever made them:
/// operator new, OpenSSL, libcurl) by this process so far; see alloc_count.cpp.
std::uint64_t allocation_count() noexcept;
/// False where the count stays at 0: under a sanitizer, which brings its own allocator.
bool allocations_counted() noexcept;

/// Pins the calling process (and the children it forks later) to one CPU; false if it cannot.
bool pin_to_cpu(int cpu);

/// Request latencies, in microseconds.
class latencies {
public:
    void reserve(std::size_t n) { samples_.reserve(n); }
    void add(std::chrono::steady_clock::duration d) {
        samples_.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
    }
    void merge(const latencies& other) {
        samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
    }
    std::size_t size() const noexcept { return samples_.size(); }
    /// The q-quantile (0..1) in milliseconds; 0 without samples. Sorts the samples.
    double quantile_ms(double q);

    /// The samples as one line of text (microseconds separated by spaces), to cross a pipe
    /// from a child process; `parse` reads it back.
    std::string serialize() const;
    static latencies parse(const std::string& line);

private:
    std::vector<std::uint32_t> samples_;
};

} // namespace minapp::bench
