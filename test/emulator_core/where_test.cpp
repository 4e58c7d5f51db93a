// Unit tests of the emulator's `where` evaluator (notes §4).
#include "emulator/core/where.hpp"
#include "emulator/core/where_geo.hpp"
#include "emulator/core/where_iso8601.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;
using minapp::emulator::detail::schema;
using minapp::emulator::detail::where_filter;

namespace {

// Four users of the seeded schema. Points: Beijing (user 1) and Shanghai (user 2); user 3
// stores a polygon around Guangzhou; user 4 has no custom fields at all.
// Birthdays as UTC instants: 1 = 1990-05-01T00:00Z, 2 = 1985-12-31T23:30Z, 3 = 2000-01-01T05:00Z.
const char* const users_json = R"([
  {"id": 1, "nickname": "Alice", "gender": 2, "unionid": null, "score": 10, "balance": 12.5,
   "vip": true, "tags": ["a", "b"], "profile": {"city": "Paris", "level": 3},
   "location": {"type": "Point", "coordinates": [116.397, 39.909]},
   "birthday": "1990-05-01T08:00:00+08:00", "test": "hello world",
   "avatar_file": {"id": "f1", "name": "a.png"},
   "referrer": {"id": "5bad87ab", "_table": "_userprofile"}, "_group": [100, 200]},
  {"id": 2, "nickname": "bob", "gender": 1, "unionid": "u2", "score": 20, "balance": 0,
   "vip": false, "tags": ["b", "c"], "profile": {"city": "Berlin"},
   "location": {"type": "Point", "coordinates": [121.4737, 31.2304]},
   "birthday": "1985-12-31T23:30:00Z", "test": "Hello\nWorld", "referrer": "abc",
   "_group": [300]},
  {"id": 3, "nickname": "Carol", "gender": 0, "score": 30, "balance": -3.25, "vip": null,
   "tags": [], "profile": {},
   "location": {"type": "Polygon",
                "coordinates": [[[113, 23], [114, 23], [114, 24], [113, 24], [113, 23]]]},
   "birthday": "2000-01-01T00:00:00-05:00", "test": "ΑΒΓ 中文 Carol"},
  {"id": 4, "nickname": "dave", "gender": 0}
])";

const std::vector<json::object>& users() {
    static const std::vector<json::object> all = [] {
        std::vector<json::object> out;
        const json::value parsed = json::parse(users_json);
        for (const auto& u : parsed.as_array()) {
            out.push_back(u.as_object());
        }
        return out;
    }();
    return all;
}

where_filter compile(const std::string& where) {
    auto r = where_filter::parse(where, schema::seeded());
    BOOST_TEST_REQUIRE(r.has_value(), "rejected: " << where << " : " << r.error().message);
    return std::move(*r);
}

std::vector<std::int64_t> matching_ids(const where_filter& f) {
    std::vector<std::int64_t> ids;
    for (const auto& u : users()) {
        if (f.matches(u)) {
            ids.push_back(u.at("id").as_int64());
        }
    }
    return ids;
}

struct match_case {
    std::string where;
    std::vector<std::int64_t> ids;
};

void check_matches(const std::vector<match_case>& cases) {
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("where = " << c.where) {
            auto r = where_filter::parse(c.where, schema::seeded());
            BOOST_TEST_REQUIRE(r.has_value(), (r ? "" : r.error().message));
            BOOST_TEST(matching_ids(*r) == c.ids, boost::test_tools::per_element());
        }
    }
}

void check_rejected(const std::vector<std::string>& cases) {
    for (const auto& where : cases) {
        BOOST_TEST_CONTEXT("where = " << where) {
            auto r = where_filter::parse(where, schema::seeded());
            BOOST_TEST_REQUIRE(r.has_error());
            BOOST_TEST(!r.error().message.empty());
        }
    }
}

std::string nested(std::size_t levels) {
    std::string w = R"({"id": 1})";
    for (std::size_t i = 0; i < levels; ++i) {
        w = R"({"$and": [)" + w + "]}";
    }
    return w;
}

} // namespace

BOOST_AUTO_TEST_SUITE(where_evaluator)

