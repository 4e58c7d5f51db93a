#include "connection.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace minapp::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

exchange_outcome failed(const error_code& cause, stage where, exchange_info& info,
                        bool response_started = false) {
    info.cause = cause;
    if (info.detail.empty()) {
        info.detail = cause.message();
    }
    return {classify_failure(cause, where), where, response_started, false};
}

std::variant<beast::tcp_stream, tls_stream> make_stream(const executor_type& ex,
                                                        asio::ssl::context* tls) {
    if (tls != nullptr) {
        return std::variant<beast::tcp_stream, tls_stream>(std::in_place_index<1>, ex, *tls);
    }
    return std::variant<beast::tcp_stream, tls_stream>(std::in_place_index<0>, ex);
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

} // namespace

connection::connection(const executor_type& ex, asio::ssl::context* tls)
    : stream_(make_stream(ex, tls)) {}

beast::tcp_stream& connection::tcp() noexcept {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        return tls->next_layer();
    }
    return *std::get_if<beast::tcp_stream>(&stream_); // the only other alternative
}

asio::awaitable<exchange_outcome> connection::connect(const origin& target,
                                                      clock::time_point deadline,
                                                      const tls_session& session,
                                                      exchange_info& info) {
    // The resolver has no deadline of its own: a timer cancels it. Both share ownership of the
    // resolver so a late timer completion never touches a destroyed object.
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(tcp().get_executor());
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer watchdog(tcp().get_executor(), deadline);
    watchdog.async_wait([resolver, timed_out](error_code ec) {
        if (!ec) {
            *timed_out = true;
            resolver->cancel();
        }
    });
    auto [resolve_ec, endpoints] =
        co_await resolver->async_resolve(target.host, std::to_string(target.port), tuple_awaitable);
    watchdog.cancel();
    if (*timed_out) {
        co_return failed(beast::error::timeout, stage::resolve, info);
    }
    if (resolve_ec) {
        co_return failed(resolve_ec, stage::resolve, info);
    }

    tcp().expires_at(deadline);
    auto [connect_ec, endpoint] = co_await tcp().async_connect(endpoints, tuple_awaitable);
    if (connect_ec) {
        co_return failed(connect_ec, stage::connect, info);
    }
    tcp().socket().set_option(asio::ip::tcp::no_delay(true));

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
            co_await tls->async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
        if (handshake_ec) {
            const long verify = SSL_get_verify_result(ssl);
            if (verify != X509_V_OK) {
                info.detail = std::string("certificate verify failed: ") +
                              X509_verify_cert_error_string(verify);
            }
            co_return failed(handshake_ec, stage::handshake, info);
        }
        resumed_ = SSL_session_reused(ssl) == 1;
    }
    tcp().expires_never();
    created_ = last_used_ = clock::now();
    co_return exchange_outcome{};
}

template <class Stream>
asio::awaitable<exchange_outcome> connection::exchange_on(Stream& stream, beast_request& req,
                                                          response& out, clock::time_point deadline,
                                                          const response_limits& limits,
                                                          exchange_info& info) {
    tcp().expires_at(deadline);
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, tuple_awaitable);
    info.request_sent = true;
    if (write_ec) {
        co_return failed(write_ec, stage::write, info);
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    auto [read_ec, read] = co_await bhttp::async_read(stream, buffer_, parser, tuple_awaitable);
    if (read_ec) {
        co_return failed(read_ec, stage::read, info, parser.got_some() || buffer_.size() != 0);
    }
    tcp().expires_never();

    auto& msg = parser.get();
    out.status = msg.result_int();
    out.headers.clear();
    out.headers.reserve(8);
    for (const auto& f : msg) {
        out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    }
    out.body = std::move(msg.body());
    ++requests_served_;
    last_used_ = clock::now();
    co_return exchange_outcome{{}, stage::none, true, msg.keep_alive()};
}

asio::awaitable<exchange_outcome> connection::exchange(beast_request& req, response& out,
                                                       clock::time_point deadline,
                                                       const response_limits& limits,
                                                       exchange_info& info) {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        co_return co_await exchange_on(*tls, req, out, deadline, limits, info);
    }
    co_return co_await exchange_on(std::get<beast::tcp_stream>(stream_), req, out, deadline, limits,
                                   info);
}

bool connection::probe_idle() {
    if (buffer_.size() != 0) {
        return false;
    }
    if (auto* tls = std::get_if<tls_stream>(&stream_)) {
        if (SSL_pending(tls->native_handle()) > 0) {
            return false;
        }
    }
    auto& socket = tcp().socket();
    if (!socket.is_open()) {
        return false;
    }
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void connection::close(bool clean) noexcept {
    if (auto* tls = std::get_if<tls_stream>(&stream_); tls != nullptr && clean) {
        // OpenSSL invalidates the session of a connection freed without a shutdown; after a
        // complete exchange nothing went wrong, so keep the session resumable for reconnects.
        SSL_set_shutdown(tls->native_handle(), SSL_SENT_SHUTDOWN);
    }
    error_code ignored;
    auto& socket = tcp().socket();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
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

} // namespace minapp::http::detail
