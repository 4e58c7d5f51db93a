// Puts client calls at each place a call can wait (rate limiter, pool queue, connect, write,
// read, retry backoff), for the cancellation and lifetime tests.
#pragma once

#include "support/scripted_server.hpp"

#include <minapp/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

namespace minapp::test {

/// Where a call is made to wait.
enum class suspension { limiter, pool_wait, connect, write, read, backoff };

inline const char* to_string(suspension s) {
    switch (s) {
    case suspension::limiter:
        return "limiter";
    case suspension::pool_wait:
        return "pool wait";
    case suspension::connect:
        return "connect";
    case suspension::write:
        return "write";
    case suspension::read:
        return "read";
    case suspension::backoff:
        return "backoff";
    }
    return "?";
}

/// Accepts TCP connections and never reads or writes: a TLS client waits in its handshake, a
/// large request waits in its write.
class stalling_listener {
public:
    explicit stalling_listener(boost::asio::any_io_executor ex)
        : acceptor_(ex, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(ex, accept_loop(), boost::asio::detached);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::size_t accepted() const noexcept { return accepted_.load(); }
    /// Bytes received and not read on the first accepted connection (0 before it arrives).
    std::size_t unread() const noexcept { return unread_.load(); }

    /// Closes the listener and every connection.
    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& s : sockets_) {
            s.close(ignored);
        }
    }

    /// Refreshes `unread()`; call on the listener's executor.
    void sample() {
        if (!sockets_.empty()) {
            boost::system::error_code ec;
            unread_ = sockets_.front().available(ec);
        }
    }

private:
    boost::asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) {
                co_return;
            }
            sockets_.push_back(std::move(socket));
            ++accepted_;
        }
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    std::list<boost::asio::ip::tcp::socket> sockets_;
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> unread_{0};
};

/// Waits (polling every millisecond on the caller's executor) until `ready()`.
inline boost::asio::awaitable<void> wait_until(std::function<bool()> ready) {
    boost::asio::steady_timer tick(co_await boost::asio::this_coro::executor);
    while (!ready()) {
        tick.expires_after(std::chrono::milliseconds(1));
        co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
}

/// A client whose calls wait at `where`, and the servers that make them wait. Calls to
/// `update_user` with a large body wait in the write; everything else waits where it is put
/// after `prime()` has run on the io_context.
class suspension_rig {
public:
    suspension_rig(boost::asio::io_context& ioc, suspension where,
                   client_options extra = client_options())
        : where_(where)
        , ioc_(ioc) {
        const bool silent = where == suspension::read || where == suspension::pool_wait ||
                            where == suspension::limiter;
        if (where == suspension::connect || where == suspension::write) {
            listener_.emplace(ioc.get_executor());
        } else {
            server_.emplace(ioc.get_executor(), [silent, where](const seen_request& r) {
                reply out;
                if (where == suspension::limiter && r.total == 1) {
                    out.body = R"({"meta":{"total_count":1},"objects":[]})";
                    return out;
                }
                if (silent) {
                    out.what = reply::action::silent;
                    return out;
                }
                out.status = 503; // backoff
                out.body = R"({"error_msg":"busy"})";
                return out;
            });
        }
        const std::string url =
            where == suspension::connect
                ? "https://localhost:" + std::to_string(listener_->port())
                : "http://127.0.0.1:" +
                      std::to_string(listener_ ? listener_->port() : server_->port());
        extra.base_url(url).access_token("tok-rig");
        if (where == suspension::limiter) {
            extra.rate_limit({.per_second = 0.001, .burst = 1});
        }
        if (where == suspension::pool_wait) {
            extra.pool().max_connections(1);
        }
        if (where == suspension::backoff) {
            extra.retry().initial_backoff = std::chrono::minutes(10);
            extra.retry().max_backoff = std::chrono::minutes(10);
            extra.retry().budget_max_tokens = 0; // every call retries
        }
        client.emplace(ioc.get_executor(), std::move(extra));
    }

    /// What must happen first: the limiter's token or the pool's connection taken by a blocker
    /// call (which then waits on the wire, or is answered for the limiter).
    boost::asio::awaitable<void> prime() {
        if (where_ == suspension::limiter || where_ == suspension::pool_wait) {
            boost::asio::co_spawn(co_await boost::asio::this_coro::executor,
                                  blocker(client->count_users()), boost::asio::detached);
            co_await wait_until([this] { return server_->requests() >= 1; });
            if (where_ == suspension::limiter) {
                co_await wait_until([this] { return blocker_done_; });
            }
        }
    }

    /// Whether `calls` calls (started after prime) have reached the waiting point.
    bool reached(std::size_t calls) {
        switch (where_) {
        case suspension::limiter:
            return client->rate_limiter()->stats().waiting >= calls;
        case suspension::pool_wait:
            return client->pool_stats().waits >= calls;
        case suspension::connect:
            return listener_->accepted() >= calls;
        case suspension::write:
            listener_->sample();
            return listener_->accepted() >= calls && listener_->unread() > 0;
        case suspension::read:
            return server_->requests() >= calls;
        case suspension::backoff: {
            const auto s = client->pool_stats();
            return server_->requests() >= calls && s.in_use == 0 && s.idle >= 1;
        }
        }
        return false;
    }

    /// Ends the test: client shut down, servers stopped, nothing left on the io_context.
    void finish() {
        client.reset();
        if (server_) {
            server_->stop();
        }
        if (listener_) {
            listener_->stop();
        }
    }

    std::optional<minapp::client> client;

private:
    boost::asio::awaitable<void> blocker(boost::asio::awaitable<result<std::int64_t>> call) {
        (void)co_await std::move(call);
        blocker_done_ = true;
    }

    suspension where_;
    boost::asio::io_context& ioc_;
    std::optional<scripted_server> server_;
    std::optional<stalling_listener> listener_;
    bool blocker_done_ = false;
};

} // namespace minapp::test
