// Unit tests of minapp::update (notes §6).
#include <minapp/update.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
using minapp::update;

namespace shop {
// A user's own type, converted by its tag_invoke as boost::json::value_from does.
struct badge {
    std::string name;
    int level = 0;
};
void tag_invoke(json::value_from_tag, json::value& out, const badge& b) {
    out = {{"name", b.name}, {"level", b.level}};
}
} // namespace shop

namespace {

// The exact wire text of `expected_json`, with Boost.JSON's spelling of numbers (0.5 -> 5E-1).
std::string wire(const char* expected_json) {
    return json::serialize(json::parse(expected_json));
}

struct output_case {
    const char* what;
    update built;
    const char* json;
};

void check_outputs(const std::vector<output_case>& rows) {
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(r.built.problem() == "");
            BOOST_TEST(r.built.to_json() == wire(r.json));
            BOOST_TEST(json::serialize(r.built.document()) == r.built.to_json());
        }
    }
}

struct problem_case {
    const char* what;
    update built;
    const char* problem; // a substring of the expected problem
};

void check_problems(const std::vector<problem_case>& rows) {
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what << ": " << r.built.problem()) {
            BOOST_TEST(r.built.problem().starts_with("update: "));
            BOOST_TEST(r.built.problem().find(r.problem) != std::string::npos);
        }
    }
}

update raw(const char* text) {
    return update::raw(json::parse(text).as_object());
}

// A number must not reach json::array's implicit count constructor: `append` wraps it into a
// one-item list, `append_unique` and `remove` refuse it at compile time.
template <class T>
concept append_accepts = requires(update u, T v) {
    u.append("tags", v);
};
template <class T>
concept remove_accepts = requires(update u, T v) {
    u.remove("tags", v);
};
template <class T>
concept incr_by_accepts = requires(update u, T v) {
    u.incr_by("score", v);
};
static_assert(append_accepts<int> && append_accepts<double> && append_accepts<json::array>);
static_assert(!remove_accepts<int> && remove_accepts<json::array>);
static_assert(!incr_by_accepts<bool> && incr_by_accepts<long long> && incr_by_accepts<float>);

} // namespace

BOOST_AUTO_TEST_SUITE(update_builder)

BOOST_AUTO_TEST_CASE(emits_every_operation) {
    check_outputs({
        {"nothing", update(), "{}"},
        {"set int", update().set("score", 10), R"({"score":10})"},
        {"set several", update().set("test", "x").set("vip", true).set("tags", json::array{"a"}),
         R"({"test":"x","vip":true,"tags":["a"]})"},
        {"set object", update().set("profile", {{"city", "Paris"}}),
         R"({"profile":{"city":"Paris"}})"},
        {"set null", update().set("test", nullptr), R"({"test":null})"},
        {"incr int", update().incr_by("score", 1), R"({"score":{"$incr_by":1}})"},
        {"decr int64", update().incr_by("score", std::int64_t{-2}), R"({"score":{"$incr_by":-2}})"},
        {"incr unsigned", update().incr_by("score", 3U), R"({"score":{"$incr_by":3}})"},
        {"incr short", update().incr_by("score", short{4}), R"({"score":{"$incr_by":4}})"},
        {"incr double", update().incr_by("balance", 0.5), R"({"balance":{"$incr_by":0.5}})"},
        {"incr float", update().incr_by("balance", 1.0F), R"({"balance":{"$incr_by":1.0}})"},
        {"append array", update().append("tags", json::array{"a", "b"}),
         R"({"tags":{"$append":["a","b"]}})"},
        {"append braced list", update().append("tags", {"a", "b"}),
         R"({"tags":{"$append":["a","b"]}})"},
        {"append scalar", update().append("tags", "x"), R"({"tags":{"$append":["x"]}})"},
        {"append number", update().append("tags", 5), R"({"tags":{"$append":[5]}})"},
        {"append array value", update().append("tags", json::value(json::array{"a"})),
         R"({"tags":{"$append":["a"]}})"},
        {"append nested array", update().append("tags", minapp::json_array(minapp::json_array(1))),
         R"({"tags":{"$append":[[1]]}})"},
        {"append_unique", update().append_unique("tags", {"a"}),
         R"({"tags":{"$append_unique":["a"]}})"},
        {"remove", update().remove("tags", {"a", "b"}), R"({"tags":{"$remove":["a","b"]}})"},
        {"patch", update().patch("profile", {{"city", "Paris"}, {"level_2", 3}}),
         R"({"profile":{"$update":{"city":"Paris","level_2":3}}})"},
        {"pop_back", update().pop_back("tags"), R"({"tags":{"$pop":1}})"},
        {"pop_front", update().pop_front("tags"), R"({"tags":{"$pop":-1}})"},
        {"unset only", update().unset("test"), R"({"$set":{},"$unset":{"test":""}})"},
        {"set, unset and atomic",
         update().set("score", 10).unset("test").incr_by("balance", 1).unset("vip"),
         R"({"$set":{"score":10,"balance":{"$incr_by":1}},"$unset":{"test":"","vip":""}})"},
        {"chinese value", update().set("test", "广州"), R"({"test":"广州"})"},
    });
}

