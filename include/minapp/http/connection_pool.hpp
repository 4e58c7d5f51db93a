// A pool of keep-alive HTTP/1.1 connections (plain or TLS) to one origin.
#pragma once

#include <minapp/http/message.hpp>
#include <minapp/http/options.hpp>
#include <minapp/http/origin.hpp>
#include <minapp/http/pool_stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace minapp::http {

namespace detail {
struct pool_access;
} // namespace detail

/// Keeps up to `pool_options::max_connections` connections to one origin and sends requests over
/// them, one exchange per connection at a time.
///
/// Connection reuse: a connection returns to the pool only after a complete exchange whose
/// response allows keep-alive. After an error, a timeout, a cancellation, a partial read, a body
/// or header limit hit, or `Connection: close`, it is closed. An idle connection the server has
/// closed is detected at checkout; a request that fails on a reused connection before any
/// response byte arrived is re-sent once on a fresh connection when that is safe (the request is
/// idempotent, or was certainly not received).
///
/// Thread safety: all state lives on a strand of the executor given at construction. `send`,
/// `stats` and `shutdown` may be called from any thread and any executor; `send` hops onto the
/// strand and completes on the caller's executor. Cancellation signals delivered to a `send` are
/// forwarded onto the strand, so they may be emitted from any thread.
///
/// Lifetime: destroying the pool shuts it down (see `shutdown`); operations in flight keep the
/// internal state alive until they complete.
class connection_pool {
public:
    /// Creates a pool; no connection is opened until the first request. Throws api_error
    /// (error::invalid_argument) if the TLS context cannot be set up (e.g. unreadable ca_file).
    connection_pool(const boost::asio::any_io_executor& executor, origin target,
                    pool_options options = {});
    ~connection_pool();
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    /// Sends `req` and reads the complete response, within `deadline` (which covers waiting for a
    /// connection, connecting, the TLS handshake, writing and reading).
    ///
    /// Errors (in `send_result::ec`, never thrown): a `minapp::error` code; `info` tells whether
    /// the request may have reached the server. Any HTTP status is a success at this layer.
    /// Cancellation: terminal or partial cancellation (from any thread) ends the operation with
    /// `error::cancelled` and closes the connection it was using; a caller waiting for a
    /// connection leaves the queue. Total cancellation is not supported.
    boost::asio::awaitable<send_result> send(request req,
                                             std::chrono::steady_clock::time_point deadline);

    /// As above, with the deadline `now + pool_options::request_timeout()`.
    boost::asio::awaitable<send_result> send(request req);

    /// Closes idle connections, fails queued callers with `error::pool_shut_down` and refuses
    /// new requests. Exchanges in flight finish, then their connections are closed. Idempotent.
    void shutdown();

    /// A snapshot of the counters; safe from any thread.
    pool_stats stats() const noexcept;

    /// The origin this pool connects to.
    const origin& target() const noexcept;

    /// The options the pool was created with.
    const pool_options& options() const noexcept;

private:
    friend struct detail::pool_access;
    class impl;
    std::shared_ptr<impl> impl_;
};

} // namespace minapp::http
