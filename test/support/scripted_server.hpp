// A loopback HTTP/1.1 server (plain or TLS) whose every response is scripted by the test, to
// exercise a client against misbehaving peers: silence, early close with or without TLS
// close_notify, truncated bodies, Connection: close, delays.
#pragma once

#include <minapp/emulator/tls_identity.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace minapp::test {

/// A request as the scripted server saw it.
struct seen_request {
    std::string method;
    std::string target;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t connection = 0; ///< 1-based index of the connection it arrived on.
    std::size_t sequence = 0;   ///< 1-based index of the request on that connection.
    std::size_t total = 0;      ///< 1-based index of the request over the server's lifetime.

    std::string header(const std::string& name) const;
};

/// How the server closes a connection.
enum class close_kind {
    graceful, ///< TLS close_notify (for TLS), then TCP FIN.
    abrupt,   ///< TCP FIN without close_notify.
    reset,    ///< TCP RST (SO_LINGER 0).
};

/// What the server does with one request.
struct reply {
    enum class action {
        respond,      ///< Send the response below.
        close,        ///< Close the connection (per `closing`) without responding.
        silent,       ///< Never respond; keep the connection open until the client leaves.
        headers_only, ///< Send the header (Content-Length of the body) and then nothing.
        truncated,    ///< Send the header and half the body, then close.
    };
    action what = action::respond;
    unsigned status = 200;
    std::string body = "{}";
    std::vector<std::pair<std::string, std::string>> headers;
    bool connection_close = false; ///< Send "Connection: close" and close afterwards.
    bool close_after = false;      ///< Close after responding, without saying so.
    close_kind closing = close_kind::graceful;
    std::chrono::milliseconds delay{0}; ///< Wait this long (timer) before acting.
};

/// The script: called for every request, on the server's executor.
using script = std::function<reply(const seen_request&)>;

/// The server. Listens on 127.0.0.1 with an ephemeral port as soon as it is constructed.
class scripted_server {
public:
    /// A plain HTTP server when `identity` is null.
    scripted_server(boost::asio::any_io_executor ex, script s,
                    const emulator::tls_identity* identity = nullptr);
    ~scripted_server();
    scripted_server(const scripted_server&) = delete;
    scripted_server& operator=(const scripted_server&) = delete;

    std::uint16_t port() const noexcept;
    /// Connections accepted so far.
    std::size_t connections() const noexcept;
    /// Requests received so far.
    std::size_t requests() const noexcept;
    /// Connections the server has seen end (closed by either side).
    std::size_t connections_ended() const noexcept;

    /// Called after each connection ended (on the server's executor).
    void on_connection_end(std::function<void()> f);

    /// Stops accepting and closes every connection; the server's work then drains.
    void stop();

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace minapp::test
