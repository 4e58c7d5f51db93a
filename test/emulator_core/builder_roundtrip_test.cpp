// Cross-check of the client's builders against the emulator's parsers: every document the
// builders emit is accepted by the emulator and means what the builder intends; documents the
// builders refuse are refused by the emulator too.
#include "emulator/core/update.hpp"
#include "emulator/core/where.hpp"

#include <minapp/update.hpp>
#include <minapp/where.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace json = boost::json;
using minapp::geo_point;
using minapp::geo_polygon;
using minapp::update;
using minapp::where;
using minapp::emulator::detail::schema;
using minapp::emulator::detail::update_plan;
using minapp::emulator::detail::where_filter;

namespace {

// Users of the seeded schema. User 1 stores a point in Beijing, user 2 one in Shanghai (about
// 1070 km apart), user 3 a square polygon around Guangzhou; user 4 has no custom field.
const char* const users_json = R"([
  {"id": 1, "nickname": "Alice", "unionid": null, "score": 10, "balance": 12.5, "vip": true,
   "tags": ["a", "b"], "profile": {"city": "Paris", "level": 3},
   "location": {"type": "Point", "coordinates": [116.397, 39.909]},
   "birthday": "1990-05-01T08:00:00+08:00", "test": "hello world", "referrer": "5bad87ab",
   "_group": [100, 200]},
  {"id": 2, "nickname": "bob", "unionid": "u2", "score": 20, "balance": 0, "vip": false,
   "tags": ["b", "c"], "profile": {"level": 1},
   "location": {"type": "Point", "coordinates": [121.4737, 31.2304]},
   "birthday": "1985-12-31T23:30:00Z", "test": "Hello\nWorld", "_group": [300]},
  {"id": 3, "nickname": "Carol", "score": 30, "balance": -3.25, "tags": [], "profile": {},
   "location": {"type": "Polygon",
                "coordinates": [[[113, 23], [114, 23], [114, 24], [113, 24], [113, 23]]]},
   "birthday": "2000-01-01T00:00:00-05:00", "test": "广州 Carol"},
  {"id": 4, "nickname": "dave"}
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

const geo_point beijing{116.397, 39.909};
const geo_point shanghai{121.4737, 31.2304};

struct match_case {
    const char* what;
    where built;
    std::vector<std::int64_t> ids;
};

} // namespace

BOOST_AUTO_TEST_SUITE(builder_roundtrip)

