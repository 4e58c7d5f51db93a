// One HTTP/1.1 connection (plain TCP or TLS) owned by a pool: connect, exchange, abort, probe.
#pragma once

#include "../api/reply_reader.hpp"
#include "../detail/rearm_hook.hpp"
#include "exchange_memory.hpp"
#include "pool_decisions.hpp"
#include "reply_parser.hpp"

#include <minapp/http/message.hpp>
#include <minapp/http/origin.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace minapp::http::detail {

using clock = std::chrono::steady_clock;
using executor_type = boost::asio::strand<boost::asio::any_io_executor>;
using tcp_socket = boost::asio::ip::tcp::socket;
using tls_stream = boost::asio::ssl::stream<tcp_socket>;

/// A TLS session kept by a pool so that reconnects can resume instead of a full handshake.
using tls_session = std::shared_ptr<SSL_SESSION>;

/// Parser limits applied to every response.
struct response_limits {
    std::size_t body_limit;
    std::size_t header_limit;
};

/// Why a connection was ended from outside its exchange.
enum class abort_reason : std::uint8_t { none, timeout, cancelled, shut_down };

/// One connection. Used by one exchange at a time: `connect` on the pool's strand (the slow
/// path, with a deadline timer there), `exchange` (exchange_op.hpp) from the calling coroutine on
/// any executor (the fast path, without a timer of its own: its deadline, cancellation and shutdown
/// arrive through `abort`, which any thread may call while the pool's lock is held).
class connection : public std::enable_shared_from_this<connection> {
public:
    /// A plain connection when `tls` is null, a TLS one otherwise.
    connection(const executor_type& strand, boost::asio::ssl::context* tls);

    /// Resolves, connects and (for TLS) handshakes with SNI and host-name verification, all
    /// before `deadline`. `session` is offered for resumption. Fills `info.detail` on failure.
    /// Runs on the strand given at construction; terminal cancellation of the calling coroutine
    /// ends it with error::cancelled.
    boost::asio::awaitable<exchange_outcome> connect(const origin& target,
                                                     clock::time_point deadline,
                                                     const tls_session& session,
                                                     exchange_info& info);

    /// Ends what the connection is doing, and makes any later exchange fail at once: the socket
    /// is shut down (a syscall, safe from any thread), so a pending read or write completes
    /// with an error, which the exchange reports as `why`. The connection is then discarded.
    void abort(abort_reason why) noexcept;
    /// Why the connection was aborted, if it was.
    abort_reason aborted() const noexcept { return aborted_.load(std::memory_order_acquire); }

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

    /// The typed reader of this connection's replies, reused exchange after exchange: reset for
    /// a body of `shape`, or as the last exchange left it.
    minapp::detail::reply_reader& reader(minapp::detail::reply_shape shape);
    minapp::detail::reply_reader& reader() noexcept { return *reader_; }

    /// A new parser for this connection's next response (see reply_parser), valid until the
    /// next call.
    reply_parser& start_reply(minapp::detail::reply_reader* typed, std::vector<field>* headers);
    /// Drops the parser once its response has been read: it points to the caller's header
    /// vector, which may not outlive the call.
    void end_reply() noexcept { parser_.reset(); }

    /// Scratch space for serialising a request on this connection (its capacity is kept).
    std::string& scratch() noexcept { return scratch_; }

private:
    tcp_socket& socket() noexcept;
    void cancel_connect() noexcept; // on the strand: the deadline of connect passed

    // The exchange itself (exchange_op.hpp): a request written, its response read.
    template <class Stream>
    friend class exchange_op;
    friend struct exchange_launch;

    exchange_outcome failed(const boost::system::error_code& cause, stage where,
                            exchange_info& info, bool response_started = false);

    // The connect runs on the strand (its deadline timer and resolver too). The socket is on
    // the executor beneath it: it never needs the strand (one exchange at a time, the connect on
    // the strand, every handler has an executor of its own), and a socket on a strand of
    // any_io_executor costs a heap-allocated executor copy for every operation's work guard.
    static constexpr std::size_t read_chunk = std::size_t{16} * 1024;

    executor_type strand_;
    std::variant<tcp_socket, tls_stream> stream_;
    std::optional<boost::asio::ip::tcp::resolver> resolver_; // while connecting
    boost::beast::flat_buffer buffer_;
    exchange_memory op_memory_; // the exchange's reads and writes
    std::optional<minapp::detail::reply_reader> reader_;
    std::optional<reply_parser> parser_; // Beast's parsers are not reusable: one per response
    std::string scratch_;
    std::size_t requests_served_ = 0;
    clock::time_point created_ = clock::now();
    clock::time_point last_used_ = created_;
    bool resumed_ = false;
    bool connect_timed_out_ = false; // on the strand, while connecting
    std::atomic<abort_reason> aborted_{abort_reason::none};
};

} // namespace minapp::http::detail
