#include "connection.hpp"

#include "reply_parser.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace minapp::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

// The connect runs in a coroutine of its own on the strand: its operations follow that
// coroutine's cancellation.
constexpr auto tuple_deferred = asio::as_tuple(asio::deferred);

std::variant<tcp_socket, tls_stream> make_stream(const asio::any_io_executor& ex,
                                                 asio::ssl::context* tls) {
    if (tls != nullptr) {
        std::variant<tcp_socket, tls_stream> made(std::in_place_index<1>, ex, *tls);
        // Asio asks OpenSSL to free a connection's record buffers whenever they run empty, which
        // costs a pair of 17 KiB allocations per exchange (and, for a large body, up to one per
        // record). A pooled connection is reused at once: keeping its buffers is what the pool is
        // for.
        SSL_clear_mode(std::get<1>(made).native_handle(), SSL_MODE_RELEASE_BUFFERS);
        return made;
    }
    return std::variant<tcp_socket, tls_stream>(std::in_place_index<0>, ex);
}

// Sets what the handshake must verify: SNI (host names only, RFC 6066) and the name or address
// the certificate must carry. OpenSSL then fails the handshake with X509_V_ERR_HOSTNAME_MISMATCH
// (or IP_ADDRESS_MISMATCH), which we report as a verification failure.
bool configure_peer_identity(SSL* ssl, const origin& target) {
    if (target.host_is_ip_literal()) {
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target.host.c_str()) == 1;
    }
    return SSL_set_tlsext_host_name(ssl, target.host.c_str()) == 1 &&
           SSL_set1_host(ssl, target.host.c_str()) == 1;
}

// The error an aborted exchange reports instead of what its socket said.
error_code abort_error(abort_reason why) {
    switch (why) {
    case abort_reason::timeout:
        return beast::error::timeout; // error::request_timeout
    case abort_reason::cancelled:
        return asio::error::operation_aborted; // error::cancelled
    case abort_reason::shut_down:
    case abort_reason::none:
        break;
    }
    return asio::error::shut_down;
}

} // namespace

connection::connection(const executor_type& strand, asio::ssl::context* tls)
    : strand_(strand)
    , stream_(make_stream(strand.get_inner_executor(), tls)) {
    // Beast reads as much as the buffer has room for, and at least 512 bytes. The body goes to
    // the parser as it arrives, so the buffer never grows past the header: without this, a GET
    // took two reads and a 1000-user page some 700, each a trip through the TLS engine. With
    // room for a whole TLS record (16 KiB), each read takes one.
    buffer_.reserve(read_chunk);
}

tcp_socket& connection::socket() noexcept {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        return tls->next_layer();
    }
    return *std::get_if<tcp_socket>(&stream_); // the only other alternative
}

exchange_outcome connection::failed(const error_code& cause, stage where, exchange_info& info,
                                    bool response_started) {
    error_code reported = cause;
    if (const auto why = aborted(); why != abort_reason::none) {
        reported = abort_error(why);
    }
    info.cause = reported;
    if (info.detail.empty()) {
        info.detail = reported.message();
    }
    if (reported == asio::error::shut_down) {
        return {error::pool_shut_down, where, response_started, false};
    }
    return {classify_failure(reported, where), where, response_started, false};
}

void connection::cancel_connect() noexcept {
    connect_timed_out_ = true;
    error_code ignored;
    if (resolver_) {
        resolver_->cancel();
    }
    socket().cancel(ignored);
}

asio::awaitable<exchange_outcome> connection::connect(const origin& target,
                                                      clock::time_point deadline,
                                                      const tls_session& session,
                                                      exchange_info& info) {
    // The deadline is a timer on this strand, where the whole connect runs: its handler cancels
    // whatever is pending. It holds the connection, so a late (cancelled) run is harmless.
    asio::steady_timer watchdog(strand_, deadline);
    watchdog.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) {
            self->cancel_connect();
        }
    });
    struct stop_watchdog {
        asio::steady_timer& timer;
        ~stop_watchdog() { timer.cancel(); }
    } stop{watchdog};
    const auto result = [&](const error_code& ec, stage where) {
        return failed(connect_timed_out_ ? error_code(beast::error::timeout) : ec, where, info);
    };

    resolver_.emplace(strand_);
    auto [resolve_ec, endpoints] =
        co_await resolver_->async_resolve(target.host, std::to_string(target.port), tuple_deferred);
    resolver_.reset();
    if (resolve_ec || connect_timed_out_) {
        co_return result(resolve_ec, stage::resolve);
    }
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket(), endpoints, tuple_deferred);
    if (connect_ec || connect_timed_out_) {
        co_return result(connect_ec, stage::connect);
    }
    error_code ignored;
    socket().set_option(asio::ip::tcp::no_delay(true), ignored);

    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        SSL* ssl = tls->native_handle();
        if (!configure_peer_identity(ssl, target)) {
            info.detail = "cannot configure TLS peer identity for " + target.host;
            co_return failed(asio::ssl::error::stream_truncated, stage::handshake, info);
        }
        if (session) {
            SSL_set_session(ssl, session.get());
        }
        auto [handshake_ec] =
            co_await tls->async_handshake(asio::ssl::stream_base::client, tuple_deferred);
        if (handshake_ec || connect_timed_out_) {
            const long verify = SSL_get_verify_result(ssl);
            if (verify != X509_V_OK) {
                info.detail = std::string("certificate verify failed: ") +
                              X509_verify_cert_error_string(verify);
            }
            co_return result(handshake_ec, stage::handshake);
        }
        resumed_ = SSL_session_reused(ssl) == 1;
    }
    created_ = last_used_ = clock::now();
    co_return exchange_outcome{};
}

void connection::abort(abort_reason why) noexcept {
    abort_reason none = abort_reason::none;
    if (aborted_.compare_exchange_strong(none, why, std::memory_order_acq_rel)) {
        // shutdown(2) on the descriptor only: no Asio state is touched, so this is safe while
        // another thread reads or writes the socket; epoll then completes those operations.
        const auto fd = socket().native_handle();
        if (fd >= 0) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }
}

bool connection::probe_idle() {
    if (aborted() != abort_reason::none || buffer_.size() != 0) {
        return false;
    }
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        if (SSL_pending(tls->native_handle()) > 0) {
            return false;
        }
    }
    auto& s = socket();
    if (!s.is_open()) {
        return false;
    }
    char byte = 0;
    const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void connection::close(bool clean) noexcept {
    if (auto* tls = std::get_if<tls_stream>(&stream_); tls != nullptr && clean) {
        // OpenSSL invalidates the session of a connection freed without a shutdown; after a
        // complete exchange nothing went wrong, so keep the session resumable for reconnects.
        SSL_set_shutdown(tls->native_handle(), SSL_SENT_SHUTDOWN);
    }
    error_code ignored;
    auto& s = socket();
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s.close(ignored);
}

tls_session connection::session() {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        SSL_SESSION* s = SSL_get1_session(tls->native_handle());
        if (s != nullptr && SSL_SESSION_is_resumable(s) == 1) {
            return tls_session(s, SSL_SESSION_free);
        }
        SSL_SESSION_free(s);
    }
    return nullptr;
}

reply_parser& connection::start_reply(minapp::detail::reply_reader* typed,
                                      std::vector<field>* headers) {
    return parser_.emplace(typed, headers);
}

minapp::detail::reply_reader& connection::reader(minapp::detail::reply_shape shape) {
    if (reader_) {
        reader_->reset(shape);
    } else {
        reader_.emplace(shape);
    }
    return *reader_;
}

} // namespace minapp::http::detail
