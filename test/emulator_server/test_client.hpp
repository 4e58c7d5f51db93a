// A minimal Beast client for the server tests (the minapp client library is deliberately not
// used: the server must be testable on its own), plus a bounded coroutine runner.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minapp::emulator::test {

/// What a client saw for one exchange. `ec` is the first error (status etc. are then partial).
struct http_result {
    boost::system::error_code ec;
    unsigned status = 0;
    std::string body;
    std::string connection;  ///< Connection header value.
    std::string retry_after; ///< Retry-After header value.
    std::string content_type;
    bool keep_alive = false;
    /// Every header field in order, repeated fields (Set-Cookie) included.
    std::vector<std::pair<std::string, std::string>> headers;

    /// The values of every field named `name` (case-insensitive), in order.
    std::vector<std::string> header_values(std::string_view name) const;
};

/// One request to send.
struct http_request {
    std::string method = "GET";
    std::string target = "/oserve/v2.2/miniapp/user_profile/";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

// Coroutine parameters are references to named objects, never by-value class types: g++ 12
// destroys a by-value argument built inside a co_await expression twice.

/// One client connection, plain or TLS (trusting `ca_pem` and checking the name 127.0.0.1).
class test_connection {
public:
    /// Connects to 127.0.0.1:port; TLS when `ca_pem` is not empty. Throws on failure.
    static boost::asio::awaitable<std::unique_ptr<test_connection>>
    connect(std::uint16_t port, const std::string& ca_pem);

    /// Sends `request` and reads the response.
    boost::asio::awaitable<http_result> send(const http_request& request);

    /// Waits until the server ends the connection and returns the read's error (end_of_stream,
    /// connection_reset, stream_truncated, ...); success if the server sent a response instead.
    boost::asio::awaitable<boost::system::error_code> wait_closed();

    /// Writes raw bytes without reading anything.
    boost::asio::awaitable<boost::system::error_code> write_raw(const std::string& bytes);

    /// Reads one response.
    boost::asio::awaitable<http_result> wait_response();

    /// Sends raw bytes and reads one response (for malformed requests).
    boost::asio::awaitable<http_result> send_raw(const std::string& bytes);

private:
    test_connection() = default;

    std::unique_ptr<boost::asio::ssl::context> context_;
    std::unique_ptr<boost::beast::tcp_stream> plain_;
    std::unique_ptr<boost::asio::ssl::stream<boost::beast::tcp_stream>> tls_;
    boost::beast::flat_buffer buffer_;
};

/// Runs `body()` on `io` until it completes and `io` runs out of work, calling `on_done` (e.g.
/// server::stop) once the body has finished. Fails the test instead of hanging when that takes
/// more than `limit`, and checks that no work was left behind. Rethrows the body's exception.
void run_bounded(boost::asio::io_context& io, std::function<boost::asio::awaitable<void>()> body,
                 std::function<void()> on_done,
                 std::chrono::seconds limit = std::chrono::seconds(30));

} // namespace minapp::emulator::test
