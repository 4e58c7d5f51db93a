#include "api/retry_budget.hpp"

#include <boost/test/unit_test.hpp>

using minapp::detail::retry_budget;

BOOST_AUTO_TEST_SUITE(retry_budget_bucket)

BOOST_AUTO_TEST_CASE(an_outage_stops_retries_after_half_the_tokens) {
    retry_budget b(10, 0.5);
    int allowed = 0;
    for (int i = 0; i < 100; ++i) {
        b.on_failure();
        allowed += b.retry_allowed();
    }
    // 10 -> 9, 8, 7, 6 allowed (more than half left); 5 and below refused.
    BOOST_TEST(allowed == 4);
    BOOST_TEST(b.tokens() == 0.0);
}

BOOST_AUTO_TEST_CASE(successes_refill_up_to_the_maximum) {
    retry_budget b(10, 0.5);
    for (int i = 0; i < 10; ++i) {
        b.on_failure();
    }
    BOOST_TEST(!b.retry_allowed());
    for (int i = 0; i < 11; ++i) {
        b.on_success();
    }
    BOOST_TEST(b.tokens() == 5.5);
    BOOST_TEST(b.retry_allowed());
    for (int i = 0; i < 100; ++i) {
        b.on_success();
    }
    BOOST_TEST(b.tokens() == 10.0);
}

BOOST_AUTO_TEST_CASE(steady_failure_rate_below_the_ratio_keeps_retrying) {
    // 10% of attempts fail; each success gives back 0.2: the bucket stays full enough.
    retry_budget b(100, 0.2);
    int refused = 0;
    for (int i = 0; i < 10000; ++i) {
        if (i % 10 == 0) {
            b.on_failure();
            refused += !b.retry_allowed();
        } else {
            b.on_success();
        }
    }
    BOOST_TEST(refused == 0);
}

BOOST_AUTO_TEST_CASE(zero_maximum_disables_the_budget) {
    retry_budget b(0, 0.2);
    for (int i = 0; i < 1000; ++i) {
        b.on_failure();
    }
    BOOST_TEST(b.retry_allowed());
}

BOOST_AUTO_TEST_SUITE_END()
