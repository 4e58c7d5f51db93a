// Fault decisions as pure logic: triggers, filters, determinism.
#include "test_print.hpp"

#include <minapp/emulator/faults.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <ostream>
#include <vector>

using namespace minapp::emulator;
using namespace std::chrono_literals;

namespace {

std::vector<bool> draws(std::uint64_t seed, double probability, int count) {
    fault_rule rule;
    rule.kind = fault_kind::http_503;
    rule.probability = probability;
    fault_injector injector(fault_config{seed, {rule}});
    std::vector<bool> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(injector.decide("GET", "/").action.has_value());
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_faults)

BOOST_AUTO_TEST_CASE(kind_names_round_trip) {
    for (const fault_kind kind : all_fault_kinds) {
        BOOST_TEST(parse_fault_kind(to_string(kind)) == kind);
    }
    BOOST_TEST(!parse_fault_kind("404").has_value());
}

BOOST_AUTO_TEST_CASE(no_rules_means_no_faults) {
    fault_injector injector;
    BOOST_TEST(injector.decide("GET", "/x").none());
    BOOST_TEST(injector.config().seed == default_fault_seed);
}

BOOST_AUTO_TEST_CASE(probability_is_deterministic_per_seed) {
    const auto a = draws(7, 0.3, 2000);
    BOOST_TEST(a == draws(7, 0.3, 2000));
    BOOST_TEST(a != draws(8, 0.3, 2000));
    const auto fired = std::count(a.begin(), a.end(), true);
    BOOST_TEST(fired > 500);
    BOOST_TEST(fired < 700);
    const auto never = draws(7, 0.0, 100);
    BOOST_TEST(std::count(never.begin(), never.end(), true) == 0);
    const auto always = draws(7, 1.0, 100);
    BOOST_TEST(std::count(always.begin(), always.end(), true) == 100);
}

BOOST_AUTO_TEST_CASE(every_nth_and_explicit_request_numbers) {
    fault_rule every;
    every.kind = fault_kind::http_500;
    every.every = 3;
    fault_rule listed;
    listed.kind = fault_kind::http_502;
    listed.on_requests = {1, 3, 5};
    fault_injector injector(fault_config{1, {every, listed}});
    std::vector<std::optional<fault_kind>> got;
    for (int i = 0; i < 6; ++i) {
        got.push_back(injector.decide("GET", "/").action);
    }
    // Request 3 matches both rules: the first rule wins.
    const std::vector<std::optional<fault_kind>> expected = {
        fault_kind::http_502, std::nullopt,         fault_kind::http_500,
        std::nullopt,         fault_kind::http_502, fault_kind::http_500};
    BOOST_TEST((got == expected));
}

BOOST_AUTO_TEST_CASE(filters_number_only_matching_requests) {
    fault_rule rule;
    rule.kind = fault_kind::reset_after_handler;
    rule.every = 2;
    rule.filter.method = "PUT";
    rule.filter.path_prefix = "/oserve/v2.6/";
    fault_injector injector(fault_config{1, {rule}});
    BOOST_TEST(injector.decide("PUT", "/oserve/v2.6/a").none());  // PUT #1
    BOOST_TEST(injector.decide("GET", "/oserve/v2.6/a").none());  // not matched
    BOOST_TEST(injector.decide("PUT", "/oserve/v2.2/a").none());  // not matched
    BOOST_TEST(injector.decide("PUT", "/oserve/v2.6/b").action == // PUT #2
               fault_kind::reset_after_handler);
}

BOOST_AUTO_TEST_CASE(latency_adds_up_and_combines_with_an_action) {
    fault_rule slow;
    slow.kind = fault_kind::latency;
    slow.every = 1;
    slow.latency = 30ms;
    fault_rule slower = slow;
    slower.latency = 20ms;
    fault_rule limited;
    limited.kind = fault_kind::http_429_retry_after;
    limited.every = 1;
    limited.retry_after = 9s;
    fault_injector injector(fault_config{1, {slow, slower, limited}});
    const fault_decision d = injector.decide("GET", "/");
    BOOST_TEST(d.delay.count() == 50);
    BOOST_TEST(d.action == fault_kind::http_429_retry_after);
    BOOST_TEST(d.retry_after.count() == 9);
}

BOOST_AUTO_TEST_CASE(configure_restarts_numbering) {
    fault_rule rule;
    rule.kind = fault_kind::http_500;
    rule.on_requests = {2};
    fault_injector injector(fault_config{1, {rule}});
    BOOST_TEST(injector.decide("GET", "/").none());
    injector.configure(fault_config{1, {rule}});
    BOOST_TEST(injector.decide("GET", "/").none());
    BOOST_TEST(injector.decide("GET", "/").action == fault_kind::http_500);
}

BOOST_AUTO_TEST_SUITE_END()
