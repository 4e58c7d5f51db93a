// End-to-end tests of the emulator's HTTP server over loopback, plain and TLS, with a fake API.
#include "test_client.hpp"
#include "test_print.hpp"

#include <minapp/emulator/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace minapp::emulator;
using namespace minapp::emulator::test;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view fake_route = "GET fake";
const std::string fake_body = R"({"id":1,"nickname":"fake user","custom":{"a":[1,2,3]}})";

/// Answers every request with 200 and a fixed body, and remembers what it saw.
struct fake_api {
    std::mutex mutex;
    std::vector<api_request> seen;

    api_response operator()(const api_request& request) {
        std::lock_guard lock(mutex);
        seen.push_back(request);
        api_response response;
        response.body = fake_body;
        response.route = fake_route;
        return response;
    }

    std::size_t calls() {
        std::lock_guard lock(mutex);
        return seen.size();
    }
};

/// A server on a test-owned io_context.
struct fixture {
    asio::io_context io;
    fake_api api;
    std::unique_ptr<server> srv;
    std::string ca; ///< Empty for plain HTTP.

    explicit fixture(bool use_tls, server_options options = {}) {
        options.tls = use_tls;
        srv = std::make_unique<server>(io, std::move(options),
                                       [this](const api_request& r) { return api(r); });
        srv->start();
        ca = srv->ca_pem();
    }

    asio::awaitable<std::unique_ptr<test_connection>> connect() {
        return test_connection::connect(srv->port(), ca);
    }

    void run(std::function<asio::awaitable<void>()> body) {
        run_bounded(io, std::move(body), [this] { srv->stop(); });
    }
};

fault_config one_fault(fault_kind kind, std::vector<std::uint64_t> on_requests) {
    fault_rule rule;
    rule.kind = kind;
    rule.on_requests = std::move(on_requests);
    rule.retry_after = 7s;
    rule.latency = 150ms;
    return fault_config{default_fault_seed, {rule}};
}

bool is_error_body(const std::string& body) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec);
    return !ec && value.is_object() && value.as_object().contains("error_msg") &&
           value.as_object().at("status") == "error";
}

bool is_json(const std::string& body) {
    boost::system::error_code ec;
    boost::json::parse(body, ec);
    return !ec;
}

const bool both_modes[] = {false, true};

const http_request plain_get;

template <class ErrorEnum>
boost::system::error_code as_ec(ErrorEnum e) {
    return boost::system::error_code(e);
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_server)

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection_and_maps_the_request) {
    for (const bool tls : both_modes) {
        BOOST_TEST_CONTEXT("tls=" << tls) {
            fixture f(tls);
            f.run([&]() -> asio::awaitable<void> {
                auto c = co_await f.connect();
                http_request put;
                put.method = "PUT";
                put.target = "/oserve/v2.6/miniapp/user_profile/5/?x=%2B1";
                put.body = R"({"age":3})";
                put.headers = {{"Authorization", "Bearer t0k"},
                               {"X-Hydrogen-Env-ID", "env9"},
                               {"Content-Type", "application/json"}};
                for (int i = 0; i < 3; ++i) {
                    const http_result r = co_await c->send(put);
                    BOOST_TEST(!r.ec);
                    BOOST_TEST(r.status == 200u);
                    BOOST_TEST(r.body == fake_body);
                    BOOST_TEST(r.keep_alive);
                    BOOST_TEST(r.content_type == "application/json");
                }
            });
            BOOST_REQUIRE_EQUAL(f.api.seen.size(), 3u);
            const api_request& seen = f.api.seen.front();
            BOOST_TEST(seen.method == "PUT");
            BOOST_TEST(seen.target == "/oserve/v2.6/miniapp/user_profile/5/?x=%2B1");
            BOOST_TEST(seen.authorization == "Bearer t0k");
            BOOST_TEST(seen.env_id == "env9");
            BOOST_TEST(seen.content_type == "application/json");
            BOOST_TEST(seen.body == R"({"age":3})");
            const server_stats stats = f.srv->stats();
            BOOST_TEST(stats.connections_accepted == 1u);
            BOOST_TEST(stats.connections_open == 0u);
            BOOST_TEST(stats.requests_total == 3u);
            BOOST_TEST(stats.route_count(fake_route, 200) == 3u);
            BOOST_TEST(stats.responses(200) == 3u);
        }
    }
}

