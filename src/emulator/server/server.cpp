#include <minapp/emulator/server.hpp>

#include "request_parser.hpp"
#include "request_processor.hpp"
#include "response_head.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace minapp::emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

/// What the registry of open connections needs from a connection: a way to close it.
class connection_base {
public:
    virtual ~connection_base() = default;
    /// Closes the connection abruptly, on the connection's executor. Thread-safe.
    virtual void close() = 0;
};

ssl::context make_tls_context(const tls_identity& identity) {
    ssl::context context(ssl::context::tls_server);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    context.use_certificate_chain(asio::buffer(identity.certificate_pem));
    context.use_private_key(asio::buffer(identity.private_key_pem), ssl::context::pem);
    return context;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
        throw std::runtime_error("minapp emulator: cannot write " + path);
    }
}

} // namespace

namespace detail {

struct server_impl : std::enable_shared_from_this<server_impl> {
    server_impl(asio::io_context* external, server_options opts, api_handler handler);

    void start();
    void stop();
    void close_all(const std::vector<std::shared_ptr<connection_base>>& open);
    void join_threads();
    void launch(tcp::socket socket);
    void forget(std::uint64_t id);
    asio::awaitable<void> accept_loop(std::shared_ptr<server_impl> self);

    // Declared first so that it is destroyed last, after every I/O object that uses it.
    std::unique_ptr<asio::io_context> own_io;
    asio::io_context& io;
    const server_options options;
    request_processor processor;
    std::optional<ssl::context> tls;
    std::string ca_pem;
    asio::strand<asio::io_context::executor_type> accept_strand;
    tcp::acceptor acceptor;
    asio::steady_timer accept_backoff;
    std::uint16_t port = 0;
    std::vector<std::thread> threads;

    std::mutex mutex; // guards connections, next_id and stopped
    std::unordered_map<std::uint64_t, std::weak_ptr<connection_base>> connections;
    std::uint64_t next_id = 0;
    bool stopped = false;
};

namespace {

/// One accepted connection: reads requests, lets the processor decide, carries out the plan.
/// Everything runs on the connection's executor (a strand when the io_context has threads).
template <class Stream>
class connection final : public connection_base,
                         public std::enable_shared_from_this<connection<Stream>> {
public:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;
    using clock_type = asio::steady_timer::clock_type;

    connection(std::shared_ptr<server_impl> server, std::uint64_t id, Stream stream)
        : server_(std::move(server))
        , id_(id)
        , stream_(std::move(stream))
        , watchdog_(stream_.get_executor())
        , delay_(stream_.get_executor()) {
        server_->processor.stats().connection_opened();
    }

    ~connection() override {
        server_->processor.stats().connection_closed();
        server_->forget(id_);
    }

    void close() override {
        asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            self->closing_ = true;
            self->watchdog_.cancel();
            self->delay_.cancel();
            self->lowest().close();
        });
    }

    asio::any_io_executor get_executor() { return stream_.get_executor(); }

    asio::awaitable<void> run(std::shared_ptr<connection> self);

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    // Deadlines use a watchdog timer of our own rather than tcp_stream's expiry: that one closes
    // the socket, which would rule out sending close_notify when a keep-alive connection idles
    // out, and it re-arms a timer (a timerfd system call) for every read and write. The watchdog
    // instead wakes at most every `watch_period_` (the shortest timeout) while an operation is
    // pending, so any new deadline lies after its next wake-up and setting one costs no system
    // call; it still fires exactly at the deadline because each wake re-arms at
    // min(deadline, now + period).
    void set_deadline(std::chrono::milliseconds timeout) {
        timed_out_ = false;
        const auto now = clock_type::now();
        deadline_ = now + timeout;
        // Only a timeout below the period's floor can fall before the pending wake-up.
        if (!watchdog_armed_ || deadline_ < watchdog_.expiry()) {
            arm_watchdog(now);
        }
    }

    void clear_deadline() { deadline_ = clock_type::time_point::max(); }

    void arm_watchdog(clock_type::time_point now) {
        watchdog_armed_ = true;
        watchdog_.expires_at(std::min(deadline_, now + watch_period_));
        watchdog_.async_wait([self = this->shared_from_this()](error_code ec) {
            if (!ec) {
                self->on_watchdog();
            }
        });
    }

