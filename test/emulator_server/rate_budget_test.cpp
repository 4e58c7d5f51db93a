// The requests-per-minute budget on a fake time line.
#include <minapp/emulator/rate_budget.hpp>

#include <boost/test/unit_test.hpp>

using namespace minapp::emulator;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(emulator_rate_budget)

BOOST_AUTO_TEST_CASE(unlimited_by_default) {
    rate_budget budget;
    const auto t0 = rate_budget::clock::time_point{};
    for (int i = 0; i < 1000; ++i) {
        BOOST_TEST(!budget.try_acquire(t0).has_value());
    }
}

BOOST_AUTO_TEST_CASE(refuses_beyond_the_limit_until_the_window_ends) {
    rate_budget budget(3);
    const auto t0 = rate_budget::clock::time_point{} + 1h;
    BOOST_TEST(!budget.try_acquire(t0).has_value());
    BOOST_TEST(!budget.try_acquire(t0 + 10s).has_value());
    BOOST_TEST(!budget.try_acquire(t0 + 20s).has_value());
    const auto refused = budget.try_acquire(t0 + 20s + 500ms);
    BOOST_REQUIRE(refused.has_value());
    BOOST_TEST(refused->count() == 40); // 39.5 s rounded up
    const auto last_moment = budget.try_acquire(t0 + 59s + 900ms);
    BOOST_REQUIRE(last_moment.has_value());
    BOOST_TEST(last_moment->count() == 1);
    BOOST_TEST(!budget.try_acquire(t0 + 60s).has_value()); // a new window
}

BOOST_AUTO_TEST_CASE(set_limit_starts_a_new_window) {
    rate_budget budget(1);
    const auto t0 = rate_budget::clock::time_point{} + 1h;
    BOOST_TEST(!budget.try_acquire(t0).has_value());
    BOOST_TEST(budget.try_acquire(t0).has_value());
    budget.set_limit(2);
    BOOST_TEST(budget.limit() == 2u);
    BOOST_TEST(!budget.try_acquire(t0).has_value());
    BOOST_TEST(!budget.try_acquire(t0).has_value());
    BOOST_TEST(budget.try_acquire(t0).has_value());
    budget.set_limit(0);
    BOOST_TEST(!budget.try_acquire(t0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
