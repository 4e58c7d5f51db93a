#include "measure.hpp"

#include <algorithm>
#include <fstream>
#include <sched.h>
#include <string>
#include <sys/resource.h>

namespace minapp::bench {

std::chrono::microseconds cpu_time(bool children) {
    rusage u{};
    getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &u);
    auto us = [](const timeval& t) {
        return std::int64_t{t.tv_sec} * 1'000'000 + std::int64_t{t.tv_usec};
    };
    return std::chrono::microseconds(us(u.ru_utime) + us(u.ru_stime));
}

namespace {

std::size_t status_kib(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(key) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(prefix, 0) == 0) {
            return std::stoul(line.substr(prefix.size()));
        }
    }
    return 0;
}

} // namespace

std::size_t peak_rss_kib() {
    return status_kib("VmHWM");
}

std::size_t current_rss_kib() {
    return status_kib("VmRSS");
}

bool pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0;
}

double latencies::quantile_ms(double q) {
    if (samples_.empty()) {
        return 0.0;
    }
    std::sort(samples_.begin(), samples_.end());
    const auto at = std::min(samples_.size() - 1,
                             static_cast<std::size_t>(q * static_cast<double>(samples_.size())));
    return static_cast<double>(samples_[at]) / 1000.0;
}

} // namespace minapp::bench
