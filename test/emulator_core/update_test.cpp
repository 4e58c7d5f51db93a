// Unit tests of the emulator's update documents (notes §6).
#include "emulator/core/update.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace json = boost::json;
using minapp::emulator::detail::schema;
using minapp::emulator::detail::update_plan;

namespace {

const char* const stored_user = R"({
  "id": 7, "created_at": 1, "updated_at": 100, "nickname": "Alice",
  "score": 10, "balance": 1.5, "vip": true, "tags": ["a", "b", "a"],
  "profile": {"city": "Paris", "stats": {"v": 1}}, "test": "x"
})";

json::object parse_object(const std::string& text) {
    json::value v = json::parse(text);
    return std::move(v.as_object());
}

json::object user() {
    return parse_object(stored_user);
}

update_plan plan(const std::string& body) {
    auto r = update_plan::parse(json::parse(body), schema::seeded());
    BOOST_TEST_REQUIRE(r.has_value(), "rejected: " << body << " : " << r.error().message);
    return std::move(*r);
}

/// One successful update: `expected` lists fields and their new JSON values; a null value in
/// `expected` means the key must be absent afterwards.
struct success_case {
    std::string body;
    std::string expected;
};

void check_success(const std::vector<success_case>& cases, const json::object& base = user()) {
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("body = " << c.body) {
            auto p = plan(c.body);
            json::object u = base;
            const auto r = p.apply(u);
            BOOST_TEST_REQUIRE(r.has_value(), (r ? "" : r.error().message));
            json::object want = base;
            for (const auto& kv : parse_object(c.expected)) {
                if (kv.value().is_null()) {
                    want.erase(kv.key());
                } else {
                    want[kv.key()] = kv.value();
                }
            }
            BOOST_TEST((u == want), json::serialize(u) << " != " << json::serialize(want));
        }
    }
}

