// The arithmetic of a limiter fed by a rate_budget (detail::token_queue) on explicit instants:
// FIFO matching of callers to supplied tokens, cancellation, leases, refusal.
#include "detail/token_queue.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using queue = minapp::detail::token_queue<clock_type>;
using verdict = queue::verdict;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1000s;

std::vector<queue::ticket> supply(queue& q, std::initializer_list<clock_type::duration> offsets,
                                  clock_type::duration lease, clock_type::time_point now) {
    std::vector<clock_type::time_point> at;
    for (const auto d : offsets) {
        at.push_back(t0 + d);
    }
    return q.supply(at, lease, now);
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_queue_rules)

BOOST_AUTO_TEST_CASE(callers_wait_for_tokens_and_take_them_in_arrival_order) {
    queue q;
    const auto a = q.reserve(t0);
    const auto b = q.reserve(t0);
    BOOST_TEST(a.pending);
    BOOST_TEST(b.pending);
    BOOST_TEST(q.shortfall(t0) == 2u);
    BOOST_TEST((q.arm(a.id) == clock_type::time_point::max()));

    // One token now, one 10 ms later: a was told "never", so it must be woken; so must b.
    const auto wake = supply(q, {0ms, 10ms}, 1s, t0);
    BOOST_TEST(wake.size() == 2u);
    BOOST_TEST((q.arm(a.id) == t0));
    BOOST_TEST((q.arm(b.id) == t0 + 10ms));
    BOOST_TEST(q.shortfall(t0) == 0u);

    BOOST_TEST((q.take(b.id, t0).v == verdict::wait)); // not its instant yet
    BOOST_TEST((q.take(a.id, t0).v == verdict::go));
    BOOST_TEST((q.take(b.id, t0 + 10ms).v == verdict::go));
    BOOST_TEST(q.pending() == 0u);
    BOOST_TEST(q.tokens() == 0u);
}

BOOST_AUTO_TEST_CASE(a_caller_goes_at_once_only_when_nobody_waits_and_a_token_is_due) {
    queue q;
    supply(q, {0ms, 5ms}, 1s, t0);
    BOOST_TEST(!q.reserve(t0).pending); // the due token
    const auto late = q.reserve(t0);    // the next token is 5 ms away
    BOOST_TEST(late.pending);
    BOOST_TEST(q.reserve(t0 + 6ms).pending); // a caller is queued: no overtaking
    BOOST_TEST((q.take(late.id, t0 + 6ms).v == verdict::go));
}

BOOST_AUTO_TEST_CASE(a_cancelled_caller_leaves_its_token_to_the_next) {
    queue q;
    const auto a = q.reserve(t0);
    const auto b = q.reserve(t0);
    const auto c = q.reserve(t0);
    supply(q, {0ms, 10ms, 20ms}, 1s, t0);
    BOOST_TEST((q.arm(b.id) == t0 + 10ms));
    BOOST_TEST((q.arm(c.id) == t0 + 20ms));
    // a gives up: b moves up to the token at 0 ms and must be woken; c is woken in turn.
    const auto w = q.cancel(a.id);
    BOOST_REQUIRE(w.has_value());
    BOOST_TEST(*w == b.id);
    BOOST_TEST((q.arm(b.id) == t0));
    const auto took = q.take(b.id, t0);
    BOOST_TEST((took.v == verdict::go));
    BOOST_REQUIRE(took.wake.has_value());
    BOOST_TEST(*took.wake == c.id);
    BOOST_TEST((q.arm(c.id) == t0 + 10ms));
    BOOST_TEST(q.tokens() == 2u); // c's and the one a left behind
    BOOST_TEST(q.shortfall(t0) == 0u);
}

BOOST_AUTO_TEST_CASE(tokens_past_their_lease_are_dropped_not_spent_late) {
    queue q;
    supply(q, {0ms, 1ms}, 100ms, t0);
    BOOST_TEST(q.tokens() == 2u);
    // 100 ms later the first token's lease has run out, the second has 1 ms left.
    BOOST_TEST(!q.reserve(t0 + 100ms).pending);
    BOOST_TEST(q.tokens() == 0u);
    const auto r = q.reserve(t0 + 100ms);
    BOOST_TEST(r.pending);
    BOOST_TEST(q.shortfall(t0 + 100ms) == 1u);

    // A token supplied and then left unspent by a caller that sleeps past it is dropped.
    supply(q, {200ms}, 50ms, t0 + 150ms);
    BOOST_TEST((q.arm(r.id) == t0 + 200ms));
    BOOST_TEST((q.take(r.id, t0 + 250ms).v == verdict::wait));
    BOOST_TEST((q.arm(r.id) == clock_type::time_point::max()));
}

BOOST_AUTO_TEST_CASE(tokens_are_kept_in_instant_order_whatever_the_supply_order) {
    queue q;
    const auto a = q.reserve(t0);
    const auto b = q.reserve(t0);
    supply(q, {50ms}, 1s, t0);
    BOOST_TEST((q.arm(a.id) == t0 + 50ms));
    // An earlier token arrives later (e.g. the fallback's): a takes it, b the one at 50 ms.
    const auto wake = supply(q, {0ms}, 1s, t0);
    BOOST_TEST(wake.size() == 2u);
    BOOST_TEST((q.arm(a.id) == t0));
    BOOST_TEST((q.arm(b.id) == t0 + 50ms));
}

BOOST_AUTO_TEST_CASE(refusal_ends_the_callers_waiting_now_only) {
    queue q;
    const auto a = q.reserve(t0);
    const auto b = q.reserve(t0);
    const auto wake = q.refuse();
    BOOST_TEST(wake.size() == 2u);
    BOOST_TEST((q.arm(a.id) == clock_type::time_point::min()));
    BOOST_TEST(q.shortfall(t0) == 0u);
    const auto c = q.reserve(t0);
    BOOST_TEST(q.shortfall(t0) == 1u);
    BOOST_TEST((q.take(a.id, t0).v == verdict::refused));
    BOOST_TEST((q.take(b.id, t0).v == verdict::refused));
    supply(q, {0ms}, 1s, t0);
    BOOST_TEST((q.take(c.id, t0).v == verdict::go));
}

BOOST_AUTO_TEST_CASE(a_pause_drops_the_tokens_held) {
    queue q;
    supply(q, {0ms, 1ms, 2ms}, 1s, t0);
    q.drop_tokens();
    BOOST_TEST(q.reserve(t0 + 5ms).pending);
    BOOST_TEST(q.shortfall(t0 + 5ms) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