BOOST_AUTO_TEST_CASE(empty_document_and_default_filter_match_everyone) {
    check_matches({{"{}", {1, 2, 3, 4}}, {"  { }  ", {1, 2, 3, 4}}});
    const where_filter all;
    BOOST_TEST(matching_ids(all) == (std::vector<std::int64_t>{1, 2, 3, 4}),
               boost::test_tools::per_element());
    BOOST_TEST(!all.sorts_by_distance());
    BOOST_TEST(all.sort_key(users().front()) == 0.0);
}

BOOST_AUTO_TEST_CASE(eq_and_shorthand_per_column_type) {
    check_matches({
        {R"({"nickname": {"$eq": "Alice"}})", {1}},
        {R"({"nickname": "Alice"})", {1}},
        {R"({"nickname": "alice"})", {}},
        {R"({"id": 3})", {3}},
        {R"({"score": {"$eq": 20}})", {2}},
        {R"({"score": {"$eq": 20.0}})", {2}},
        {R"({"score": 20.5})", {}},
        {R"({"balance": {"$eq": 0}})", {2}},
        {R"({"balance": -3.25})", {3}},
        {R"({"vip": {"$eq": true}})", {1}},
        {R"({"vip": false})", {2}},
        {R"({"birthday": {"$eq": "1990-05-01T00:00:00Z"}})", {1}},
        {R"({"birthday": "1990-05-01T02:00:00+02:00"})", {1}},
        {R"({"tags": {"$eq": ["b", "a"]}})", {1}},
        {R"({"tags": {"$eq": ["a", "b", "c"]}})", {}},
        {R"({"tags": {"$eq": ["a"]}})", {}},
        {R"({"tags": []})", {3}},
        {R"({"tags": {"$eq": [{"k": 1}]}})", {}},
        {R"({"profile": {"$eq": {"level": 3, "city": "Paris"}}})", {1}},
        {R"({"profile": {"city": "Berlin"}})", {2}},
        {R"({"profile": {}})", {3}},
        {R"({"referrer": {"$eq": "5bad87ab"}})", {1}},
        {R"({"referrer": "abc"})", {2}},
        {R"({"_provider": {"$eq": {"a": 1}}})", {}},
    });
}

BOOST_AUTO_TEST_CASE(ne_is_the_negation_of_eq) {
    check_matches({
        {R"({"nickname": {"$ne": "Alice"}})", {2, 3, 4}},
        {R"({"score": {"$ne": 10}})", {2, 3, 4}},
        {R"({"balance": {"$ne": 0.0}})", {1, 3, 4}},
        {R"({"referrer": {"$ne": "abc"}})", {1, 3, 4}},
    });
}

BOOST_AUTO_TEST_CASE(ordering_on_numbers) {
    check_matches({
        {R"({"score": {"$lt": 20}})", {1}},
        {R"({"score": {"$lte": 20}})", {1, 2}},
        {R"({"score": {"$gt": 20}})", {3}},
        {R"({"score": {"$gte": 20}})", {2, 3}},
        {R"({"score": {"$gt": 19.5}})", {2, 3}},
        {R"({"balance": {"$lt": 0}})", {3}},
        {R"({"balance": {"$gt": 0.5}})", {1}},
        {R"({"id": {"$gte": 4}})", {4}},
        {R"({"score": {"$gt": 10, "$lt": 30}})", {2}},
        {R"({"score": {"$gt": 9223372036854775807}})", {}},
        {R"({"score": {"$lt": 18446744073709551615}})", {1, 2, 3}},
    });
}

BOOST_AUTO_TEST_CASE(ordering_on_dates_compares_instants) {
    check_matches({
        {R"({"birthday": {"$lt": "1990-01-01T00:00:00+00:00"}})", {2}},
        {R"({"birthday": {"$gte": "1990-05-01T07:59:59+08:00"}})", {1, 3}},
        {R"({"birthday": {"$gt": "1990-05-01T08:00:00+08:00"}})", {3}},
        {R"({"birthday": {"$gt": "2000-01-01T04:59:59Z"}})", {3}},
        {R"({"birthday": {"$gt": "2000-01-01T05:00:00Z"}})", {}},
        {R"({"birthday": {"$lte": "2000-01-01T00:00:00-05:00"}})", {1, 2, 3}},
        {R"({"birthday": {"$lt": "1986-01-01"}})", {2}},
    });
}