void check_rejected(const std::vector<std::string>& bodies) {
    for (const auto& body : bodies) {
        BOOST_TEST_CONTEXT("body = " << body) {
            const auto r = update_plan::parse(json::parse(body), schema::seeded());
            BOOST_TEST_REQUIRE(r.has_error());
            BOOST_TEST(!r.error().message.empty());
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(update_documents)

BOOST_AUTO_TEST_CASE(empty_documents_change_nothing) {
    for (const char* body : {"{}", R"({"$set": {}})", R"({"$set": {}, "$unset": {}})"}) {
        BOOST_TEST_CONTEXT("body = " << body) {
            auto p = plan(body);
            BOOST_TEST(p.empty());
            json::object u = user();
            BOOST_TEST(p.apply(u).has_value());
            BOOST_TEST(json::serialize(u) == json::serialize(user()));
        }
    }
    BOOST_TEST(!plan(R"({"score": 1})").empty());
    BOOST_TEST(!plan(R"({"$unset": {"test": ""}})").empty());
}

BOOST_AUTO_TEST_CASE(plain_map_set_and_unset) {
    check_success({
        {R"({"score": 11, "test": "y"})", R"({"score": 11, "test": "y"})"},
        {R"({"$set": {"score": 12}})", R"({"score": 12})"},
        {R"({"$unset": {"test": ""}})", R"({"test": null})"},
        {R"({"$unset": {"test": [""], "score": 0}})", R"({"test": null, "score": null})"},
        {R"({"$unset": {"birthday": ""}})", "{}"},
        {R"({"$set": {"score": 1}, "$unset": {"test": ""}})", R"({"score": 1, "test": null})"},
        {R"({"test": null})", R"({"test": null})"},
        {R"({"$set": {"vip": null}})", R"({"vip": null})"},
        {R"({"score": 3.0})", R"({"score": 3})"},
        {R"({"balance": 2})", R"({"balance": 2})"},
        {R"({"vip": false})", R"({"vip": false})"},
        {R"({"tags": []})", R"({"tags": []})"},
        {R"({"profile": {"any key": [1]}})", R"({"profile": {"any key": [1]}})"},
        {R"({"birthday": "2020-01-01T00:00:00.5+08:00"})",
         R"({"birthday": "2020-01-01T00:00:00.5+08:00"})"},
        {R"({"location": {"type": "Point", "coordinates": [116.4, 39.9]}})",
         R"({"location": {"type": "Point", "coordinates": [116.4, 39.9]}})"},
        {R"({"location": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}})",
         R"({"location": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}})"},
        {R"({"avatar_file": {"id": "f1", "name": "a.png", "size": 3}})",
         R"({"avatar_file": {"id": "f1", "name": "a.png", "size": 3}})"},
        {R"({"referrer": "5bad87ab"})", R"({"referrer": "5bad87ab"})"},
        {R"({"referrer": 64501217})", R"({"referrer": 64501217})"},
    });
}

BOOST_AUTO_TEST_CASE(set_keeps_integer_type) {
    auto p = plan(R"({"score": 3.0})");
    json::object u = user();
    BOOST_TEST_REQUIRE(p.apply(u).has_value());
    BOOST_TEST(u.at("score").is_int64());
}

BOOST_AUTO_TEST_CASE(updated_at_is_left_to_the_caller) {
    auto p = plan(R"({"score": 1})");
    json::object u = user();
    BOOST_TEST_REQUIRE(p.apply(u).has_value());
    BOOST_TEST(u.at("updated_at").as_int64() == 100);
}

BOOST_AUTO_TEST_CASE(incr_by) {
    check_success({
        {R"({"score": {"$incr_by": 2}})", R"({"score": 12})"},
        {R"({"$set": {"score": {"$incr_by": 1}}, "$unset": {}})", R"({"score": 11})"},
        {R"({"score": {"$incr_by": -15}})", R"({"score": -5})"},
        {R"({"score": {"$incr_by": 2.0}})", R"({"score": 12})"},
        {R"({"balance": {"$incr_by": 1}})", R"({"balance": 2.5})"},
        {R"({"balance": {"$incr_by": -0.25}})", R"({"balance": 1.25})"},
    });
    // An unset field counts as zero.
    check_success({{R"({"score": {"$incr_by": 4}})", R"({"score": 4})"}}, json::object{{"id", 1}});
    // Integer stays integer; integer plus a fraction becomes a number.
    json::object u = user();
    BOOST_TEST_REQUIRE(plan(R"({"score": {"$incr_by": 2.0}})").apply(u).has_value());
    BOOST_TEST(u.at("score").is_int64());
    json::object v{{"balance", 2}};
    BOOST_TEST_REQUIRE(plan(R"({"balance": {"$incr_by": 0.5}})").apply(v).has_value());
    BOOST_TEST(v.at("balance").as_double() == 2.5);
}

BOOST_AUTO_TEST_CASE(array_operators) {
    check_success({
        {R"({"tags": {"$append": ["c", "a"]}})", R"({"tags": ["a", "b", "a", "c", "a"]})"},
        {R"({"tags": {"$append": "z"}})", R"({"tags": ["a", "b", "a", "z"]})"},
        {R"({"$set": {"tags": {"$append": [{"k": 1}]}}})",
         R"({"tags": ["a", "b", "a", {"k": 1}]})"},
        {R"({"tags": {"$append_unique": ["a", "c", "c"]}})", R"({"tags": ["a", "b", "a", "c"]})"},
        {R"({"tags": {"$append_unique": "b"}})", R"({"tags": ["a", "b", "a"]})"},
        {R"({"tags": {"$remove": ["a"]}})", R"({"tags": ["b"]})"},
        {R"({"tags": {"$remove": ["a", "b"]}})", R"({"tags": []})"},
        {R"({"tags": {"$remove": "b"}})", R"({"tags": ["a", "a"]})"},
        {R"({"tags": {"$remove": ["zzz"]}})", "{}"},
        {R"({"tags": {"$pop": 1}})", R"({"tags": ["a", "b"]})"},
        {R"({"tags": {"$pop": -1}})", R"({"tags": ["b", "a"]})"},
    });
    // Unset arrays: append creates, remove and pop leave them unset.
    const json::object bare{{"id", 1}};
    check_success(
        {
            {R"({"tags": {"$append": [1]}})", R"({"tags": [1]})"},
            {R"({"tags": {"$append_unique": [1, 1.0]}})", R"({"tags": [1]})"},
            {R"({"tags": {"$remove": [1]}})", "{}"},
            {R"({"tags": {"$pop": 1}})", "{}"},
        },
        bare);
    // Arrays of objects: only the first operand item of $remove counts.
    const json::object objects{{"tags", json::parse(R"([{"k": 1}, {"k": 2}, {"k": 1}])")}};
    check_success({{R"({"tags": {"$remove": [{"k": 1}, {"k": 2}]}})", R"({"tags": [{"k": 2}]})"},
                   {R"({"tags": {"$pop": 1}})", R"({"tags": [{"k": 1}, {"k": 2}]})"}},
                  objects);
    check_success({{R"({"tags": {"$pop": 1}})", "{}"}}, json::object{{"tags", json::array{}}});
}

BOOST_AUTO_TEST_CASE(update_merges_objects_shallowly) {
    check_success({
        {R"({"profile": {"$update": {"city": "Rome", "zip": "00100"}}})",
         R"({"profile": {"city": "Rome", "stats": {"v": 1}, "zip": "00100"}})"},
        {R"({"profile": {"$update": {"stats": {"w": 2}}}})",
         R"({"profile": {"city": "Paris", "stats": {"w": 2}}})"},
        {R"({"$set": {"profile": {"$update": {}}}})", "{}"},
    });
    check_success({{R"({"profile": {"$update": {"a_1": true}}})", R"({"profile": {"a_1": true}})"}},
                  json::object{{"id", 1}});
}

BOOST_AUTO_TEST_CASE(builtin_and_unknown_fields_are_rejected) {
    check_rejected({
        R"({"id": 5})",
        R"({"nickname": "x"})",
        R"({"updated_at": 1})",
        R"({"created_by": 1})",
        R"({"_email": "a@b.c"})",
        R"({"_group": [1]})",
        R"({"$set": {"gender": 1}})",
        R"({"$unset": {"nickname": ""}})",
        R"({"nope": 1})",
        R"({"$unset": {"nope": ""}})",
        R"({"profile.city": "x"})",
        R"({"profile.stats": {"$incr_by": 1}})",
        R"({"nickname": {"$append": ["x"]}})",
    });
}

BOOST_AUTO_TEST_CASE(conflicts_and_malformed_documents_are_rejected) {
    check_rejected({
        "[1]",
        R"("x")",
        "null",
        R"({"$set": {"score": 1}, "$unset": {"score": ""}})",
        R"({"score": 1, "$unset": {"score": ""}})",
        R"({"score": 1, "$set": {"score": 2}})",
        R"({"$set": 5})",
        R"({"$unset": "score"})",
        R"({"$unset": ["score"]})",
        R"({"$inc": {"score": 1}})",
        R"({"$incr_by": {"score": 1}})",
    });
    const auto r = update_plan::parse(
        json::parse(R"({"$set": {"test": "a"}, "$unset": {"test": ""}})"), schema::seeded());
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().message.find("both set and unset") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_operators_are_rejected) {
    check_rejected({
        R"({"score": {"$incr": 1}})",
        R"({"score": {"$set": 1}})",
        R"({"score": {"$unset": 1}})",
        R"({"tags": {"$push": [1]}})",
        R"({"tags": {"$append_uniq": [1]}})",
        R"({"score": {"$incr_by": 1, "$append": [1]}})",
        R"({"profile": {"$update": {}, "a": 1}})",
    });
    const auto r = update_plan::parse(json::parse(R"({"score": {"$incr": 1}})"), schema::seeded());
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().message.find("$incr_by") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(type_mismatches_are_rejected) {
    check_rejected({
        R"({"score": "1"})",
        R"({"score": 1.5})",
        R"({"score": true})",
        R"({"score": 9223372036854775808})",
        R"({"balance": "x"})",
        R"({"vip": 1})",
        R"({"vip": "true"})",
        R"({"tags": "a"})",
        R"({"tags": {"a": 1}})",
        R"({"profile": []})",
        R"({"profile": "x"})",
        R"({"location": {"type": "Point", "coordinates": [200, 0]}})",
        R"({"location": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}})",
        R"({"location": [116.4, 39.9]})",
        R"({"birthday": "tomorrow"})",
        R"({"birthday": 20200101})",
        R"({"birthday": "2021-02-29T00:00:00Z"})",
        R"({"avatar_file": "f1"})",
        R"({"referrer": ""})",
        R"({"referrer": true})",
        R"({"referrer": {"id": "x"}})",
        R"({"test": 5})",
        R"({"$set": {"test": ["x"]}})",
    });
}

BOOST_AUTO_TEST_CASE(atomic_operator_column_and_operand_mismatches_are_rejected) {
    check_rejected({
        // Wrong column type for the operator.
        R"({"tags": {"$incr_by": 1}})",
        R"({"test": {"$incr_by": 1}})",
        R"({"score": {"$append": [1]}})",
        R"({"test": {"$append_unique": ["a"]}})",
        R"({"test": {"$remove": "a"}})",
        R"({"tags": {"$update": {}}})",
        R"({"profile": {"$pop": 1}})",
        R"({"profile": {"$append": [1]}})",
        // Wrong operand.
        R"({"score": {"$incr_by": 1.5}})",
        R"({"score": {"$incr_by": "1"}})",
        R"({"balance": {"$incr_by": "1"}})",
        R"({"balance": {"$incr_by": null}})",
        R"({"tags": {"$append": null}})",
        R"({"tags": {"$remove": null}})",
        R"({"profile": {"$update": [1]}})",
        R"({"profile": {"$update": {"bad key": 1}}})",
        R"({"profile": {"$update": {"_x": 1}}})",
        R"({"profile": {"$update": {"1a": 1}}})",
        R"({"tags": {"$pop": 2}})",
        R"({"tags": {"$pop": 0}})",
        R"({"tags": {"$pop": "1"}})",
    });
}

BOOST_AUTO_TEST_CASE(apply_is_all_or_nothing) {
    // Each body first makes a valid change, then hits a stored value that does not fit.
    struct failing {
        std::string stored;
        std::string body;
    };
    const std::vector<failing> cases = {
        {R"({"score": "oops", "test": "x"})", R"({"test": "changed", "score": {"$incr_by": 1}})"},
        {R"({"score": 9223372036854775807, "test": "x"})",
         R"({"test": "changed", "score": {"$incr_by": 1}})"},
        {R"({"tags": "str", "test": "x"})", R"({"test": "changed", "tags": {"$append": ["y"]}})"},
        {R"({"tags": 5, "test": "x"})",
         R"({"$unset": {"test": ""}, "tags": {"$append_unique": [1]}})"},
        {R"({"tags": {"a": 1}, "score": 1})",
         R"({"score": {"$incr_by": 1}, "tags": {"$remove": [1]}})"},
        {R"({"tags": "str", "score": 1})", R"({"score": {"$incr_by": 1}, "tags": {"$pop": -1}})"},
        {R"({"profile": [1], "score": 1})",
         R"({"score": {"$incr_by": 1}, "profile": {"$update": {"a": 1}}})"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("stored = " << c.stored << ", body = " << c.body) {
            auto p = plan(c.body);
            json::object u = parse_object(c.stored);
            const auto r = p.apply(u);
            BOOST_TEST_REQUIRE(r.has_error());
            BOOST_TEST(!r.error().message.empty());
            BOOST_TEST(json::serialize(u) == json::serialize(json::parse(c.stored)));
        }
    }
}

// Found by fuzz_emulator_request: Boost.JSON reads 1e999 as infinity, which was stored and then
// written back as "Infinity" (not JSON), breaking every later read of the user.
BOOST_AUTO_TEST_CASE(numbers_beyond_a_double_are_refused) {
    check_rejected({R"({"balance": 1e999})", R"({"balance": {"$incr_by": -1e999}})",
                    R"({"tags": {"$append": [1e999]}})", R"({"profile": {"a": [1, 1e400]}})"});
    auto p = plan(R"({"balance": {"$incr_by": 1.7e308}})");
    json::object u{{"id", 7}, {"balance", 1.7e308}};
    const auto r = p.apply(u);
    BOOST_TEST_REQUIRE(r.has_error());
    BOOST_TEST(u.at("balance").as_double() == 1.7e308);
}

BOOST_AUTO_TEST_CASE(plan_is_reusable_across_users) {
    auto p = plan(R"({"score": {"$incr_by": 5}, "tags": {"$append_unique": ["new"]}})");
    json::object a = user();
    json::object b{{"id", 8}, {"score", 1}};
    BOOST_TEST_REQUIRE(p.apply(a).has_value());
    BOOST_TEST_REQUIRE(p.apply(b).has_value());
    BOOST_TEST_REQUIRE(p.apply(b).has_value());
    BOOST_TEST(a.at("score").as_int64() == 15);
    BOOST_TEST(b.at("score").as_int64() == 11);
    BOOST_TEST(json::serialize(b.at("tags")) == R"(["new"])");
}

BOOST_AUTO_TEST_SUITE_END()
