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
    /// Cookie header value (several Cookie fields joined with "; "); empty when absent.
    std::string cookie;
    std::string body;
    /// Whether the request was framed with a body (Content-Length above 0, or chunked even when
    /// the chunks are empty). `body` alone cannot tell `GET` with `Content-Length: 0` from a
    /// chunked GET with an empty body. In-process callers may leave it false: a non-empty
    /// `body` counts as a body too.
    bool body_announced = false;
};

/// What a response did to the emulated access-token flow (notes §1.3), for counters: the API
/// logic sets it, user_api and the server count it.
enum class api_event : unsigned char {
    none,
    flow_started,     ///< The authorize POST was answered with the first redirect.
    code_issued,      ///< The last redirect hop answered an authorization code.
    token_issued,     ///< A code was exchanged for an access and refresh token.
    token_refreshed,  ///< A refresh token was exchanged for a new pair (revoking older ones).
    api_unauthorized, ///< A user endpoint answered 401 (missing, unknown, expired or revoked
                      ///< token, or an unknown environment).
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
    /// The access-token event this response stands for, if any.
    api_event event = api_event::none;
};

} // namespace minapp::emulator