BOOST_AUTO_TEST_CASE(emulator_accepts_and_evaluates_every_where_operator) {
    const geo_polygon around_beijing{{{116.0, 39.0}, {117.0, 39.0}, {117.0, 40.0}, {116.0, 40.0}}};
    const match_case rows[] = {
        {"all", where::all(), {1, 2, 3, 4}},
        {"eq integer", where::eq("score", 10), {1}},
        {"eq number", where::eq("balance", 12.5), {1}},
        {"eq string", where::eq("test", "hello world"), {1}},
        {"eq boolean", where::eq("vip", true), {1}},
        {"eq array, any order", where::eq("tags", json::array{"b", "a"}), {1}},
        {"eq object", where::eq("profile", json::object{{"level", 3}, {"city", "Paris"}}), {1}},
        {"eq pointer", where::eq("referrer", "5bad87ab"), {1}},
        {"eq date", where::eq("birthday", "1990-05-01T00:00:00Z"), {1}},
        {"ne", where::ne("score", 10), {2, 3, 4}},
        {"lt", where::lt("score", 20), {1}},
        {"lte", where::lte("score", 20), {1, 2}},
        {"gt", where::gt("balance", 0), {1}},
        {"gte", where::gte("balance", 0), {1, 2}},
        {"gt date", where::gt("birthday", "1995-01-01T00:00:00Z"), {3}},
        {"lt date", where::lt("birthday", "1990-01-01T00:00:00+08:00"), {2}},
        {"in numbers", where::in("score", {10, 30}), {1, 3}},
        {"in strings", where::in("test", {"hello world", "x"}), {1}},
        {"in array field", where::in("tags", {"c", "z"}), {2}},
        {"in pointer", where::in("referrer", {"5bad87ab"}), {1}},
        {"nin", where::nin("score", {10, 30}), {2, 4}},
        {"all elements", where::contains_all("tags", {"a", "b"}), {1}},
        {"all of one", where::contains_all("tags", {"b"}), {1, 2}},
        {"contains", where::contains("test", "World"), {2}},
        {"contains chinese", where::contains("test", "广州"), {3}},
        {"icontains", where::icontains("test", "WORLD"), {1, 2}},
        {"regex", where::regex("test", "^hello"), {1}},
        {"regex i", where::regex("test", "^hello", "i"), {1, 2}},
        {"regex m", where::regex("test", "^World$", "m"), {2}},
        {"regex is", where::regex("test", "hello.world", "is"), {1, 2}},
        {"regex ignored flags", where::regex("test", "o w", "guy"), {1}},
        {"range integer", where::range("score", 10, 30), {1, 2}},
        {"range number", where::range("balance", -5, 0), {3}},
        {"isnull", where::is_null("unionid"), {1, 3, 4}},
        {"isnull false", where::is_null("unionid", false), {2}},
        {"exists", where::exists("score"), {1, 2, 3}},
        {"exists false", where::exists("score", false), {4}},
        {"has_key", where::has_key("profile", "city"), {1}},
        {"has_key shared", where::has_key("profile", "level"), {1, 2}},
        {"intersects", where::intersects("location", {113.5, 23.5}), {3}},
        {"intersects elsewhere", where::intersects("location", {0.0, 0.0}), {}},
        {"within (ring closed by the builder)", where::within("location", around_beijing), {1}},
        {"center 10 km", where::within_circle("location", shanghai, 10), {2}},
        {"center 1500 km", where::within_circle("location", beijing, 1500), {1, 2}},
        {"nearsphere max", where::near_sphere("location", beijing, 1000.0), {1}},
        {"nearsphere annulus", where::near_sphere("location", beijing, 1.2e6, 1.0e6), {2}},
        {"nearsphere unbounded", where::near_sphere("location", shanghai, std::nullopt), {1, 2}},
        {"in_groups", where::in_groups({300}), {2}},
        {"in_groups several", where::in_groups({100, 300}), {1, 2}},
        {"and", where::gt("score", 15) && where::contains("test", "Carol"), {3}},
        {"or", where::eq("score", 10) || where::eq("score", 20), {1, 2}},
        {"nested",
         (where::in_groups({100}) || where::is_null("unionid", false)) && where::exists("tags"),
         {1, 2}},
        {"or with all", where::eq("score", 10) || where::all(), {1, 2, 3, 4}},
        {"raw several operators", where::parse(R"({"score":{"$gt":1,"$in":[10,20]}})"), {1, 2}},
        {"raw shorthand", where::parse(R"({"vip":false})"), {2}},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what << ": " << r.built.to_json()) {
            BOOST_TEST_REQUIRE(r.built.problem() == "");
            const auto filter = where_filter::parse(r.built.to_json(), schema::seeded());
            BOOST_TEST_REQUIRE(filter.has_value(), "emulator: " << filter.error().message);
            std::vector<std::int64_t> ids;
            for (const auto& u : users()) {
                if (filter->matches(u)) {
                    ids.push_back(u.at("id").as_int64());
                }
            }
            BOOST_TEST(ids == r.ids, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(near_sphere_orders_by_distance_in_the_emulator) {
    const where w = where::near_sphere("location", shanghai, std::nullopt);
    const auto filter = where_filter::parse(w.to_json(), schema::seeded());
    BOOST_TEST_REQUIRE(filter.has_value());
    BOOST_TEST(filter->sorts_by_distance());
    BOOST_TEST(filter->sort_key(users()[1]) < filter->sort_key(users()[0]));
}

BOOST_AUTO_TEST_CASE(both_refuse_the_same_where_documents) {
    struct row {
        const char* wire; // what would reach the server without the builder's check
        where built;      // the builder's call (or parse) that records a problem instead
    };
    const row rows[] = {
        {R"({"test":{"$contains":""}})", where::contains("test", "")},
        {R"({"profile":{"$has_key":"1a"}})", where::has_key("profile", "1a")},
        {R"({"test":{"$regex":"a","$options":"x"}})", where::regex("test", "a", "x")},
        {R"({"profile.city":{"$eq":"Paris"}})", where::eq("profile.city", "Paris")},
        {R"({"_group":{"$eq":100}})", where::eq("_group", 100)},
        {R"({"location":{"$intersects":{"type":"Point","coordinates":[181,0]}}})",
         where::intersects("location", {181.0, 0.0})},
        {R"({"location":{"$within":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}}})",
         where::within("location", {{{0.0, 0.0}, {1.0, 1.0}}})},
        {R"({"location":{"$center":{"radius":-1,"coordinates":[0,0]}}})",
         where::within_circle("location", {0.0, 0.0}, -1)},
        {R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[0,0]},
            "min_distance":20,"max_distance":10}}})",
         where::near_sphere("location", {0.0, 0.0}, 10.0, 20)},
        {R"({"$and":[{"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[0,0]}}}},
            {"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1,1]}}}}]})",
         where::near_sphere("location", {0.0, 0.0}, std::nullopt) &&
             where::near_sphere("location", {1.0, 1.0}, std::nullopt)},
        {R"({"score":{"$incr":1}})", where::parse(R"({"score":{"$incr":1}})")},
        {R"({"$nor":[{}]})", where::parse(R"({"$nor":[{}]})")},
        {R"({"$or":[]})", where::parse(R"({"$or":[]})")},
        {R"({"test":{"$options":"i"}})", where::parse(R"({"test":{"$options":"i"}})")},
        {R"({"score":{"$eq":1,"x":2}})", where::parse(R"({"score":{"$eq":1,"x":2}})")},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.wire) {
            BOOST_TEST(r.built.problem() != "");
            BOOST_TEST(where_filter::parse(r.wire, schema::seeded()).has_error());
        }
    }
}

