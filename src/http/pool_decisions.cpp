#include "pool_decisions.hpp"

#include <minapp/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace minapp::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

bool is_closed_by_peer(const error_code& ec) {
    return ec == asio::error::eof || ec == beast::http::error::end_of_stream ||
           ec == beast::http::error::partial_message || ec == asio::ssl::error::stream_truncated;
}

bool is_reset(const error_code& ec) {
    return ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::error::not_connected;
}

bool is_verification_failure(const error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
               SSL_R_CERTIFICATE_VERIFY_FAILED;
}

} // namespace

error_code classify_failure(const error_code& cause, stage where) {
    if (!cause) {
        return {};
    }
    if (cause == beast::error::timeout) {
        return error::request_timeout;
    }
    if (cause == asio::error::operation_aborted) {
        return error::cancelled;
    }
    switch (where) {
    case stage::none:
        return error::protocol_error;
    case stage::resolve:
        return error::resolve_failed;
    case stage::connect:
        return error::connect_failed;
    case stage::handshake:
        return is_verification_failure(cause) ? error::tls_verification_failed
                                              : error::tls_handshake_failed;
    case stage::write:
    case stage::read:
        if (cause == beast::http::error::body_limit) {
            return error::body_limit_exceeded;
        }
        if (cause == beast::http::error::header_limit) {
            return error::header_limit_exceeded;
        }
        if (is_closed_by_peer(cause)) {
            return error::connection_closed;
        }
        if (is_reset(cause)) {
            return error::connection_reset;
        }
        if (cause.category() == make_error_code(beast::http::error::bad_target).category() ||
            cause == beast::http::error::buffer_overflow) {
            return error::protocol_error;
        }
        return error::connection_reset;
    }
    return error::protocol_error;
}

bool may_return_to_pool(const exchange_outcome& outcome, std::size_t requests_served,
                        std::chrono::steady_clock::duration age, const pool_options& options) {
    if (outcome.ec || !outcome.keep_alive) {
        return false;
    }
    if (options.max_requests_per_connection() != 0 &&
        requests_served >= options.max_requests_per_connection()) {
        return false;
    }
    if (options.max_connection_lifetime().count() != 0 &&
        age >= options.max_connection_lifetime()) {
        return false;
    }
    return true;
}

bool idle_connection_usable(std::chrono::steady_clock::duration idle_for,
                            std::chrono::steady_clock::duration age, const pool_options& options) {
    if (idle_for >= options.idle_timeout()) {
        return false;
    }
    return options.max_connection_lifetime().count() == 0 ||
           age < options.max_connection_lifetime();
}

bool may_resend_on_fresh_connection(const exchange_outcome& outcome, bool connection_reused,
                                    bool idempotent) {
    if (!outcome.ec || !connection_reused || outcome.response_started) {
        return false;
    }
    const bool stale =
        outcome.ec == error::connection_closed || outcome.ec == error::connection_reset;
    if (!stale) {
        return false;
    }
    if (outcome.stage == stage::write) {
        return true;
    }
    return outcome.stage == stage::read && idempotent;
}

} // namespace minapp::http::detail
