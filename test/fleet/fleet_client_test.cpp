// A minapp::client whose limiter draws on a fleet budget in a real redis-server, against the
// in-process emulator: bulk updates paced by the shared budget, and, with the `closed` policy,
// every item accounted for when Redis dies mid-run (the dedicated error, nothing sent after).
#include "redis_server.hpp"

#include "emulated_service.hpp"
#include "threaded_service.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/error.hpp>
#include <minapp/fleet/redis_budget.hpp>

#include "support/async_test.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using minapp::error;
using minapp::outcome_status;
using minapp::rate_limit;
using minapp::fleet::fallback_policy;
using minapp::fleet::redis_budget_options;
using minapp::test::emulated_service;
using minapp::test::redis_server;
using minapp::test::run_bounded;

namespace {

redis_budget_options budget_options(const redis_server& server, rate_limit limit,
                                    fallback_policy policy) {
    return redis_budget_options()
        .unix_socket(server.address().host_or_path())
        .key("minapp:rate:fleet-client")
        .limit(limit)
        .fallback(policy);
}

// A client of `s`'s emulator on `limiter`.
void use_limiter(emulated_service& s, std::shared_ptr<minapp::rate_limiter> limiter) {
    auto options = minapp::client_options()
                       .base_url(s.server.url())
                       .access_token(emulated_service::token)
                       .shared_rate_limiter(std::move(limiter))
                       .retry({.max_attempts = 1});
    options.pool().tls().use_system_ca(false).ca_pem(s.server.ca_pem());
    s.client.emplace(s.ioc.get_executor(), std::move(options));
}

// An update of every user's score (the listing goes through the budget too).
asio::awaitable<std::vector<minapp::user_update>> score_updates(minapp::client& c) {
    auto pager = c.list_users(minapp::user_query().keyset(true).page_size(1000));
    std::vector<minapp::user_update> items;
    while (auto user = co_await pager.next_or_throw()) {
        items.emplace_back(user->id, minapp::update().incr_by("score", 1));
    }
    co_return items;
}

// Ends the test: the client, and with it the limiter and its budget, goes.
void finish(emulated_service& s) {
    s.finish();
    s.client.reset();
}

std::size_t puts_seen(emulated_service& s) {
    std::size_t n = 0;
    for (const auto& r : s.requests()) {
        n += r.method == "PUT" ? 1 : 0;
    }
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fleet_client)

BOOST_AUTO_TEST_CASE(bulk_updates_paced_by_the_shared_budget) {
    redis_server server;
    emulated_service s(300);
    const rate_limit limit{400, 20};
    auto limiter = minapp::fleet::make_redis_rate_limiter(
        s.ioc.get_executor(), budget_options(server, limit, fallback_policy::closed));
    use_limiter(s, limiter);
    limiter.reset(); // the client owns it now: the budget ends with the client
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            const auto start = std::chrono::steady_clock::now();
            const auto items = co_await score_updates(*s.client);
            BOOST_TEST_REQUIRE(items.size() == 300u);
            const auto report = (co_await minapp::update_users(
                                     *s.client, items, minapp::bulk_options().concurrency(16)))
                                    .value();
            const auto elapsed = std::chrono::steady_clock::now() - start;
            BOOST_TEST(report.totals.succeeded == 300u);
            BOOST_TEST(puts_seen(s) == 300u);
            BOOST_TEST(s.client->rate_limiter()->stats().granted == 301u);
            // The listing and 300 updates at 400/s with a burst of 20: (301 - 20) / 400 s at least.
            BOOST_TEST(std::chrono::duration<double>(elapsed).count() >= 0.7);
            finish(s);
        }(),
        30s);
}

BOOST_AUTO_TEST_CASE(closed_policy_accounts_for_every_item_when_redis_dies) {
    redis_server server;
    emulated_service s(300);
    use_limiter(s, minapp::fleet::make_redis_rate_limiter(
                       s.ioc.get_executor(),
                       budget_options(server, rate_limit{400, 20}, fallback_policy::closed)));
    // Redis dies after the 100th update reached the emulator (the listing is one request).
    s.on_request = [&server](std::size_t count) {
        if (count == 101) {
            server.kill();
        }
    };
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            const auto items = co_await score_updates(*s.client);
            BOOST_TEST_REQUIRE(items.size() == 300u);
            const auto report = (co_await minapp::update_users(
                                     *s.client, items, minapp::bulk_options().concurrency(8)))
                                    .value();
            const auto& t = report.totals;
            BOOST_TEST(t.done == 300u);
            BOOST_TEST(t.succeeded + t.failed + t.unknown + t.not_attempted == 300u);
            BOOST_TEST(t.succeeded >= 100u);
            BOOST_TEST(t.failed >= 150u); // tokens held when Redis died may still be spent
            BOOST_TEST(t.unknown == 0u);
            std::size_t refused = 0;
            for (const auto& o : report.outcomes) {
                if (o.status == outcome_status::failed) {
                    BOOST_REQUIRE(o.error.has_value());
                    BOOST_TEST((o.error->code == error::rate_budget_unavailable));
                    BOOST_TEST((o.error->diagnostics.applied == minapp::write_applied::no));
                    BOOST_TEST(o.error->diagnostics.detail.find("fallback policy is closed") !=
                               std::string::npos);
                    ++refused;
                }
            }
            // Every failed item was refused before it was sent.
            BOOST_TEST(puts_seen(s) == t.succeeded);
            BOOST_TEST(refused == t.failed);
            finish(s);
        }(),
        30s);
}

// One client on a 4-thread io_context, its limiter on the Redis budget: callers on every thread
// reserve and wait while the budget's strand supplies, and a throttle arrives from a plain
// thread during the run. Under ThreadSanitizer in CI (label threads).
BOOST_AUTO_TEST_CASE(a_client_on_four_threads_draws_on_the_budget) {
    redis_server server;
    minapp::test::threaded_service s(400);
    asio::io_context ioc;
    auto options = s.client_options(16).shared_rate_limiter(minapp::fleet::make_redis_rate_limiter(
        ioc.get_executor(), budget_options(server, rate_limit{2000, 50}, fallback_policy::local)));
    auto client = std::make_unique<minapp::client>(ioc.get_executor(), std::move(options));
    std::promise<std::shared_ptr<minapp::rate_limiter>> listed;
    std::vector<minapp::user_update> items;
    minapp::bulk_report report;
    asio::co_spawn(
        asio::make_strand(ioc),
        [](minapp::client& c, std::promise<std::shared_ptr<minapp::rate_limiter>>& p,
           std::vector<minapp::user_update>& out, minapp::bulk_report& r) -> asio::awaitable<void> {
            out = co_await score_updates(c);
            p.set_value(c.rate_limiter());
            r = (co_await minapp::update_users(c, out, minapp::bulk_options().concurrency(16)))
                    .value();
        }(*client, listed, items, report),
        // The client, and with it the budget's loop, goes once the run is over.
        [&client](std::exception_ptr e) {
            BOOST_CHECK(!e);
            client.reset();
        });
    std::thread throttler(
        [future = listed.get_future()]() mutable { future.get()->on_throttled(20ms); });
    BOOST_TEST_REQUIRE(minapp::test::run_on_threads(ioc, 4, 30s));
    throttler.join();
    BOOST_TEST(report.totals.succeeded == 400u);
    BOOST_TEST(items.size() == 400u);
}

BOOST_AUTO_TEST_SUITE_END()
