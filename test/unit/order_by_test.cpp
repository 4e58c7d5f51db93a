// Unit tests of minapp::order_by (notes §5.2).
#include <minapp/order_by.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using minapp::order_by;

BOOST_AUTO_TEST_SUITE(order_by_builder)

BOOST_AUTO_TEST_CASE(joins_fields_left_to_right) {
    struct row {
        const char* what;
        order_by built;
        const char* text;
    };
    const row rows[] = {
        {"none", order_by(), ""},
        {"asc", order_by().asc("id"), "id"},
        {"desc", order_by().desc("score"), "-score"},
        {"two", order_by().asc("created_at").desc("id"), "created_at,-id"},
        {"three", order_by().desc("created_at").asc("score").desc("id"), "-created_at,score,-id"},
        {"underscore", order_by().asc("_username"), "_username"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(r.built.problem() == "");
            BOOST_TEST(r.built.to_string() == r.text);
            BOOST_TEST(r.built.empty() == (std::string(r.text).empty()));
        }
    }
}

BOOST_AUTO_TEST_CASE(records_problems) {
    struct row {
        const char* what;
        order_by built;
        const char* problem; // a substring of the expected problem
        const char* text;    // what remains: the refused field is not added
    };
    const row rows[] = {
        {"empty", order_by().asc(""), "must not be empty", ""},
        {"dotted", order_by().asc("profile.city"), "dotted paths", ""},
        {"dash", order_by().asc("-id"), "use desc", ""},
        {"dash in desc", order_by().desc("-id"), "must not start with '-'", ""},
        {"comma", order_by().asc("id,score"), "separator", ""},
        {"operator", order_by().asc("$id"), "must not start with '$'", ""},
        {"duplicate", order_by().asc("id").desc("id"), "'id' appears twice", "id"},
        {"gender", order_by().asc("gender"), "cannot sort by 'gender'", ""},
        {"country", order_by().desc("country"), "cannot sort by", ""},
        {"province", order_by().asc("province"), "cannot sort by", ""},
        {"city", order_by().asc("city"), "cannot sort by", ""},
        {"language", order_by().asc("id").asc("language").desc("score"), "cannot sort by",
         "id,-score"},
        {"first problem sticks", order_by().asc("").asc("gender"), "must not be empty", ""},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what << ": " << r.built.problem()) {
            BOOST_TEST(r.built.problem().starts_with("order_by: "));
            BOOST_TEST(r.built.problem().find(r.problem) != std::string::npos);
            BOOST_TEST(r.built.to_string() == r.text);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
