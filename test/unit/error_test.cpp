#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

BOOST_AUTO_TEST_SUITE(error_codes)

BOOST_AUTO_TEST_CASE(every_code_has_a_distinct_message_in_the_minapp_category) {
    using minapp::error;
    const std::pair<error, error> ranges[] = {
        {error::invalid_origin, error::invalid_request},
        {error::invalid_argument, error::url_too_long},
        {error::bad_request, error::malformed_response},
        {error::outcome_unknown, error::not_attempted},
        {error::token_flow_failed, error::token_flow_failed},
        {error::rate_budget_unavailable, error::rate_budget_unavailable}};
    std::set<std::string> messages;
    std::size_t count = 0;
    for (auto [first, last] : ranges) {
        for (int v = static_cast<int>(first); v <= static_cast<int>(last); ++v, ++count) {
            boost::system::error_code ec = static_cast<error>(v);
            BOOST_TEST(std::string(ec.category().name()) == "minapp");
            BOOST_TEST(ec.message() != "unknown minapp error");
            messages.insert(ec.message());
        }
    }
    BOOST_TEST(messages.size() == count);
}

BOOST_AUTO_TEST_CASE(codes_compare_with_the_enum) {
    boost::system::error_code ec = minapp::error::request_timeout;
    BOOST_TEST((ec == minapp::error::request_timeout));
    BOOST_TEST((ec != minapp::error::pool_wait_timeout));
    BOOST_TEST(static_cast<bool>(ec));
}

BOOST_AUTO_TEST_SUITE_END()
