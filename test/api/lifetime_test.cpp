// What a call holds: destroying (or shutting down) a client while calls wait at each suspension
// point ends every one of them with an error and leaves no work behind; calls spawned with
// temporaries own their arguments; pagers, bulk runs and limiters outlive their handles safely.
#include "support/async_test.hpp"
#include "suspension_rig.hpp"

#include "emulated_service.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/error.hpp>
#include <minapp/rate_limiter.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <mutex>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using minapp::error;
using minapp::update;
using minapp::where;
using minapp::test::emulated_service;
using minapp::test::run_bounded;
using minapp::test::suspension;
using minapp::test::suspension_rig;
using minapp::test::wait_until;

namespace {

using user_result = minapp::result<minapp::user_profile>;

enum class ending { destroy, shutdown };

struct results {
    std::mutex mutex;
    std::vector<user_result> done;
    std::size_t exceptions = 0;

    std::size_t size() {
        std::lock_guard lock(mutex);
        return done.size();
    }
    auto recorder() {
        return [this](std::exception_ptr e, user_result r) {
            std::lock_guard lock(mutex);
            exceptions += e ? 1 : 0;
            done.push_back(std::move(r));
        };
    }
};

// Each call ends with the shutdown's error, or outcome_unknown for an atomic write that may
// have reached the server.
void check_ended(results& r, std::size_t calls) {
    std::lock_guard lock(r.mutex);
    BOOST_TEST(r.exceptions == 0u);
    BOOST_TEST_REQUIRE(r.done.size() == calls);
    for (const auto& one : r.done) {
        BOOST_TEST_REQUIRE(!one.has_value());
        const auto& code = one.error().code;
        BOOST_TEST((code == error::pool_shut_down || code == error::outcome_unknown),
                   code.message() << ": " << one.error().diagnostics.detail);
    }
}

// Half reads, half writes: atomic ones, or plain sets where the call must be retried to wait
// in a backoff (an atomic update is not retried after a 503).
asio::awaitable<user_result> call_number(minapp::client& c, std::size_t i,
                                         bool retryable_writes = false) {
    const auto id = static_cast<std::int64_t>(i) + 1;
    if (i % 2 == 0) {
        return c.get_user(id);
    }
    return c.update_user(id, retryable_writes ? update().set("test", "x")
                                              : update().incr_by("score", 1));
}

} // namespace

BOOST_AUTO_TEST_SUITE(lifetime)

BOOST_AUTO_TEST_CASE(client_destroyed_while_calls_wait_everywhere) {
    const std::pair<suspension, std::size_t> points[] = {
        {suspension::limiter, 50}, {suspension::pool_wait, 50}, {suspension::connect, 50},
        {suspension::write, 2},    {suspension::read, 50},      {suspension::backoff, 50}};
    for (auto [where, calls] : points) {
        for (auto end : {ending::destroy, ending::shutdown}) {
            BOOST_TEST_CONTEXT(to_string(where)
                               << ", " << (end == ending::destroy ? "destroyed" : "shut down")) {
                asio::io_context ioc;
                suspension_rig rig(ioc, where,
                                   minapp::client_options().pool(
                                       minapp::http::pool_options().max_connections(64)));
                results r;
                run_bounded(
                    ioc, [&, where = where, calls = calls, end = end]() -> asio::awaitable<void> {
                        co_await rig.prime();
                        for (std::size_t i = 0; i < calls; ++i) {
                            if (where == suspension::write) {
                                asio::co_spawn(
                                    ioc,
                                    rig.client->update_user(
                                        static_cast<std::int64_t>(i) + 1,
                                        update().set("test", std::string(16 << 20, 'w'))),
                                    r.recorder());
                            } else {
                                asio::co_spawn(
                                    ioc, call_number(*rig.client, i, where == suspension::backoff),
                                    r.recorder());
                            }
                        }
                        co_await wait_until([&] { return rig.reached(calls); });
                        if (end == ending::destroy) {
                            rig.client.reset();
                        } else {
                            rig.client->shutdown();
                            auto after = co_await rig.client->get_user(1);
                            BOOST_TEST((after.error().code == error::pool_shut_down));
                        }
                        co_await wait_until([&] { return r.size() == calls; });
                        rig.finish();
                    });
                check_ended(r, calls);
            }
        }
    }
}

// Shutdown from a thread that does not run the io_context, while four threads run it.
BOOST_AUTO_TEST_CASE(shutdown_from_another_thread_with_four_io_threads) {
    asio::io_context ioc(4);
    auto work = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] { ioc.run(); });
    }
    const auto server_strand = asio::make_strand(ioc);
    minapp::test::scripted_server server(server_strand, [](const auto&) {
        minapp::test::reply silent;
        silent.what = minapp::test::reply::action::silent;
        return silent;
    });
    std::optional<minapp::client> client(
        std::in_place, ioc.get_executor(),
        minapp::client_options()
            .base_url("http://127.0.0.1:" + std::to_string(server.port()))
            .access_token("tok")
            .pool(minapp::http::pool_options().max_connections(20)));
    results r;
    for (std::size_t i = 0; i < 50; ++i) {
        asio::co_spawn(ioc, call_number(*client, i), r.recorder()); // 20 on the wire, 30 queued
    }
    for (int spins = 0; server.requests() < 20 && spins < 30000; ++spins) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    BOOST_TEST_REQUIRE(server.requests() == 20u);
    client.reset(); // shutdown from this thread
    for (int spins = 0; r.size() < 50 && spins < 30000; ++spins) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    asio::post(server_strand, [&] { server.stop(); });
    work.reset();
    for (auto& t : threads) {
        t.join();
    }
    check_ended(r, 50);
}

