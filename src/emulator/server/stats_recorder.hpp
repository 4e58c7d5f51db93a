// Thread-safe accumulation of server_stats: the server's threads record, tests take snapshots.
#pragma once

#include <minapp/emulator/server_stats.hpp>

#include <mutex>
#include <string_view>

namespace minapp::emulator::detail {

/// Collects the counters of one server. One short critical section per event keeps the cost per
/// request at an uncontended lock; the maps are small and rarely grow.
class stats_recorder {
public:
    void connection_opened();
    void connection_closed();
    void request_read();
    void inspection_request();
    void rate_limited();
    void url_too_long();
    void bad_request();
    void fault(fault_kind kind);
    void handler_result(std::string_view route, unsigned status);
    /// Counts the access-token event of a handler's response (api_response::event).
    void auth_event(api_event event);
    void response(unsigned status);

    server_stats snapshot() const;
    /// Zeroes every counter except connections_open, which describes the present.
    void reset();

private:
    mutable std::mutex mutex_;
    server_stats stats_;
};

} // namespace minapp::emulator::detail
