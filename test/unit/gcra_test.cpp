// The rate limiter's arithmetic (detail::gcra_schedule) on a fake clock: every instant is given
// explicitly, so ten simulated seconds run in microseconds.
#include <minapp/detail/gcra.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using minapp::rate_limit;

namespace {

struct fake_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<fake_clock>;
    [[maybe_unused]] static constexpr bool is_steady = true;
};

using schedule = minapp::detail::gcra_schedule<fake_clock>;
using time_point = fake_clock::time_point;
using duration = fake_clock::duration;

// Far from the clock's epoch, as a steady clock usually is.
const time_point t0 = time_point{} + 123'456s;

double seconds(duration d) {
    return std::chrono::duration<double>(d).count();
}

// Discrete-event simulation of callers that always want to send: each reserves, sleeps until
// its instant, "sends" for `service`, and reserves again. Returns the grant instants in the order
// they were granted, up to `end`.
std::vector<time_point> saturate(schedule& s, int callers, duration service, time_point end) {
    // (instant, sequence, ticket or 0 for "reserve now"): the sequence keeps ties FIFO.
    using event = std::tuple<time_point, std::uint64_t, schedule::ticket>;
    std::priority_queue<event, std::vector<event>, std::greater<>> events;
    std::uint64_t seq = 0;
    for (int i = 0; i < callers; ++i) {
        events.emplace(t0, seq++, 0);
    }
    std::vector<time_point> grants;
    while (!events.empty()) {
        const auto [now, unused, id] = events.top();
        events.pop();
        if (now > end) {
            break;
        }
        if (id == 0) {
            const auto r = s.reserve(now);
            if (!r.pending) {
                grants.push_back(now);
                events.emplace(now + service, seq++, 0);
            } else {
                events.emplace(std::max(r.at, now), seq++, r.id);
            }
        } else {
            BOOST_REQUIRE(*s.arm(id) <= now);
            s.complete(id);
            grants.push_back(now);
            events.emplace(now + service, seq++, 0);
        }
    }
    return grants;
}

struct precision {
    double rate_error;  // |achieved - R| / R, achieved = (grants - burst) / duration
    double max_excess;  // max over grants of (count - R * elapsed): at most `burst`
    bool in_order;      // grants never go back in time
    std::size_t grants; // over the run
};

precision measure(double rate, double burst, int callers, duration service, duration length) {
    schedule s(rate_limit{rate, burst});
    const auto grants = saturate(s, callers, service, t0 + length);
    precision p{0, 0, std::is_sorted(grants.begin(), grants.end()), grants.size()};
    for (std::size_t i = 0; i < grants.size(); ++i) {
        const double excess = static_cast<double>(i + 1) - rate * seconds(grants[i] - t0);
        p.max_excess = std::max(p.max_excess, excess);
    }
    const double achieved = (static_cast<double>(grants.size()) - burst) / seconds(length);
    p.rate_error = std::abs(achieved - rate) / rate;
    return p;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gcra)

BOOST_AUTO_TEST_CASE(rejects_invalid_limits) {
    const rate_limit bad[] = {
        {0},
        {-1},
        {std::numeric_limits<double>::infinity()},
        {std::numeric_limits<double>::quiet_NaN()},
        {10, 0.5},
        {10, std::numeric_limits<double>::infinity()},
        {10, 1, 0},
        {10, 1, 1.5},
        {10, 1, 0.5, 0},
        {10, 1, 0.5, 2},
        {10, 1, 0.5, 0.01, -1},
    };
    for (const auto& limit : bad) {
        BOOST_CHECK_THROW(schedule{limit}, std::invalid_argument);
    }
    BOOST_CHECK_NO_THROW(schedule(rate_limit{0.001, 1, 1, 1, 0}));
}