BOOST_AUTO_TEST_CASE(substring_operators) {
    check_matches({
        {R"({"test": {"$contains": "world"}})", {1}},
        {R"({"test": {"$contains": "World"}})", {2}},
        {R"({"test": {"$contains": "中文"}})", {3}},
        {R"({"test": {"$icontains": "WORLD"}})", {1, 2}},
        {R"({"nickname": {"$icontains": "o"}})", {2, 3}},
        {R"({"nickname": {"$icontains": ""}})", {1, 2, 3, 4}},
    });
}

BOOST_AUTO_TEST_CASE(regex_with_options) {
    check_matches({
        {R"({"nickname": {"$regex": "^[a-z]"}})", {2, 4}},
        {R"({"nickname": {"$regex": "^[a-z]", "$options": "i"}})", {1, 2, 3, 4}},
        {R"({"nickname": {"$regex": "^c", "$options": "gi"}})", {3}},
        {R"({"nickname": {"$regex": "^C", "$options": "guy"}})", {3}},
        {R"({"test": {"$regex": "^World"}})", {}},
        {R"({"test": {"$regex": "^World", "$options": "m"}})", {2}},
        {R"({"test": {"$regex": "Hello$", "$options": "m"}})", {2}},
        {R"({"test": {"$regex": "Hello.World"}})", {}},
        {R"({"test": {"$regex": "Hello.World", "$options": "s"}})", {2}},
        {R"({"test": {"$regex": "o.W", "$options": "si"}})", {1, 2}},
        {R"({"test": {"$regex": "[.]"}})", {}},
        {R"({"test": {"$regex": "\\.", "$options": "s"}})", {}},
        {R"({"test": {"$regex": "hello\\sworld"}})", {1}},
        {R"({"test": {"$regex": "(?=.*world)hello"}})", {1}},
        {R"({"test": {"$regex": "\\bworld"}})", {1}},
        {R"({"test": {"$regex": "^world"}})", {}},
        {R"({"test": {"$regex": "world$"}})", {1}},
        {R"({"nickname": {"$regex": "o|a"}})", {2, 3, 4}},
        {R"w({"nickname": {"$regex": "^(b|d)"}})w", {2, 4}},
        {R"({"nickname": {"$regex": "ob{1,2}$"}})", {2}},
    });
}

BOOST_AUTO_TEST_CASE(regex_is_bounded) {
    // A pattern that backtracks exponentially and a subject long enough to exhaust the stack
    // of a backtracking matcher: both must finish promptly.
    auto f = compile(R"({"test": {"$regex": "(a+)+$"}})");
    json::object u{{"id", 9}, {"test", std::string(30, 'a') + "!"}};
    BOOST_TEST(!f.matches(u));
    auto g = compile(R"({"test": {"$regex": "^(a|b)*c$"}})");
    u["test"] = std::string(4000, 'a') + "c";
    BOOST_TEST(g.matches(u));
    u["test"] = std::string(4000, 'a');
    BOOST_TEST(!g.matches(u));
    // Over the subject limit a value never matches.
    auto h = compile(R"({"test": {"$regex": "a"}})");
    u["test"] = std::string(5000, 'a');
    BOOST_TEST(!h.matches(u));
    // Counted repetition is bounded by its expanded size, not by the pattern's length.
    BOOST_TEST(
        where_filter::parse(R"({"test": {"$regex": "(.{1,100}){1,300}x"}})", schema::seeded())
            .has_error());
    BOOST_TEST(
        where_filter::parse(R"({"test": {"$regex": "a{1001}"}})", schema::seeded()).has_error());
    // Numbers too large for std::regex's unchecked arithmetic are refused before it parses them:
    // in a quantifier, in a brace that is not one (fuzz_where_roundtrip found the overflow) and
    // in a back-reference.
    for (const char* w :
         {R"({"test": {"$regex": "a{2147483648}"}})", R"({"test": {"$regex": "a{1,99999999999}"}})",
          R"({"test": {"$regex": "a{55555555555,5x"}})",
          R"({"test": {"$regex": "(a)\\99999999999999999999999"}})"}) {
        const auto parsed = where_filter::parse(w, schema::seeded());
        BOOST_TEST_REQUIRE(parsed.has_error(), w);
        BOOST_TEST(parsed.error().message.find("repetition count") != std::string::npos, w);
    }
    // A long chain of empty transitions stays within the stack.
    auto chain = compile(R"({"test": {"$regex": "^(?:a?){300}b"}})");
    u["test"] = std::string(4000, 'a') + "b";
    BOOST_TEST(!chain.matches(u));
    u["test"] = std::string(200, 'a') + "b";
    BOOST_TEST(chain.matches(u));
    const std::string long_ok = R"({"test": {"$regex": ")" + std::string(1000, 'a') + "\"}}";
    BOOST_TEST(where_filter::parse(long_ok, schema::seeded()).has_value());
    const std::string too_long = R"({"test": {"$regex": ")" + std::string(1001, 'a') + "\"}}";
    BOOST_TEST(where_filter::parse(too_long, schema::seeded()).has_error());
}

