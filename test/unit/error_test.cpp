#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

BOOST_AUTO_TEST_SUITE(error_codes)

BOOST_AUTO_TEST_CASE(every_code_has_a_distinct_message_in_the_minapp_category) {
    std::set<std::string> messages;
    for (int v = static_cast<int>(minapp::error::invalid_origin);
         v <= static_cast<int>(minapp::error::invalid_request); ++v) {
        boost::system::error_code ec = static_cast<minapp::error>(v);
        BOOST_TEST(std::string(ec.category().name()) == "minapp");
        BOOST_TEST(ec.message() != "unknown minapp error");
        messages.insert(ec.message());
    }
    const auto count = static_cast<std::size_t>(minapp::error::invalid_request) -
                       static_cast<std::size_t>(minapp::error::invalid_origin) + 1;
    BOOST_TEST(messages.size() == count);
}

BOOST_AUTO_TEST_CASE(codes_compare_with_the_enum) {
    boost::system::error_code ec = minapp::error::request_timeout;
    BOOST_TEST((ec == minapp::error::request_timeout));
    BOOST_TEST((ec != minapp::error::pool_wait_timeout));
    BOOST_TEST(static_cast<bool>(ec));
}

BOOST_AUTO_TEST_SUITE_END()
