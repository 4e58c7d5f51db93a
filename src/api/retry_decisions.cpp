#include "retry_decisions.hpp"

#include <minapp/error.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

namespace minapp::detail {

using boost::system::error_code;

error_code status_error(unsigned status) {
    if (status >= 200 && status < 300) {
        return {};
    }
    switch (status) {
    case 400:
        return error::bad_request;
    case 401:
        return error::unauthorized;
    case 402:
        return error::payment_required;
    case 403:
        return error::forbidden;
    case 404:
        return error::not_found;
    case 429:
        return error::rate_limited;
    default:
        break;
    }
    return status >= 500 && status < 600 ? error_code(error::server_error)
                                         : error_code(error::unexpected_status);
}

retry_verdict decide_retry(const error_code& ec, unsigned status, bool request_sent,
                           bool idempotent, bool read) {
    if (!ec) {
        if (status == 500) {
            return {read, false};
        }
        if (status == 429) {
            return {true, true}; // throttled requests were not applied
        }
        if (status == 503) {
            return {idempotent, true};
        }
        if (status == 502 || status == 504) {
            return {idempotent, false};
        }
        return {};
    }
    if (ec == error::resolve_failed || ec == error::connect_failed ||
        ec == error::tls_handshake_failed) {
        return {true, false}; // nothing was written
    }
    if (ec == error::connection_closed || ec == error::connection_reset ||
        ec == error::request_timeout || ec == error::protocol_error) {
        return {idempotent || !request_sent, false};
    }
    return {};
}

std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry, double jitter01,
                                        bool throttled,
                                        std::optional<std::chrono::milliseconds> retry_after) {
    const double base = static_cast<double>(policy.initial_backoff.count()) *
                        std::pow(policy.multiplier, std::max(0, retry - 1));
    const double capped = std::min(base, static_cast<double>(policy.max_backoff.count()));
    auto delay = std::chrono::milliseconds(
        static_cast<std::int64_t>(capped / 2 + capped / 2 * std::clamp(jitter01, 0.0, 1.0)));
    if (throttled) {
        delay = std::max(delay, policy.throttle_floor);
    }
    if (retry_after) {
        delay = std::max(delay, *retry_after);
    }
    return delay;
}

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) {
            return std::nullopt;
        }
        long seconds = 0;
        for (char c : value) {
            seconds = seconds * 10 + (c - '0');
        }
        return std::chrono::seconds(seconds);
    }
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (value.size() != 29 || value.substr(25) != " GMT" || value[3] != ',') {
        return std::nullopt;
    }
    auto number = [&](std::size_t pos, std::size_t len) -> int {
        int out = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (value[i] < '0' || value[i] > '9') {
                return -1;
            }
            out = out * 10 + (value[i] - '0');
        }
        return out;
    };
    std::tm tm{};
    tm.tm_mday = number(5, 2);
    const auto month = std::find(months.begin(), months.end(), value.substr(8, 3));
    tm.tm_year = number(12, 4) - 1900;
    tm.tm_hour = number(17, 2);
    tm.tm_min = number(20, 2);
    tm.tm_sec = number(23, 2);
    if (month == months.end() || tm.tm_mday < 1 || tm.tm_year < 70 || tm.tm_hour < 0 ||
        tm.tm_min < 0 || tm.tm_sec < 0) {
        return std::nullopt;
    }
    tm.tm_mon = static_cast<int>(month - months.begin());
    const std::time_t when = timegm(&tm);
    const auto at = std::chrono::system_clock::from_time_t(when);
    if (at <= now) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

} // namespace minapp::detail