BOOST_AUTO_TEST_CASE(in_and_nin_on_scalar_and_array_fields) {
    check_matches({
        {R"({"nickname": {"$in": ["Alice", "dave", "zed"]}})", {1, 4}},
        {R"({"score": {"$in": [10, 30.0]}})", {1, 3}},
        {R"({"score": {"$in": []}})", {}},
        {R"({"tags": {"$in": ["c", "z"]}})", {2}},
        {R"({"tags": {"$in": ["b"]}})", {1, 2}},
        {R"({"tags": {"$in": [{"k": 1}]}})", {}},
        {R"({"referrer": {"$in": ["abc", "5bad87ab"]}})", {1, 2}},
        {R"({"_group": {"$in": [200, 300]}})", {1, 2}},
        {R"({"_group": {"$in": [999]}})", {}},
        {R"({"score": {"$nin": [10, 30]}})", {2, 4}},
        {R"({"score": {"$nin": []}})", {1, 2, 3, 4}},
        {R"({"tags": {"$nin": ["a"]}})", {2, 3, 4}},
        {R"({"nickname": {"$nin": ["bob"]}})", {1, 3, 4}},
        {R"({"referrer": {"$nin": ["abc"]}})", {1, 3, 4}},
    });
}

BOOST_AUTO_TEST_CASE(all_range_isnull_exists_has_key) {
    check_matches({
        {R"({"tags": {"$all": ["a", "b"]}})", {1}},
        {R"({"tags": {"$all": ["b"]}})", {1, 2}},
        {R"({"tags": {"$all": ["a", "c"]}})", {}},
        {R"({"tags": {"$all": []}})", {1, 2, 3}},
        {R"({"score": {"$range": [10, 30]}})", {1, 2}},
        {R"({"score": {"$range": [0, 5]}})", {}},
        {R"({"score": {"$range": [30, 31]}})", {3}},
        {R"({"balance": {"$range": [-5, 0]}})", {3}},
        {R"({"vip": {"$isnull": true}})", {3, 4}},
        {R"({"vip": {"$isnull": false}})", {1, 2}},
        {R"({"unionid": {"$isnull": true}})", {1, 3, 4}},
        {R"({"avatar_file": {"$isnull": false}})", {1}},
        {R"({"vip": {"$exists": true}})", {1, 2, 3}},
        {R"({"vip": {"$exists": false}})", {4}},
        {R"({"unionid": {"$exists": true}})", {1, 2}},
        {R"({"location": {"$exists": true}})", {1, 2, 3}},
        {R"({"profile": {"$has_key": "level"}})", {1}},
        {R"({"profile": {"$has_key": "city"}})", {1, 2}},
        {R"({"profile": {"$has_key": "City"}})", {}},
    });
}