BOOST_AUTO_TEST_CASE(max_requests_per_connection_closes_after_the_last_response) {
    for (const bool tls : both_modes) {
        BOOST_TEST_CONTEXT("tls=" << tls) {
            server_options options;
            options.max_requests_per_connection = 2;
            fixture f(tls, options);
            f.run([&]() -> asio::awaitable<void> {
                auto c = co_await f.connect();
                const http_result first = co_await c->send(plain_get);
                BOOST_TEST(first.keep_alive);
                const http_result second = co_await c->send(plain_get);
                BOOST_TEST(second.status == 200u);
                BOOST_TEST(second.connection == "close");
                BOOST_TEST(!second.keep_alive);
                const auto closed = co_await c->wait_closed();
                BOOST_TEST(closed == as_ec(http::error::end_of_stream));
            });
            BOOST_TEST(f.api.calls() == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(client_connection_close_and_expect_continue_are_honoured) {
    fixture f(false);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const std::string head = "PUT /oserve/v2.6/miniapp/user_profile/1/ HTTP/1.1\r\n"
                                 "Host: 127.0.0.1\r\nExpect: 100-continue\r\n"
                                 "Content-Length: 2\r\n\r\n";
        const std::string body = "{}";
        const auto head_written = co_await c->write_raw(head);
        BOOST_TEST(!head_written);
        const http_result interim = co_await c->wait_response();
        BOOST_TEST(interim.status == 100u);
        const auto body_written = co_await c->write_raw(body);
        BOOST_TEST(!body_written);
        const http_result r = co_await c->wait_response();
        BOOST_TEST(r.status == 200u);
        http_request closing;
        closing.headers = {{"Connection", "close"}};
        const http_result last = co_await c->send(closing);
        BOOST_TEST(last.status == 200u);
        BOOST_TEST(last.connection == "close");
        const auto closed = co_await c->wait_closed();
        BOOST_TEST(closed == as_ec(http::error::end_of_stream));
    });
    BOOST_REQUIRE_EQUAL(f.api.calls(), 2u);
    BOOST_TEST(f.api.seen.front().body == "{}");
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_the_connection) {
    struct variant {
        bool tls;
        bool close_notify;
        boost::system::error_code expected;
    };
    const variant variants[] = {
        {false, true, http::error::end_of_stream},
        {true, true, http::error::end_of_stream},
        {true, false, asio::ssl::error::stream_truncated},
    };
    for (const variant& v : variants) {
        BOOST_TEST_CONTEXT("tls=" << v.tls << " close_notify=" << v.close_notify) {
            server_options options;
            options.idle_timeout = 100ms;
            options.close_notify_on_idle = v.close_notify;
            fixture f(v.tls, options);
            f.run([&]() -> asio::awaitable<void> {
                auto c = co_await f.connect();
                const http_result r = co_await c->send(plain_get);
                BOOST_TEST(r.keep_alive);
                const auto start = std::chrono::steady_clock::now();
                const auto closed = co_await c->wait_closed();
                BOOST_TEST(closed == v.expected);
                BOOST_TEST((std::chrono::steady_clock::now() - start >= 90ms));
            });
        }
    }
}

BOOST_AUTO_TEST_CASE(status_faults_answer_json_errors_without_calling_the_handler) {
    const std::pair<fault_kind, unsigned> kinds[] = {
        {fault_kind::http_500, 500},
        {fault_kind::http_502, 502},
        {fault_kind::http_503, 503},
        {fault_kind::http_429, 429},
        {fault_kind::http_429_retry_after, 429},
    };
    for (const auto& entry : kinds) {
        // Named copies: clang 14 cannot capture structured bindings in the lambda below.
        const fault_kind kind = entry.first;
        const unsigned status = entry.second;
        BOOST_TEST_CONTEXT("kind=" << to_string(kind)) {
            server_options options;
            options.faults = one_fault(kind, {1});
            fixture f(false, options);
            f.run([&]() -> asio::awaitable<void> {
                auto c = co_await f.connect();
                const http_result faulty = co_await c->send(plain_get);
                BOOST_TEST(!faulty.ec);
                BOOST_TEST(faulty.status == status);
                BOOST_TEST(is_error_body(faulty.body));
                BOOST_TEST(faulty.content_type == "application/json");
                BOOST_TEST(faulty.retry_after ==
                           (kind == fault_kind::http_429_retry_after ? "7" : ""));
                BOOST_TEST(faulty.keep_alive);
                const http_result next = co_await c->send(plain_get);
                BOOST_TEST(next.status == 200u);
            });
            BOOST_TEST(f.api.calls() == 1u);
            BOOST_TEST(f.srv->stats().fault_count(kind) == 1u);
            BOOST_TEST(f.srv->stats().responses(status) == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(latency_fault_delays_the_response) {
    server_options options;
    options.faults = one_fault(fault_kind::latency, {1});
    fixture f(false, options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const auto start = std::chrono::steady_clock::now();
        const http_result r = co_await c->send(plain_get);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST((std::chrono::steady_clock::now() - start >= 150ms));
    });
    BOOST_TEST(f.api.calls() == 1u);
    BOOST_TEST(f.srv->stats().fault_count(fault_kind::latency) == 1u);
}

BOOST_AUTO_TEST_CASE(connection_close_fault_sends_close_and_closes) {
    server_options options;
    options.faults = one_fault(fault_kind::connection_close, {1});
    fixture f(true, options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const http_result r = co_await c->send(plain_get);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.connection == "close");
        BOOST_TEST(r.body == fake_body);
        const auto closed = co_await c->wait_closed();
        BOOST_TEST(closed == as_ec(http::error::end_of_stream));
    });
    BOOST_TEST(f.api.calls() == 1u);
}

BOOST_AUTO_TEST_CASE(reset_faults_reset_the_connection_before_or_after_the_handler) {
    for (const bool tls : both_modes) {
        for (const fault_kind kind :
             {fault_kind::reset_before_handler, fault_kind::reset_after_handler}) {
            BOOST_TEST_CONTEXT("tls=" << tls << " kind=" << to_string(kind)) {
                server_options options;
                options.faults = one_fault(kind, {2});
                fixture f(tls, options);
                f.run([&]() -> asio::awaitable<void> {
                    auto c = co_await f.connect();
                    const http_result ok = co_await c->send(plain_get);
                    BOOST_TEST(ok.status == 200u);
                    const http_result reset = co_await c->send(plain_get);
                    BOOST_TEST(reset.ec == as_ec(asio::error::connection_reset));
                });
                const std::size_t expected_calls =
                    kind == fault_kind::reset_before_handler ? 1u : 2u;
                BOOST_TEST(f.api.calls() == expected_calls);
                BOOST_TEST(f.srv->stats().fault_count(kind) == 1u);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(truncated_body_fault_fails_the_client_read) {
    for (const bool tls : both_modes) {
        BOOST_TEST_CONTEXT("tls=" << tls) {
            server_options options;
            options.faults = one_fault(fault_kind::truncated_body, {1});
            fixture f(tls, options);
            f.run([&]() -> asio::awaitable<void> {
                auto c = co_await f.connect();
                const http_result r = co_await c->send(plain_get);
                BOOST_TEST(r.ec == as_ec(http::error::partial_message));
                BOOST_TEST(r.body.size() < fake_body.size());
            });
            BOOST_TEST(f.api.calls() == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_json_fault_keeps_http_valid) {
    server_options options;
    options.faults = one_fault(fault_kind::malformed_json, {1});
    fixture f(false, options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const http_result broken = co_await c->send(plain_get);
        BOOST_TEST(!broken.ec);
        BOOST_TEST(broken.status == 200u);
        BOOST_TEST(!is_json(broken.body));
        BOOST_TEST(broken.keep_alive);
        const http_result next = co_await c->send(plain_get);
        BOOST_TEST(is_json(next.body));
    });
}

BOOST_AUTO_TEST_CASE(route_filters_and_runtime_configuration) {
    fixture f(false);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);

        fault_rule rule;
        rule.kind = fault_kind::http_503;
        rule.every = 1;
        rule.filter.method = "PUT";
        rule.filter.path_prefix = "/oserve/v2.6/";
        f.srv->faults().configure(fault_config{1, {rule}});

        http_request put;
        put.method = "PUT";
        put.target = "/oserve/v2.6/miniapp/user_profile/1/";
        BOOST_TEST((co_await c->send(put)).status == 503u);
        put.target = "/oserve/v2.2/miniapp/user_profile/1/";
        BOOST_TEST((co_await c->send(put)).status == 200u);
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);

        f.srv->faults().configure({});
        put.target = "/oserve/v2.6/miniapp/user_profile/1/";
        BOOST_TEST((co_await c->send(put)).status == 200u);
    });
}

BOOST_AUTO_TEST_CASE(same_seed_gives_the_same_fault_sequence_over_the_wire) {
    auto statuses = [](std::uint64_t seed) {
        server_options options;
        fault_rule rule;
        rule.kind = fault_kind::http_503;
        rule.probability = 0.5;
        options.faults = fault_config{seed, {rule}};
        fixture f(false, options);
        std::vector<unsigned> out;
        f.run([&]() -> asio::awaitable<void> {
            auto c = co_await f.connect();
            for (int i = 0; i < 40; ++i) {
                out.push_back((co_await c->send(plain_get)).status);
            }
        });
        return out;
    };
    const auto first = statuses(11);
    BOOST_TEST(first == statuses(11));
    BOOST_TEST(first != statuses(12));
    const auto faults = std::count(first.begin(), first.end(), 503u);
    BOOST_TEST(faults > 5);
    BOOST_TEST(faults < 35);
}

BOOST_AUTO_TEST_CASE(rpm_budget_answers_429_with_retry_after) {
    server_options options;
    options.requests_per_minute = 2;
    fixture f(true, options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);
        const http_result limited = co_await c->send(plain_get);
        BOOST_TEST(limited.status == 429u);
        BOOST_TEST(is_error_body(limited.body));
        BOOST_REQUIRE(!limited.retry_after.empty());
        const int seconds = std::stoi(limited.retry_after);
        BOOST_TEST(seconds >= 1);
        BOOST_TEST(seconds <= 60);
        f.srv->set_requests_per_minute(0);
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);
    });
    BOOST_TEST(f.api.calls() == 3u);
    BOOST_TEST(f.srv->stats().rate_limited == 1u);
}

BOOST_AUTO_TEST_CASE(url_longer_than_16386_characters_gets_502) {
    fixture f(false);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const std::string prefix = "/oserve/v2.2/miniapp/user_profile/?where=";
        http_request longest;
        longest.target = prefix + std::string(16386 - prefix.size(), 'a');
        BOOST_TEST((co_await c->send(longest)).status == 200u);
        http_request too_long;
        too_long.target = longest.target + "a";
        const http_result r = co_await c->send(too_long);
        BOOST_TEST(r.status == 502u);
        BOOST_TEST(is_error_body(r.body));
        BOOST_TEST(r.keep_alive);
    });
    BOOST_TEST(f.api.calls() == 1u);
    BOOST_TEST(f.srv->stats().url_too_long == 1u);
}

