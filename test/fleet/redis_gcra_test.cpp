// fleet::redis_gcra against a real redis-server: the script's arithmetic against the in-process
// detail::gcra_schedule on a driven clock, batches, cooldowns, expiry and a lost script cache.
#include "fleet/gcra_arithmetic.hpp"
#include "fleet/redis_error.hpp"
#include "fleet/redis_gcra.hpp"

#include "redis_server.hpp"
#include "run_sync.hpp"

#include <minapp/detail/gcra.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using minapp::rate_limit;
using minapp::fleet::gcra_grant;
using minapp::fleet::redis_connection;
using minapp::fleet::redis_errc;
using minapp::fleet::redis_gcra;
using minapp::fleet::redis_reply;
using minapp::test::redis_server;
using minapp::test::run_sync;
using std::chrono::microseconds;

namespace {

struct unix_redis {
    unix_redis() { BOOST_REQUIRE(!run_sync(ioc, connection.connect(server.address()))); }

    redis_reply command(std::vector<std::string> argv) {
        auto r = run_sync(ioc, connection.command(std::move(argv)));
        BOOST_REQUIRE_MESSAGE(r, "command failed: " << r.error().message());
        return *r;
    }

    gcra_grant take(redis_gcra& g, std::int64_t n) {
        auto r = run_sync(ioc, g.take(n));
        BOOST_REQUIRE_MESSAGE(r, "take failed: " << r.error().message() << " " << g.last_error());
        return *r;
    }

