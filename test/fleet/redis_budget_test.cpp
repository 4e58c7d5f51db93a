// fleet::redis_budget behind rate_limiters, against a real redis-server: limiters in one process
// share one budget as separate processes would (each has its own budget object and connection),
// Redis dies and comes back under the fallback policies, a 429 seen by one pauses the other.
// Rates are measured over short phases with wide bounds; the exact arithmetic is tested in
// redis_gcra_test.
#include "redis_server.hpp"

#include <minapp/error.hpp>
#include <minapp/fleet/redis_budget.hpp>
#include <minapp/rate_limiter.hpp>

#include "support/async_test.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using minapp::error;
using minapp::rate_limit;
using minapp::rate_limiter;
using minapp::fleet::fallback_policy;
using minapp::fleet::redis_budget;
using minapp::fleet::redis_budget_options;
using minapp::test::redis_server;
using minapp::test::run_bounded;

namespace {

redis_budget_options options_for(const redis_server& server, rate_limit limit) {
    redis_budget_options o;
    const auto a = server.address();
    if (a.is_unix_socket()) {
        o.unix_socket(a.host_or_path());
    } else {
        o.tcp(a.host_or_path(), a.port());
    }
    return o.key("minapp:rate:test").limit(limit);
}

// One "process": a budget of its own (own connection) and the limiter on it.
struct member {
    member(const asio::any_io_executor& ex, redis_budget_options o)
        : budget(redis_budget::create(ex, std::move(o)))
        , limiter(std::make_shared<rate_limiter>(budget->options().limit(), budget)) {}

    std::shared_ptr<redis_budget> budget;
    std::shared_ptr<rate_limiter> limiter;
};

// Admission instants (and refusals) of `callers` coroutines acquiring in a loop until `stop`.
struct load {
    std::vector<clock_type::time_point> admitted;
    std::size_t refused = 0;
    std::size_t running = 0;
    bool stop = false;
    std::optional<minapp::test::async_event> finished; ///< set when the last caller ends

    void start(const asio::any_io_executor& ex, rate_limiter& limiter, int callers) {
        finished.emplace(ex);
        for (int i = 0; i < callers; ++i) {
            ++running;
            asio::co_spawn(ex, caller(limiter), [this](std::exception_ptr e) {
                BOOST_CHECK(!e);
                if (--running == 0) {
                    finished->set();
                }
            });
        }
    }

    asio::awaitable<void> caller(rate_limiter& limiter) {
        while (!stop) {
            const auto ec = co_await limiter.acquire();
            if (!ec) {
                admitted.push_back(clock_type::now());
            } else {
                BOOST_TEST((ec == error::rate_budget_unavailable), ec.message());
                ++refused;
                // A refused caller tries again after a moment, as a service's next call would.
                asio::steady_timer pause(co_await asio::this_coro::executor, 5ms);
                co_await pause.async_wait(asio::use_awaitable);
            }
        }
    }

