// The emulator's HTTP/1.1 server: puts an api_request handler (the emulated API) on a socket,
// plain or TLS, with keep-alive, limits, fault injection, a request budget and inspection.
#pragma once

#include <minapp/emulator/api.hpp>
#include <minapp/emulator/faults.hpp>
#include <minapp/emulator/server_stats.hpp>
#include <minapp/emulator/tls_identity.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace minapp::emulator {

namespace detail {
struct server_impl;
} // namespace detail

/// The emulated API: answers one request. Called on the server's threads, possibly concurrently
/// when the server runs on several threads, so it must be thread-safe there.
using api_handler = std::function<api_response(const api_request&)>;

/// Serves GET /_emulator/<anything but stats>; nullopt answers 404.
using inspection_handler = std::function<std::optional<api_response>(const api_request&)>;

/// How a server listens and behaves.
struct server_options {
    server_options() = default;

    /// Address to bind (IPv4 or IPv6 literal).
    std::string address = "127.0.0.1";
    /// Port to bind; 0 picks an ephemeral port (see server::port()).
    std::uint16_t port = 0;
    /// HTTPS when true, plain HTTP otherwise.
    bool tls = true;
    /// Certificate and key for HTTPS; without one a self-signed certificate for "localhost" and
    /// 127.0.0.1 is generated at construction (see server::ca_pem()).
    std::optional<tls_identity> identity;
    /// When non-empty, the CA (certificate) PEM is written to this file at construction.
    std::string ca_out_path;

    /// How long a connection may wait for (the rest of) a request, nginx's keepalive_timeout.
    std::chrono::milliseconds idle_timeout{75'000};
    /// On idle timeout over TLS: send close_notify first (true) or just close the socket (false).
    bool close_notify_on_idle = true;
    /// Deadline of the TLS handshake.
    std::chrono::milliseconds handshake_timeout{10'000};
    /// Deadline of writing one response (and of a graceful TLS shutdown).
    std::chrono::milliseconds write_timeout{30'000};
    /// Requests served per connection, like nginx's keepalive_requests: the last response carries
    /// `Connection: close`. 0 = unlimited.
    std::uint64_t max_requests_per_connection = 0;

    /// Largest request line + header block; larger ones get 431. It must exceed max_url_length
    /// so that an overlong URL gets the API's 502, not a 431.
    std::size_t header_limit = std::size_t{64} * 1024;
    /// Largest request body; larger ones get 413.
    std::uint64_t body_limit = 64ULL * 1024 * 1024;
    /// Targets (path + query) longer than this get 502 with a JSON error body, as the API does.
    std::size_t max_url_length = 16386;

    /// Requests per minute before 429 + Retry-After (fixed one-minute windows); 0 = unlimited.
    std::uint64_t requests_per_minute = 0;
    /// Fault rules active from the start (see server::faults() to change them later).
    fault_config faults;

    /// Serves GET /_emulator/stats (JSON, no auth) and passes other /_emulator/ paths to
    /// `inspect`. Those requests bypass the budget, the faults and the API counters.
    bool inspection = false;
    /// Extra /_emulator/ endpoints, e.g. stored users.
    inspection_handler inspect;

    /// Threads that run the io_context: those a standalone server starts, or, on a caller's
    /// io_context, how many threads the caller runs it on. Above 1 each connection gets a strand
    /// of its own (which costs a few microseconds per request, hence not on one thread).
    std::size_t threads = 1;
};

/// An HTTP/1.1 server for the emulated API.
///
/// Two ways to run it: on a caller's io_context (construct with it, start(), then the caller runs
/// the io_context on `options.threads` threads), or standalone (construct without one; start()
/// runs `options.threads` threads of its own).
///
/// Thread safety: stop(), faults(), set_requests_per_minute(), stats() and reset_stats() may be
/// called from any thread. Construction, start() and destruction must not race with each other.
/// A caller's io_context must outlive the server. A standalone server must be stopped and
/// destroyed from outside its own threads (not from the handler).
class server {
public:
    /// Binds and listens on the caller's io_context. Throws boost::system::system_error when
    /// binding fails and std::runtime_error when TLS setup or writing `ca_out_path` fails.
    server(boost::asio::io_context& io, server_options options, api_handler handler);

    /// Binds and listens on an io_context of its own; start() runs it on `options.threads`
    /// threads. Throws as the other constructor.
    server(server_options options, api_handler handler);

    /// Stops the server and, when standalone, joins its threads.
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Starts accepting connections (and, when standalone, the threads). Call once.
    void start();

    /// Closes the listener and every connection, cancelling pending timers: afterwards the server
    /// leaves no work on its io_context, so a caller's io_context::run() returns. Standalone, it
    /// also joins the threads unless called from one of them. Idempotent.
    void stop();

    /// The bound port (useful with options.port == 0).
    std::uint16_t port() const noexcept;

    /// "https://ADDRESS:PORT" or "http://ADDRESS:PORT" (IPv6 addresses in brackets).
    std::string url() const;

    /// The PEM a client should trust (the certificate in use); empty for plain HTTP.
    const std::string& ca_pem() const noexcept;

    /// The live fault rules; configure() takes effect from the next request.
    fault_injector& faults() noexcept;

    /// Changes the requests-per-minute budget (0 = unlimited) and starts a new window.
    void set_requests_per_minute(std::uint64_t limit);

    /// A snapshot of the counters.
    server_stats stats() const;

    /// Zeroes the counters (connections_open excepted).
    void reset_stats();

private:
    // Shared with the connections, which may outlive the server object until the io_context
    // finishes them.
    std::shared_ptr<detail::server_impl> impl_;
};

} // namespace minapp::emulator