BOOST_AUTO_TEST_CASE(geo_operators_with_real_coordinates) {
    check_matches({
        // Guangzhou lies inside user 3's polygon; Hong Kong does not.
        {R"({"location": {"$intersects": {"type": "Point", "coordinates": [113.26, 23.13]}}})",
         {3}},
        {R"({"location": {"$intersects": {"type": "Point", "coordinates": [114.17, 22.32]}}})", {}},
        {R"({"location": {"$intersects": {"type": "Point", "coordinates": [114, 23.5]}}})", {3}},
        // A box around Beijing; then one around Beijing and Shanghai.
        {R"({"location": {"$within": {"type": "Polygon", "coordinates":
            [[[116, 39], [117, 39], [117, 40.5], [116, 40.5], [116, 39]]]}}})",
         {1}},
        {R"({"location": {"$within": {"type": "Polygon", "coordinates":
            [[[110, 30], [125, 30], [125, 42], [110, 42], [110, 30]]]}}})",
         {1, 2}},
        // The same big box with a hole around Shanghai.
        {R"({"location": {"$within": {"type": "Polygon", "coordinates":
            [[[110, 30], [125, 30], [125, 42], [110, 42], [110, 30]],
             [[121, 31], [122, 31], [122, 32], [121, 32], [121, 31]]]}}})",
         {1}},
        // Beijing-Shanghai is about 1067 km.
        {R"({"location": {"$center": {"radius": 50, "coordinates": [116.4, 39.9]}}})", {1}},
        {R"({"location": {"$center": {"radius": 1000, "coordinates": [116.4, 39.9]}}})", {1}},
        {R"({"location": {"$center": {"radius": 1100, "coordinates": [116.4, 39.9]}}})", {1, 2}},
        {R"({"location": {"$nearsphere": {"geometry": {"type": "Point",
            "coordinates": [121.47, 31.23]}, "max_distance": 2000000}}})",
         {1, 2}},
        {R"({"location": {"$nearsphere": {"geometry": {"type": "Point",
            "coordinates": [121.47, 31.23]}, "min_distance": 10000}}})",
         {1}},
        {R"({"location": {"$nearsphere": {"geometry": {"type": "Point",
            "coordinates": [121.47, 31.23]}, "max_distance": 1000}}})",
         {2}},
    });
}

BOOST_AUTO_TEST_CASE(nearsphere_sorts_nearest_first) {
    const auto f = compile(R"({"location": {"$nearsphere": {"geometry": {"type": "Point",
        "coordinates": [121.47, 31.23]}, "min_distance": 0}}})");
    BOOST_TEST(f.sorts_by_distance());
    const auto& u = users();
    BOOST_TEST(f.sort_key(u[1]) < 1000.0);
    BOOST_TEST(std::abs(f.sort_key(u[0]) - 1067000.0) < 5000.0);
    BOOST_TEST(f.sort_key(u[0]) > f.sort_key(u[1]));
    BOOST_TEST(std::isinf(f.sort_key(u[3])));
    // Inside $or the centre still orders the results.
    const auto g = compile(R"({"$or": [{"id": 4}, {"location": {"$nearsphere": {"geometry":
        {"type": "Point", "coordinates": [116.4, 39.9]}}}}]})");
    BOOST_TEST(g.sorts_by_distance());
    BOOST_TEST(matching_ids(g) == (std::vector<std::int64_t>{1, 2, 4}),
               boost::test_tools::per_element());
    BOOST_TEST(g.sort_key(u[0]) < g.sort_key(u[1]));
    BOOST_TEST(!compile(R"({"location": {"$exists": true}})").sorts_by_distance());
}

BOOST_AUTO_TEST_CASE(and_or_nesting) {
    check_matches({
        {R"({"$or": [{"score": 10}, {"score": 30}]})", {1, 3}},
        {R"({"$and": [{"score": {"$gte": 10}}, {"score": {"$lte": 20}}]})", {1, 2}},
        {R"({"$and": [{"score": {"$gte": 10}}, {"$or": [{"vip": true}, {"nickname": "Carol"}]}]})",
         {1, 3}},
        {R"({"$and": [{"$and": [{"$or": [{"id": 1}, {"id": 2}]}]}], "score": {"$gt": 10}})", {2}},
        {R"({"$or": [{"$and": [{"id": 1}, {"vip": false}]}, {"$and": [{"id": 2}, {"vip": false}]}]})",
         {2}},
        {R"({"$and": [{"id": 1}], "$or": [{"id": 2}]})", {}},
        {R"({"$and": [{}]})", {1, 2, 3, 4}},
        {R"({"$and": [{"score": 10}]})", {1}},
    });
}