BOOST_AUTO_TEST_CASE(http_limits_and_bad_requests_are_rejected) {
    server_options options;
    options.header_limit = 20000;
    options.body_limit = 100;
    fixture f(false, options);
    f.run([&]() -> asio::awaitable<void> {
        {
            auto c = co_await f.connect();
            http_request big_header;
            big_header.headers = {{"X-Big", std::string(30000, 'x')}};
            const http_result r = co_await c->send(big_header);
            BOOST_TEST(r.status == 431u);
            BOOST_TEST(is_error_body(r.body));
            BOOST_TEST(r.connection == "close");
        }
        {
            auto c = co_await f.connect();
            http_request big_body;
            big_body.method = "PUT";
            big_body.body = std::string(101, 'x');
            const http_result r = co_await c->send(big_body);
            BOOST_TEST(r.status == 413u);
        }
        {
            auto c = co_await f.connect();
            const std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
            const http_result r = co_await c->send_raw(garbage);
            BOOST_TEST(r.status == 400u);
        }
    });
    BOOST_TEST(f.api.calls() == 0u);
    BOOST_TEST(f.srv->stats().bad_requests == 3u);
}

BOOST_AUTO_TEST_CASE(inspection_endpoints) {
    server_options options;
    options.inspection = true;
    options.inspect = [](const api_request& request) -> std::optional<api_response> {
        if (request.target != "/_emulator/users/5/") {
            return std::nullopt;
        }
        api_response response;
        response.body = R"({"id":5})";
        return response;
    };
    options.faults = one_fault(fault_kind::http_500, {1});
    fixture f(false, options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        http_request stats;
        stats.target = "/_emulator/stats";
        // Inspection bypasses faults: the first API request is still the faulty one.
        const http_result before = co_await c->send(stats);
        BOOST_TEST(before.status == 200u);
        BOOST_TEST((co_await c->send(plain_get)).status == 500u);
        BOOST_TEST((co_await c->send(plain_get)).status == 200u);
        const http_result after = co_await c->send(stats);
        BOOST_REQUIRE(is_json(after.body));
        const auto json = boost::json::parse(after.body).as_object();
        BOOST_TEST(json.at("requests_total").as_int64() == 2);
        BOOST_TEST(json.at("connections_accepted").as_int64() == 1);
        BOOST_TEST(json.at("faults").at("500").as_int64() == 1);
        BOOST_TEST(json.at("routes").at(fake_route).at("200").as_int64() == 1);
        BOOST_TEST(json.at("responses_by_status").at("500").as_int64() == 1);

        http_request user;
        user.target = "/_emulator/users/5/";
        const http_result found = co_await c->send(user);
        BOOST_TEST(found.body == R"({"id":5})");
        user.target = "/_emulator/users/6/";
        BOOST_TEST((co_await c->send(user)).status == 404u);
    });
    const server_stats stats = f.srv->stats();
    BOOST_TEST(stats.inspection_requests == 4u);
    BOOST_TEST(stats.requests_total == 2u);
}