BOOST_AUTO_TEST_CASE(emulator_accepts_and_applies_every_update_operation) {
    struct row {
        const char* what;
        update built;
        const char* expected;             // fields of user 1 after the update
        std::vector<const char*> removed; // fields of user 1 the update removes
    };
    const row rows[] = {
        {"nothing", update(), R"({"score":10})", {}},
        {"set", update().set("score", 11).set("test", "x"), R"({"score":11,"test":"x"})", {}},
        {"set every type",
         update()
             .set("balance", 1.5)
             .set("vip", false)
             .set("tags", json::array{"z"})
             .set("profile", {{"k", 1}})
             .set("location", {{"type", "Point"}, {"coordinates", {1, 2}}})
             .set("birthday", "2001-02-03T04:05:06Z")
             .set("referrer", "abc"),
         R"({"balance":1.5,"vip":false,"tags":["z"],"profile":{"k":1},
             "location":{"type":"Point","coordinates":[1,2]},"birthday":"2001-02-03T04:05:06Z",
             "referrer":"abc"})",
         {}},
        {"unset", update().unset("test"), R"({"score":10})", {"test"}},
        {"set, unset and incr",
         update().set("score", 11).unset("test").incr_by("balance", 1.5),
         R"({"score":11,"balance":14.0})",
         {"test"}},
        {"incr integer", update().incr_by("score", 5), R"({"score":15})", {}},
        {"decr integer", update().incr_by("score", -20), R"({"score":-10})", {}},
        {"append scalar", update().append("tags", "c"), R"({"tags":["a","b","c"]})", {}},
        {"append list", update().append("tags", {"a", "d"}), R"({"tags":["a","b","a","d"]})", {}},
        {"append_unique",
         update().append_unique("tags", {"a", "d"}),
         R"({"tags":["a","b","d"]})",
         {}},
        {"remove", update().remove("tags", {"a", "z"}), R"({"tags":["b"]})", {}},
        {"patch",
         update().patch("profile", {{"city", "Berlin"}, {"zip", "10115"}}),
         R"({"profile":{"city":"Berlin","level":3,"zip":"10115"}})",
         {}},
        {"pop_back", update().pop_back("tags"), R"({"tags":["a"]})", {}},
        {"pop_front", update().pop_front("tags"), R"({"tags":["b"]})", {}},
        {"last wins", update().append("tags", "c").pop_front("tags"), R"({"tags":["b"]})", {}},
        {"raw",
         update::parse(R"({"$set":{"score":{"$incr_by":1}},"$unset":{"vip":""}})"),
         R"({"score":11})",
         {"vip"}},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what << ": " << r.built.to_json()) {
            BOOST_TEST_REQUIRE(r.built.problem() == "");
            const auto plan = update_plan::parse(json::parse(r.built.to_json()), schema::seeded());
            BOOST_TEST_REQUIRE(plan.has_value(), "emulator: " << plan.error().message);
            BOOST_TEST(plan->empty() == r.built.empty());
            json::object user = users().front();
            const auto applied = plan->apply(user);
            BOOST_TEST_REQUIRE(applied.has_value(), "emulator: " << applied.error().message);
            const json::value expected = json::parse(r.expected);
            for (const auto& kv : expected.as_object()) {
                BOOST_TEST_CONTEXT(kv.key()) {
                    const json::value* stored = user.if_contains(kv.key());
                    BOOST_TEST_REQUIRE(stored != nullptr);
                    // Serialised, so that an integer stored as a double would show.
                    BOOST_TEST(json::serialize(*stored) == json::serialize(kv.value()));
                }
            }
            for (const char* field : r.removed) {
                BOOST_TEST(!user.contains(field), field << " is still stored");
            }
        }
    }
}

