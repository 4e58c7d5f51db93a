#include "support/scripted_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <optional>
#include <strings.h>

namespace minapp::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
using tls_stream = asio::ssl::stream<beast::tcp_stream>;
} // namespace

std::string seen_request::header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
        if (::strcasecmp(n.c_str(), name.c_str()) == 0) {
            return v;
        }
    }
    return {};
}

struct scripted_server::state : std::enable_shared_from_this<state> {
    state(asio::any_io_executor e, script s, const emulator::tls_identity* identity)
        : ex(std::move(e))
        , acceptor(ex)
        , handler(std::move(s)) {
        if (identity != nullptr) {
            tls.emplace(asio::ssl::context::tls_server);
            tls->use_certificate_chain(asio::buffer(identity->certificate_pem));
            tls->use_private_key(asio::buffer(identity->private_key_pem), asio::ssl::context::pem);
        }
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor.open(ep.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen();
        port = acceptor.local_endpoint().port();
    }

    asio::awaitable<void> accept_loop(std::shared_ptr<state> self) {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor.async_accept(asio::make_strand(ex), tuple_awaitable);
            if (ec) {
                co_return;
            }
            const std::size_t index = ++accepted;
            if (tls) {
                auto stream = std::make_shared<tls_stream>(std::move(socket), *tls);
                track(std::shared_ptr<beast::tcp_stream>(stream, &stream->next_layer()));
                asio::co_spawn(stream->get_executor(), serve_tls(self, stream, index),
                               asio::detached);
            } else {
                auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
                track(stream);
                asio::co_spawn(stream->get_executor(), serve_plain(self, stream, index),
                               asio::detached);
            }
        }
    }

    void track(const std::shared_ptr<beast::tcp_stream>& lowest) {
        std::lock_guard lock(mutex);
        live.push_back(lowest);
    }

    asio::awaitable<void> serve_tls(std::shared_ptr<state> self, std::shared_ptr<tls_stream> stream,
                                    std::size_t index) {
        stream->next_layer().expires_after(std::chrono::seconds(10));
        auto [ec] =
            co_await stream->async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
        stream->next_layer().expires_never();
        if (!ec) {
            co_await session(*stream, index);
        }
        close(*stream, close_kind::abrupt);
        self->connection_ended();
    }

    asio::awaitable<void> serve_plain(std::shared_ptr<state> self,
                                      std::shared_ptr<beast::tcp_stream> stream,
                                      std::size_t index) {
        co_await session(*stream, index);
        close(*stream, close_kind::abrupt);
        self->connection_ended();
    }

    void connection_ended() {
        ++ended;
        if (on_end) {
            on_end();
        }
    }

    template <class Stream>
    asio::awaitable<void> session(Stream& stream, std::size_t index) {
        beast::flat_buffer buffer;
        for (std::size_t sequence = 1;; ++sequence) {
            bhttp::request<bhttp::string_body> req;
            auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, tuple_awaitable);
            if (ec) {
                co_return;
            }
            seen_request seen;
            seen.method = std::string(req.method_string());
            seen.target = std::string(req.target());
            seen.body = req.body();
            for (const auto& f : req) {
                seen.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            }
            seen.connection = index;
            seen.sequence = sequence;
            seen.total = ++received;
            const reply r = handler(seen);
            if (r.delay.count() > 0) {
                asio::steady_timer t(stream.get_executor(), r.delay);
                co_await t.async_wait(tuple_awaitable);
            }
            switch (r.what) {
            case reply::action::respond: {
                bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
                res.set(bhttp::field::content_type, "application/json");
                for (const auto& [name, value] : r.headers) {
                    res.set(name, value);
                }
                res.body() = r.body;
                res.keep_alive(!r.connection_close);
                res.prepare_payload();
                auto [wec, written] = co_await bhttp::async_write(stream, res, tuple_awaitable);
                if (wec) {
                    co_return;
                }
                if (r.connection_close || r.close_after) {
                    co_await close_async(stream, r.closing);
                    co_return;
                }
                break;
            }
            case reply::action::close:
                co_await close_async(stream, r.closing);
                co_return;
            case reply::action::silent:
                co_await wait_for_client_to_leave(stream);
                co_return;
            case reply::action::headers_only:
            case reply::action::truncated: {
                std::string head = "HTTP/1.1 " + std::to_string(r.status) +
                                   " OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                   std::to_string(r.body.size()) + "\r\n\r\n";
                if (r.what == reply::action::truncated) {
                    head += r.body.substr(0, r.body.size() / 2);
                }
                auto [wec, written] =
                    co_await asio::async_write(stream, asio::buffer(head), tuple_awaitable);
                if (wec) {
                    co_return;
                }
                if (r.what == reply::action::truncated) {
                    co_await close_async(stream, r.closing);
                } else {
                    co_await wait_for_client_to_leave(stream);
                }
                co_return;
            }
            }
        }
    }

    template <class Stream>
    static asio::awaitable<void> wait_for_client_to_leave(Stream& stream) {
        char scratch[256];
        for (;;) {
            auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), tuple_awaitable);
            if (ec) {
                co_return;
            }
        }
    }

    template <class Stream>
    static asio::awaitable<void> close_async(Stream& stream, close_kind kind) {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            if (kind == close_kind::graceful) {
                // Sends close_notify; the peer (an idle client) will not answer it, so bound the
                // wait for its reply and close regardless.
                stream.next_layer().expires_after(std::chrono::milliseconds(100));
                co_await stream.async_shutdown(tuple_awaitable);
            }
        }
        close(stream, kind);
    }

    template <class Stream>
    static void close(Stream& stream, close_kind kind) {
        auto& socket = beast::get_lowest_layer(stream).socket();
        error_code ignored;
        if (kind == close_kind::reset) {
            socket.set_option(asio::socket_base::linger(true, 0), ignored);
        } else {
            socket.shutdown(tcp::socket::shutdown_send, ignored);
        }
        socket.close(ignored);
    }

    void stop() {
        error_code ignored;
        acceptor.close(ignored);
        std::vector<std::weak_ptr<beast::tcp_stream>> streams;
        {
            std::lock_guard lock(mutex);
            streams.swap(live);
        }
        for (auto& weak : streams) {
            if (auto s = weak.lock()) {
                asio::post(s->get_executor(), [s] { s->socket().close(); });
            }
        }
    }

    asio::any_io_executor ex;
    tcp::acceptor acceptor;
    script handler;
    std::optional<asio::ssl::context> tls;
    std::uint16_t port = 0;
    std::atomic<std::size_t> accepted{0}, received{0}, ended{0};
    std::function<void()> on_end;
    std::mutex mutex;
    std::vector<std::weak_ptr<beast::tcp_stream>> live;
};

scripted_server::scripted_server(asio::any_io_executor ex, script s,
                                 const emulator::tls_identity* identity)
    : state_(std::make_shared<state>(std::move(ex), std::move(s), identity)) {
    asio::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(state_), asio::detached);
}

scripted_server::~scripted_server() {
    state_->stop();
}

std::uint16_t scripted_server::port() const noexcept {
    return state_->port;
}
std::size_t scripted_server::connections() const noexcept {
    return state_->accepted;
}
std::size_t scripted_server::requests() const noexcept {
    return state_->received;
}
std::size_t scripted_server::connections_ended() const noexcept {
    return state_->ended;
}
void scripted_server::on_connection_end(std::function<void()> f) {
    state_->on_end = std::move(f);
}
void scripted_server::stop() {
    state_->stop();
}

} // namespace minapp::test