    redis_server server;
    asio::io_context ioc;
    redis_connection connection{ioc.get_executor()};
};

// The in-process schedule on a clock the test drives, in microseconds since the Unix epoch.
struct epoch_clock {
    using rep = std::int64_t;
    using period = std::micro;
    using duration = microseconds;
    using time_point = std::chrono::time_point<epoch_clock>;
    [[maybe_unused]] static constexpr bool is_steady = true;
};
using schedule = minapp::detail::gcra_schedule<epoch_clock>;

// How long until the next place would go, asked of a copy: the schedule keeps no place.
microseconds model_wait(const schedule& s, epoch_clock::time_point now) {
    schedule probe = s;
    const auto next = probe.reserve(now);
    return next.pending ? next.at - now : microseconds(0);
}

// take(n) as the in-process limiter would answer it: reserve one place after another while
// they go at once; the first that would wait is given back.
gcra_grant model_take(schedule& s, std::int64_t n, epoch_clock::time_point now) {
    gcra_grant g;
    while (g.granted < n) {
        const auto r = s.reserve(now);
        if (r.pending) {
            BOOST_REQUIRE(s.cancel(r.id).gave_back);
            break;
        }
        ++g.granted;
    }
    g.wait = model_wait(s, now);
    return g;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_gcra_test, unix_redis)

// Random batches and pauses at random instants, on Redis and on the in-process schedule: the
// same grants and waits at every step. The rates have emission intervals of whole microseconds,
// where both are exact.
BOOST_AUTO_TEST_CASE(script_matches_in_process_schedule) {
    struct config {
        double per_second;
        double burst;
    };
    const std::vector<config> configs{{10, 1}, {10, 5}, {4, 3}, {1000, 20}, {0.5, 2.5}};
    std::mt19937_64 random(20240601); // fixed: the same steps on every run
    const microseconds t0(1'700'000'000'000'000);
    int key = 0;
    int none = 0;
    int some = 0;
    int all = 0;
    int pauses = 0;
    for (const auto& c : configs) {
        const rate_limit limit{c.per_second, c.burst};
        redis_gcra g(connection, "budget:model:" + std::to_string(key++), limit);
        schedule s(limit);
        const auto interval = g.interval().count();
        std::uniform_int_distribution<std::int64_t> step(0, 3 * interval);
        std::uniform_int_distribution<std::int64_t> want(1, 2 * static_cast<std::int64_t>(c.burst) +
                                                                1);
        std::uniform_int_distribution<int> what(0, 19);
        microseconds now = t0;
        for (int i = 0; i < 150; ++i) {
            // Often no time at all between two calls: exact boundaries matter most.
            now += microseconds(what(random) < 5 ? 0 : step(random));
            const epoch_clock::time_point at(now);
            BOOST_TEST_CONTEXT("rate " << c.per_second << " burst " << c.burst << " step " << i) {
                if (what(random) == 0) {
                    const microseconds d(step(random) * 2);
                    const auto paused = run_sync(ioc, g.pause_at(d, now));
                    BOOST_REQUIRE(paused);
                    s.pause_until(at + d, at);
                    BOOST_TEST(paused->granted == 0);
                    BOOST_TEST(paused->wait.count() == model_wait(s, at).count());
                    BOOST_TEST(paused->server_time.count() == now.count());
                    ++pauses;
                    continue;
                }
                const std::int64_t n = want(random);
                const auto got = run_sync(ioc, g.take_at(n, now));
                BOOST_REQUIRE(got);
                const auto expected = model_take(s, n, at);
                BOOST_TEST(got->granted == expected.granted);
                BOOST_TEST(got->wait.count() == expected.wait.count());
                BOOST_TEST(got->server_time.count() == now.count());
                if (got->granted == 0) {
                    ++none;
                } else if (got->granted < n) {
                    ++some;
                } else {
                    ++all;
                }
            }
        }
    }
    // The steps reached every branch of the script, many times.
    BOOST_TEST_MESSAGE("none " << none << " some " << some << " all " << all << " pauses "
                               << pauses);
    BOOST_TEST(none >= 50);
    BOOST_TEST(some >= 50);
    BOOST_TEST(all >= 50);
    BOOST_TEST(pauses >= 10);
}

// With a lookahead the script grants tokens of the near future (reservations): the same answers
// as its C++ twin, gcra_take/gcra_pause, which the fallback budget runs in process.
BOOST_AUTO_TEST_CASE(lookahead_grants_match_the_cpp_arithmetic) {
    struct config {
        double per_second;
        double burst;
    };
    const std::vector<config> configs{{10, 1}, {200, 20}, {5000, 50}, {3, 2}};
    std::mt19937_64 random(20261206); // fixed: the same steps on every run
    const microseconds t0(1'700'000'000'000'000);
    int key = 0;
    int future = 0;
    for (const auto& c : configs) {
        const rate_limit limit{c.per_second, c.burst};
        redis_gcra g(connection, "budget:lookahead:" + std::to_string(key++), limit);
        minapp::fleet::gcra_state s;
        const auto t = g.interval().count();
        const auto tau = g.tolerance().count();
        std::uniform_int_distribution<std::int64_t> step(0, 4 * t);
        std::uniform_int_distribution<std::int64_t> ahead(0, 20 * t);
        std::uniform_int_distribution<std::int64_t> want(1, 40);
        std::uniform_int_distribution<int> what(0, 19);
        microseconds now = t0;
        for (int i = 0; i < 150; ++i) {
            now += microseconds(what(random) < 5 ? 0 : step(random));
            BOOST_TEST_CONTEXT("rate " << c.per_second << " burst " << c.burst << " step " << i) {
                if (what(random) == 0) {
                    const microseconds d(step(random) * 3);
                    const auto paused = run_sync(ioc, g.pause_at(d, now));
                    BOOST_REQUIRE(paused);
                    BOOST_TEST(paused->wait.count() ==
                               minapp::fleet::gcra_pause(s, tau, d.count(), now.count()));
                    continue;
                }
                const std::int64_t n = want(random);
                const microseconds look(ahead(random));
                const auto got = run_sync(ioc, g.take_at(n, now, look));
                BOOST_REQUIRE(got);
                const auto expected =
                    minapp::fleet::gcra_take(s, t, tau, n, look.count(), now.count());
                BOOST_TEST(got->granted == expected.granted);
                BOOST_TEST(got->wait.count() == expected.wait);
                BOOST_TEST(got->first.count() == expected.first);
                BOOST_TEST(got->cooldown.count() == expected.cooldown);
                future += got->first.count() > 0 ? 1 : 0;
            }
        }
    }
    BOOST_TEST_MESSAGE("grants starting in the future: " << future);
    BOOST_TEST(future >= 50);
}

BOOST_AUTO_TEST_CASE(batch_takes_the_burst_then_waits) {
    // T = 10 s: the next token cannot come during the test.
    redis_gcra g(connection, "budget:batch", rate_limit{0.1, 20});
    BOOST_TEST((g.interval() == 10s));
    BOOST_TEST((g.tolerance() == 190s));
    const auto first = take(g, 50);
    BOOST_TEST(first.granted == 20);
    BOOST_TEST((first.wait == g.interval()));
    const auto second = take(g, 1);
    BOOST_TEST(second.granted == 0);
    // TAT = t1 + 20 T; the next token conforms at TAT - tau = t1 + T.
    BOOST_TEST((second.wait == first.server_time + g.interval() - second.server_time));
    BOOST_TEST((second.server_time >= first.server_time));
    // Redis's clock, not a test's: close to the host's Unix time.
    const auto host = std::chrono::duration_cast<microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    BOOST_TEST((std::chrono::abs(host - second.server_time) < 60s));
}

BOOST_AUTO_TEST_CASE(cooldown_holds_everyone_then_restarts_without_burst) {
    redis_gcra g(connection, "budget:cooldown", rate_limit{10, 5});
    const auto paused = run_sync(ioc, g.pause(2s));
    BOOST_REQUIRE(paused);
    BOOST_TEST(paused->granted == 0);
    BOOST_TEST((paused->wait == microseconds(2s)));
    const microseconds until = paused->server_time + 2s;

    const auto held = take(g, 5);
    BOOST_TEST(held.granted == 0);
    BOOST_TEST((held.wait == until - held.server_time));

    // A shorter pause does not shorten the cooldown.
    const auto shorter = run_sync(ioc, g.pause(1s));
    BOOST_REQUIRE(shorter);
    BOOST_TEST((shorter->wait == until - shorter->server_time));

    // Driven past the end: one token at once, the next T later (no burst after a cooldown).
    const auto just_before = run_sync(ioc, g.take_at(5, until - 1us));
    BOOST_REQUIRE(just_before);
    BOOST_TEST(just_before->granted == 0);
    BOOST_TEST((just_before->wait == 1us));
    const auto at_end = run_sync(ioc, g.take_at(5, until));
    BOOST_REQUIRE(at_end);
    BOOST_TEST(at_end->granted == 1);
    const auto next = run_sync(ioc, g.take_at(5, until));
    BOOST_REQUIRE(next);
    BOOST_TEST(next->granted == 0);
    BOOST_TEST((next->wait == g.interval()));
}

BOOST_AUTO_TEST_CASE(idle_budget_expires) {
    // T = 100 ms, tau = 400 ms: the margin is two burst windows (1000 ms), and the state of one
    // token taken on a fresh key is worth keeping for T.
    redis_gcra g(connection, "budget:expiry", rate_limit{10, 5});
    take(g, 1);
    const auto ttl = command({"PTTL", "budget:expiry"}).as_integer();
    BOOST_TEST(ttl > 900);
    BOOST_TEST(ttl <= 1100);
    const auto fields = command({"HGETALL", "budget:expiry"});
    BOOST_TEST(fields.elements().size() == 4u);

    // A tiny budget (T = 1 ms, margin 2 ms) disappears within milliseconds: polled (each EXISTS
    // of an expired key deletes it) with a bounded deadline.
    redis_gcra tiny(connection, "budget:tiny", rate_limit{1000, 1});
    take(tiny, 1);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (command({"EXISTS", "budget:tiny"}).as_integer() == 1 &&
           std::chrono::steady_clock::now() < deadline) {
        // Each round trip lets Redis's clock move on.
    }
    BOOST_TEST(command({"EXISTS", "budget:tiny"}).as_integer() == 0);
}

BOOST_AUTO_TEST_CASE(script_reloaded_after_flush) {
    redis_gcra g(connection, "budget:flush", rate_limit{0.1, 3});
    BOOST_TEST(take(g, 1).granted == 1);
    const std::string sha = g.script_sha();
    BOOST_TEST(sha.size() == 40u);
    BOOST_TEST(command({"SCRIPT", "FLUSH"}).as_text() == "OK");
    BOOST_TEST(command({"SCRIPT", "EXISTS", sha}).elements()[0].as_integer() == 0);
    // NOSCRIPT, then EVAL: the same state, and the script is cached again.
    BOOST_TEST(take(g, 5).granted == 2);
    BOOST_TEST(command({"SCRIPT", "EXISTS", sha}).elements()[0].as_integer() == 1);
    BOOST_TEST(take(g, 1).granted == 0);
}

BOOST_AUTO_TEST_CASE(error_reply_is_reported_with_its_text) {
    command({"SET", "budget:wrong", "a string"});
    redis_gcra g(connection, "budget:wrong", rate_limit{10, 1});
    const auto r = run_sync(ioc, g.take(1));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == error_code(redis_errc::error_reply));
    BOOST_TEST(g.last_error().find("WRONGTYPE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(arguments_are_checked) {
    BOOST_CHECK_THROW(redis_gcra(connection, "k", rate_limit{0, 1}), std::invalid_argument);
    BOOST_CHECK_THROW(redis_gcra(connection, "k", rate_limit{10, 0.5}), std::invalid_argument);
    BOOST_CHECK_THROW(redis_gcra(connection, "k", rate_limit{1e-12, 1}), std::invalid_argument);
    redis_gcra g(connection, "k", rate_limit{3, 2});
    // 1e6 / 3 rounded up: never faster than configured.
    BOOST_TEST((g.interval() == 333'334us));
    BOOST_TEST((g.tolerance() == 333'334us));
    BOOST_CHECK_THROW(static_cast<void>(g.take(0)), std::invalid_argument);
    BOOST_CHECK_THROW(static_cast<void>(g.pause(-1us)), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
