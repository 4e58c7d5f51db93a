#include "request_processor.hpp"

#include "../core/reply.hpp"

#include <exception>
#include <string>
#include <utility>

namespace minapp::emulator::detail {
namespace {

constexpr std::string_view inspection_prefix = "/_emulator/";

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

unsigned fault_status(fault_kind kind) {
    switch (kind) {
    case fault_kind::http_500:
        return 500;
    case fault_kind::http_502:
        return 502;
    case fault_kind::http_503:
        return 503;
    default:
        return 429;
    }
}

// Half the body plus a suffix that no JSON grammar allows outside a string, and a string cut
// short is unterminated: the result is never valid JSON, whatever the original was.
void break_json(std::string& body) {
    body.resize(body.size() / 2);
    body += "<<malformed>>";
}

} // namespace

request_processor::request_processor(const server_options& options, api_handler handler)
    : handler_(std::move(handler))
    , inspect_(options.inspect)
    , inspection_(options.inspection)
    , max_url_length_(options.max_url_length)
    , faults_(options.faults)
    , budget_(options.requests_per_minute) {}

api_response request_processor::inspect(const api_request& request) {
    stats_.inspection_request();
    const std::string_view path = path_of(request.target);
    if (request.method != "GET") {
        return error_reply(405, "inspection endpoints answer GET only");
    }
    if (path == "/_emulator/stats" || path == "/_emulator/stats/") {
        api_response response;
        response.body = to_json(stats_.snapshot());
        return response;
    }
    if (inspect_) {
        if (auto response = inspect_(request)) {
            return std::move(*response);
        }
    }
    return error_reply(404, "not found");
}

api_response request_processor::reject(unsigned status, std::string_view message) {
    stats_.bad_request();
    stats_.response(status);
    return error_reply(status, message);
}

exchange_plan request_processor::process(const api_request& request,
                                         rate_budget::clock::time_point now) {
    exchange_plan plan;
    if (inspection_ && request.target.starts_with(inspection_prefix)) {
        plan.response = inspect(request);
        return plan;
    }
    stats_.request_read();
    if (request.target.size() > max_url_length_) {
        stats_.url_too_long();
        plan.response = error_reply(502, "request URL too long");
        stats_.response(plan.response.status);
        return plan;
    }
    if (const auto retry_after = budget_.try_acquire(now)) {
        stats_.rate_limited();
        plan.response = error_reply(429, "rate limit exceeded");
        plan.response.headers.emplace_back("Retry-After", std::to_string(retry_after->count()));
        stats_.response(plan.response.status);
        return plan;
    }

    const fault_decision decision = faults_.decide(request.method, request.target);
    plan.delay = decision.delay;
    if (decision.delay.count() > 0) {
        stats_.fault(fault_kind::latency);
    }
    if (decision.action) {
        stats_.fault(*decision.action);
    }
    switch (decision.action.value_or(fault_kind::latency)) {
    case fault_kind::http_500:
    case fault_kind::http_502:
    case fault_kind::http_503:
    case fault_kind::http_429:
        plan.response = error_reply(fault_status(*decision.action), "injected fault");
        stats_.response(plan.response.status);
        return plan;
    case fault_kind::http_429_retry_after:
        plan.response = error_reply(429, "injected fault");
        plan.response.headers.emplace_back("Retry-After",
                                           std::to_string(decision.retry_after.count()));
        stats_.response(plan.response.status);
        return plan;
    case fault_kind::reset_before_handler:
        plan.ending = exchange_ending::reset;
        return plan;
    default:
        break;
    }

    try {
        plan.response = handler_(request);
    } catch (const std::exception& e) {
        plan.response = error_reply(500, std::string("handler failed: ") + e.what());
    }
    stats_.handler_result(plan.response.route, plan.response.status);
    // Counted even when a fault then loses the response: the API's state has changed.
    stats_.auth_event(plan.response.event);

    switch (decision.action.value_or(fault_kind::latency)) {
    case fault_kind::reset_after_handler:
        plan.ending = exchange_ending::reset;
        return plan;
    case fault_kind::connection_close:
        plan.ending = exchange_ending::close;
        break;
    case fault_kind::truncated_body:
        plan.ending = exchange_ending::truncate_body;
        break;
    case fault_kind::malformed_json:
        break_json(plan.response.body);
        break;
    default:
        break;
    }
    stats_.response(plan.response.status);
    return plan;
}

} // namespace minapp::emulator::detail
