#include "test_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>

namespace minapp::emulator::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

template <class Stream>
asio::awaitable<http_result> read_response(Stream& stream, beast::flat_buffer& buffer) {
    http_result result;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    static_cast<void>(n);
    result.ec = ec;
    const auto& message = parser.get();
    result.status = message.result_int();
    result.body = message.body();
    result.connection = std::string(message[http::field::connection]);
    result.retry_after = std::string(message[http::field::retry_after]);
    result.content_type = std::string(message[http::field::content_type]);
    result.keep_alive = parser.is_header_done() && message.keep_alive();
    for (const auto& field : message) {
        result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    co_return result;
}

template <class Stream>
asio::awaitable<http_result> exchange(Stream& stream, beast::flat_buffer& buffer,
                                      const http_request& request) {
    http::request<http::string_body> message;
    message.method_string(request.method);
    message.target(request.target);
    message.version(11);
    message.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : request.headers) {
        message.set(name, value);
    }
    message.body() = request.body;
    message.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, message, use_tuple);
    static_cast<void>(n);
    if (ec) {
        http_result failed;
        failed.ec = ec;
        co_return failed;
    }
    co_return co_await read_response(stream, buffer);
}

template <class Stream>
asio::awaitable<http_result> exchange_raw(Stream& stream, beast::flat_buffer& buffer,
                                          const std::string& bytes) {
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
    static_cast<void>(n);
    if (ec) {
        http_result failed;
        failed.ec = ec;
        co_return failed;
    }
    co_return co_await read_response(stream, buffer);
}

} // namespace

std::vector<std::string> http_result::header_values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [field, value] : headers) {
        if (beast::iequals(field, name)) {
            out.push_back(value);
        }
    }
    return out;
}

asio::awaitable<std::unique_ptr<test_connection>>
test_connection::connect(std::uint16_t port, const std::string& ca_pem) {
    auto executor = co_await asio::this_coro::executor;
    std::unique_ptr<test_connection> c(new test_connection);
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    beast::tcp_stream stream(executor);
    co_await stream.async_connect(endpoint, asio::use_awaitable);
    if (ca_pem.empty()) {
        c->plain_ = std::make_unique<beast::tcp_stream>(std::move(stream));
        co_return c;
    }
    c->context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    c->context_->add_certificate_authority(asio::buffer(ca_pem));
    c->context_->set_verify_mode(asio::ssl::verify_peer);
    c->tls_ =
        std::make_unique<asio::ssl::stream<beast::tcp_stream>>(std::move(stream), *c->context_);
    c->tls_->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    co_await c->tls_->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    co_return c;
}

asio::awaitable<http_result> test_connection::send(const http_request& request) {
    if (tls_) {
        co_return co_await exchange(*tls_, buffer_, request);
    }
    co_return co_await exchange(*plain_, buffer_, request);
}

asio::awaitable<http_result> test_connection::send_raw(const std::string& bytes) {
    if (tls_) {
        co_return co_await exchange_raw(*tls_, buffer_, bytes);
    }
    co_return co_await exchange_raw(*plain_, buffer_, bytes);
}

asio::awaitable<boost::system::error_code> test_connection::write_raw(const std::string& bytes) {
    if (tls_) {
        auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(bytes), use_tuple);
        static_cast<void>(n);
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(*plain_, asio::buffer(bytes), use_tuple);
    static_cast<void>(n);
    co_return ec;
}

asio::awaitable<http_result> test_connection::wait_response() {
    if (tls_) {
        co_return co_await read_response(*tls_, buffer_);
    }
    co_return co_await read_response(*plain_, buffer_);
}

asio::awaitable<boost::system::error_code> test_connection::wait_closed() {
    const http_result result = co_await wait_response();
    co_return result.ec;
}

void run_bounded(asio::io_context& io, std::function<asio::awaitable<void>()> body,
                 std::function<void()> on_done, std::chrono::seconds limit) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, body(), [&](std::exception_ptr e) {
        done = true;
        failure = e;
        if (on_done) {
            on_done();
        }
    });
    io.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "test coroutine did not finish within the time limit");
    BOOST_CHECK_MESSAGE(io.stopped(), "work was left on the io_context after the test");
    if (failure) {
        std::rethrow_exception(failure);
    }
}

} // namespace minapp::emulator::test