// The precision requirement: over 10 s at R = 20 and 500 per second, the achieved rate
// is within 2% of R and the count never exceeds `burst` above the ideal schedule, checked at
// every grant with integer nanoseconds (T = 1e9 / R is whole for these rates).
BOOST_AUTO_TEST_CASE(ten_seconds_at_20_and_500_per_second) {
    for (const std::int64_t rate : {20, 500}) {
        for (const std::int64_t burst : {1, 10}) {
            BOOST_TEST_CONTEXT("rate " << rate << " burst " << burst) {
                const auto interval = 1'000'000'000 / rate;
                schedule s(rate_limit{static_cast<double>(rate), static_cast<double>(burst)});
                const auto grants = saturate(s, 16, 3ms, t0 + 10s);
                bool bound_held = true;
                for (std::size_t i = 0; i < grants.size(); ++i) {
                    const auto count = static_cast<std::int64_t>(i) + 1;
                    bound_held =
                        bound_held && (count - burst) * interval <= (grants[i] - t0).count();
                }
                BOOST_TEST(bound_held);
                // Exactly burst + R * 10 (the grant at t0 + 10 s included): no drift at all.
                BOOST_TEST(static_cast<std::int64_t>(grants.size()) == burst + 10 * rate);

                const auto p =
                    measure(static_cast<double>(rate), static_cast<double>(burst), 16, 3ms, 10s);
                BOOST_TEST_MESSAGE("R=" << rate << " burst=" << burst << ": " << p.grants
                                        << " grants in 10 s, rate error " << p.rate_error * 100
                                        << " %, max excess over schedule " << p.max_excess);
                BOOST_TEST(p.rate_error < 0.02);
                BOOST_TEST(p.max_excess <= static_cast<double>(burst) + 1e-9);
                BOOST_TEST(p.in_order);
            }
        }
    }
}

