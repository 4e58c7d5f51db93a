// member_scanner and record_reader::read_fields: partial reads of stored users.
#include "emulator/core/member_scanner.hpp"
#include "emulator/core/seed.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace minapp::emulator::detail;

namespace {

std::vector<std::pair<std::string, std::string>> members(std::string_view json,
                                                         bool* failed = nullptr) {
    member_scanner scan(json);
    std::vector<std::pair<std::string, std::string>> out;
    std::string_view k;
    std::string_view v;
    while (scan.next(k, v)) {
        out.emplace_back(k, v);
    }
    if (failed != nullptr) {
        *failed = scan.failed();
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(store_member_scanner)

BOOST_AUTO_TEST_CASE(splits_members_and_skips_nested_values) {
    bool failed = true;
    auto m =
        members(R"({"a":1,"b":"x\"}y","c":{"d":[1,{"e":"]"}]},"f":null, "g" : [ ] })", &failed);
    BOOST_TEST(!failed);
    BOOST_REQUIRE(m.size() == 5U);
    BOOST_TEST(m[0].first == "a");
    BOOST_TEST(m[0].second == "1");
    BOOST_TEST(m[1].second == R"("x\"}y")");
    BOOST_TEST(m[2].second == R"({"d":[1,{"e":"]"}]})");
    BOOST_TEST(m[3].second == "null");
    BOOST_TEST(m[4].first == "g");
    BOOST_TEST(m[4].second == "[ ]");
}

BOOST_AUTO_TEST_CASE(empty_object_and_malformed_text) {
    bool failed = true;
    BOOST_TEST(members("{}", &failed).empty());
    BOOST_TEST(!failed);
    for (std::string bad :
         {"", "[1]", R"({"a")", R"({"a":)", R"({"a":1 "b":2})", R"({"a":"x)", R"({"a":{"b":1})"}) {
        members(bad, &failed);
        BOOST_TEST(failed, bad);
    }
}

BOOST_AUTO_TEST_CASE(read_fields_matches_a_full_read) {
    user_store s(schema::seeded());
    seed_users(s, 500, 11);
    s.put(
        boost::json::parse(R"({"id":9000000000000,"test":"he said \"{[\"","tags":["}",{"x":"]"}]})")
            .as_object());
    const std::vector<std::string> fields = {"score", "location", "test", "tags", "no_such", "id"};
    record_reader full(s);
    record_reader partial(s);
    for (const auto& r : s.records()) {
        const auto& all = full.read(r);
        const auto& some = partial.read_fields(r, fields);
        std::size_t expected = 0;
        for (const auto& f : fields) {
            if (const auto* v = all.if_contains(f)) {
                ++expected;
                BOOST_REQUIRE(some.contains(f));
                BOOST_TEST(some.at(f) == *v);
            }
        }
        BOOST_TEST(some.size() == expected);
    }
}

BOOST_AUTO_TEST_SUITE_END()
