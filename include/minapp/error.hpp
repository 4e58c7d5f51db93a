// Error codes of minapp-cpp.
//
// Every failure the library reports is a boost::system::error_code in the `minapp::error` category,
// together with a diagnostics record (see the layer that produced it) carrying the details: the
// underlying system or TLS error, the HTTP status and the server's message. The codes are stable:
// code values never change meaning between releases.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace minapp {

/// Stable error codes reported by every layer of the library.
enum class error {
    // Transport (connection layer).
    invalid_origin = 1,      ///< The base URL is not http://host:port or https://host[:port].
    resolve_failed,          ///< The host name could not be resolved.
    connect_failed,          ///< No TCP connection could be established.
    tls_handshake_failed,    ///< The TLS handshake failed for a reason other than verification.
    tls_verification_failed, ///< The server's certificate chain or host name was not trusted.
    request_timeout,     ///< The per-request deadline expired (connect, handshake, write or read).
    pool_wait_timeout,   ///< The deadline expired while waiting for a free pooled connection.
    connection_closed,   ///< The server closed the connection before a complete response arrived.
    connection_reset,    ///< The connection failed with a socket error while exchanging data.
    body_limit_exceeded, ///< The response body is larger than the configured limit.
    header_limit_exceeded, ///< The response header is larger than the configured limit.
    protocol_error,        ///< The response is not valid HTTP/1.1.
    cancelled,             ///< The operation was cancelled by the caller.
    pool_shut_down,        ///< The pool (or client) was shut down.
    invalid_request, ///< A header value or target is not allowed in an HTTP request (CR/LF...).

    // Arguments, checked before any request is sent.
    invalid_argument = 100, ///< An argument is invalid (id <= 0, limit outside 1..1000, ...).
    url_too_long,           ///< The request URL would exceed the API's 16386-character limit.

    // Answers of the API (the HTTP status and server message are in the diagnostics).
    bad_request = 200,  ///< 400: invalid where/order_by/value, type mismatch, built-in field...
    unauthorized,       ///< 401: missing, invalid or expired token (or wrong environment).
    payment_required,   ///< 402: the application is in arrears.
    forbidden,          ///< 403
    not_found,          ///< 404: no such user (or route).
    rate_limited,       ///< 429: the server throttled the request.
    server_error,       ///< 5xx
    unexpected_status,  ///< Any other non-2xx status, including redirects (never followed).
    malformed_response, ///< A 2xx body that is not JSON of the documented shape.

    // Outcomes of bulk operations.
    outcome_unknown = 300, ///< A write may or may not have been applied (its answer was lost).
    not_attempted,         ///< The item was never sent (cancellation or stop-on-error).

    // Obtaining an access token (token_fetcher, client_credentials).
    token_flow_failed = 400, ///< The token flow broke its protocol: a refused redirect (another
                             ///< origin, more than 5, no Location), a reply without the code or
                             ///< token, or an error answer other than invalid_client (the
                             ///< server's `error` is in the diagnostics).

    // A rate limiter fed by a rate_budget (a fleet-wide budget).
    rate_budget_unavailable = 500, ///< The shared budget could not be reached and its policy
                                   ///< refuses requests meanwhile (fallback `closed`).
};

/// The error category of `minapp::error`.
const boost::system::error_category& error_category() noexcept;

/// Makes an error_code in the minapp category (found by ADL for `ec = minapp::error::x`).
inline boost::system::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace minapp

template <>
struct boost::system::is_error_code_enum<minapp::error> : std::true_type {};
