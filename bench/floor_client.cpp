#include "floor_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

namespace minapp::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct shared_run {
    std::size_t warming = 0; ///< Connections still in their warm-up.
    void (*timed_start)(void*) = nullptr;
    void* context = nullptr;
    reference_result result;
};

asio::awaitable<void> worker(asio::ssl::context& ctx, asio::ip::tcp::endpoint ep, std::string host,
                             std::string token, bool put, std::string target, std::size_t warmup,
                             std::size_t count, shared_run& run) {
    beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, ctx);
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    co_await stream.next_layer().async_connect(ep, asio::use_awaitable);
    co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::authorization, "Bearer " + token);
    req.keep_alive(true);
    http::request<http::string_body> put_req{http::verb::put, target, 11};
    put_req.set(http::field::host, host);
    put_req.set(http::field::authorization, "Bearer " + token);
    put_req.set(http::field::content_type, "application/json");
    put_req.keep_alive(true);
    beast::flat_buffer buffer;
    latencies mine;
    mine.reserve(count);
    for (std::size_t i = 0; i < warmup + count; ++i) {
        if (i == warmup && --run.warming == 0 && run.timed_start != nullptr) {
            run.timed_start(run.context);
        }
        const auto start = std::chrono::steady_clock::now();
        if (put) {
            put_req.body() = "{\"score\":" + std::to_string(i) + "}";
            put_req.prepare_payload();
            co_await http::async_write(stream, put_req, asio::use_awaitable);
        } else {
            co_await http::async_write(stream, req, asio::use_awaitable);
        }
        http::response<http::string_body> res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        boost::system::error_code ec;
        auto doc = boost::json::parse(res.body(), ec);
        if (i >= warmup) {
            mine.add(std::chrono::steady_clock::now() - start);
            run.result.body_bytes += res.body().size();
            ++run.result.requests;
            if (ec || res.result_int() != 200) {
                ++run.result.errors;
            }
        }
    }
    run.result.latency.merge(mine);
}

} // namespace

reference_result run_floor(const std::string& host, unsigned short port, const std::string& ca_file,
                           const std::string& token, const reference_request& request,
                           std::size_t concurrency, std::size_t warmup, std::size_t requests,
                           void (*timed_start)(void*), void* context) {
    asio::io_context ioc(1);
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.load_verify_file(ca_file);
    const asio::ip::tcp::endpoint ep(asio::ip::make_address(host), port);
    shared_run run;
    run.warming = concurrency;
    run.timed_start = timed_start;
    run.context = context;
    run.result.connections = concurrency;
    for (std::size_t c = 0; c < concurrency; ++c) {
        const std::size_t share = requests / concurrency + (c < requests % concurrency ? 1 : 0);
        const auto& target = request.targets[c % request.targets.size()];
        asio::co_spawn(ioc, worker(ctx, ep, host, token, request.put, target, warmup, share, run),
                       [&run](std::exception_ptr e) {
                           if (e) {
                               ++run.result.errors;
                           }
                       });
    }
    ioc.run();
    return std::move(run.result);
}

} // namespace minapp::bench
