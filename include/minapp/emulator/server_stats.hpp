// What the emulator's HTTP server has done so far: a snapshot for tests and /_emulator/stats.
#pragma once

#include <minapp/emulator/auth.hpp>
#include <minapp/emulator/faults.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace minapp::emulator {

/// Counters of an emulator server. Requests to the /_emulator/ inspection endpoints are counted
/// only in `inspection_requests`.
struct server_stats {
    server_stats() = default;

    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    /// API requests read completely (whatever happened to them afterwards).
    std::uint64_t requests_total = 0;
    /// Requests that reached the API handler.
    std::uint64_t handler_calls = 0;
    /// Requests refused by the requests-per-minute budget.
    std::uint64_t rate_limited = 0;
    /// Requests refused with 502 because the URL was too long.
    std::uint64_t url_too_long = 0;
    /// Requests the HTTP layer rejected (bad syntax, header or body too large).
    std::uint64_t bad_requests = 0;
    std::uint64_t inspection_requests = 0;
    /// Responses written (or attempted), by HTTP status.
    std::map<unsigned, std::uint64_t> responses_by_status;
    /// Handler results: route name (api_response::route) -> status -> count.
    std::map<std::string, std::map<unsigned, std::uint64_t>, std::less<>> routes;
    /// Faults injected, by kind (latency counts once per delayed request).
    std::map<fault_kind, std::uint64_t> faults;
    /// The access-token flow, from the handlers' api_response::event (the same counts as
    /// user_api::auth_stats() when the handler is a user_api; "auth" in the JSON).
    auth_counters auth;

    /// The count of `status` in responses_by_status (0 when absent).
    std::uint64_t responses(unsigned status) const;
    /// The count of `status` for `route` (0 when absent).
    std::uint64_t route_count(std::string_view route, unsigned status) const;
    /// Faults of `kind` injected so far (0 when absent).
    std::uint64_t fault_count(fault_kind kind) const;
};

/// The stats as a JSON object (the body of GET /_emulator/stats).
std::string to_json(const server_stats& stats);

} // namespace minapp::emulator