BOOST_AUTO_TEST_CASE(nesting_depth_is_bounded) {
    const auto deep = where_filter::parse(nested(64), schema::seeded());
    BOOST_TEST_REQUIRE(deep.has_value());
    BOOST_TEST(matching_ids(*deep) == std::vector<std::int64_t>{1},
               boost::test_tools::per_element());
    const auto too_deep = where_filter::parse(nested(65), schema::seeded());
    BOOST_TEST_REQUIRE(too_deep.has_error());
    BOOST_TEST(too_deep.error().message.find("nested") != std::string::npos);
    // Far deeper documents hit the JSON parser's own bound, still without recursing unboundedly.
    BOOST_TEST(where_filter::parse(nested(5000), schema::seeded()).has_error());
}

BOOST_AUTO_TEST_CASE(unknown_fields_never_match_except_absence) {
    check_matches({
        {R"({"nope": {"$eq": 1}})", {}},
        {R"({"nope": 1})", {}},
        {R"({"nope": {"$ne": 1}})", {}},
        {R"({"nope": {"$nin": [1]}})", {}},
        {R"({"nope": {"$exists": false}})", {1, 2, 3, 4}},
        {R"({"nope": {"$isnull": true}})", {1, 2, 3, 4}},
        {R"({"nope": {"$exists": true}})", {}},
        {R"({"nope": {"$isnull": false}})", {}},
        {R"({"$or": [{"nope": 1}, {"id": 4}]})", {4}},
    });
    check_rejected({R"({"nope": {"$exists": "no"}})", R"({"nope": {"$bogus": 1}})"});
}

BOOST_AUTO_TEST_CASE(malformed_documents_are_rejected) {
    check_rejected({
        "",
        "not json",
        "[1]",
        "42",
        "null",
        R"({"score": )",
        R"({"score": 1,})",
        R"({"$foo": []})",
        R"({"$and": []})",
        R"({"$and": {}})",
        R"({"$or": [1]})",
        R"({"$or": [{"id": 1}, "x"]})",
        R"({"score": {"$foo": 1}})",
        R"({"score": {"$incr": 1}})",
        R"({"score": {"$eq": 1, "x": 2}})",
        R"({"profile.city": "Paris"})",
        R"({"profile.city": {"$exists": true}})",
        R"({"test": {"$options": "i"}})",
        R"({"_group": {"$nin": [1]}})",
        R"({"_group": {"$isnull": true}})",
        R"({"_group": {"$in": ["a"]}})",
        R"({"_group": {"$in": 1}})",
        R"({"_group": [1]})",
    });
}