BOOST_AUTO_TEST_CASE(last_call_on_a_field_wins) {
    check_outputs({
        {"set then incr", update().set("score", 1).incr_by("score", 2),
         R"({"score":{"$incr_by":2}})"},
        {"incr then set", update().incr_by("score", 2).set("score", 1), R"({"score":1})"},
        {"keeps first position", update().set("a", 1).set("b", 2).set("a", 3), R"({"a":3,"b":2})"},
        {"unset then set", update().unset("test").set("test", "x"), R"({"test":"x"})"},
        {"set then unset", update().set("test", "x").unset("test"),
         R"({"$set":{},"$unset":{"test":""}})"},
        {"append then remove", update().append("tags", {"a"}).remove("tags", {"b"}),
         R"({"tags":{"$remove":["b"]}})"},
        {"pop_back then pop_front", update().pop_back("tags").pop_front("tags"),
         R"({"tags":{"$pop":-1}})"},
    });
    const update u = update().set("a", 1).set("b", 2).incr_by("a", 3).unset("c");
    BOOST_TEST(u.fields() == (std::vector<std::string>{"a", "b", "c"}),
               boost::test_tools::per_element());
    BOOST_TEST(update().fields().empty());
}

BOOST_AUTO_TEST_CASE(classifies_idempotency) {
    struct row {
        const char* what;
        update built;
        bool idempotent;
    };
    const row rows[] = {
        {"nothing", update(), true},
        {"set", update().set("score", 1), true},
        {"unset", update().unset("score"), true},
        {"set and unset", update().set("score", 1).unset("test"), true},
        {"set null", update().set("test", nullptr), true},
        {"incr_by", update().set("score", 1).incr_by("balance", 1), false},
        {"append", update().append("tags", "a"), false},
        {"append_unique", update().append_unique("tags", {"a"}), false},
        {"remove", update().remove("tags", {"a"}), false},
        {"patch", update().patch("profile", {{"a", 1}}), false},
        {"pop_back", update().pop_back("tags"), false},
        {"pop_front", update().pop_front("tags"), false},
        {"incr replaced by set", update().incr_by("score", 1).set("score", 5), true},
        {"set replaced by incr", update().set("score", 5).incr_by("score", 1), false},
        {"raw plain", raw(R"({"score":1,"test":"x"})"), true},
        {"raw $set/$unset", raw(R"({"$set":{"score":1},"$unset":{"test":""}})"), true},
        {"raw top-level incr", raw(R"({"score":{"$incr_by":1}})"), false},
        {"raw incr inside $set", raw(R"({"$set":{"score":{"$incr_by":1}},"$unset":{}})"), false},
        {"raw append", raw(R"({"tags":{"$append":["a"]}})"), false},
        {"raw append_unique", raw(R"({"tags":{"$append_unique":["a"]}})"), false},
        {"raw remove", raw(R"({"tags":{"$remove":["a"]}})"), false},
        {"raw update", raw(R"({"profile":{"$update":{"a":1}}})"), false},
        {"raw pop", raw(R"({"tags":{"$pop":-1}})"), false},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(r.built.problem() == "");
            BOOST_TEST(r.built.idempotent() == r.idempotent);
        }
    }
    BOOST_TEST(update().empty());
    BOOST_TEST(!update().unset("a").empty());
    BOOST_TEST(raw("{}").empty());
    BOOST_TEST(raw(R"({"$set":{},"$unset":{}})").empty());
}