    void on_watchdog() {
        watchdog_armed_ = false;
        if (closing_ || finished_ || deadline_ == clock_type::time_point::max()) {
            return; // nothing to watch: the next set_deadline() re-arms
        }
        const auto now = clock_type::now();
        if (deadline_ <= now) {
            timed_out_ = true;
            clear_deadline();
            lowest().cancel();
            return;
        }
        arm_watchdog(now);
    }

    void reset() {
        error_code ignored;
        lowest().socket().set_option(asio::socket_base::linger(true, 0), ignored);
        lowest().close();
    }

    asio::awaitable<void> serve();
    asio::awaitable<void> graceful_close();
    asio::awaitable<error_code> write_response(const exchange_plan& plan, bool keep_alive,
                                               bool head_only);
    asio::awaitable<void> reject_and_close(unsigned status, std::string_view message);

    std::shared_ptr<server_impl> server_;
    std::uint64_t id_;
    Stream stream_;
    // The floor keeps a zero timeout from turning the watchdog into a busy loop.
    const std::chrono::milliseconds watch_period_ =
        std::max(std::chrono::milliseconds(10),
                 std::min({server_->options.idle_timeout, server_->options.write_timeout,
                           server_->options.handshake_timeout}));
    asio::steady_timer watchdog_;
    clock_type::time_point deadline_ = clock_type::time_point::max(); // of the pending operation
    bool watchdog_armed_ = false;
    bool finished_ = false;
    asio::steady_timer delay_;
    beast::flat_buffer buffer_;
    api_request request_;
    std::string head_;
    bool timed_out_ = false;
    bool closing_ = false;
};

template <class Stream>
asio::awaitable<void> connection<Stream>::graceful_close() {
    if constexpr (is_tls) {
        set_deadline(server_->options.write_timeout);
        // Waits for the peer's close_notify or EOF; the deadline bounds a silent peer.
        auto [ec] = co_await stream_.async_shutdown(use_tuple);
        static_cast<void>(ec); // the socket is closed whatever happened
    } else {
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    clear_deadline();
    lowest().close();
}

template <class Stream>
asio::awaitable<error_code> connection<Stream>::write_response(const exchange_plan& plan,
                                                               bool keep_alive, bool head_only) {
    const std::string& body = plan.response.body;
    std::size_t body_bytes = head_only ? 0 : body.size();
    if (plan.ending == exchange_ending::truncate_body) {
        body_bytes = body.size() / 2;
    }
    detail::format_response_head(head_, plan.response, body.size(), keep_alive);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                              asio::buffer(body.data(), body_bytes)};
    if constexpr (is_tls) {
        // Asio's TLS stream encrypts one buffer of a sequence per record (and system call):
        // one contiguous buffer halves both for the usual small response.
        head_.append(body.data(), body_bytes);
        buffers = {asio::buffer(head_), asio::const_buffer()};
    }
    set_deadline(server_->options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, use_tuple);
    static_cast<void>(n);
    clear_deadline();
    co_return ec;
}

// Scalar parameters only: g++ 12 mishandles class-type coroutine arguments built inside a
// co_await expression (double destruction).
template <class Stream>
asio::awaitable<void> connection<Stream>::reject_and_close(unsigned status,
                                                           std::string_view message) {
    exchange_plan plan;
    plan.response = server_->processor.reject(status, message);
    plan.ending = exchange_ending::close;
    const error_code ec = co_await write_response(plan, false, false);
    if (ec) {
        lowest().close();
    } else {
        co_await graceful_close();
    }
}

template <class Stream>
asio::awaitable<void> connection<Stream>::run(std::shared_ptr<connection> self) {
    static_cast<void>(self); // keeps the connection alive while the coroutine runs
    co_await serve();
    // The watchdog's pending wait holds a reference: release it so the connection can go.
    finished_ = true;
    watchdog_.cancel();
}