BOOST_AUTO_TEST_CASE(wrong_operand_types_are_rejected) {
    check_rejected({
        R"({"score": {"$eq": "10"}})",
        R"({"score": "10"})",
        R"({"score": {"$eq": null}})",
        R"({"score": {"$lt": "5"}})",
        R"({"score": {"$in": 5}})",
        R"({"score": {"$in": ["5"]}})",
        R"({"nickname": {"$in": [1]}})",
        R"({"nickname": 1})",
        R"({"nickname": {"$ne": true}})",
        R"({"score": {"$range": [1]}})",
        R"({"score": {"$range": [1, "2"]}})",
        R"({"score": {"$range": {"start": 1}}})",
        R"({"vip": "true"})",
        R"({"vip": {"$isnull": "yes"}})",
        R"({"vip": {"$exists": 1}})",
        R"({"birthday": {"$lt": "yesterday"}})",
        R"({"birthday": {"$lt": 5}})",
        R"({"birthday": "2020-02-30T00:00:00Z"})",
        R"({"tags": {"$eq": "a"}})",
        R"({"tags": "a"})",
        R"({"tags": {"$all": "a"}})",
        R"({"tags": {"$in": "a"}})",
        R"({"profile": {"$eq": 1}})",
        R"({"profile": {"$has_key": "a.b"}})",
        R"({"profile": {"$has_key": "1a"}})",
        R"({"profile": {"$has_key": 1}})",
        R"({"referrer": {"$eq": true}})",
        R"({"referrer": {"$in": [true]}})",
        R"({"test": {"$contains": ""}})",
        R"({"test": {"$contains": 5}})",
        R"({"test": {"$icontains": null}})",
        R"({"test": {"$regex": 1}})",
        R"({"test": {"$regex": "("}})",
        R"({"test": {"$regex": "a", "$options": "x"}})",
        R"({"test": {"$regex": "a", "$options": 1}})",
        R"({"test": {"$regex": "(a)\\1"}})",
        R"({"test": {"$regex": "a)(b"}})",
        R"({"test": {"$regex": "a\\"}})",
        R"({"location": {"$intersects": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}})",
        R"({"location": {"$intersects": {"type": "Point", "coordinates": [0]}}})",
        R"({"location": {"$within": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}}})",
        R"({"location": {"$within": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}})",
        R"({"location": {"$within": {"type": "Point", "coordinates": [0, 0]}}})",
        R"({"location": {"$center": {"radius": -1, "coordinates": [0, 0]}}})",
        R"({"location": {"$center": {"radius": 1, "coordinates": [200, 0]}}})",
        R"({"location": {"$center": {"radius": "1", "coordinates": [0, 0]}}})",
        R"({"location": {"$center": {"coordinates": [0, 0]}}})",
        R"({"location": {"$center": {"radius": 1, "coordinates": [0, 0], "x": 1}}})",
        R"({"location": {"$nearsphere": {"max_distance": 5}}})",
        R"({"location": {"$nearsphere": {"geometry": {"type": "Point", "coordinates": [0, 0]},
            "min_distance": 10, "max_distance": 5}}})",
        R"({"location": {"$nearsphere": {"geometry": {"type": "Point", "coordinates": [0, 0]},
            "min_distance": -1}}})",
        R"({"location": {"$nearsphere": {"geometry": {"type": "Point", "coordinates": [0, 0]},
            "radius": 1}}})",
        R"({"$or": [{"location": {"$nearsphere": {"geometry": {"type": "Point", "coordinates": [0, 0]}}}},
                    {"location": {"$nearsphere": {"geometry": {"type": "Point", "coordinates": [1, 1]}}}}]})",
    });
}

