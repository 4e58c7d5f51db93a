// The boundary between the emulator's HTTP server and the API behaviour: one request in, one
// response out, no sockets. The server (or a test) fills an api_request from the wire.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minapp::emulator {

/// One HTTP request as the API logic sees it.
struct api_request {
    api_request() = default;

    std::string method; ///< "GET", "PUT", ... (upper case)
    std::string target; ///< Raw origin-form target: path plus optional "?query", still encoded.
    std::string authorization; ///< Raw Authorization header value; empty when absent.
    std::string env_id;        ///< X-Hydrogen-Env-ID; empty when absent (production).
    std::string content_type;  ///< Content-Type header; empty when absent.
    std::string body;
};

/// The API's answer. The server adds Content-Length, Connection and Date.
struct api_response {
    api_response() = default;

    unsigned status = 200;
    std::string body; ///< JSON text
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers; ///< Extra headers, e.g. Retry-After.
    /// A stable name of the matched route for inspection counters, e.g. "GET v2.2 user_profile
    /// list"; "unmatched" when no route matched.
    std::string_view route = "unmatched";
};

} // namespace minapp::emulator