template <class Stream>
asio::awaitable<void> connection<Stream>::serve() {
    const server_options& options = server_->options;
    if constexpr (is_tls) {
        set_deadline(options.handshake_timeout);
        auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, use_tuple);
        clear_deadline();
        if (ec) {
            lowest().close();
            co_return;
        }
    }
    for (std::uint64_t served = 1; !closing_; ++served) {
        request_parser parser(request_);
        parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
        parser.body_limit(options.body_limit);

        set_deadline(options.idle_timeout);
        auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
        if (!ec && !parser.is_done()) {
            if (parser.expects_continue()) {
                std::tie(ec, n) =
                    co_await asio::async_write(stream_, asio::buffer(continue_response), use_tuple);
            }
            if (!ec) {
                std::tie(ec, n) = co_await http::async_read(stream_, buffer_, parser, use_tuple);
            }
        }
        clear_deadline();
        if (closing_) {
            co_return;
        }
        if (ec) {
            if (timed_out_) {
                if (is_tls && options.close_notify_on_idle) {
                    co_await graceful_close();
                } else {
                    lowest().close();
                }
            } else if (ec == http::error::header_limit) {
                co_await reject_and_close(431, "request header fields too large");
            } else if (ec == http::error::body_limit) {
                co_await reject_and_close(413, "request body too large");
            } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message) {
                co_await reject_and_close(400, "malformed HTTP request");
            } else {
                lowest().close(); // the client went away, or the network failed
            }
            co_return;
        }

        exchange_plan plan =
            server_->processor.process(request_, asio::steady_timer::clock_type::now());
        if (plan.delay.count() > 0) {
            delay_.expires_after(plan.delay);
            auto [delay_ec] = co_await delay_.async_wait(use_tuple);
            static_cast<void>(delay_ec);
            if (closing_) {
                co_return;
            }
        }
        if (plan.ending == exchange_ending::reset) {
            reset();
            co_return;
        }
        const bool keep_alive = parser.keep_alive() && plan.ending == exchange_ending::keep_alive &&
                                (options.max_requests_per_connection == 0 ||
                                 served < options.max_requests_per_connection);
        const error_code write_ec =
            co_await write_response(plan, keep_alive, request_.method == "HEAD");
        if (closing_) {
            co_return;
        }
        if (write_ec) {
            lowest().close();
            co_return;
        }
        if (!keep_alive) {
            co_await graceful_close();
            co_return;
        }
    }
}

/// Creates a connection and spawns its coroutine (which starts later: co_spawn posts).
template <class Stream>
std::shared_ptr<connection_base> start_connection(server_impl& server, std::uint64_t id,
                                                  Stream stream) {
    auto c = std::make_shared<connection<Stream>>(server.shared_from_this(), id, std::move(stream));
    auto executor = c->get_executor();
    asio::co_spawn(executor, c->run(c), [](const std::exception_ptr&) {});
    return c;
}

} // namespace

server_impl::server_impl(asio::io_context* external, server_options opts, api_handler handler)
    : own_io(external ? nullptr : std::make_unique<asio::io_context>())
    , io(external ? *external : *own_io)
    , options(std::move(opts))
    , processor(options, std::move(handler))
    , accept_strand(asio::make_strand(io))
    , acceptor(accept_strand)
    , accept_backoff(accept_strand) {
    if (options.tls) {
        const tls_identity identity =
            options.identity ? *options.identity
                             : make_self_signed_identity({"localhost"}, {"127.0.0.1", "::1"});
        tls.emplace(make_tls_context(identity));
        ca_pem = identity.certificate_pem;
        if (!options.ca_out_path.empty()) {
            write_file(options.ca_out_path, ca_pem);
        }
    }
    const tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
}

asio::awaitable<void> server_impl::accept_loop(std::shared_ptr<server_impl> self) {
    static_cast<void>(self); // keeps the server state alive while accepting
    for (;;) {
        // A strand per connection only when several threads run the io_context: on one thread
        // it would cost several microseconds per request for nothing.
        const asio::any_io_executor executor = options.threads > 1
                                                   ? asio::any_io_executor(asio::make_strand(io))
                                                   : asio::any_io_executor(io.get_executor());
        auto [ec, socket] = co_await acceptor.async_accept(executor, use_tuple);
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or similar: pause instead of spinning on the same error.
            accept_backoff.expires_after(std::chrono::milliseconds(50));
            co_await accept_backoff.async_wait(use_tuple);
            continue;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        launch(std::move(socket));
    }
}