    std::size_t between(clock_type::time_point from, clock_type::time_point to) const {
        std::size_t n = 0;
        for (const auto t : admitted) {
            n += (t >= from && t < to) ? 1 : 0;
        }
        return n;
    }
};

asio::awaitable<void> wait_for(clock_type::duration d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

// Stops the callers, then lets each finish the acquire it is in: the fleet keeps supplying.
asio::awaitable<void> drain(load& l) {
    l.stop = true;
    if (l.running > 0) {
        co_await l.finished->wait();
    }
}

// `processes` members sharing `limit` in `server`, each under a load of `callers` coroutines.
struct fleet_under_load {
    fleet_under_load(const asio::any_io_executor& ex, const redis_server& server, rate_limit limit,
                     std::size_t processes, int callers)
        : loads(processes) {
        for (auto& l : loads) {
            members.push_back(std::make_unique<member>(
                ex,
                options_for(server, limit).expected_replicas(static_cast<unsigned>(processes))));
            l.start(ex, *members.back()->limiter, callers);
        }
    }
    fleet_under_load(const fleet_under_load&) = delete;
    fleet_under_load& operator=(const fleet_under_load&) = delete;

    asio::awaitable<void> drain_all() {
        for (auto& l : loads) {
            co_await drain(l);
        }
    }

    std::vector<std::unique_ptr<member>> members;
    std::vector<load> loads; // sized once: each load's callers point to it
};

} // namespace

BOOST_AUTO_TEST_SUITE(redis_budget_test)

BOOST_AUTO_TEST_CASE(two_processes_share_one_rate_with_few_round_trips) {
    redis_server server;
    asio::io_context ioc;
    const rate_limit limit{200, 10};
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            member a(ex, options_for(server, limit).expected_replicas(2));
            member b(ex, options_for(server, limit).expected_replicas(2));
            load la, lb;
            const auto start = clock_type::now();
            la.start(ex, *a.limiter, 8);
            lb.start(ex, *b.limiter, 8);
            co_await wait_for(2s);
            const auto end = clock_type::now();
            const auto admitted = la.between(start, end) + lb.between(start, end);
            co_await drain(la);
            co_await drain(lb);

            const double seconds = std::chrono::duration<double>(end - start).count();
            BOOST_TEST_MESSAGE("admitted " << admitted << " in " << seconds << " s (a "
                                           << la.admitted.size() << ", b " << lb.admitted.size()
                                           << ")");
            // GCRA: at most burst + rate * time; and the fleet does not lose much of its budget.
            BOOST_TEST(static_cast<double>(admitted) <=
                       limit.burst + limit.per_second * seconds + 1);
            BOOST_TEST(static_cast<double>(admitted) >= 0.9 * limit.per_second * seconds);
            // Both processes got a fair part.
            BOOST_TEST(la.admitted.size() >= admitted / 4);
            BOOST_TEST(lb.admitted.size() >= admitted / 4);
            const auto sa = a.budget->stats();
            const auto sb = b.budget->stats();
            BOOST_TEST(sa.on_redis);
            BOOST_TEST(sa.fallbacks == 0u);
            BOOST_TEST(sa.tokens_granted + sb.tokens_granted >= admitted);
            const auto trips = sa.round_trips + sb.round_trips;
            BOOST_TEST_MESSAGE("round trips " << trips << " for " << admitted << " requests");
            BOOST_TEST(trips * 5 <= admitted);
        }(),
        20s);
}

// Redis grants a batch at the fleet's spacing; a process spends it at its own pace, spread over
// the time until its next request, as a local limit of its share would. Clustered at the fleet's
// spacing, the median gap between two calls of one process would be one fleet interval.
BOOST_AUTO_TEST_CASE(a_process_spends_its_batch_at_its_own_pace) {
    redis_server server;
    asio::io_context ioc;
    const rate_limit limit{800, 1}; // 1.25 ms apart; a quarter share is 5 ms apart
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            fleet_under_load fleet(ex, server, limit, 4, 8);
            auto& loads = fleet.loads;
            co_await wait_for(1500ms);
            co_await fleet.drain_all();
            for (std::size_t i = 0; i < loads.size(); ++i) {
                auto at = loads[i].admitted;
                BOOST_TEST_REQUIRE(at.size() >= 100u);
                std::sort(at.begin(), at.end());
                std::vector<clock_type::duration> gaps;
                for (std::size_t k = 1; k < at.size(); ++k) {
                    gaps.push_back(at[k] - at[k - 1]);
                }
                std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
                const auto median = gaps[gaps.size() / 2];
                const double median_ms = std::chrono::duration<double>(median).count() * 1000;
                BOOST_TEST_CONTEXT("process " << i << ", median gap " << median_ms << " ms") {
                    BOOST_TEST((median >= 2500us));
                }
            }
        }(),
        20s);
}

BOOST_AUTO_TEST_CASE(local_fallback_while_redis_is_down_then_back_to_the_shared_budget) {
    redis_server server(redis_server::transport::tcp);
    asio::io_context ioc;
    const rate_limit limit{200, 10};
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            member m(
                ex,
                options_for(server, limit).expected_replicas(2).fallback(fallback_policy::local));
            load l;
            l.start(ex, *m.limiter, 4);
            co_await wait_for(500ms);
            BOOST_TEST(m.budget->stats().on_redis);

            server.kill();
            const auto down = clock_type::now();
            co_await wait_for(1500ms);
            const auto restarted = clock_type::now();
            server.restart();
            co_await wait_for(1500ms);
            const auto end = clock_type::now();
            co_await drain(l);

            // Down: half the rate (two expected replicas), measured after the first 250 ms (tokens
            // held, the failure noticed). Up again: the whole rate, after the reconnect backoff.
            const double fallback_rate =
                static_cast<double>(l.between(down + 250ms, restarted)) / 1.25;
            const double shared_rate = static_cast<double>(l.between(restarted + 1s, end)) / 0.5;
            BOOST_TEST_MESSAGE("fallback " << fallback_rate << "/s, shared again " << shared_rate
                                           << "/s");
            BOOST_TEST(fallback_rate >= 80.0);
            BOOST_TEST(fallback_rate <= 125.0);
            BOOST_TEST(shared_rate >= 170.0);
            BOOST_TEST(shared_rate <= 240.0);
            const auto s = m.budget->stats();
            BOOST_TEST(s.fallbacks == 1u);
            BOOST_TEST(s.recoveries == 1u);
            BOOST_TEST(s.on_redis);
            BOOST_TEST(s.fallback_tokens > 0u);
            BOOST_TEST(!m.budget->last_error().empty());
            BOOST_TEST(l.refused == 0u);
        }(),
        30s);
}

