#include "bulk/bulk_outcome.hpp"
#include "bulk/progress_meter.hpp"

#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

#include <ostream>

namespace minapp {
std::ostream& operator<<(std::ostream& os, outcome_status s) {
    return os << to_string(s);
}
} // namespace minapp

using minapp::error;
using minapp::outcome_status;

BOOST_AUTO_TEST_SUITE(bulk_outcome)

// The call's verdict (diagnostics::applied, set by call_fsm) decides: a bulk outcome does not
// re-derive it from the code.
BOOST_AUTO_TEST_CASE(failures_are_classified_by_what_may_have_been_applied) {
    using minapp::write_applied;
    struct row {
        error code;
        bool request_sent;
        write_applied applied;
        outcome_status expected;
    };
    const row rows[] = {
        {error::outcome_unknown, true, write_applied::maybe, outcome_status::unknown},
        {error::cancelled, true, write_applied::maybe, outcome_status::unknown},
        // Cancelled in a backoff after a refusal: sent, but certainly not applied.
        {error::cancelled, true, write_applied::no, outcome_status::failed},
        {error::cancelled, false, write_applied::no, outcome_status::not_attempted},
        {error::pool_shut_down, false, write_applied::no, outcome_status::not_attempted},
        {error::pool_shut_down, true, write_applied::no, outcome_status::failed},
        {error::not_attempted, false, write_applied::no, outcome_status::not_attempted},
        {error::server_error, true, write_applied::no, outcome_status::failed},
        {error::bad_request, true, write_applied::no, outcome_status::failed},
        {error::connect_failed, false, write_applied::no, outcome_status::failed},
        {error::invalid_argument, false, write_applied::no, outcome_status::failed},
        {error::rate_limited, true, write_applied::no, outcome_status::failed},
        // A 2xx whose body could not be read: the write was applied.
        {error::malformed_response, true, write_applied::yes, outcome_status::unknown},
    };
    for (const auto& r : rows) {
        minapp::failure f{r.code, {}};
        f.diagnostics.request_sent = r.request_sent;
        f.diagnostics.applied = r.applied;
        BOOST_TEST_CONTEXT(f.code.message() << " sent=" << r.request_sent) {
            BOOST_TEST(minapp::detail::classify_failure(f) == r.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(not_attempted_failures_say_why) {
    const auto cancelled = minapp::detail::not_attempted_failure(true);
    BOOST_TEST((cancelled.code == error::not_attempted));
    BOOST_TEST(cancelled.diagnostics.detail.find("cancelled") != std::string::npos);
    const auto stopped = minapp::detail::not_attempted_failure(false);
    BOOST_TEST(stopped.diagnostics.detail.find("stopped after an error") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(progress_meter_counts_and_always_reports_the_end) {
    std::vector<minapp::bulk_progress> seen;
    minapp::detail::progress_meter meter([&](const minapp::bulk_progress& p) { seen.push_back(p); },
                                         std::chrono::hours(1), 10);
    meter.add(outcome_status::succeeded, 3);
    meter.add(outcome_status::failed);
    meter.add(outcome_status::unknown);
    meter.add(outcome_status::not_attempted, 2);
    meter.add_done(3);
    BOOST_TEST(seen.empty()); // the interval has not passed
    const auto last = meter.finish();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(last.done == 10u);
    BOOST_TEST(last.total.value() == 10u);
    BOOST_TEST(last.succeeded == 3u);
    BOOST_TEST(last.failed == 1u);
    BOOST_TEST(last.unknown == 1u);
    BOOST_TEST(last.not_attempted == 2u);
    BOOST_TEST(seen.back().done == 10u);
}

BOOST_AUTO_TEST_CASE(progress_meter_with_zero_interval_reports_every_step) {
    std::size_t calls = 0;
    minapp::detail::progress_meter meter([&](const minapp::bulk_progress&) { ++calls; },
                                         std::chrono::milliseconds(0), std::nullopt);
    for (int i = 0; i < 5; ++i) {
        meter.add(outcome_status::succeeded);
    }
    BOOST_TEST(calls == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