BOOST_AUTO_TEST_CASE(reads_raw_documents_into_canonical_form) {
    struct row {
        const char* raw;
        const char* canonical;
    };
    const row rows[] = {
        {R"({"score":10,"tags":["a"]})", R"({"score":10,"tags":["a"]})"},
        {R"({"$set":{"score":10}})", R"({"score":10})"},
        {R"({"$set":{"score":{"$incr_by":1}},"$unset":{}})", R"({"score":{"$incr_by":1}})"},
        {R"({"$unset":{"test":[""]}})", R"({"$set":{},"$unset":{"test":""}})"},
        {R"({"score":{"$incr_by":1},"$unset":{"test":""},"balance":2.5})",
         R"({"$set":{"score":{"$incr_by":1},"balance":2.5},"$unset":{"test":""}})"},
        {R"({"tags":{"$append":"x"}})", R"({"tags":{"$append":["x"]}})"},
        {R"({"tags":{"$remove":1}})", R"({"tags":{"$remove":[1]}})"},
        {R"({"tags":{"$append_unique":["a","a"]}})", R"({"tags":{"$append_unique":["a","a"]}})"},
        {R"({"profile":{"$update":{"city":"Paris"}}})",
         R"({"profile":{"$update":{"city":"Paris"}}})"},
        {R"({"tags":{"$pop":1}})", R"({"tags":{"$pop":1}})"},
        {R"({"balance":{"$incr_by":-0.25}})", R"({"balance":{"$incr_by":-0.25}})"},
        {R"({"profile":{"city":"Paris"}})", R"({"profile":{"city":"Paris"}})"},
        {R"({"test":null})", R"({"test":null})"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.raw) {
            const update parsed = update::parse(r.raw);
            BOOST_TEST(parsed.problem() == "");
            BOOST_TEST(parsed.to_json() == wire(r.canonical));
            BOOST_TEST(raw(r.raw).to_json() == wire(r.canonical));
        }
    }
    update u = raw(R"({"$set":{"b":1,"a":{"$incr_by":1}},"c":2,"$unset":{"d":""}})");
    BOOST_TEST(u.fields() == (std::vector<std::string>{"b", "a", "c", "d"}),
               boost::test_tools::per_element());
    // A raw update keeps building like any other.
    u.set("a", 5).unset("b");
    BOOST_TEST(u.to_json() == wire(R"({"$set":{"a":5,"c":2},"$unset":{"b":"","d":""}})"));
    BOOST_TEST(u.idempotent());
}

