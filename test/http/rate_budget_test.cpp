// minapp::rate_limiter on a rate_budget (the fleet limiter's local half) with a scripted budget:
// callers wait in FIFO order for supplied tokens, cancellation leaves a token to the next caller,
// refusal ends the callers waiting, a throttle drops the tokens held and reaches the budget.
#include <minapp/error.hpp>
#include <minapp/rate_budget.hpp>
#include <minapp/rate_limiter.hpp>

#include "support/async_test.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
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

// Supplies nothing by itself: the test feeds the sink and reads what the limiter reported.
class scripted_budget final : public minapp::rate_budget {
public:
    void attach(minapp::token_sink s) override { sink = std::move(s); }
    void on_demand() noexcept override { ++demands; }
    void on_throttled(clock_type::duration d) override { throttles.push_back(d); }
    void detach() noexcept override { detached = true; }

    minapp::token_sink sink;
    std::atomic<int> demands{0};
    std::vector<clock_type::duration> throttles;
    bool detached = false;
};

struct outcome {
    boost::system::error_code ec;
    int order = 0;
};

void spawn_acquire(asio::any_io_executor ex, rate_limiter& limiter, outcome& out, int& finished,
                   async_event& done, asio::cancellation_slot slot = {}) {
    asio::co_spawn(
        ex,
        [](rate_limiter& l, outcome& o, int& f) -> asio::awaitable<void> {
            o.ec = co_await l.acquire();
            o.order = ++f;
        }(limiter, out, finished),
        asio::bind_cancellation_slot(slot, [&done](std::exception_ptr e) {
            BOOST_CHECK(!e);
            done.set();
        }));
}

asio::awaitable<void> until_waiting(const rate_limiter& limiter, std::uint64_t n) {
    const auto ex = co_await asio::this_coro::executor;
    while (limiter.stats().waiting != n) {
        co_await asio::post(ex, asio::use_awaitable);
    }
}

std::vector<clock_type::time_point> now_times(std::size_t n) {
    return std::vector<clock_type::time_point>(n, clock_type::now());
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter_on_a_budget)

BOOST_AUTO_TEST_CASE(callers_wait_for_supplied_tokens_in_fifo_order) {
    asio::io_context ioc;
    auto budget = std::make_shared<scripted_budget>();
    rate_limiter limiter(rate_limit{100}, budget);
    BOOST_TEST(budget->sink.attached());
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            std::vector<outcome> out(4);
            std::vector<async_event> done;
            done.reserve(out.size()); // spawned callers hold references into it
            int finished = 0;
            for (auto& o : out) {
                done.emplace_back(ex);
                spawn_acquire(ex, limiter, o, finished, done.back());
            }
            co_await until_waiting(limiter, 4);
            BOOST_TEST(budget->demands.load() >= 4);
            BOOST_TEST(budget->sink.shortfall() == 4u);

            // Two tokens: the first two callers go, in order; the others still wait.
            BOOST_TEST(budget->sink.supply(now_times(2), 1s));
            co_await done[0].wait();
            co_await done[1].wait();
            BOOST_TEST(out[0].order == 1);
            BOOST_TEST(out[1].order == 2);
            BOOST_TEST(!done[2].is_set());
            BOOST_TEST(budget->sink.shortfall() == 2u);

            // A token 30 ms ahead: the third caller sleeps until then, not before.
            const auto start = clock_type::now();
            const std::vector<clock_type::time_point> later{start + 30ms, start + 30ms};
            BOOST_TEST(budget->sink.supply(later, 1s));
            co_await done[2].wait();
            co_await done[3].wait();
            BOOST_TEST((clock_type::now() - start >= 30ms));
            for (const auto& o : out) {
                BOOST_TEST(!o.ec);
            }
            BOOST_TEST(out[3].order == 4);
        }(),
        10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.granted == 4u);
    BOOST_TEST(s.waiting == 0u);
    BOOST_TEST(limiter.effective_rate() == 100.0);
}

