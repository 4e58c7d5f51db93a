// minapp::rate_limiter in real time: pacing, FIFO order, cancellation and throttling of callers
// asleep on their timers. Each test is bounded and checks that no work is left behind.
#include <minapp/error.hpp>
#include <minapp/rate_limiter.hpp>

#include "support/async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using minapp::error;
using minapp::rate_limit;
using minapp::rate_limiter;
using minapp::test::async_event;
using minapp::test::run_bounded;

namespace {

struct outcome {
    boost::system::error_code ec;
    clock_type::time_point at;
};

asio::awaitable<void> acquire_into(rate_limiter& limiter, outcome& out) {
    out.ec = co_await limiter.acquire();
    out.at = clock_type::now();
}

// Lets other coroutines run until `n` callers are asleep in the limiter (no sleeping).
asio::awaitable<void> until_waiting(const rate_limiter& limiter, std::uint64_t n) {
    const auto ex = co_await asio::this_coro::executor;
    while (limiter.stats().waiting != n) {
        co_await asio::post(ex, asio::use_awaitable);
    }
}

// Spawns acquire_into(limiter, out) with a cancellation slot; `done` is set when it ends.
void spawn_acquire(asio::any_io_executor ex, rate_limiter& limiter, outcome& out, async_event& done,
                   asio::cancellation_slot slot = {}) {
    asio::co_spawn(ex, acquire_into(limiter, out),
                   asio::bind_cancellation_slot(slot, [&done](std::exception_ptr e) {
                       BOOST_CHECK(!e);
                       done.set();
                   }));
}

double ms(clock_type::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter_async)

asio::awaitable<void> fifty_callers(rate_limiter& limiter) {
    const auto ex = co_await asio::this_coro::executor;
    std::vector<outcome> outcomes(50);
    std::vector<async_event> done;
    done.reserve(outcomes.size());
    const auto start = clock_type::now();
    for (auto& o : outcomes) {
        done.emplace_back(ex);
        spawn_acquire(ex, limiter, o, done.back());
    }
    for (auto& d : done) {
        co_await d.wait();
    }
    // FIFO: callers go in the order they called, each one interval after the previous.
    for (std::size_t i = 1; i < outcomes.size(); ++i) {
        BOOST_TEST(!outcomes[i].ec);
        BOOST_TEST((outcomes[i].at >= outcomes[i - 1].at));
        BOOST_TEST(ms(outcomes[i].at - start) >= 5.0 * static_cast<double>(i));
    }
    const double elapsed = ms(outcomes.back().at - start);
    BOOST_TEST_MESSAGE("50 acquisitions at 200/s took " << elapsed << " ms");
    BOOST_TEST(elapsed >= 245.0);
    BOOST_TEST(elapsed < 1500.0);
}

BOOST_AUTO_TEST_CASE(fifty_acquisitions_at_200_per_second_are_paced_and_fifo) {
    asio::io_context ioc;
    rate_limiter limiter(rate_limit{200});
    run_bounded(ioc, fifty_callers(limiter), 10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.granted == 50u);
    // Callers that arrive after their instant (a slow machine) need not sleep.
    BOOST_TEST(s.waited <= 49u);
    BOOST_TEST(s.waiting == 0u);
    BOOST_TEST(s.cancelled == 0u);
    // Each of the 49 waited at most the whole run.
    BOOST_TEST(ms(s.total_wait) > 0.0);
    BOOST_TEST(ms(s.total_wait) <= 49 * 1500.0);
}

asio::awaitable<void> cancel_a_middle_waiter(rate_limiter& limiter) {
    const auto ex = co_await asio::this_coro::executor;
    const auto start = clock_type::now();
    {
        const auto ec = co_await limiter.acquire();
        BOOST_TEST(!ec);
    }
    outcome b, c;
    async_event b_done(ex), c_done(ex);
    asio::cancellation_signal cancel_b;
    spawn_acquire(ex, limiter, b, b_done, cancel_b.slot()); // due at +100 ms
    spawn_acquire(ex, limiter, c, c_done);                  // due at +200 ms
    co_await until_waiting(limiter, 2);

    const auto emitted = clock_type::now();
    cancel_b.emit(asio::cancellation_type::terminal);
    co_await b_done.wait();
    BOOST_TEST((b.ec == error::cancelled));
    BOOST_TEST(ms(b.at - emitted) < 50.0); // promptly, not at its instant

    // c moves up into b's instant.
    co_await c_done.wait();
    BOOST_TEST(!c.ec);
    BOOST_TEST(ms(c.at - start) >= 100.0);
    BOOST_TEST(ms(c.at - start) < 180.0);

    // The freed last instant (+200 ms) went back to the schedule: the next caller takes it.
    {
        const auto ec = co_await limiter.acquire();
        BOOST_TEST(!ec);
    }
    const double d = ms(clock_type::now() - start);
    BOOST_TEST(d >= 200.0);
    BOOST_TEST(d < 280.0);
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_returns_promptly_and_gives_its_place_back) {
    asio::io_context ioc;
    rate_limiter limiter(rate_limit{10});
    run_bounded(ioc, cancel_a_middle_waiter(limiter), 10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.granted == 3u);
    BOOST_TEST(s.cancelled == 1u);
    BOOST_TEST(s.waiting == 0u);
}

asio::awaitable<void> cancel_the_last_waiter(rate_limiter& limiter) {
    const auto ex = co_await asio::this_coro::executor;
    const auto start = clock_type::now();
    {
        const auto ec = co_await limiter.acquire();
        BOOST_TEST(!ec);
    }
    outcome b;
    async_event b_done(ex);
    asio::cancellation_signal cancel_b;
    spawn_acquire(ex, limiter, b, b_done, cancel_b.slot());
    co_await until_waiting(limiter, 1);
    cancel_b.emit(asio::cancellation_type::terminal);
    co_await b_done.wait();
    BOOST_TEST((b.ec == error::cancelled));
    // Rolled back: the next caller takes b's instant (+100 ms), not the one after (+200 ms).
    {
        const auto ec = co_await limiter.acquire();
        BOOST_TEST(!ec);
    }
    const double c = ms(clock_type::now() - start);
    BOOST_TEST(c >= 100.0);
    BOOST_TEST(c < 180.0);
}

BOOST_AUTO_TEST_CASE(cancelling_the_last_waiter_rolls_the_schedule_back) {
    asio::io_context ioc;
    rate_limiter limiter(rate_limit{10});
    run_bounded(ioc, cancel_the_last_waiter(limiter), 10s);
    BOOST_TEST(limiter.stats().waiting == 0u);
}

asio::awaitable<void> throttle_sleeping_callers(rate_limiter& limiter) {
    const auto ex = co_await asio::this_coro::executor;
    const auto start = clock_type::now();
    {
        const auto ec = co_await limiter.acquire();
        BOOST_TEST(!ec);
    }
    outcome b, c;
    async_event b_done(ex), c_done(ex);
    spawn_acquire(ex, limiter, b, b_done); // due at +10 ms
    spawn_acquire(ex, limiter, c, c_done); // due at +20 ms
    co_await until_waiting(limiter, 2);
    const auto throttled = clock_type::now();
    limiter.on_throttled(300ms);
    BOOST_TEST(limiter.effective_rate() == 50.0);
    co_await b_done.wait();
    co_await c_done.wait();
    BOOST_TEST(!b.ec);
    BOOST_TEST(!c.ec);
    // Both pushed past the pause, then spaced at the reduced rate (20 ms).
    BOOST_TEST(ms(b.at - throttled) >= 300.0);
    BOOST_TEST(ms(c.at - throttled) >= 320.0);
    BOOST_TEST(ms(c.at - start) < 600.0);
}

BOOST_AUTO_TEST_CASE(a_throttle_pushes_back_callers_already_asleep) {
    asio::io_context ioc;
    rate_limiter limiter(rate_limit{100});
    run_bounded(ioc, throttle_sleeping_callers(limiter), 10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.throttled == 1u);
    BOOST_TEST(s.throttle_episodes == 1u);
    BOOST_TEST(s.granted == 3u);
    for (int i = 0; i < 1000; ++i) {
        limiter.on_success();
    }
    BOOST_TEST(limiter.effective_rate() == 100.0);
}

// g++ 12 miscompiles `if (!(co_await limiter.acquire()))` here (the call sees `this` pointing
// at `granted`): the result is named first.
asio::awaitable<void> count_grant(rate_limiter& limiter, std::atomic<int>& granted) {
    const auto ec = co_await limiter.acquire();
    if (!ec) {
        ++granted;
    }
}

// Callers on two threads and a third thread reporting successes and throttles: the mutex keeps
// the schedule consistent (run under the sanitizers in CI).
BOOST_AUTO_TEST_CASE(callers_on_several_threads_share_one_budget) {
    asio::io_context ioc(2);
    rate_limiter limiter(rate_limit{1000, 5});
    std::atomic<int> granted{0};
    for (int i = 0; i < 200; ++i) {
        asio::co_spawn(ioc, count_grant(limiter, granted), asio::detached);
    }
    const auto start = clock_type::now();
    std::thread reporter([&limiter] {
        for (int i = 0; i < 2000; ++i) {
            limiter.on_success();
            if (i == 1000) {
                limiter.on_throttled(10ms);
            }
            static_cast<void>(limiter.effective_rate());
        }
    });
    std::thread second([&ioc] { ioc.run(); });
    ioc.run();
    second.join();
    reporter.join();
    BOOST_TEST(granted.load() == 200);
    // 200 requests with a burst of 5 at no more than 1000/s.
    BOOST_TEST(ms(clock_type::now() - start) >= 190.0);
    const auto s = limiter.stats();
    BOOST_TEST(s.granted == 200u);
    BOOST_TEST(s.waiting == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