void server_impl::launch(tcp::socket socket) {
    std::shared_ptr<connection_base> started;
    {
        std::lock_guard lock(mutex);
        if (stopped) {
            return; // the socket closes as it goes out of scope
        }
        const std::uint64_t id = next_id++;
        if (tls) {
            using stream_type = ssl::stream<beast::tcp_stream>;
            started = start_connection(*this, id,
                                       stream_type(beast::tcp_stream(std::move(socket)), *tls));
        } else {
            started = start_connection(*this, id, beast::tcp_stream(std::move(socket)));
        }
        connections.emplace(id, started);
    }
}

void server_impl::forget(std::uint64_t id) {
    std::lock_guard lock(mutex);
    connections.erase(id);
}

void server_impl::start() {
    asio::co_spawn(accept_strand, accept_loop(shared_from_this()),
                   [](const std::exception_ptr&) {});
    if (own_io) {
        const std::size_t count = std::max<std::size_t>(options.threads, 1);
        for (std::size_t i = 0; i < count; ++i) {
            threads.emplace_back([this] { io.run(); });
        }
    }
}

void server_impl::stop() {
    std::vector<std::shared_ptr<connection_base>> open;
    bool first = false;
    {
        std::lock_guard lock(mutex);
        first = !std::exchange(stopped, true);
        if (first) {
            for (const auto& [id, weak] : connections) {
                if (auto c = weak.lock()) {
                    open.push_back(std::move(c));
                }
            }
        }
    }
    // A later call has nothing to close: connections accepted after the first are refused.
    if (first) {
        close_all(open);
    }
    join_threads();
}

void server_impl::close_all(const std::vector<std::shared_ptr<connection_base>>& open) {
    if (own_io && threads.empty()) {
        // Nothing runs the io_context (so there are no connections either): a posted close
        // would never run, and would keep this object alive through its own io_context.
        error_code ignored;
        acceptor.close(ignored);
        return;
    }
    // Connections first: the pending accept keeps the io_context running until the acceptor's
    // close below has run, so the io_context cannot stop with a connection's close still
    // unposted (a standalone server would then leak through its own io_context).
    for (const auto& c : open) {
        c->close();
    }
    asio::dispatch(accept_strand, [self = shared_from_this()] {
        error_code ignored;
        self->acceptor.close(ignored);
        self->accept_backoff.cancel();
    });
}

void server_impl::join_threads() {
    for (auto& thread : threads) {
        if (!thread.joinable()) {
            continue;
        }
        if (thread.get_id() == std::this_thread::get_id()) {
            thread.detach(); // stopped from its own handler: it finishes by itself
        } else {
            thread.join();
        }
    }
}

} // namespace detail

server::server(asio::io_context& io, server_options options, api_handler handler)
    : impl_(std::make_shared<detail::server_impl>(&io, std::move(options), std::move(handler))) {}

server::server(server_options options, api_handler handler)
    : impl_(
          std::make_shared<detail::server_impl>(nullptr, std::move(options), std::move(handler))) {}

server::~server() {
    try {
        stop();
    } catch (...) { // only allocation or a thread join can fail here
        // The connections then close when the io_context is destroyed.
    }
}

void server::start() {
    impl_->start();
}

void server::stop() {
    impl_->stop();
}

std::uint16_t server::port() const noexcept {
    return impl_->port;
}

std::string server::url() const {
    const bool v6 = impl_->options.address.find(':') != std::string::npos;
    std::string out = impl_->options.tls ? "https://" : "http://";
    out += v6 ? "[" + impl_->options.address + "]" : impl_->options.address;
    out += ':';
    out += std::to_string(impl_->port);
    return out;
}

const std::string& server::ca_pem() const noexcept {
    return impl_->ca_pem;
}

fault_injector& server::faults() noexcept {
    return impl_->processor.faults();
}

void server::set_requests_per_minute(std::uint64_t limit) {
    impl_->processor.budget().set_limit(limit);
}

server_stats server::stats() const {
    return impl_->processor.stats().snapshot();
}

void server::reset_stats() {
    impl_->processor.stats().reset();
}

} // namespace minapp::emulator
