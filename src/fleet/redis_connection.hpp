// One connection to Redis over an Asio socket: connect (TCP or a Unix socket, optional AUTH),
// then one command at a time under a deadline. Commands are formatted and replies parsed by
// hiredis; the socket, the timers and the coroutines are Asio's.
#pragma once

#include "redis_reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace minapp::fleet {

/// Where a Redis server listens: a host and TCP port, or the path of a Unix socket.
class redis_address {
public:
    /// TCP: `host` is a name or an address, resolved at connect time.
    static redis_address tcp(std::string host, std::uint16_t port) {
        return {std::move(host), port, false};
    }
    /// A Unix socket at `path`.
    static redis_address unix_socket(std::string path) { return {std::move(path), 0, true}; }

    bool is_unix_socket() const noexcept { return unix_; }
    /// The host name (TCP) or the socket path (Unix socket).
    const std::string& host_or_path() const noexcept { return where_; }
    /// The TCP port; 0 for a Unix socket.
    std::uint16_t port() const noexcept { return port_; }

private:
    redis_address(std::string where, std::uint16_t port, bool unix_socket)
        : where_(std::move(where))
        , port_(port)
        , unix_(unix_socket) {}

    std::string where_;
    std::uint16_t port_;
    bool unix_;
};

/// Deadlines and credentials of a connection.
class redis_options {
public:
    redis_options() = default;

    /// Budget for resolving and connecting (AUTH then runs under `command_timeout`).
    std::chrono::milliseconds connect_timeout{1000};
    /// Budget for each command, from the first byte written to the last byte of its reply. A
    /// budget check must not stall a request for long: a slow Redis is a failed check.
    std::chrono::milliseconds command_timeout{50};
    /// Sent with AUTH after connecting when not empty (reading it from a file is the caller's job).
    std::string password;
    /// The logical database, selected with SELECT after AUTH when not 0 (a `redis://HOST/DB`
    /// URL), so that budgets of several deployments can share one server without sharing keys.
    /// It must exist on the server (0..`databases` - 1; Redis Cluster has only 0).
    int database = 0;
};

/// A connection to one Redis server, owned by one executor: every member function must be called
/// there (the object is not thread-safe), and one `command` at a time (no pipelining).
///
/// Errors: socket errors keep their system codes (connection refused, no such socket file);
/// `redis_errc::timeout` when a deadline passed, `connection_closed` when Redis closed the
/// connection or it is not open, `protocol_error` when hiredis cannot parse the stream.
/// A Redis error reply is not a failure of the connection: it is returned as a reply of kind
/// `error` with its text. Any other failure closes the connection, because a late reply could
/// then be taken for the answer of the next command; `connect` opens it again.
///
/// Cancellation: terminal cancellation of the calling coroutine ends the operation with
/// `asio::error::operation_aborted` and closes the connection.
///
/// Lifetime: an operation in progress keeps the connection's state alive, so the object may be
/// destroyed while one runs (it then fails with `connection_closed` or `operation_aborted`).
class redis_connection {
public:
    /// A closed connection whose timers run on `executor`, and its socket too, or on the
    /// executor beneath it when `executor` is a strand (operations complete on `executor`
    /// either way).
    explicit redis_connection(const boost::asio::any_io_executor& executor,
                              redis_options options = redis_options());
    ~redis_connection();
    redis_connection(const redis_connection&) = delete;
    redis_connection& operator=(const redis_connection&) = delete;

    /// Connects to `address` (closing any earlier connection), then sends AUTH when a password
    /// is configured and SELECT when the database is not 0; an error reply to either ends it
    /// with `redis_errc::error_reply` and the connection closed. Returns an empty code on
    /// success.
    boost::asio::awaitable<boost::system::error_code> connect(redis_address address);

    /// Sends one command (`argv[0]` is its name, e.g. {"SET", "k", "v"}; arguments are binary
    /// safe) and returns its reply, all within `command_timeout`. Throws std::invalid_argument
    /// when `argv` is empty.
    boost::asio::awaitable<boost::system::result<redis_reply>>
    command(std::vector<std::string> argv);

    /// Whether the connection is open (connected and no failure since).
    bool is_open() const noexcept;

    /// Closes the connection; an operation in progress fails. Idempotent.
    void close() noexcept;

    const redis_options& options() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace minapp::fleet
