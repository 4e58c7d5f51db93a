#include <minapp/emulator/server_stats.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace minapp::emulator {
namespace {

template <class Map, class Key>
std::uint64_t count_of(const Map& map, const Key& key) {
    const auto it = map.find(key);
    return it == map.end() ? 0 : it->second;
}

boost::json::object by_status(const std::map<unsigned, std::uint64_t>& counts) {
    boost::json::object out;
    for (const auto& [status, n] : counts) {
        out[std::to_string(status)] = n;
    }
    return out;
}

} // namespace

std::uint64_t server_stats::responses(unsigned status) const {
    return count_of(responses_by_status, status);
}

std::uint64_t server_stats::route_count(std::string_view route, unsigned status) const {
    const auto it = routes.find(route);
    return it == routes.end() ? 0 : count_of(it->second, status);
}

std::uint64_t server_stats::fault_count(fault_kind kind) const {
    return count_of(faults, kind);
}

std::string to_json(const server_stats& stats) {
    boost::json::object routes;
    for (const auto& [route, counts] : stats.routes) {
        routes[route] = by_status(counts);
    }
    boost::json::object faults;
    for (const auto& [kind, n] : stats.faults) {
        faults[to_string(kind)] = n;
    }
    const boost::json::object out{
        {"connections_accepted", stats.connections_accepted},
        {"connections_open", stats.connections_open},
        {"requests_total", stats.requests_total},
        {"handler_calls", stats.handler_calls},
        {"rate_limited", stats.rate_limited},
        {"url_too_long", stats.url_too_long},
        {"bad_requests", stats.bad_requests},
        {"inspection_requests", stats.inspection_requests},
        {"responses_by_status", by_status(stats.responses_by_status)},
        {"routes", std::move(routes)},
        {"faults", std::move(faults)},
        {"auth",
         {
             {"flows_started", stats.auth.flows_started},
             {"codes_issued", stats.auth.codes_issued},
             {"tokens_issued", stats.auth.tokens_issued},
             {"refreshes", stats.auth.refreshes},
             {"api_unauthorized", stats.auth.api_unauthorized},
         }},
    };
    return boost::json::serialize(out);
}

} // namespace minapp::emulator