BOOST_AUTO_TEST_CASE(records_problems_of_calls) {
    const auto huge = std::numeric_limits<std::uint64_t>::max();
    check_problems({
        {"empty field", update().set("", 1), "must not be empty"},
        {"dotted field", update().set("stats.visits", 1), "dotted paths"},
        {"dotted incr", update().incr_by("stats.visits", 1), "dotted paths"},
        {"operator field", update().set("$set", 1), "must not start with '$'"},
        {"empty unset", update().unset(""), "must not be empty"},
        {"empty pop", update().pop_back(""), "must not be empty"},
        {"incr nan", update().incr_by("balance", std::nan("")), "non-finite"},
        {"incr inf", update().incr_by("balance", std::numeric_limits<double>::infinity()),
         "non-finite"},
        {"incr too big", update().incr_by("score", huge), "int64 range"},
        {"set inf", update().set("balance", std::numeric_limits<double>::infinity()), "non-finite"},
        {"append nan", update().append("tags", json::array{std::nan("")}), "non-finite"},
        {"set operator object", update().set("score", {{"$incr_by", 1}}), "operator"},
        {"patch digit key", update().patch("profile", {{"1a", 1}}), "^[A-Za-z]"},
        {"patch dotted key", update().patch("profile", {{"a.b", 1}}), "'a.b'"},
        {"patch empty key", update().patch("profile", {{"", 1}}), "^[A-Za-z]"},
    });
    // The first problem sticks; the failed call changed nothing, later calls still apply.
    update u;
    u.set("", 1).set("a.b", 2).set("score", 3);
    BOOST_TEST(u.problem().find("must not be empty") != std::string::npos);
    BOOST_TEST(u.fields() == (std::vector<std::string>{"score"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(records_problems_of_raw_documents) {
    check_problems({
        {"not json", update::parse("{"), "not valid JSON"},
        {"not an object", update::parse("[1]"), "must be a JSON object"},
        {"set and unset", raw(R"({"$set":{"a":1},"$unset":{"a":""}})"), "both set and unset"},
        {"plain and unset", raw(R"({"a":1,"$unset":{"a":""}})"), "both set and unset"},
        {"unset and set", raw(R"({"$unset":{"a":""},"$set":{"a":1}})"), "both set and unset"},
        {"twice", raw(R"({"a":1,"$set":{"a":2}})"), "appears twice"},
        {"unknown wrapper", raw(R"({"$inc":{"a":1}})"), "unknown document-level operator"},
        {"$set not object", raw(R"({"$set":[]})"), "$set takes an object"},
        {"$unset not object", raw(R"({"$unset":"a"})"), "$unset takes an object"},
        {"$incr", raw(R"({"score":{"$incr":1}})"), "the operator is $incr_by"},
        {"$has", raw(R"({"profile":{"$has":"a"}})"), "unknown operator '$has'"},
        {"$set in field", raw(R"({"score":{"$set":1}})"), "wraps a whole document"},
        {"two operators", raw(R"({"score":{"$incr_by":1,"$pop":1}})"), "only key"},
        {"operator and key", raw(R"({"score":{"$incr_by":1,"x":1}})"), "only key"},
        {"incr string", raw(R"({"score":{"$incr_by":"1"}})"), "takes a number"},
        {"incr overflow", update::parse(R"({"score":{"$incr_by":1e999}})"), "non-finite"},
        {"append null", raw(R"({"tags":{"$append":null}})"), "takes an array"},
        {"remove null", raw(R"({"tags":{"$remove":null}})"), "takes an array"},
        {"update array", raw(R"({"profile":{"$update":["a"]}})"), "takes an object"},
        {"update bad key", raw(R"({"profile":{"$update":{"a b":1}}})"), "^[A-Za-z]"},
        {"pop 2", raw(R"({"tags":{"$pop":2}})"), "1 (drop the last element) or -1"},
        {"pop 0", raw(R"({"tags":{"$pop":0}})"), "1 (drop the last element) or -1"},
        {"pop string", raw(R"({"tags":{"$pop":"1"}})"), "or -1"},
        {"pop double", raw(R"({"tags":{"$pop":1.5}})"), "or -1"},
        {"dotted", raw(R"({"a.b":1})"), "dotted"},
        {"dotted in $set", raw(R"({"$set":{"a.b":1}})"), "dotted"},
        {"empty in $unset", raw(R"({"$unset":{"":""}})"), "must not be empty"},
    });
    BOOST_TEST(update::raw(json::object{{"tags", {{"$pop", 1U}}}}).problem() == "");
}

// The builders take what callers hold: anything boost::json::value_from converts.
BOOST_AUTO_TEST_CASE(takes_standard_and_own_types) {
    const std::string text = "hello";
    const std::string_view view = "view";
    const std::vector<int> numbers = {1, 2};
    const std::set<std::string> names = {"a", "b"};
    const std::array<double, 2> pair = {0.5, 1.5};
    const std::map<std::string, int> levels = {{"gold", 3}};
    const std::optional<std::string> none;
    const std::optional<std::string> some = "x";
    const shop::badge badge{"gold", 3};
    check_outputs({
        {"std::string", update().set("test", text), R"({"test":"hello"})"},
        {"string_view", update().set("test", view), R"({"test":"view"})"},
        {"vector", update().set("tags", numbers), R"({"tags":[1,2]})"},
        {"array", update().set("pair", pair), R"({"pair":[0.5,1.5]})"},
        {"map", update().set("profile", levels), R"({"profile":{"gold":3}})"},
        {"empty optional", update().set("test", none), R"({"test":null})"},
        {"optional", update().set("test", some), R"({"test":"x"})"},
        {"own type", update().set("badge", badge), R"({"badge":{"name":"gold","level":3}})"},
        {"json::value", update().set("test", json::value("v")), R"({"test":"v"})"},
        {"append vector", update().append("tags", numbers), R"({"tags":{"$append":[1,2]}})"},
        {"append string", update().append("tags", text), R"({"tags":{"$append":["hello"]}})"},
        {"append own", update().append("badges", badge),
         R"({"badges":{"$append":[{"name":"gold","level":3}]}})"},
        {"append_unique set", update().append_unique("tags", names),
         R"({"tags":{"$append_unique":["a","b"]}})"},
        {"remove vector", update().remove("tags", numbers), R"({"tags":{"$remove":[1,2]}})"},
        {"patch map", update().patch("profile", levels), R"({"profile":{"$update":{"gold":3}}})"},
        {"json_array", update().set("tags", minapp::json_array("a", text, 3, numbers)),
         R"({"tags":["a","hello",3,[1,2]]})"},
        {"json_object", update().set("profile", minapp::json_object("a", 1, "b", text)),
         R"({"profile":{"a":1,"b":"hello"}})"},
    });
    BOOST_TEST(update().patch("profile", text).problem().find("takes an object") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