BOOST_AUTO_TEST_CASE(a_caller_holding_a_token_goes_at_once) {
    asio::io_context ioc;
    auto budget = std::make_shared<scripted_budget>();
    rate_limiter limiter(rate_limit{100}, budget);
    BOOST_TEST(budget->sink.supply(now_times(3), 1s));
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                BOOST_TEST(!(co_await limiter.acquire()));
            }
        }(),
        10s);
    BOOST_TEST(budget->demands.load() == 0);
    BOOST_TEST(limiter.stats().waited == 0u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_caller_leaves_the_token_to_the_next) {
    asio::io_context ioc;
    auto budget = std::make_shared<scripted_budget>();
    rate_limiter limiter(rate_limit{100}, budget);
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            outcome a, b;
            async_event a_done(ex), b_done(ex);
            int finished = 0;
            asio::cancellation_signal cancel_a;
            spawn_acquire(ex, limiter, a, finished, a_done, cancel_a.slot());
            spawn_acquire(ex, limiter, b, finished, b_done);
            co_await until_waiting(limiter, 2);
            const auto start = clock_type::now();
            const std::vector<clock_type::time_point> soon{start + 20ms};
            BOOST_TEST(budget->sink.supply(soon, 1s));
            cancel_a.emit(asio::cancellation_type::terminal);
            co_await a_done.wait();
            BOOST_TEST((a.ec == error::cancelled));
            co_await b_done.wait();
            BOOST_TEST(!b.ec);
            BOOST_TEST((clock_type::now() - start >= 20ms));
        }(),
        10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.cancelled == 1u);
    BOOST_TEST(s.granted == 1u);
}

BOOST_AUTO_TEST_CASE(a_refusal_fails_the_callers_waiting_then_later_ones_wait_again) {
    asio::io_context ioc;
    auto budget = std::make_shared<scripted_budget>();
    rate_limiter limiter(rate_limit{100}, budget);
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            outcome a, b, c;
            async_event a_done(ex), b_done(ex), c_done(ex);
            int finished = 0;
            spawn_acquire(ex, limiter, a, finished, a_done);
            spawn_acquire(ex, limiter, b, finished, b_done);
            co_await until_waiting(limiter, 2);
            BOOST_TEST(budget->sink.refuse(error::rate_budget_unavailable));
            co_await a_done.wait();
            co_await b_done.wait();
            BOOST_TEST((a.ec == error::rate_budget_unavailable));
            BOOST_TEST((b.ec == error::rate_budget_unavailable));

            spawn_acquire(ex, limiter, c, finished, c_done);
            co_await until_waiting(limiter, 1);
            BOOST_TEST(budget->sink.supply(now_times(1), 1s));
            co_await c_done.wait();
            BOOST_TEST(!c.ec);
        }(),
        10s);
    const auto s = limiter.stats();
    BOOST_TEST(s.refused == 2u);
    BOOST_TEST(s.granted == 1u);
}

BOOST_AUTO_TEST_CASE(a_throttle_drops_the_tokens_held_and_reaches_the_budget) {
    asio::io_context ioc;
    auto budget = std::make_shared<scripted_budget>();
    rate_limiter limiter(rate_limit{100}, budget);
    BOOST_TEST(budget->sink.supply(now_times(5), 1s));
    limiter.on_throttled(2s);
    BOOST_REQUIRE(budget->throttles.size() == 1u);
    BOOST_TEST((budget->throttles[0] == 2s));
    limiter.pause_until(clock_type::now() + 1s);
    BOOST_TEST(budget->throttles.size() == 2u);
    run_bounded(
        ioc,
        [&]() -> asio::awaitable<void> {
            const auto ex = co_await asio::this_coro::executor;
            outcome a;
            async_event a_done(ex);
            int finished = 0;
            spawn_acquire(ex, limiter, a, finished, a_done);
            co_await until_waiting(limiter, 1); // the 5 tokens are gone
            BOOST_TEST(budget->sink.shortfall() == 1u);
            BOOST_TEST(budget->sink.supply(now_times(1), 1s));
            co_await a_done.wait();
            BOOST_TEST(!a.ec);
        }(),
        10s);
    BOOST_TEST(limiter.stats().throttled == 1u); // pause_until is not a throttling answer
}

BOOST_AUTO_TEST_CASE(the_budget_is_detached_when_the_limiter_and_its_callers_are_gone) {
    auto budget = std::make_shared<scripted_budget>();
    {
        rate_limiter limiter(rate_limit{100}, budget);
        BOOST_TEST(!budget->detached);
    }
    BOOST_TEST(budget->detached);
    BOOST_TEST(!budget->sink.attached());
    BOOST_TEST(!budget->sink.supply(now_times(1), 1s));
    BOOST_TEST(budget->sink.shortfall() == 0u);
    BOOST_CHECK_THROW(rate_limiter(rate_limit{100}, nullptr), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