// Found by fuzz_where_roundtrip: a value deep enough passed the builder, but its canonical form
// (one to three levels deeper) exceeded the 32 levels the emulator parses request bodies with.
BOOST_AUTO_TEST_CASE(the_deepest_value_the_builder_takes_reaches_the_emulator) {
    const auto nested = [](std::size_t depth) {
        json::value v = 1;
        for (std::size_t i = 0; i < depth; ++i) {
            v = json::array{std::move(v)};
        }
        return v;
    };
    constexpr std::size_t deepest = update::max_value_depth;
    // The deepest placement: an operator inside "$set" (an unset elsewhere forces that form).
    update built;
    built.unset("test").append("tags", nested(deepest));
    BOOST_TEST_REQUIRE(built.problem() == "");
    boost::system::error_code ec;
    const json::value body = json::parse(built.to_json(), ec); // the default limit, as served
    BOOST_TEST_REQUIRE(!ec, ec.message());
    const auto plan = update_plan::parse(body, schema::seeded());
    BOOST_TEST(plan.has_value(), (plan ? "" : plan.error().message));

    BOOST_TEST(update().set("profile", nested(deepest + 1)).problem().find("nests 30 levels") !=
               std::string::npos);
    BOOST_TEST(update().append("tags", nested(deepest + 1)).problem() != "");
}

BOOST_AUTO_TEST_CASE(both_refuse_the_same_update_documents) {
    const char* const rows[] = {
        R"({"$set":{"score":1},"$unset":{"score":""}})",
        R"({"score":1,"$set":{"score":2}})",
        R"({"$inc":{"score":1}})",
        R"({"score":{"$incr":1}})",
        R"({"score":{"$set":1}})",
        R"({"score":{"$incr_by":1,"$pop":1}})",
        R"({"score":{"$incr_by":"1"}})",
        R"({"tags":{"$pop":2}})",
        R"({"tags":{"$append":null}})",
        R"({"profile":{"$update":{"a b":1}}})",
        R"({"profile":{"$update":["a"]}})",
        R"({"profile.city":"Paris"})",
        R"({"$set":[]})",
    };
    for (const char* text : rows) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(update::parse(text).problem() != "");
            BOOST_TEST(update_plan::parse(json::parse(text), schema::seeded()).has_error());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
