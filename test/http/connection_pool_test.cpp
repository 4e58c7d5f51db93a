// The connection pool against a scripted loopback server, plain and TLS.
#include <minapp/error.hpp>
#include <minapp/http/connection_pool.hpp>

#include "http/tls_context.hpp"
#include "support/async_test.hpp"
#include "support/scripted_server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using minapp::error;
using minapp::http::connection_pool;
using minapp::http::pool_options;
using minapp::http::send_result;
using minapp::test::close_kind;
using minapp::test::reply;
using minapp::test::run_bounded;
using minapp::test::scripted_server;
using minapp::test::seen_request;

namespace {

const minapp::emulator::tls_identity& localhost_identity() {
    static const auto id = minapp::emulator::make_self_signed_identity({"localhost"});
    return id;
}

enum class transport { plain, tls };
const transport both[] = {transport::plain, transport::tls};
const char* name(transport t) {
    return t == transport::tls ? "tls" : "plain";
}

// A server and a pool pointed at it.
struct setup {
    setup(asio::io_context& ioc, transport t, minapp::test::script s, pool_options o = {})
        : server(ioc.get_executor(), std::move(s),
                 t == transport::tls ? &localhost_identity() : nullptr)
        , pool(ioc.get_executor(), make_origin(t, server.port()), with_ca(t, std::move(o))) {}

    static minapp::http::origin make_origin(transport t, std::uint16_t port) {
        const std::string url = (t == transport::tls ? "https://localhost:" : "http://127.0.0.1:") +
                                std::to_string(port);
        return minapp::http::parse_origin(url).value();
    }

    static pool_options with_ca(transport t, pool_options o) {
        if (t == transport::tls) {
            o.tls().use_system_ca(false);
            o.tls().ca_pem(localhost_identity().certificate_pem);
        }
        return o;
    }

    void finish() {
        pool.shutdown();
        server.stop();
    }

    scripted_server server;
    connection_pool pool;
};

minapp::http::request get(std::string target = "/oserve/v2.2/miniapp/user_profile/1/") {
    minapp::http::request r;
    r.target = std::move(target);
    r.headers = {{"Authorization", "Bearer secret-token"}};
    return r;
}

minapp::http::request put_incr() {
    minapp::http::request r;
    r.method = minapp::http::method::put;
    r.target = "/oserve/v2.6/miniapp/user_profile/1/";
    r.body = R"({"score":{"$incr_by":1}})";
    r.headers = {{"Content-Type", "application/json"}};
    r.idempotent = false;
    return r;
}

reply ok(const seen_request& req) {
    reply r;
    r.body = R"({"path":")" + req.target + R"("})";
    return r;
}

void check_balanced(const connection_pool& pool) {
    const auto s = pool.stats();
    BOOST_TEST(s.in_use == 0u);
    BOOST_TEST(s.connections_opened == s.connections_closed + s.idle);
}

} // namespace

BOOST_AUTO_TEST_SUITE(connection_pool_behaviour)

BOOST_AUTO_TEST_CASE(sequential_requests_reuse_one_connection) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            setup s(ioc, t, ok);
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 20; ++i) {
                    auto r = co_await s.pool.send(get());
                    BOOST_TEST_REQUIRE(!r.ec, r.ec.message() << ": " << r.info.detail);
                    BOOST_TEST(r.response.status == 200u);
                    BOOST_TEST(r.response.body ==
                               R"({"path":"/oserve/v2.2/miniapp/user_profile/1/"})");
                    BOOST_TEST(r.response.header("content-type") == "application/json");
                    BOOST_TEST(r.info.connection_reused == (i > 0));
                }
                const auto st = s.pool.stats();
                BOOST_TEST(st.connections_opened == 1u);
                BOOST_TEST(st.connections_reused == 19u);
                BOOST_TEST(st.requests == 20u);
                BOOST_TEST(st.tls_handshakes == (t == transport::tls ? 1u : 0u));
                BOOST_TEST(s.server.connections() == 1u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(concurrent_requests_open_exactly_max_connections) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            pool_options o;
            o.max_connections(4);
            setup s(ioc, t, ok, o);
            int succeeded = 0;
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                auto worker = [&]() -> asio::awaitable<void> {
                    for (int i = 0; i < 5; ++i) {
                        auto r = co_await s.pool.send(get());
                        BOOST_TEST(!r.ec);
                        succeeded += !r.ec ? 1 : 0;
                    }
                };
                minapp::test::async_event all_done(co_await asio::this_coro::executor);
                int running = 40;
                for (int w = 0; w < 40; ++w) {
                    asio::co_spawn(co_await asio::this_coro::executor, worker(),
                                   [&](std::exception_ptr) {
                                       if (--running == 0) {
                                           all_done.set();
                                       }
                                   });
                }
                co_await all_done.wait();
                const auto st = s.pool.stats();
                BOOST_TEST(st.connections_opened == 4u);
                BOOST_TEST(s.server.connections() == 4u);
                BOOST_TEST(st.requests == 200u);
                BOOST_TEST(st.waits > 0u);
                check_balanced(s.pool);
                s.finish();
            }());
            BOOST_TEST(succeeded == 200);
        }
    }
}

