// What the server does with one complete request, apart from any I/O: inspection endpoints, the
// URL limit, the request budget, fault decisions and the handler call. The session (the I/O
// shell) then only carries out the resulting plan.
#pragma once

#include "stats_recorder.hpp"

#include <minapp/emulator/api.hpp>
#include <minapp/emulator/faults.hpp>
#include <minapp/emulator/rate_budget.hpp>
#include <minapp/emulator/server.hpp>

#include <chrono>
#include <string_view>

namespace minapp::emulator::detail {

/// How an exchange ends once the response is known.
enum class exchange_ending {
    keep_alive,    ///< Write the response; keep the connection if the client and limits allow.
    close,         ///< Write the response with `Connection: close`, then close gracefully.
    reset,         ///< Write nothing: reset the connection (RST).
    truncate_body, ///< Announce the full body, write half of it, then close.
};

/// The server's answer to one request.
struct exchange_plan {
    api_response response;
    exchange_ending ending = exchange_ending::keep_alive;
    std::chrono::milliseconds delay{0}; ///< Hold the response back this long (timer).
};

/// Turns requests into plans. Thread-safe: process() may run concurrently.
class request_processor {
public:
    request_processor(const server_options& options, api_handler handler);

    /// Decides the answer to `request`, received at `now`, calling the handler when the answer
    /// needs it, and records counters.
    exchange_plan process(const api_request& request, rate_budget::clock::time_point now);

    /// A request the HTTP layer could not accept (bad syntax, limits): counts it and returns the
    /// error response to send before closing.
    api_response reject(unsigned status, std::string_view message);

    fault_injector& faults() noexcept { return faults_; }
    rate_budget& budget() noexcept { return budget_; }
    stats_recorder& stats() noexcept { return stats_; }

private:
    api_response inspect(const api_request& request);

    api_handler handler_;
    inspection_handler inspect_;
    bool inspection_;
    std::size_t max_url_length_;
    fault_injector faults_;
    rate_budget budget_;
    stats_recorder stats_;
};

} // namespace minapp::emulator::detail