// Calls spawned with temporaries before run(): each owns its arguments. Spawned, then the
// client destroyed before run(): each ends with pool_shut_down, touching nothing freed.
BOOST_AUTO_TEST_CASE(spawned_detached_with_temporaries) {
    emulated_service s;
    // The ids, straight from the in-process API (the client must not run before the spawns).
    minapp::emulator::api_request list;
    list.method = "GET";
    list.target = "/oserve/v2.2/miniapp/user_profile/?order_by=id&limit=10";
    list.authorization = std::string("Bearer ") + emulated_service::token;
    std::vector<std::int64_t> ids;
    const auto listed = s.api.handle(list);
    BOOST_TEST_REQUIRE(listed.status == 200u, listed.body);
    const auto page = boost::json::parse(listed.body);
    for (const auto& u : page.at("objects").as_array()) {
        ids.push_back(u.at("id").to_number<std::int64_t>());
    }
    BOOST_TEST_REQUIRE(ids.size() == 10u);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        asio::co_spawn(
            s.ioc,
            s.client->update_user(
                ids[i], update().set("test", std::string(40, 'a' + static_cast<char>(i)))),
            asio::detached);
    }
    asio::co_spawn(s.ioc, s.client->count_users(where::eq("city", std::string(30, 'q'))),
                   asio::detached);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        co_await wait_until([&] { return s.requests().size() >= 11; });
        co_await wait_until([&] { return s.client->pool_stats().in_use == 0; });
        s.finish();
    }());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto raw = boost::json::parse(s.api.stored_user_json("", ids[i]).value());
        BOOST_TEST(raw.at("test").as_string() == std::string(40, 'a' + static_cast<char>(i)));
    }

    // Spawned, then the client destroyed before the io_context runs them.
    emulated_service t;
    results r;
    for (std::size_t i = 0; i < 20; ++i) {
        asio::co_spawn(t.ioc,
                       t.client->update_user(ids[0], update().set("test", std::string(40, 'z'))),
                       r.recorder());
    }
    t.client.reset();
    run_bounded(t.ioc, [&]() -> asio::awaitable<void> {
        co_await wait_until([&] { return r.size() == 20; });
        t.server.stop();
    }());
    check_ended(r, 20);
    BOOST_TEST(t.requests().empty());
}

// A pager and a bulk run keep working state alive after the client is gone, and end with
// pool_shut_down; a limiter's acquire() owns the limiter's state.
BOOST_AUTO_TEST_CASE(pager_bulk_and_limiter_outlive_their_handles) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto pager = s.client->list_users(minapp::user_query().page_size(50));
        auto first = co_await pager.next();
        BOOST_TEST_REQUIRE(first.has_value());
        s.client.reset();
        std::size_t seen = 1;
        minapp::result<std::optional<minapp::user_profile>> next =
            std::optional<minapp::user_profile>();
        for (;;) {
            next = co_await pager.next();
            if (!next || !*next) {
                break;
            }
            ++seen;
        }
        BOOST_TEST(seen <= 100u); // the pages fetched before the shutdown, at most
        BOOST_TEST_REQUIRE(!next.has_value());
        BOOST_TEST((next.error().code == error::pool_shut_down));
        s.server.stop();
    }());

    asio::io_context ioc;
    auto limiter = std::make_unique<minapp::rate_limiter>(minapp::rate_limit{1000, 1});
    std::size_t granted = 0;
    for (int i = 0; i < 3; ++i) {
        asio::co_spawn(ioc, limiter->acquire(),
                       [&](std::exception_ptr e, boost::system::error_code ec) {
                           granted += !e && !ec ? 1 : 0;
                       });
    }
    limiter.reset(); // before any acquire() started
    ioc.run_for(std::chrono::seconds(10));
    BOOST_TEST(granted == 3u);
    BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(bulk_run_when_the_client_goes) {
    asio::io_context ioc;
    suspension_rig rig(ioc, suspension::read);
    std::vector<minapp::user_update> items;
    for (std::int64_t id = 1; id <= 40; ++id) {
        items.emplace_back(id, update().set("test", "x"));
    }
    std::optional<minapp::result<minapp::bulk_report>> report;
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
                report.emplace(co_await minapp::update_users(
                    *rig.client, items, minapp::bulk_options().concurrency(8)));
            },
            asio::detached);
        co_await wait_until([&] { return rig.reached(8); });
        rig.client.reset();
        co_await wait_until([&] { return report.has_value(); });
        rig.finish();
    }());
    BOOST_TEST_REQUIRE(report->has_value());
    const auto& t = (*report)->totals;
    BOOST_TEST(t.done == 40u);
    BOOST_TEST(t.unknown == 8u);        // on the wire when the client went
    BOOST_TEST(t.not_attempted == 32u); // refused before being sent
    BOOST_TEST((*report)->outcomes.size() == 40u);
}

BOOST_AUTO_TEST_SUITE_END()