// Notes §4.3: every operator is tried on every column type; the parse must succeed exactly for
// the listed pairs (the operands are valid whenever the pair is allowed).
BOOST_AUTO_TEST_CASE(operator_type_matrix) {
    const std::map<std::string, std::set<std::string>> matrix = {
        {"test",
         {"$eq", "$ne", "$in", "$nin", "$contains", "$icontains", "$regex", "$isnull", "$exists"}},
        {"score",
         {"$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$range", "$isnull",
          "$exists"}},
        {"balance",
         {"$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$range", "$isnull",
          "$exists"}},
        {"vip", {"$eq", "$isnull", "$exists"}},
        {"birthday", {"$eq", "$lt", "$lte", "$gt", "$gte", "$isnull", "$exists"}},
        {"tags", {"$eq", "$in", "$nin", "$all", "$isnull", "$exists"}},
        {"profile", {"$eq", "$has_key", "$isnull", "$exists"}},
        {"avatar_file", {"$isnull", "$exists"}},
        {"location", {"$intersects", "$within", "$center", "$nearsphere", "$isnull", "$exists"}},
        {"referrer", {"$eq", "$ne", "$in", "$nin", "$isnull", "$exists"}},
    };
    const std::map<std::string, std::string> sample = {
        {"test", R"("x")"},
        {"score", "1"},
        {"balance", "1.5"},
        {"vip", "true"},
        {"birthday", R"("2000-01-01T00:00:00Z")"},
        {"tags", R"(["a"])"},
        {"profile", R"({"a": 1})"},
        {"avatar_file", R"({"id": "f"})"},
        {"location", "0"},
        {"referrer", R"("r1")"},
    };
    const std::vector<std::string> ops = {
        "$eq",        "$ne",      "$lt",         "$lte",    "$gt",     "$gte",       "$contains",
        "$icontains", "$regex",   "$in",         "$nin",    "$all",    "$range",     "$isnull",
        "$exists",    "$has_key", "$intersects", "$within", "$center", "$nearsphere"};
    const auto operand = [&](const std::string& field, const std::string& op) -> std::string {
        if (op == "$contains" || op == "$icontains" || op == "$regex")
            return R"("x")";
        if (op == "$in" || op == "$nin")
            return "[" + sample.at(field) + "]";
        if (op == "$all")
            return R"(["a"])";
        if (op == "$range")
            return "[0, 1]";
        if (op == "$isnull" || op == "$exists")
            return "true";
        if (op == "$has_key")
            return R"("a")";
        if (op == "$intersects")
            return R"({"type": "Point", "coordinates": [0, 0]})";
        if (op == "$within")
            return R"({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})";
        if (op == "$center")
            return R"({"radius": 1, "coordinates": [0, 0]})";
        if (op == "$nearsphere")
            return R"({"geometry": {"type": "Point", "coordinates": [0, 0]}})";
        return sample.at(field);
    };
    for (const auto& [field, allowed] : matrix) {
        for (const auto& op : ops) {
            const std::string where =
                "{\"" + field + "\": {\"" + op + "\": " + operand(field, op) + "}}";
            BOOST_TEST_CONTEXT("where = " << where) {
                const auto r = where_filter::parse(where, schema::seeded());
                BOOST_TEST(r.has_value() == allowed.contains(op),
                           (r ? "accepted" : r.error().message));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(iso8601_instants) {
    using minapp::emulator::detail::parse_iso8601_micros;
    const std::vector<std::pair<std::string, std::optional<std::int64_t>>> cases = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01", 0},
        {"1970-01-01T00:00:01.5Z", 1'500'000},
        {"1970-01-01T08:00:00+08:00", 0},
        {"1970-01-01T08:00:00+0800", 0},
        {"1969-12-31T19:00:00-05", 0},
        {"1970-01-01 00:01", 60'000'000},
        {"2018-09-26T11:22:51.100000+08:00", 1537932171'100'000},
        {"2018-09-26T11:22:51.1000009+08:00", 1537932171'100'000},
        {"2000-02-29T00:00:00Z", 951782400'000'000},
        {"1969-12-31T23:59:59Z", -1'000'000},
        {"2001-02-29T00:00:00Z", std::nullopt},
        {"2000-13-01", std::nullopt},
        {"2000-01-01T24:00:00Z", std::nullopt},
        {"2000-01-01T00:00:00+8", std::nullopt},
        {"2000-01-01T00:00:00.Z", std::nullopt},
        {"2000-01-01T00:00:00Zjunk", std::nullopt},
        {"20000101", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& [text, expected] : cases) {
        BOOST_TEST_CONTEXT("date = " << text) {
            BOOST_TEST((parse_iso8601_micros(text) == expected));
        }
    }
}

BOOST_AUTO_TEST_CASE(geometry_helpers) {
    using namespace minapp::emulator::detail;
    const geo_point beijing{116.397, 39.909};
    const geo_point shanghai{121.4737, 31.2304};
    BOOST_TEST(std::abs(geo_distance_m(beijing, shanghai) - 1067.0e3) < 5.0e3);
    BOOST_TEST(geo_distance_m(beijing, beijing) == 0.0);
    // One degree of latitude on the mean sphere.
    BOOST_TEST(std::abs(geo_distance_m({0, 0}, {0, 1}) - 111195.08) < 1.0);
    const auto square = parse_geo_polygon(json::parse(
        R"({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]})"));
    BOOST_TEST_REQUIRE(square.has_value());
    BOOST_TEST(geo_contains(*square, {1, 1}));
    BOOST_TEST(geo_contains(*square, {2, 1}));
    BOOST_TEST(geo_contains(*square, {0, 0}));
    BOOST_TEST(!geo_contains(*square, {3, 1}));
    BOOST_TEST(!geo_contains(*square, {1, -0.001}));
    BOOST_TEST(!parse_geo_point(json::parse(R"({"type": "Point", "coordinates": [0, 91]})")));
    BOOST_TEST(!parse_geo_point(json::parse(R"({"type": "point", "coordinates": [0, 0]})")));
}

BOOST_AUTO_TEST_SUITE_END()