// Rates whose interval is not a whole number of nanoseconds must not drift either. TAT advances
// by repeated floating-point additions, whose rounding may make an instant up to a fraction of a
// nanosecond early after ten seconds: the bound is checked with one nanosecond of slack.
BOOST_AUTO_TEST_CASE(awkward_rates_do_not_drift) {
    for (const double rate : {3.0, 7.3, 333.3, 999.9, 12345.6}) {
        for (const double burst : {1.0, 2.5, 10.0}) {
            BOOST_TEST_CONTEXT("rate " << rate << " burst " << burst) {
                const auto p = measure(rate, burst, 32, 1ms, 10s);
                // Whole grants only: at most one request of rounding over ten seconds.
                BOOST_TEST(p.rate_error <= 1.0 / (rate * 10) + 1e-9);
                BOOST_TEST(p.max_excess <= burst + rate * 1e-9);
                BOOST_TEST(p.in_order);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(callers_go_in_call_order) {
    schedule s(rate_limit{10, 3});
    std::vector<schedule::reservation> r;
    for (int i = 0; i < 6; ++i) {
        r.push_back(s.reserve(t0 + std::chrono::milliseconds(i)));
    }
    // Three at once (the burst), then one per 100 ms, in order.
    BOOST_TEST((r[0].at == t0));
    BOOST_TEST((r[1].at == t0 + 1ms));
    BOOST_TEST((r[2].at == t0 + 2ms));
    BOOST_TEST((r[3].at == t0 + 100ms));
    BOOST_TEST((r[4].at == t0 + 200ms));
    BOOST_TEST((r[5].at == t0 + 300ms));
    BOOST_TEST(s.pending() == 3u);
    for (std::size_t i = 1; i < r.size(); ++i) {
        BOOST_TEST(r[i].id > r[i - 1].id);
    }
}

BOOST_AUTO_TEST_CASE(a_newcomer_never_overtakes_a_due_caller) {
    schedule s(rate_limit{10, 3});
    s.reserve(t0);
    s.reserve(t0);
    s.reserve(t0);
    const auto late = s.reserve(t0); // due at 100 ms, its caller has not run by 500 ms
    BOOST_TEST(late.pending);
    // By 500 ms the newcomer conforms, yet it queues behind the due caller.
    const auto newcomer = s.reserve(t0 + 500ms);
    BOOST_TEST(newcomer.pending);
    BOOST_TEST((newcomer.at == t0 + 500ms));
    s.complete(late.id);
    s.complete(newcomer.id);
    BOOST_TEST(!s.reserve(t0 + 500ms).pending);
}

BOOST_AUTO_TEST_CASE(idle_time_refills_the_burst_only) {
    schedule s(rate_limit{10, 2});
    BOOST_TEST((s.reserve(t0).at == t0));
    BOOST_TEST((s.reserve(t0).at == t0));
    BOOST_TEST((s.reserve(t0).at == t0 + 100ms));
    // Long idle: two at once again, never more.
    const auto later = t0 + 1h;
    BOOST_TEST((s.reserve(later).at == later));
    BOOST_TEST((s.reserve(later).at == later));
    BOOST_TEST((s.reserve(later).at == later + 100ms));
}

BOOST_AUTO_TEST_CASE(cancelling_the_last_reservation_rolls_back) {
    schedule s(rate_limit{10});
    s.reserve(t0);
    const auto b = s.reserve(t0);
    const auto c = s.reserve(t0);
    BOOST_TEST((c.at == t0 + 200ms));
    const auto removed = s.cancel(c.id);
    BOOST_TEST(removed.gave_back);
    BOOST_TEST(!removed.wake);
    // The next caller takes the cancelled instant; then another back to back.
    BOOST_TEST((s.reserve(t0 + 10ms).at == t0 + 200ms));
    BOOST_TEST(s.cancel(b.id).gave_back);
    BOOST_TEST(s.pending() == 1u);
}

BOOST_AUTO_TEST_CASE(chained_rollbacks_restore_the_schedule_exactly) {
    schedule s(rate_limit{3}); // interval 1/3 s: not a whole number of nanoseconds
    s.reserve(t0);
    std::vector<schedule::reservation> r;
    for (int i = 0; i < 5; ++i) {
        r.push_back(s.reserve(t0));
    }
    for (auto it = r.rbegin(); it != r.rend(); ++it) {
        BOOST_TEST(s.cancel(it->id).gave_back);
    }
    // As if none of them had been made.
    BOOST_TEST((s.reserve(t0 + 1ms).at == r[0].at));
}

BOOST_AUTO_TEST_CASE(cancelling_in_the_middle_moves_everyone_behind_up) {
    schedule s(rate_limit{10});
    s.reserve(t0);
    const auto b = s.reserve(t0); // 100 ms
    const auto c = s.reserve(t0); // 200 ms
    const auto d = s.reserve(t0); // 300 ms
    const auto removed = s.cancel(b.id);
    BOOST_TEST(removed.gave_back);
    // c sleeps until 200 ms but is now due at 100 ms: it must be woken. d is woken in turn when
    // c leaves the queue.
    BOOST_TEST((removed.wake == c.id));
    BOOST_TEST((s.arm(c.id) == t0 + 100ms));
    const auto after_c = s.complete(c.id);
    BOOST_TEST((after_c.wake == d.id));
    BOOST_TEST((s.arm(d.id) == t0 + 200ms));
    BOOST_TEST(!s.complete(d.id).wake);
    // The freed 300 ms slot was rolled back for the next caller.
    BOOST_TEST((s.reserve(t0 + 100ms).at == t0 + 300ms));
}

BOOST_AUTO_TEST_CASE(a_slot_is_lost_only_when_a_later_caller_already_went) {
    schedule s(rate_limit{10});
    s.reserve(t0);
    const auto b = s.reserve(t0); // 100 ms, its caller is late
    const auto c = s.reserve(t0); // 200 ms
    BOOST_TEST(!s.complete(c.id).wake);
    const auto removed = s.cancel(b.id);
    BOOST_TEST(!removed.gave_back);
    BOOST_TEST((s.reserve(t0 + 250ms).at == t0 + 300ms));
    BOOST_TEST(!s.cancel(b.id).gave_back); // unknown ticket: no effect
    BOOST_TEST(!s.arm(b.id));
}

BOOST_AUTO_TEST_CASE(a_pause_pushes_everyone_back_and_respaces_them) {
    schedule s(rate_limit{10, 5});
    for (int i = 0; i < 5; ++i) {
        s.reserve(t0); // the burst
    }
    const auto a = s.reserve(t0); // 100 ms
    const auto b = s.reserve(t0); // 200 ms
    const auto c = s.reserve(t0); // 300 ms
    s.pause_until(t0 + 1s, t0 + 50ms);
    BOOST_TEST((s.paused_until() == t0 + 1s));
    BOOST_TEST((s.arm(a.id) == t0 + 1s));
    BOOST_TEST((s.arm(b.id) == t0 + 1100ms));
    BOOST_TEST((s.arm(c.id) == t0 + 1200ms));
    // Newcomers queue behind them, and the burst is not available right after the pause.
    BOOST_TEST((s.reserve(t0 + 60ms).at == t0 + 1300ms));
    BOOST_TEST((s.reserve(t0 + 60ms).at == t0 + 1400ms));
}

BOOST_AUTO_TEST_CASE(a_pause_leaves_due_callers_and_never_moves_anyone_earlier) {
    schedule s(rate_limit{10});
    s.reserve(t0);
    const auto a = s.reserve(t0); // 100 ms: due, its caller has not run yet
    const auto b = s.reserve(t0); // 200 ms
    const auto c = s.reserve(t0); // 300 ms
    s.pause_until(t0 + 150ms, t0 + 120ms);
    BOOST_TEST((s.arm(a.id) == t0 + 100ms));
    BOOST_TEST((s.arm(b.id) == t0 + 250ms));
    BOOST_TEST((s.arm(c.id) == t0 + 350ms));
    // A pause already passed does not move anyone.
    s.pause_until(t0 + 50ms, t0 + 120ms);
    BOOST_TEST((s.arm(c.id) == t0 + 350ms));
    // Cancelling after a pause still rolls the last place back.
    BOOST_TEST(s.cancel(c.id).gave_back);
    BOOST_TEST((s.reserve(t0 + 130ms).at == t0 + 350ms));
}

BOOST_AUTO_TEST_CASE(throttling_halves_the_rate_once_per_episode) {
    schedule s(rate_limit{100});
    BOOST_TEST(s.on_throttled(t0, 1s));
    BOOST_TEST(s.effective_rate() == 50.0);
    BOOST_TEST((s.reserve(t0 + 10ms).at == t0 + 1s));     // the pause
    BOOST_TEST((s.reserve(t0 + 10ms).at == t0 + 1020ms)); // the reduced rate
    // More answers of the same episode arrive during the pause: the pause may grow, the rate
    // stays.
    BOOST_TEST(!s.on_throttled(t0 + 20ms, 2s));
    BOOST_TEST(s.effective_rate() == 50.0);
    BOOST_TEST((s.paused_until() == t0 + 2020ms));
    // A new episode after the pause.
    BOOST_TEST(s.on_throttled(t0 + 3s, 0s));
    BOOST_TEST(s.effective_rate() == 25.0);
    // Down to the floor (1% of 100/s), never below.
    for (int i = 0; i < 20; ++i) {
        s.on_throttled(t0 + 4s + std::chrono::seconds(i), 0s);
    }
    BOOST_TEST(s.effective_rate() == 1.0);
}

BOOST_AUTO_TEST_CASE(admission_time_separates_episodes_exactly) {
    schedule s(rate_limit{100});
    BOOST_TEST(s.on_throttled(t0, 0s, t0 - 20ms));
    // Answers of requests admitted before the reduction are echoes, even after the pause.
    BOOST_TEST(!s.on_throttled(t0 + 500ms, 0s, t0 - 1ms));
    BOOST_TEST(s.effective_rate() == 50.0);
    // A request admitted at the reduced rate that is throttled again starts a new episode, even
    // during a pause.
    s.pause_until(t0 + 10s, t0 + 500ms);
    BOOST_TEST(s.on_throttled(t0 + 600ms, 0s, t0 + 1ms));
    BOOST_TEST(s.effective_rate() == 25.0);
}

BOOST_AUTO_TEST_CASE(successes_recover_additively_up_to_the_configured_rate) {
    schedule s(rate_limit{100});
    s.on_throttled(t0, 0s);
    BOOST_TEST(s.effective_rate() == 50.0);
    // Each success adds 1% of the reduced rate: 100 successes climb back to where it was.
    for (int i = 0; i < 50; ++i) {
        s.on_success();
    }
    BOOST_TEST(s.effective_rate() == 75.0, boost::test_tools::tolerance(1e-9));
    for (int i = 0; i < 500; ++i) {
        s.on_success();
    }
    BOOST_TEST(s.effective_rate() == 100.0);
}

BOOST_AUTO_TEST_CASE(a_throttle_factor_of_one_only_pauses) {
    schedule s(rate_limit{100, 1, 1.0});
    BOOST_TEST(s.on_throttled(t0, 1s));
    BOOST_TEST(s.effective_rate() == 100.0);
    BOOST_TEST((s.reserve(t0).at == t0 + 1s));
}

namespace {

// A server that admits `rate` requests per second with a small burst and answers 429 with the
// exact time until the next request would conform (a GCRA of its own).
struct server_model {
    explicit server_model(double rate)
        : budget(rate_limit{rate, 5}) {}
    std::optional<duration> admit(time_point now) {
        const auto r = budget.reserve(now);
        if (!r.pending) {
            return std::nullopt;
        }
        budget.cancel(r.id);
        return r.at - now;
    }
    schedule budget;
};

struct convergence {
    double goodput;            // successes per second over the second half of the run
    double throttled_share;    // 429s / requests over the second half
    double min_rate, max_rate; // effective rate over the second half
};

// 16 callers that always have work, against a server that allows `server_rate`, with a round
// trip of 20 ms. Throttled requests are retried through the limiter.
convergence converge(double configured, double server_rate, bool with_admission_time) {
    schedule s(rate_limit{configured});
    server_model server(server_rate);
    enum kind { reserve, wake, answer };
    using event = std::tuple<time_point, std::uint64_t, kind, schedule::ticket, time_point>;
    std::priority_queue<event, std::vector<event>, std::greater<>> events;
    std::uint64_t seq = 0;
    for (int i = 0; i < 16; ++i) {
        events.emplace(t0, seq++, reserve, 0, t0);
    }
    const auto half = t0 + 60s;
    const auto end = t0 + 120s;
    std::uint64_t ok = 0, throttled = 0;
    convergence c{0, 0, configured, 0};
    while (!events.empty()) {
        const auto [now, unused, what, id, admitted] = events.top();
        events.pop();
        if (now > end) {
            break;
        }
        if (what == reserve) {
            const auto r = s.reserve(now);
            if (!r.pending) {
                events.emplace(now + 20ms, seq++, answer, 0, now);
            } else {
                events.emplace(std::max(r.at, now), seq++, wake, r.id, now);
            }
        } else if (what == wake) {
            // A throttle may have pushed this caller back since it went to sleep.
            if (const auto at = s.arm(id); at && *at > now) {
                events.emplace(*at, seq++, wake, id, admitted);
                continue;
            }
            s.complete(id);
            events.emplace(now + 20ms, seq++, answer, 0, now);
        } else {
            const auto refused = server.admit(admitted + 10ms);
            if (refused) {
                if (with_admission_time) {
                    s.on_throttled(now, *refused, admitted);
                } else {
                    s.on_throttled(now, *refused);
                }
            } else {
                s.on_success();
            }
            if (now >= half) {
                (refused ? throttled : ok) += 1;
                c.min_rate = std::min(c.min_rate, s.effective_rate());
                c.max_rate = std::max(c.max_rate, s.effective_rate());
            }
            events.emplace(now, seq++, reserve, 0, now);
        }
    }
    c.goodput = static_cast<double>(ok) / seconds(end - half);
    c.throttled_share = static_cast<double>(throttled) / static_cast<double>(ok + throttled);
    return c;
}

} // namespace

// A limit configured 4x and 20x too high converges to what the server allows: most of the
// server's capacity is used, few requests are refused, and the rate stays near the server's.
BOOST_AUTO_TEST_CASE(aimd_converges_to_the_server_limit) {
    for (const bool exact : {true, false}) {
        for (const auto& [configured, server] : {std::pair{200.0, 50.0}, std::pair{500.0, 25.0}}) {
            BOOST_TEST_CONTEXT("configured " << configured << " server " << server << " exact "
                                             << exact) {
                const auto c = converge(configured, server, exact);
                BOOST_TEST_MESSAGE("configured " << configured << "/s, server " << server
                                                 << "/s, admission times " << exact << ": goodput "
                                                 << c.goodput << "/s, 429 share "
                                                 << c.throttled_share * 100 << " %, rate "
                                                 << c.min_rate << ".." << c.max_rate);
                BOOST_TEST(c.goodput >= 0.6 * server);
                BOOST_TEST(c.goodput <= server * 1.01);
                BOOST_TEST(c.throttled_share < 0.05);
                BOOST_TEST(c.max_rate < 1.5 * server);
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
