// The connection layer's decisions as pure functions, apart from any I/O so they can be tested
// exhaustively: which error a failure is, whether a connection may be reused, whether a request
// may be re-sent on a fresh connection.
#pragma once

#include <minapp/http/options.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>

namespace minapp::http::detail {

/// The phase of an exchange in which it failed.
enum class stage { none, resolve, connect, handshake, write, read };

/// What one attempt at an exchange produced, as far as the decisions below care.
struct exchange_outcome {
    boost::system::error_code ec; ///< A minapp::error, or empty on success.
    http::detail::stage stage = stage::none;
    bool response_started = false; ///< At least one byte of the response arrived.
    bool keep_alive = false;       ///< The response allows the connection to be reused.
};

/// Translates a system, TLS or Beast error met in `where` into a minapp::error code.
boost::system::error_code classify_failure(const boost::system::error_code& cause, stage where);

/// Whether a connection may go back to the pool after an exchange: only after a clean, complete
/// exchange whose response allows keep-alive, and while it is within its request and age limits.
bool may_return_to_pool(const exchange_outcome& outcome, std::size_t requests_served,
                        std::chrono::steady_clock::duration age, const pool_options& options);

/// Whether an idle connection may still be handed out: neither idle nor alive for too long.
bool idle_connection_usable(std::chrono::steady_clock::duration idle_for,
                            std::chrono::steady_clock::duration age, const pool_options& options);

/// Whether a failed request may be re-sent transparently on a fresh connection. Only failures of
/// a reused connection qualify (a fresh one failing is the server's answer, not staleness):
/// a failed write (the request was not received whole), or a closed/reset connection before any
/// response byte when the request is idempotent. Timeouts and cancellations never qualify.
bool may_resend_on_fresh_connection(const exchange_outcome& outcome, bool connection_reused,
                                    bool idempotent);

} // namespace minapp::http::detail
