#include "measure.hpp"

#include <algorithm>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace minapp::bench {

std::chrono::microseconds cpu_time(bool children) {
    rusage u{};
    getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &u);
    auto us = [](const timeval& t) {
        return std::int64_t{t.tv_sec} * 1'000'000 + std::int64_t{t.tv_usec};
    };
    return std::chrono::microseconds(us(u.ru_utime) + us(u.ru_stime));
}

std::uint64_t voluntary_switches() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::uint64_t>(u.ru_nvcsw);
}

std::chrono::microseconds process_cpu_time(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(in, text);
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return std::chrono::microseconds(0);
    }
    std::istringstream fields(text.substr(close + 1));
    std::string skip;
    for (int field = 3; field < 14; ++field) {
        fields >> skip;
    }
    long long utime = 0;
    long long stime = 0;
    fields >> utime >> stime;
    const long ticks = sysconf(_SC_CLK_TCK);
    return std::chrono::microseconds(ticks > 0 ? (utime + stime) * 1'000'000 / ticks : 0);
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

std::string latencies::serialize() const {
    std::string out;
    out.reserve(samples_.size() * 6);
    for (const auto s : samples_) {
        out += std::to_string(s);
        out += ' ';
    }
    return out;
}

latencies latencies::parse(const std::string& line) {
    latencies l;
    std::istringstream in(line);
    for (std::uint32_t s = 0; in >> s;) {
        l.samples_.push_back(s);
    }
    return l;
}

} // namespace minapp::bench