BOOST_AUTO_TEST_CASE(idle_close_by_server_is_detected_at_checkout) {
    struct row {
        transport t;
        close_kind kind;
    };
    const row rows[] = {{transport::plain, close_kind::abrupt},
                        {transport::tls, close_kind::graceful},
                        {transport::tls, close_kind::abrupt}};
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(name(r.t)
                           << (r.kind == close_kind::graceful ? " close_notify" : " FIN")) {
            asio::io_context ioc;
            // The server answers, then closes the idle connection as a keep-alive timeout would.
            setup s(ioc, r.t, [&](const seen_request& req) {
                auto rep = ok(req);
                rep.close_after = true;
                rep.closing = r.kind;
                return rep;
            });
            minapp::test::async_event closed(ioc.get_executor());
            s.server.on_connection_end([&] { closed.set(); });
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                auto first = co_await s.pool.send(get());
                BOOST_TEST_REQUIRE(!first.ec);
                co_await closed.wait();
                auto second = co_await s.pool.send(get());
                BOOST_TEST_REQUIRE(!second.ec, second.ec.message() << ": " << second.info.detail);
                BOOST_TEST(!second.info.connection_reused);
                const auto st = s.pool.stats();
                BOOST_TEST(st.stale_discarded == 1u);
                BOOST_TEST(st.stale_resends == 0u);
                BOOST_TEST(st.connections_opened == 2u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(stale_connection_failing_before_the_response_is_replaced_when_safe) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            // The second request on the first connection finds it closed under its feet.
            setup s(ioc, t, [](const seen_request& req) {
                reply rep = ok(req);
                if (req.connection == 1 && req.sequence == 2) {
                    rep.what = reply::action::close;
                    rep.closing = close_kind::abrupt;
                }
                return rep;
            });
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
                auto r = co_await s.pool.send(get());
                BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
                BOOST_TEST(r.info.attempts == 2);
                BOOST_TEST(!r.info.connection_reused);
                BOOST_TEST(s.pool.stats().stale_resends == 1u);
                BOOST_TEST(s.server.connections() == 2u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(non_idempotent_request_is_not_resent_after_it_may_have_arrived) {
    asio::io_context ioc;
    setup s(ioc, transport::tls, [](const seen_request& req) {
        reply rep = ok(req);
        if (req.connection == 1 && req.sequence == 2) {
            rep.what = reply::action::close;
        }
        return rep;
    });
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
        auto r = co_await s.pool.send(put_incr());
        BOOST_TEST((r.ec == error::connection_closed));
        BOOST_TEST(r.info.request_sent);
        BOOST_TEST(r.info.connection_reused);
        BOOST_TEST(r.info.attempts == 1);
        BOOST_TEST(s.server.requests() == 2u);
        BOOST_TEST(s.pool.stats().stale_resends == 0u);
        check_balanced(s.pool);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            setup s(ioc, t, [](const seen_request& req) {
                auto rep = ok(req);
                rep.connection_close = true;
                return rep;
            });
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                for (int i = 0; i < 5; ++i) {
                    auto r = co_await s.pool.send(get());
                    BOOST_TEST_REQUIRE(!r.ec, r.ec.message());
                    BOOST_TEST(!r.info.connection_reused);
                }
                BOOST_TEST(s.pool.stats().connections_opened == 5u);
                BOOST_TEST(s.pool.stats().idle == 0u);
                BOOST_TEST(s.server.connections() == 5u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(server_closing_after_k_requests_is_routine) {
    // nginx's keepalive_requests: the k-th response says Connection: close. The silent variant
    // closes without saying so (detected at checkout, or replaced before any response byte).
    for (bool announced : {true, false}) {
        for (auto t : both) {
            BOOST_TEST_CONTEXT(name(t) << (announced ? " announced" : " silent")) {
                asio::io_context ioc;
                constexpr std::size_t k = 3;
                setup s(ioc, t, [announced](const seen_request& req) {
                    auto rep = ok(req);
                    if (req.sequence == k) {
                        rep.connection_close = announced;
                        rep.close_after = !announced;
                        rep.closing = close_kind::abrupt;
                    }
                    return rep;
                });
                run_bounded(ioc, [&]() -> asio::awaitable<void> {
                    for (int i = 0; i < 30; ++i) {
                        auto r = co_await s.pool.send(get());
                        BOOST_TEST_REQUIRE(!r.ec, r.ec.message() << " at request " << i);
                    }
                    BOOST_TEST(s.server.connections() == 10u);
                    BOOST_TEST(s.pool.stats().connections_opened == 10u);
                    BOOST_TEST(s.pool.stats().failures == 0u);
                    check_balanced(s.pool);
                    s.finish();
                }());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(deadline_fires_on_a_silent_server_and_the_connection_is_dropped) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            setup s(ioc, t, [](const seen_request& req) {
                reply rep = ok(req);
                if (req.total == 2) {
                    rep.what = reply::action::silent;
                }
                return rep;
            });
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
                const auto started = std::chrono::steady_clock::now();
                auto r = co_await s.pool.send(get(), started + 200ms);
                BOOST_TEST((r.ec == error::request_timeout));
                BOOST_TEST((std::chrono::steady_clock::now() - started >= 200ms));
                BOOST_TEST(r.info.attempts == 1);
                auto after = co_await s.pool.send(get());
                BOOST_TEST_REQUIRE(!after.ec);
                BOOST_TEST(!after.info.connection_reused);
                BOOST_TEST(s.server.connections() == 2u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(deadline_fires_when_the_body_never_comes) {
    asio::io_context ioc;
    setup s(ioc, transport::tls, [](const seen_request& req) {
        reply rep = ok(req);
        rep.what = reply::action::headers_only;
        return rep;
    });
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await s.pool.send(get(), std::chrono::steady_clock::now() + 150ms);
        BOOST_TEST((r.ec == error::request_timeout));
        check_balanced(s.pool);
        BOOST_TEST(s.pool.stats().idle == 0u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(truncated_body_is_an_error_and_never_resent) {
    for (auto t : both) {
        BOOST_TEST_CONTEXT(name(t)) {
            asio::io_context ioc;
            setup s(ioc, t, [](const seen_request& req) {
                reply rep = ok(req);
                rep.body = std::string(1000, 'x');
                rep.what = reply::action::truncated;
                rep.closing = close_kind::abrupt;
                return rep;
            });
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                auto r = co_await s.pool.send(get());
                BOOST_TEST((r.ec == error::connection_closed));
                BOOST_TEST(r.info.attempts == 1);
                BOOST_TEST(s.server.requests() == 1u);
                check_balanced(s.pool);
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(body_and_header_limits_fail_and_discard_the_connection) {
    asio::io_context ioc;
    pool_options o;
    o.body_limit(1024);
    o.header_limit(512);
    setup s(
        ioc, transport::tls,
        [](const seen_request& req) {
            reply rep = ok(req);
            if (req.target == "/big-body/") {
                rep.body = std::string(4096, 'x');
            } else if (req.target == "/big-header/") {
                rep.headers = {{"X-Padding", std::string(1000, 'p')}};
            }
            return rep;
        },
        o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto body = co_await s.pool.send(get("/big-body/"));
        BOOST_TEST((body.ec == error::body_limit_exceeded));
        auto header = co_await s.pool.send(get("/big-header/"));
        BOOST_TEST((header.ec == error::header_limit_exceeded));
        auto fine = co_await s.pool.send(get("/small/"));
        BOOST_TEST(!fine.ec);
        BOOST_TEST(s.pool.stats().connections_opened == 3u);
        check_balanced(s.pool);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(untrusted_certificate_and_wrong_host_name_fail_verification) {
    asio::io_context ioc;
    static const auto wrong_name =
        minapp::emulator::make_self_signed_identity({"wrong.example"}, {});
    scripted_server trusted_server(ioc.get_executor(), ok, &localhost_identity());
    scripted_server misnamed_server(ioc.get_executor(), ok, &wrong_name);
    auto origin_of = [](const scripted_server& srv) {
        return setup::make_origin(transport::tls, srv.port());
    };
    pool_options no_ca;
    no_ca.tls().use_system_ca(true); // the system store does not know our test CA
    connection_pool untrusted(ioc.get_executor(), origin_of(trusted_server), no_ca);
    connection_pool trusted(ioc.get_executor(), origin_of(trusted_server),
                            setup::with_ca(transport::tls, {}));
    pool_options misnamed_options;
    misnamed_options.tls().ca_pem(wrong_name.certificate_pem);
    connection_pool misnamed(ioc.get_executor(), origin_of(misnamed_server), misnamed_options);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto r1 = co_await untrusted.send(get());
        BOOST_TEST((r1.ec == error::tls_verification_failed));
        BOOST_TEST(r1.info.detail.find("certificate verify failed") != std::string::npos,
                   r1.info.detail);
        BOOST_TEST(!r1.info.request_sent);
        auto r2 = co_await trusted.send(get());
        BOOST_TEST(!r2.ec, r2.ec.message());
        auto r3 = co_await misnamed.send(get());
        BOOST_TEST((r3.ec == error::tls_verification_failed));
        BOOST_TEST(r3.info.detail.find("hostname mismatch") != std::string::npos, r3.info.detail);
        BOOST_TEST(misnamed_server.requests() == 0u);
        BOOST_TEST(trusted_server.requests() == 1u);
        for (auto* p : {&untrusted, &trusted, &misnamed}) {
            check_balanced(*p);
            p->shutdown();
        }
        trusted_server.stop();
        misnamed_server.stop();
    }());
}

BOOST_AUTO_TEST_CASE(verification_is_on_by_default_and_the_opt_out_is_logged_once) {
    asio::io_context ioc;
    scripted_server server(ioc.get_executor(), ok, &localhost_identity());
    const auto origin = setup::make_origin(transport::tls, server.port());
    BOOST_TEST(!pool_options{}.tls().insecure_disable_verification());
    connection_pool by_default(ioc.get_executor(), origin); // the test CA is in no system store

    std::ostringstream log;
    // Restored even when the run throws, so std::clog never outlives its buffer.
    struct clog_capture {
        std::streambuf* previous;
        ~clog_capture() { std::clog.rdbuf(previous); }
    } capture{std::clog.rdbuf(log.rdbuf())};
    std::optional<connection_pool> insecure;
    {
        pool_options o;
        o.tls().insecure_disable_verification(true);
        o.max_connections(1);
        o.max_requests_per_connection(2); // reconnects too: still no second warning
        insecure.emplace(ioc.get_executor(), origin, o);
    }
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto refused = co_await by_default.send(get());
        BOOST_TEST((refused.ec == error::tls_verification_failed), refused.ec.message());
        for (int i = 0; i < 5; ++i) {
            auto r = co_await insecure->send(get());
            BOOST_TEST(!r.ec, r.ec.message());
        }
        BOOST_TEST(insecure->stats().connections_opened == 3u);
        by_default.shutdown();
        insecure->shutdown();
        server.stop();
    }());
    const std::string text = log.str();
    BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1, text);
    BOOST_TEST(text.find("minapp: WARNING: TLS verification is DISABLED for https://localhost:") ==
                   0u,
               text);
    BOOST_TEST(text.find("secret-token") == std::string::npos);
    BOOST_TEST(server.requests() == 5u);
}

BOOST_AUTO_TEST_CASE(tls_below_1_2_is_never_offered) {
    for (const bool insecure : {false, true}) {
        minapp::http::tls_options o;
        o.use_system_ca(false);
        o.insecure_disable_verification(insecure);
        auto ctx = minapp::http::detail::make_tls_context(o);
        BOOST_TEST(SSL_CTX_get_min_proto_version(ctx.native_handle()) == TLS1_2_VERSION);
    }
}

// The pool offers the one session it keeps; sessions stored in OpenSSL's internal cache are
// never looked up by a client and piled up with every reconnect (found by the soak).
BOOST_AUTO_TEST_CASE(client_sessions_are_not_stored_in_the_internal_cache) {
    minapp::http::tls_options o;
    o.use_system_ca(false);
    auto ctx = minapp::http::detail::make_tls_context(o);
    const long mode = SSL_CTX_get_session_cache_mode(ctx.native_handle());
    BOOST_TEST((mode & SSL_SESS_CACHE_CLIENT) != 0);
    BOOST_TEST((mode & SSL_SESS_CACHE_NO_INTERNAL_STORE) != 0);
}

BOOST_AUTO_TEST_CASE(plain_http_server_behind_https_origin_fails_the_handshake) {
    asio::io_context ioc;
    scripted_server plain(ioc.get_executor(), ok);
    connection_pool pool(ioc.get_executor(), setup::make_origin(transport::tls, plain.port()),
                         setup::with_ca(transport::tls, {}));
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await pool.send(get(), std::chrono::steady_clock::now() + 5s);
        BOOST_TEST((r.ec == error::tls_handshake_failed || r.ec == error::request_timeout),
                   r.ec.message());
        check_balanced(pool);
        pool.shutdown();
        plain.stop();
    }());
}

BOOST_AUTO_TEST_CASE(connection_refused_and_unknown_host_are_distinct_errors) {
    asio::io_context ioc;
    std::uint16_t closed_port = 0;
    {
        asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        closed_port = probe.local_endpoint().port();
    }
    connection_pool refused(
        ioc.get_executor(),
        minapp::http::parse_origin("http://127.0.0.1:" + std::to_string(closed_port)).value());
    connection_pool unknown(ioc.get_executor(),
                            minapp::http::parse_origin("http://no-such-host.invalid:80").value());
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto r1 = co_await refused.send(get());
        BOOST_TEST((r1.ec == error::connect_failed), r1.ec.message());
        BOOST_TEST(!r1.info.request_sent);
        auto r2 = co_await unknown.send(get());
        BOOST_TEST((r2.ec == error::resolve_failed), r2.ec.message());
        check_balanced(refused);
        check_balanced(unknown);
        refused.shutdown();
        unknown.shutdown();
    }());
}

BOOST_AUTO_TEST_CASE(invalid_request_fails_before_anything_is_sent) {
    asio::io_context ioc;
    setup s(ioc, transport::plain, ok);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto req = get();
        req.headers.push_back({"X-Hydrogen-Env-ID", "abc\r\nX-Injected: 1"});
        auto r = co_await s.pool.send(std::move(req));
        BOOST_TEST((r.ec == error::invalid_request));
        BOOST_TEST(r.info.detail.find("X-Injected") == std::string::npos);
        BOOST_TEST(s.server.connections() == 0u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(cancelled_waiter_leaves_the_pool_consistent) {
    asio::io_context ioc;
    pool_options o;
    o.max_connections(1);
    asio::cancellation_signal cancel_waiter;
    // When the first request reaches the server, the second is certainly queued: cancel it.
    setup s(
        ioc, transport::tls,
        [&](const seen_request& req) {
            if (req.total == 1) {
                cancel_waiter.emit(asio::cancellation_type::terminal);
            }
            return ok(req);
        },
        o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        minapp::test::async_event first_done(ex);
        minapp::test::async_event waiter_done(ex);
        send_result first;
        send_result waiter_result;
        asio::co_spawn(ex, s.pool.send(get("/first/")), [&](std::exception_ptr, send_result r) {
            first = std::move(r);
            first_done.set();
        });
        asio::co_spawn(ex, s.pool.send(get("/waiter/")),
                       asio::bind_cancellation_slot(cancel_waiter.slot(),
                                                    [&](std::exception_ptr, send_result r) {
                                                        waiter_result = std::move(r);
                                                        waiter_done.set();
                                                    }));
        co_await first_done.wait();
        BOOST_TEST(!first.ec);
        co_await waiter_done.wait();
        BOOST_TEST((waiter_result.ec == error::cancelled), waiter_result.ec.message());
        auto third = co_await s.pool.send(get("/third/"));
        BOOST_TEST(!third.ec);
        const auto st = s.pool.stats();
        BOOST_TEST(st.waits == 1u);
        BOOST_TEST(st.connections_opened == 1u);
        BOOST_TEST(s.server.requests() == 2u);
        check_balanced(s.pool);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(waiter_deadline_expires_while_connections_are_busy) {
    asio::io_context ioc;
    pool_options o;
    o.max_connections(1);
    setup s(
        ioc, transport::plain,
        [](const seen_request& req) {
            reply rep = ok(req);
            rep.delay = 300ms;
            return rep;
        },
        o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        minapp::test::async_event slow_done(ex);
        asio::co_spawn(ex, s.pool.send(get("/slow/")), [&](std::exception_ptr, send_result r) {
            BOOST_TEST(!r.ec);
            slow_done.set();
        });
        auto r = co_await s.pool.send(get("/queued/"), std::chrono::steady_clock::now() + 50ms);
        BOOST_TEST((r.ec == error::pool_wait_timeout));
        BOOST_TEST(s.pool.stats().wait_timeouts == 1u);
        co_await slow_done.wait();
        check_balanced(s.pool);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(shutdown_fails_waiters_and_later_requests) {
    asio::io_context ioc;
    pool_options o;
    o.max_connections(1);
    minapp::test::async_event busy_arrived(ioc.get_executor());
    setup s(
        ioc, transport::plain,
        [&](const seen_request& req) {
            busy_arrived.set(); // the queued request was sent after the busy one: it is waiting now
            reply rep = ok(req);
            rep.delay = 100ms;
            return rep;
        },
        o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        minapp::test::async_event queued_done(ex);
        send_result queued;
        asio::co_spawn(ex, s.pool.send(get("/busy/")), asio::detached);
        asio::co_spawn(ex, s.pool.send(get("/queued/")), [&](std::exception_ptr, send_result r) {
            queued = std::move(r);
            queued_done.set();
        });
        co_await busy_arrived.wait();
        BOOST_TEST(s.pool.stats().waits == 1u);
        s.pool.shutdown();
        co_await queued_done.wait();
        BOOST_TEST((queued.ec == error::pool_shut_down));
        auto later = co_await s.pool.send(get());
        BOOST_TEST((later.ec == error::pool_shut_down));
        s.server.stop();
    }());
}

BOOST_AUTO_TEST_CASE(reconnects_resume_the_tls_session) {
    asio::io_context ioc;
    setup s(ioc, transport::tls, [](const seen_request& req) {
        auto rep = ok(req);
        rep.connection_close = true;
        return rep;
    });
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
        }
        const auto st = s.pool.stats();
        BOOST_TEST(st.tls_handshakes == 3u);
        BOOST_TEST(st.tls_resumptions == 2u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(idle_connections_are_closed_after_the_idle_timeout) {
    asio::io_context ioc;
    pool_options o;
    o.idle_timeout(100ms);
    setup s(ioc, transport::plain, ok, o);
    minapp::test::async_event closed(ioc.get_executor());
    s.server.on_connection_end([&] { closed.set(); });
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
        BOOST_TEST(s.pool.stats().idle == 1u);
        co_await closed.wait(); // the pool's reaper closed it; the server saw the close
        BOOST_TEST(s.pool.stats().idle == 0u);
        BOOST_TEST(s.pool.stats().connections_closed == 1u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(max_requests_per_connection_retires_connections) {
    asio::io_context ioc;
    pool_options o;
    o.max_requests_per_connection(4);
    setup s(ioc, transport::plain, ok, o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 10; ++i) {
            BOOST_TEST_REQUIRE(!(co_await s.pool.send(get())).ec);
        }
        BOOST_TEST(s.pool.stats().connections_opened == 3u);
        check_balanced(s.pool);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(concurrent_use_from_two_threads) {
    asio::io_context ioc(2);
    pool_options o;
    o.max_connections(4);
    setup s(ioc, transport::tls, ok, o);
    std::atomic<int> succeeded{0};
    std::atomic<int> finished{0};
    constexpr int workers = 8;
    constexpr int per_worker = 25;
    for (int w = 0; w < workers; ++w) {
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < per_worker; ++i) {
                    auto r = co_await s.pool.send(get());
                    if (!r.ec) {
                        ++succeeded;
                    }
                }
                if (++finished == workers) {
                    s.finish();
                }
            },
            asio::detached);
    }
    std::thread second([&] { ioc.run_for(60s); });
    ioc.run_for(60s);
    second.join();
    BOOST_TEST(succeeded.load() == workers * per_worker);
    BOOST_TEST(s.pool.stats().connections_opened <= 4u);
    BOOST_TEST(s.pool.stats().requests == static_cast<std::uint64_t>(workers * per_worker));
    check_balanced(s.pool);
}

BOOST_AUTO_TEST_SUITE_END()
