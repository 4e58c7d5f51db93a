// The retry logic's decisions as pure functions (table-tested): is a failed attempt retryable,
// how long to back off, what an HTTP status means, how to read Retry-After.
#pragma once

#include <minapp/retry_policy.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace minapp::detail {

/// The error code of a non-2xx HTTP status (error::bad_request for 400, ...).
boost::system::error_code status_error(unsigned status);

/// What to do after a failed attempt.
struct retry_verdict {
    bool retry = false;
    bool throttled = false; ///< The server asked to slow down (429, 503): honour the floor.
};

/// Decides on a failed attempt: `ec` is the transport error (empty when a response arrived),
/// `status` the HTTP status (0 without a response), `request_sent` whether the request may have
/// reached the server, `read` whether it is a GET (a 500 is retried for reads only: a write the
/// server failed on may have been partly applied).
retry_verdict decide_retry(const boost::system::error_code& ec, unsigned status, bool request_sent,
                           bool idempotent, bool read);

/// The backoff before retry number `retry` (1-based): exponential, capped, with "equal jitter"
/// (`jitter01` in [0,1) picks a point in the upper half), raised to the throttle floor and to
/// `retry_after` when the server sent one.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry, double jitter01,
                                        bool throttled,
                                        std::optional<std::chrono::milliseconds> retry_after);

/// Parses a Retry-After value: delta seconds, or an HTTP date (IMF-fixdate) relative to `now`.
/// A date in the past gives zero; anything unparsable gives nullopt.
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

} // namespace minapp::detail
