#include "http/pool_decisions.hpp"

#include <minapp/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace std::chrono_literals;
using boost::system::error_code;
using minapp::error;
using minapp::http::pool_options;
using namespace minapp::http::detail;

BOOST_AUTO_TEST_SUITE(pool_decisions)

BOOST_AUTO_TEST_CASE(classifies_failures_by_cause_and_stage) {
    const error_code verify_failed(
        static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED)),
        asio::error::get_ssl_category());
    const error_code wrong_version(
        static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_WRONG_VERSION_NUMBER)),
        asio::error::get_ssl_category());
    struct row {
        const char* what;
        error_code cause;
        stage where;
        error expected;
    };
    const row rows[] = {
        {"timeout while connecting", beast::error::timeout, stage::connect, error::request_timeout},
        {"timeout while reading", beast::error::timeout, stage::read, error::request_timeout},
        {"timeout while resolving", beast::error::timeout, stage::resolve, error::request_timeout},
        {"cancelled while reading", asio::error::operation_aborted, stage::read, error::cancelled},
        {"unknown host", asio::error::host_not_found, stage::resolve, error::resolve_failed},
        {"refused", asio::error::connection_refused, stage::connect, error::connect_failed},
        {"untrusted certificate", verify_failed, stage::handshake, error::tls_verification_failed},
        {"plain HTTP server", wrong_version, stage::handshake, error::tls_handshake_failed},
        {"closed during handshake", asio::error::eof, stage::handshake,
         error::tls_handshake_failed},
        {"clean close before response", beast::http::error::end_of_stream, stage::read,
         error::connection_closed},
        {"close without close_notify", asio::ssl::error::stream_truncated, stage::read,
         error::connection_closed},
        {"truncated body", beast::http::error::partial_message, stage::read,
         error::connection_closed},
        {"reset while reading", asio::error::connection_reset, stage::read,
         error::connection_reset},
        {"broken pipe while writing", asio::error::broken_pipe, stage::write,
         error::connection_reset},
        {"body limit", beast::http::error::body_limit, stage::read, error::body_limit_exceeded},
        {"header limit", beast::http::error::header_limit, stage::read,
         error::header_limit_exceeded},
        {"garbage status line", beast::http::error::bad_version, stage::read,
         error::protocol_error},
        {"bad chunk", beast::http::error::bad_chunk, stage::read, error::protocol_error},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST((classify_failure(r.cause, r.where) == r.expected));
        }
    }
    BOOST_TEST(!classify_failure({}, stage::read));
}

BOOST_AUTO_TEST_CASE(returns_only_clean_keep_alive_exchanges_to_the_pool) {
    pool_options limited;
    limited.max_requests_per_connection(100);
    limited.max_connection_lifetime(60s);
    const pool_options unlimited;
    const exchange_outcome clean{{}, stage::none, true, true};
    const exchange_outcome close_requested{{}, stage::none, true, false};
    const exchange_outcome timed_out{error::request_timeout, stage::read, false, false};
    const exchange_outcome truncated{error::connection_closed, stage::read, true, false};
    const exchange_outcome over_limit{error::body_limit_exceeded, stage::read, true, true};
    struct row {
        const char* what;
        exchange_outcome outcome;
        std::size_t served;
        std::chrono::seconds age;
        const pool_options& options;
        bool expected;
    };
    const row rows[] = {
        {"clean keep-alive", clean, 1, 1s, limited, true},
        {"Connection: close", close_requested, 1, 1s, limited, false},
        {"timeout", timed_out, 1, 1s, limited, false},
        {"partial read", truncated, 1, 1s, limited, false},
        {"body limit hit", over_limit, 1, 1s, limited, false},
        {"request limit reached", clean, 100, 1s, limited, false},
        {"below request limit", clean, 99, 1s, limited, true},
        {"lifetime reached", clean, 1, 60s, limited, false},
        {"no limits configured", clean, 1'000'000, 100'000s, unlimited, true},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(may_return_to_pool(r.outcome, r.served, r.age, r.options) == r.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(idle_connections_expire) {
    pool_options o;
    o.idle_timeout(30s);
    BOOST_TEST(idle_connection_usable(29s, 100s, o));
    BOOST_TEST(!idle_connection_usable(30s, 100s, o));
    o.max_connection_lifetime(60s);
    BOOST_TEST(idle_connection_usable(1s, 59s, o));
    BOOST_TEST(!idle_connection_usable(1s, 60s, o));
}

BOOST_AUTO_TEST_CASE(resends_only_when_safe) {
    struct row {
        const char* what;
        exchange_outcome outcome;
        bool reused;
        bool idempotent;
        bool expected;
    };
    const row rows[] = {
        {"success", {{}, stage::none, true, true}, true, true, false},
        {"stale: closed before response, idempotent",
         {error::connection_closed, stage::read, false, false},
         true,
         true,
         true},
        {"stale: reset before response, idempotent",
         {error::connection_reset, stage::read, false, false},
         true,
         true,
         true},
        {"stale: closed before response, not idempotent",
         {error::connection_closed, stage::read, false, false},
         true,
         false,
         false},
        {"write failed: request not received whole, not idempotent",
         {error::connection_reset, stage::write, false, false},
         true,
         false,
         true},
        {"fresh connection closed before response",
         {error::connection_closed, stage::read, false, false},
         false,
         true,
         false},
        {"response had started",
         {error::connection_closed, stage::read, true, false},
         true,
         true,
         false},
        {"timeout", {error::request_timeout, stage::read, false, false}, true, true, false},
        {"cancelled", {error::cancelled, stage::read, false, false}, true, true, false},
        {"body limit", {error::body_limit_exceeded, stage::read, true, false}, true, true, false},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(may_resend_on_fresh_connection(r.outcome, r.reused, r.idempotent) ==
                       r.expected);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