BOOST_AUTO_TEST_CASE(closed_policy_refuses_while_redis_is_down) {
    redis_server server;
    asio::io_context ioc;
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            member m(ex, options_for(server, rate_limit{100, 5}).fallback(fallback_policy::closed));
            BOOST_TEST(!(co_await m.limiter->acquire()));
            server.kill();

            // Every waiting caller fails, promptly, with the dedicated error.
            const auto before = clock_type::now();
            load l;
            l.start(ex, *m.limiter, 5);
            co_await wait_for(300ms);
            co_await drain(l);
            BOOST_TEST(l.refused >= 5u);
            BOOST_TEST(m.limiter->stats().refused >= 5u);
            const auto s = m.budget->stats();
            BOOST_TEST(s.refusals >= 1u);
            BOOST_TEST(!s.on_redis);
            BOOST_TEST((clock_type::now() - before < 5s));

            // Redis back: the next call waits for the reconnect and goes.
            server.restart();
            const auto ec = co_await m.limiter->acquire();
            for (int i = 0; ec && i < 50; ++i) {
                co_await wait_for(100ms); // the reconnect backoff (at most 2 s)
                if (!co_await m.limiter->acquire()) {
                    break;
                }
            }
            BOOST_TEST(m.budget->stats().recoveries == 1u);
        }(),
        30s);
}

BOOST_AUTO_TEST_CASE(a_throttle_seen_by_one_process_pauses_all_four) {
    redis_server server;
    asio::io_context ioc;
    const rate_limit limit{200, 10};
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            fleet_under_load fleet(ex, server, limit, 4, 4);
            const auto& loads = fleet.loads;
            co_await wait_for(500ms);
            const auto throttled = clock_type::now();
            // A 429 with Retry-After: 0.8 s, seen by one.
            fleet.members[0]->limiter->on_throttled(800ms);
            co_await wait_for(1500ms);
            const auto end = clock_type::now();
            co_await fleet.drain_all();

            // The others learn of the cooldown at their next request to Redis (within their pacing
            // gap) and drop what they hold: nothing goes from any in the rest of the cooldown.
            const auto quiet_from = throttled + 300ms;
            const auto quiet_to = throttled + 800ms;
            for (std::size_t i = 0; i < loads.size(); ++i) {
                BOOST_TEST_CONTEXT("process " << i) {
                    BOOST_TEST(loads[i].between(throttled - 500ms, throttled) > 0u);
                    BOOST_TEST(loads[i].between(quiet_from, quiet_to) == 0u);
                    // Then all go again.
                    BOOST_TEST(loads[i].between(quiet_to + 200ms, end) > 0u);
                }
            }
            BOOST_TEST(fleet.members[0]->budget->stats().pauses == 1u);
        }(),
        20s);
}

BOOST_AUTO_TEST_CASE(options_are_checked) {
    asio::io_context ioc;
    const auto ex = ioc.get_executor();
    const auto good = redis_budget_options().limit(rate_limit{10});
    BOOST_CHECK_NO_THROW(redis_budget::create(ex, good));
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options().limit(rate_limit{0})),
                      std::invalid_argument);
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options(good).key("")),
                      std::invalid_argument);
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options(good).expected_replicas(0)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options(good).max_lease(2s)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options(good).command_timeout(0ms)),
                      std::invalid_argument);
    BOOST_CHECK_THROW(redis_budget::create(ex, redis_budget_options(good).unix_socket("")),
                      std::invalid_argument);
    BOOST_TEST(minapp::fleet::default_budget_key("https://cloud.minapp.com", "") ==
               "minapp:rate:https://cloud.minapp.com");
    BOOST_TEST(minapp::fleet::default_budget_key("https://cloud.minapp.com", "e1") ==
               "minapp:rate:https://cloud.minapp.com:e1");
}

BOOST_AUTO_TEST_SUITE_END()