BOOST_AUTO_TEST_CASE(inspection_is_off_by_default) {
    fixture f(false);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        http_request stats;
        stats.target = "/_emulator/stats";
        BOOST_TEST((co_await c->send(stats)).body == fake_body);
    });
    BOOST_TEST(f.api.calls() == 1u);
}

BOOST_AUTO_TEST_CASE(stop_closes_idle_connections_and_leaves_no_work) {
    for (const bool tls : both_modes) {
        BOOST_TEST_CONTEXT("tls=" << tls) {
            fixture f(tls);
            f.run([&]() -> asio::awaitable<void> {
                auto idle = co_await f.connect();
                BOOST_TEST((co_await idle->send(plain_get)).status == 200u);
                auto fresh = co_await f.connect(); // accepted, no request yet
                f.srv->stop();
                const auto closed = co_await idle->wait_closed();
                BOOST_TEST(closed.failed());
                BOOST_TEST((co_await fresh->wait_closed()).failed());
            });
            // run_bounded has checked that the io_context ran out of work.
            BOOST_TEST(f.srv->stats().connections_open == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(standalone_server_on_its_own_threads) {
    fake_api api;
    server_options options;
    options.tls = true;
    options.threads = 2;
    server srv(options, [&api](const api_request& r) { return api(r); });
    srv.start();
    BOOST_TEST(srv.url() == "https://127.0.0.1:" + std::to_string(srv.port()));
    asio::io_context io;
    run_bounded(io,
                [&]() -> asio::awaitable<void> {
                    const std::string& ca = srv.ca_pem();
                    auto a = co_await test_connection::connect(srv.port(), ca);
                    auto b = co_await test_connection::connect(srv.port(), ca);
                    for (int i = 0; i < 10; ++i) {
                        BOOST_TEST((co_await a->send(plain_get)).status == 200u);
                        BOOST_TEST((co_await b->send(plain_get)).status == 200u);
                    }
                },
                {});
    srv.stop();
    BOOST_TEST(api.calls() == 20u);
    BOOST_TEST(srv.stats().connections_accepted == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
