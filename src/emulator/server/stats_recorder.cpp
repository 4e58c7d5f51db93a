#include "stats_recorder.hpp"

namespace minapp::emulator::detail {

void stats_recorder::connection_opened() {
    std::lock_guard lock(mutex_);
    ++stats_.connections_accepted;
    ++stats_.connections_open;
}

void stats_recorder::connection_closed() {
    std::lock_guard lock(mutex_);
    --stats_.connections_open;
}

void stats_recorder::request_read() {
    std::lock_guard lock(mutex_);
    ++stats_.requests_total;
}

void stats_recorder::inspection_request() {
    std::lock_guard lock(mutex_);
    ++stats_.inspection_requests;
}

void stats_recorder::rate_limited() {
    std::lock_guard lock(mutex_);
    ++stats_.rate_limited;
}

void stats_recorder::url_too_long() {
    std::lock_guard lock(mutex_);
    ++stats_.url_too_long;
}

void stats_recorder::bad_request() {
    std::lock_guard lock(mutex_);
    ++stats_.bad_requests;
}

void stats_recorder::fault(fault_kind kind) {
    std::lock_guard lock(mutex_);
    ++stats_.faults[kind];
}

void stats_recorder::handler_result(std::string_view route, unsigned status) {
    std::lock_guard lock(mutex_);
    ++stats_.handler_calls;
    auto it = stats_.routes.find(route);
    if (it == stats_.routes.end()) {
        it = stats_.routes.emplace(std::string(route), std::map<unsigned, std::uint64_t>{}).first;
    }
    ++it->second[status];
}

void stats_recorder::auth_event(api_event event) {
    if (event == api_event::none) {
        return; // the common case takes no lock
    }
    std::lock_guard lock(mutex_);
    stats_.auth.add(event);
}

void stats_recorder::response(unsigned status) {
    std::lock_guard lock(mutex_);
    ++stats_.responses_by_status[status];
}

server_stats stats_recorder::snapshot() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void stats_recorder::reset() {
    std::lock_guard lock(mutex_);
    const std::uint64_t open = stats_.connections_open;
    stats_ = server_stats{};
    stats_.connections_open = open;
}

} // namespace minapp::emulator::detail
