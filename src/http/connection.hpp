// One HTTP/1.1 connection (plain TCP or TLS) owned by a pool: connect, exchange, health probe.
#pragma once

#include "pool_decisions.hpp"

#include <minapp/http/message.hpp>
#include <minapp/http/origin.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <variant>

namespace minapp::http::detail {

using clock = std::chrono::steady_clock;
using executor_type = boost::asio::strand<boost::asio::any_io_executor>;
using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream>;
using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

/// A TLS session kept by a pool so that reconnects can resume instead of a full handshake.
using tls_session = std::shared_ptr<SSL_SESSION>;

/// Parser limits applied to every response.
struct response_limits {
    std::size_t body_limit;
    std::size_t header_limit;
};

/// One connection. Not thread-safe: used by one exchange at a time, on the pool's strand.
class connection {
public:
    /// A plain connection when `tls` is null, a TLS one otherwise.
    connection(const executor_type& ex, boost::asio::ssl::context* tls);

    /// Resolves, connects and (for TLS) handshakes with SNI and host-name verification, all
    /// before `deadline`. `session` is offered for resumption. Fills `info.detail` on failure.
    boost::asio::awaitable<exchange_outcome> connect(const origin& target,
                                                     clock::time_point deadline,
                                                     const tls_session& session,
                                                     exchange_info& info);

    /// Writes `req` and reads one response into `out`, before `deadline`.
    boost::asio::awaitable<exchange_outcome> exchange(beast_request& req, response& out,
                                                      clock::time_point deadline,
                                                      const response_limits& limits,
                                                      exchange_info& info);

    /// Whether an idle connection still looks usable: nothing buffered and nothing readable on
    /// the socket (an idle HTTP/1.1 connection receives nothing unless the server closed it:
    /// a FIN, or a TLS close_notify alert followed by a FIN). Never blocks.
    bool probe_idle();

    /// Closes the socket without a TLS shutdown exchange (the pool never waits for a peer that
    /// may be gone). `clean`: the last exchange completed, so its TLS session stays resumable.
    /// Idempotent.
    void close(bool clean) noexcept;

    /// The TLS session after a successful exchange (carrying TLS 1.3 tickets), for resumption.
    tls_session session();

    /// Whether the TLS handshake resumed an earlier session.
    bool resumed() const noexcept { return resumed_; }

    std::size_t requests_served() const noexcept { return requests_served_; }
    clock::time_point created() const noexcept { return created_; }
    clock::time_point last_used() const noexcept { return last_used_; }

private:
    boost::beast::tcp_stream& tcp() noexcept;

    template <class Stream>
    boost::asio::awaitable<exchange_outcome>
    exchange_on(Stream& stream, beast_request& req, response& out, clock::time_point deadline,
                const response_limits& limits, exchange_info& info);

    std::variant<boost::beast::tcp_stream, tls_stream> stream_;
    boost::beast::flat_buffer buffer_;
    std::size_t requests_served_ = 0;
    clock::time_point created_ = clock::now();
    clock::time_point last_used_ = created_;
    bool resumed_ = false;
};

} // namespace minapp::http::detail
