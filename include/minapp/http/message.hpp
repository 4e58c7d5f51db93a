// The request and response types of the connection layer (kept free of Beast so that headers
// of the API layer stay cheap to include).
#pragma once

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minapp::http {

/// HTTP methods the MinApp API uses.
enum class method { get, put, post, delete_ };

/// One header field.
struct field {
    field() = default;
    field(std::string field_name, std::string field_value)
        : name(std::move(field_name))
        , value(std::move(field_value)) {}

    std::string name;
    std::string value;
};

/// A request to send through a pool. The pool adds Host, User-Agent and Content-Length. Not an
/// aggregate on purpose (see README, "Compilers"): `request(method::get, "/path")`.
struct request {
    request() = default;
    request(http::method verb, std::string request_target, std::string request_body = {})
        : method(verb)
        , target(std::move(request_target))
        , body(std::move(request_body)) {}

    http::method method = http::method::get;
    std::string target;         ///< Origin-form target: path and query, e.g. "/oserve/v2.2/...".
    std::vector<field> headers; ///< Extra fields, e.g. Authorization and Content-Type.
    std::string body;
    /// Whether sending the request twice has the same effect as sending it once. Only idempotent
    /// requests are re-sent after a reused connection failed before any response byte arrived.
    bool idempotent = true;
};

/// A complete response.
struct response {
    response() = default;

    unsigned status = 0;
    std::vector<field> headers;
    std::string body;

    /// The value of the first header named `name` (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
};

/// What the connection layer knows about a failed (or successful) exchange, for diagnostics and
/// for the retry logic. Never contains the request's header values.
struct exchange_info {
    exchange_info() = default;

    /// The underlying system, TLS or HTTP-parser error behind a minapp error (empty on success).
    boost::system::error_code cause;
    /// Human-readable detail, e.g. "certificate verify failed: hostname mismatch".
    std::string detail;
    /// Whether any byte of the request may have reached the server. False means the server
    /// certainly did not process it.
    bool request_sent = false;
    /// Whether the final attempt used a connection that had served an earlier request.
    bool connection_reused = false;
    /// Attempts made: 2 when a stale keep-alive connection was replaced transparently.
    int attempts = 0;
    /// The replaced attempt had written the whole request before its connection dropped: the
    /// server may have processed it (only idempotent requests are resent that way).
    bool earlier_attempt_unanswered = false;
};

/// The outcome of `connection_pool::send`: `ec` is empty on success (any HTTP status counts as a
/// success at this layer), otherwise a `minapp::error` code.
struct send_result {
    send_result() = default;

    boost::system::error_code ec;
    http::response response;
    exchange_info info;
};

} // namespace minapp::http
