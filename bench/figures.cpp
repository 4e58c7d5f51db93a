#include "figures.hpp"

#include <sstream>

namespace minapp::bench {

std::string figures::serialize() const {
    std::ostringstream out;
    out << scenario << '\t' << impl << '\t' << concurrency << '\t' << requests << '\t' << errors
        << '\t' << seconds << '\t' << cpu_us << '\t' << p50_ms << '\t' << p99_ms << '\t'
        << peak_rss_kib << '\t' << connections << '\t' << handshakes << '\t' << target_rate << '\t'
        << rss_growth_kib << '\t' << rss_growth_second_half_kib << '\t' << unexpected_errors << '\t'
        << counters_balance << '\t' << allocations << '\t' << processes << '\t' << round_trips
        << '\t' << fallbacks << '\t' << server_cpu_us << '\t' << redis_cpu_us << '\t' << wakeups
        << '\t' << process_requests_min << '\t' << process_requests_max;
    return out.str();
}

figures figures::parse(const std::string& line) {
    std::istringstream in(line);
    figures f;
    std::getline(in, f.scenario, '\t');
    std::getline(in, f.impl, '\t');
    in >> f.concurrency >> f.requests >> f.errors >> f.seconds >> f.cpu_us >> f.p50_ms >>
        f.p99_ms >> f.peak_rss_kib >> f.connections >> f.handshakes >> f.target_rate >>
        f.rss_growth_kib >> f.rss_growth_second_half_kib >> f.unexpected_errors >>
        f.counters_balance >> f.allocations >> f.processes >> f.round_trips >> f.fallbacks >>
        f.server_cpu_us >> f.redis_cpu_us >> f.wakeups >> f.process_requests_min >>
        f.process_requests_max;
    return f;
}

} // namespace minapp::bench
