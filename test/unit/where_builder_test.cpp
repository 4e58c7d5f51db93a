// Unit tests of minapp::where (notes §4).
#include <minapp/where.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;
using minapp::geo_point;
using minapp::geo_polygon;
using minapp::where;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double not_a_number = std::nan("");

// The exact wire text of `expected_json`: key order and the integer/double distinction are
// kept, only the spelling of numbers becomes Boost.JSON's (113.5 -> 1.135E2), so that the
// expectations stay readable.
std::string wire(const char* expected_json) {
    return json::serialize(json::parse(expected_json));
}

struct output_case {
    const char* what;
    where built;
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
    where built;
    const char* problem; // a substring of the expected problem
};

void check_problems(const std::vector<problem_case>& rows) {
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what << ": " << r.built.problem()) {
            BOOST_TEST(r.built.problem().starts_with("where: "));
            BOOST_TEST(r.built.problem().find(r.problem) != std::string::npos);
        }
    }
}

// A number where a list is expected would become an array of that many nulls through
// json::array's implicit count constructor; the builder refuses it at compile time.
template <class T>
concept in_accepts = requires(T v) {
    where::in("score", v);
};
static_assert(in_accepts<json::array>);
static_assert(!in_accepts<int>);
static_assert(!in_accepts<double>);

} // namespace

BOOST_AUTO_TEST_SUITE(where_builder)

BOOST_AUTO_TEST_CASE(emits_every_comparison_operator) {
    check_outputs({
        {"all", where::all(), "{}"},
        {"default", where(), "{}"},
        {"eq int", where::eq("score", 10), R"({"score":{"$eq":10}})"},
        {"eq string", where::eq("test", "hello"), R"({"test":{"$eq":"hello"}})"},
        {"eq bool", where::eq("vip", true), R"({"vip":{"$eq":true}})"},
        {"eq double", where::eq("balance", 1.5), R"({"balance":{"$eq":1.5}})"},
        {"eq array", where::eq("tags", json::array{"a", "b"}), R"({"tags":{"$eq":["a","b"]}})"},
        {"eq object", where::eq("profile", json::object{{"city", "Paris"}}),
         R"({"profile":{"$eq":{"city":"Paris"}}})"},
        {"eq int64", where::eq("id", std::int64_t{180889312739596}),
         R"({"id":{"$eq":180889312739596}})"},
        {"eq pointer id", where::eq("referrer", "5bad87ab0769797b4fb27a1b"),
         R"({"referrer":{"$eq":"5bad87ab0769797b4fb27a1b"}})"},
        {"ne", where::ne("score", 10), R"({"score":{"$ne":10}})"},
        {"ne string", where::ne("test", "x"), R"({"test":{"$ne":"x"}})"},
        {"lt", where::lt("score", 10), R"({"score":{"$lt":10}})"},
        {"lte", where::lte("balance", 2.5), R"({"balance":{"$lte":2.5}})"},
        {"gt", where::gt("created_at", 1542858732), R"({"created_at":{"$gt":1542858732}})"},
        {"gte date", where::gte("birthday", "2018-09-26T11:22:51.100000+08:00"),
         R"({"birthday":{"$gte":"2018-09-26T11:22:51.100000+08:00"}})"},
    });
}

BOOST_AUTO_TEST_CASE(emits_every_list_and_text_operator) {
    check_outputs({
        {"in", where::in("score", {1, 2, 3}), R"({"score":{"$in":[1,2,3]}})"},
        {"in empty", where::in("score", {}), R"({"score":{"$in":[]}})"},
        {"in _group", where::in("_group", {7}), R"({"_group":{"$in":[7]}})"},
        {"nin", where::nin("test", {"a", "b"}), R"({"test":{"$nin":["a","b"]}})"},
        {"all", where::contains_all("tags", {"a", "b"}), R"({"tags":{"$all":["a","b"]}})"},
        {"contains", where::contains("test", "ell"), R"({"test":{"$contains":"ell"}})"},
        {"icontains", where::icontains("test", "ELL"), R"({"test":{"$icontains":"ELL"}})"},
        {"icontains empty", where::icontains("test", ""), R"({"test":{"$icontains":""}})"},
        {"contains chinese", where::contains("city", "广州"), R"({"city":{"$contains":"广州"}})"},
        {"regex", where::regex("test", "^he"), R"({"test":{"$regex":"^he"}})"},
        {"regex flags", where::regex("test", "^foo", "gi"),
         R"({"test":{"$regex":"^foo","$options":"gi"}})"},
        {"regex every flag", where::regex("test", "a.b", "gimsuy"),
         R"({"test":{"$regex":"a.b","$options":"gimsuy"}})"},
        {"range int", where::range("score", 0, 5), R"({"score":{"$range":[0,5]}})"},
        {"range double", where::range("balance", 0.5, 1.5), R"({"balance":{"$range":[0.5,1.5]}})"},
        {"range empty interval", where::range("score", 3, 3), R"({"score":{"$range":[3,3]}})"},
        {"range mixed", where::range("balance", -1, 2.5), R"({"balance":{"$range":[-1,2.5]}})"},
        {"isnull", where::is_null("unionid"), R"({"unionid":{"$isnull":true}})"},
        {"isnull false", where::is_null("unionid", false), R"({"unionid":{"$isnull":false}})"},
        {"exists", where::exists("score"), R"({"score":{"$exists":true}})"},
        {"exists false", where::exists("score", false), R"({"score":{"$exists":false}})"},
        {"has_key", where::has_key("profile", "city_2"), R"({"profile":{"$has_key":"city_2"}})"},
        {"in_groups", where::in_groups({123, 456}), R"({"_group":{"$in":[123,456]}})"},
        {"in_groups empty", where::in_groups({}), R"({"_group":{"$in":[]}})"},
    });
}

BOOST_AUTO_TEST_CASE(emits_every_geo_operator) {
    const geo_polygon open{{{113.0, 23.0}, {114.0, 23.0}, {114.0, 24.0}, {113.0, 24.0}}};
    const geo_polygon closed{
        {{113.0, 23.0}, {114.0, 23.0}, {114.0, 24.0}, {113.0, 24.0}, {113.0, 23.0}}};
    const char* const square = R"({"location":{"$within":{"type":"Polygon","coordinates":
        [[[113.0,23.0],[114.0,23.0],[114.0,24.0],[113.0,24.0],[113.0,23.0]]]}}})";
    check_outputs({
        {"intersects", where::intersects("location", {113.5, 23.5}),
         R"({"location":{"$intersects":{"type":"Point","coordinates":[113.5,23.5]}}})"},
        {"within closes the ring", where::within("location", open), square},
        {"within keeps a closed ring", where::within("location", closed), square},
        {"within triangle", where::within("location", {{{0.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}}}),
         R"({"location":{"$within":{"type":"Polygon","coordinates":
            [[[0.0,0.0],[1.0,0.0],[0.0,1.0],[0.0,0.0]]]}}})"},
        {"center", where::within_circle("location", {116.397, 39.909}, 5),
         R"({"location":{"$center":{"radius":5.0,"coordinates":[116.397,39.909]}}})"},
        {"center zero radius", where::within_circle("location", {-180.0, -90.0}, 0),
         R"({"location":{"$center":{"radius":0.0,"coordinates":[-180.0,-90.0]}}})"},
        {"nearsphere max", where::near_sphere("location", {121.4737, 31.2304}, 1000.0),
         R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":
            [121.4737,31.2304]},"min_distance":0.0,"max_distance":1000.0}}})"},
        {"nearsphere min and max", where::near_sphere("location", {1.0, 2.0}, 500.0, 100),
         R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1.0,2.0]},
            "min_distance":100.0,"max_distance":500.0}}})"},
        {"nearsphere unbounded", where::near_sphere("location", {1.0, 2.0}, std::nullopt, 10),
         R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1.0,2.0]},
            "min_distance":10.0}}})"},
    });
}

BOOST_AUTO_TEST_CASE(composes_with_and_or) {
    const where a = where::eq("score", 1);
    const where b = where::eq("test", "b");
    const where c = where::gt("balance", 0);
    const char* const A = R"({"score":{"$eq":1}})";
    const std::string B = R"({"test":{"$eq":"b"}})";
    const std::string C = R"({"balance":{"$gt":0}})";
    const auto list = [](const char* junction, std::vector<std::string> items) {
        std::string out = std::string("{\"") + junction + "\":[";
        for (std::size_t i = 0; i < items.size(); ++i) {
            out += (i != 0 ? "," : "") + items[i];
        }
        return out + "]}";
    };
    const std::string AB_and = list("$and", {A, B});
    const std::string AB_or = list("$or", {A, B});
    const std::string ABC_and = list("$and", {A, B, C});
    const std::string ABC_or = list("$or", {A, B, C});
    const std::string or_and = list("$and", {AB_or, C});
    const std::string and_or = list("$or", {AB_and, C});
    const std::string raw_and_c = list("$and", {A, B, C});
    check_outputs({
        {"a && b", a && b, AB_and.c_str()},
        {"a || b", a || b, AB_or.c_str()},
        {"(a && b) && c flattens", (a && b) && c, ABC_and.c_str()},
        {"a && (b && c) flattens", a && (b && c), ABC_and.c_str()},
        {"and_ of three", where::and_({a, b, c}), ABC_and.c_str()},
        {"(a || b) || c flattens", (a || b) || c, ABC_or.c_str()},
        {"or_ of three", where::or_({a, b, c}), ABC_or.c_str()},
        {"(a || b) && c nests", (a || b) && c, or_and.c_str()},
        {"(a && b) || c nests", (a && b) || c, and_or.c_str()},
        {"raw $and flattens", where::parse(AB_and) && c, raw_and_c.c_str()},
        {"a && all", a && where::all(), A},
        {"all && a", where::all() && a, A},
        {"all && all", where::all() && where::all(), "{}"},
        {"and_ of none", where::and_({}), "{}"},
        {"and_ of one", where::and_({a}), A},
        {"or_ of one", where::or_({a}), A},
        {"a || all matches all", a || where::all(), "{}"},
        {"same field twice", where::gt("score", 1) && where::lt("score", 5),
         R"({"$and":[{"score":{"$gt":1}},{"score":{"$lt":5}}]})"},
    });
    BOOST_TEST(where::all().matches_all());
    BOOST_TEST(!a.matches_all());
    BOOST_TEST((a || where::all()).matches_all());
    // Composition does not alter its operands (values are immutable).
    BOOST_TEST(a.to_json() == wire(A));
}

BOOST_AUTO_TEST_CASE(records_problems_of_factories) {
    const geo_polygon two_points{{{0.0, 0.0}, {1.0, 1.0}}};
    const geo_polygon closed_triangle_of_two{{{0.0, 0.0}, {1.0, 1.0}, {0.0, 0.0}}};
    const geo_polygon bad_vertex{{{0.0, 0.0}, {1.0, 0.0}, {0.0, 95.0}}};
    check_problems({
        {"empty field", where::eq("", 1), "field name must not be empty"},
        {"dotted field", where::eq("profile.city", "x"), "dotted paths are not supported"},
        {"operator as field", where::eq("$and", 1), "must not start with '$'"},
        {"field problem first", where::contains("", ""), "must not be empty"},
        {"eq null", where::eq("score", nullptr), "not null"},
        {"eq nan", where::eq("balance", not_a_number), "finite"},
        {"eq nested inf", where::eq("tags", json::array{1, inf}), "finite"},
        {"ne array", where::ne("tags", json::array{"a"}), "string, number or boolean"},
        {"ne null", where::ne("test", nullptr), "string, number or boolean"},
        {"lt bool", where::lt("score", true), "number or an ISO-8601"},
        {"gte object", where::gte("score", json::object{}), "number or an ISO-8601"},
        {"in inf", where::in("balance", {inf}), "finite"},
        {"contains empty", where::contains("test", ""), "non-empty string"},
        {"regex unknown flag", where::regex("test", "a", "ix"), "gimsuy"},
        {"regex repeated flag", where::regex("test", "a", "ii"), "distinct"},
        {"range reversed", where::range("score", 5, 0), "start <= end"},
        {"range reversed doubles", where::range("balance", 0.5, 0.25), "start <= end"},
        {"range string", where::range("score", "a", 1), "numbers"},
        {"range inf", where::range("balance", 0, inf), "finite"},
        {"has_key digit", where::has_key("profile", "1abc"), "^[A-Za-z][A-Za-z0-9_]*$"},
        {"has_key dotted", where::has_key("profile", "a.b"), "^[A-Za-z]"},
        {"has_key empty", where::has_key("profile", ""), "^[A-Za-z]"},
        {"intersects longitude", where::intersects("location", {181.0, 0.0}), "longitude"},
        {"intersects latitude", where::intersects("location", {0.0, -90.5}), "latitude"},
        {"intersects nan", where::intersects("location", {not_a_number, 0.0}), "latitude"},
        {"within empty", where::within("location", {}), "at least 3"},
        {"within two points", where::within("location", two_points), "at least 3"},
        {"within closed two", where::within("location", closed_triangle_of_two), "at least 3"},
        {"within bad vertex", where::within("location", bad_vertex), "latitude"},
        {"center negative", where::within_circle("location", {0.0, 0.0}, -1), "radius"},
        {"center not_a_number", where::within_circle("location", {0.0, 0.0}, not_a_number),
         "radius"},
        {"center position", where::within_circle("location", {200.0, 0.0}, 1), "longitude"},
        {"nearsphere min < 0", where::near_sphere("location", {0.0, 0.0}, 10.0, -1), "0 <="},
        {"nearsphere max < min", where::near_sphere("location", {0.0, 0.0}, 10.0, 20), "<="},
        {"nearsphere max inf", where::near_sphere("location", {0.0, 0.0}, inf), "finite"},
        {"nearsphere position", where::near_sphere("location", {0.0, 91.0}, 1.0), "latitude"},
        {"_group eq", where::eq("_group", 1), "only $in"},
        {"_group range", where::range("_group", 1, 2), "only $in"},
    });
}

BOOST_AUTO_TEST_CASE(propagates_problems_through_composition) {
    const where good = where::eq("score", 1);
    const where bad1 = where::eq("", 1);
    const where bad2 = where::contains("test", "");
    BOOST_TEST((good && bad1).problem() == bad1.problem());
    BOOST_TEST((bad1 && good).problem() == bad1.problem());
    BOOST_TEST((good || bad2).problem() == bad2.problem());
    BOOST_TEST(where::and_({good, bad2, bad1}).problem() == bad2.problem());
    BOOST_TEST(where::or_({bad1, bad2}).problem() == bad1.problem());
    BOOST_TEST(((good || bad2) && good).problem() == bad2.problem());
    // A part that matches everything still carries its problem.
    BOOST_TEST((good || where::parse("[]")).problem() != "");
    check_problems({
        {"or_ of none", where::or_({}), "at least one condition"},
        {"two nearsphere",
         where::near_sphere("location", {0.0, 0.0}, 1.0) &&
             where::near_sphere("location", {1.0, 1.0}, 1.0),
         "at most one $nearsphere"},
        {"two nearsphere in or",
         where::or_({where::near_sphere("location", {0.0, 0.0}, 1.0), where::eq("score", 1),
                     where::near_sphere("location", {1.0, 1.0}, 1.0)}),
         "at most one $nearsphere"},
    });
    // `x || all()` drops the $nearsphere parts, so another one may follow.
    const where dropped = (where::near_sphere("location", {0.0, 0.0}, 1.0) || where::all()) &&
                          where::near_sphere("location", {1.0, 1.0}, 1.0);
    BOOST_TEST(dropped.problem() == "");
}

BOOST_AUTO_TEST_CASE(accepts_raw_documents) {
    const char* const rows[] = {
        "{}",
        R"({"score":10})",
        R"({"price":{"$gt":1,"$in":[5,7]}})",
        R"({"test":{"$regex":"^a","$options":"i"}})",
        R"({"$and":[{"a":{"$eq":1}},{"$or":[{"b":{"$eq":2}},{"c":{"$exists":false}}]}]})",
        R"({"_group":{"$in":[1,2]}})",
        R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1,2]}}}})",
        R"({"tags":{"$all":["a"]},"score":{"$range":[0,5]}})",
        R"({"profile":{"city":"Paris"}})",
    };
    for (const char* text : rows) {
        BOOST_TEST_CONTEXT(text) {
            const where parsed = where::parse(text);
            BOOST_TEST(parsed.problem() == "");
            BOOST_TEST(parsed.to_json() == wire(text));
            const where raw = where::raw(json::parse(text).as_object());
            BOOST_TEST(raw.problem() == "");
            BOOST_TEST(raw.to_json() == wire(text));
        }
    }
    BOOST_TEST(where::parse("{}").matches_all());
    BOOST_TEST(where::parse(" { } ").matches_all());
}

BOOST_AUTO_TEST_CASE(records_problems_of_raw_documents) {
    std::string deep = R"({"a":{"$eq":1}})";
    for (int i = 0; i < 65; ++i) {
        deep = R"({"$and":[)" + deep + "]}";
    }
    std::string deep_enough = R"({"a":{"$eq":1}})";
    for (int i = 0; i < 64; ++i) {
        deep_enough = R"({"$or":[)" + deep_enough + "]}";
    }
    BOOST_TEST(where::parse(deep_enough).problem() == "");
    const std::string two_near =
        R"({"$or":[{"l":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1,2]}}}},)"
        R"({"m":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[1,2]}}}}]})";
    check_problems({
        {"truncated", where::parse("{"), "not valid JSON"},
        {"empty text", where::parse(""), "not valid JSON"},
        {"array", where::parse("[]"), "must be a JSON object"},
        {"number", where::parse("1"), "must be a JSON object"},
        {"unknown logical", where::parse(R"({"$not":[{}]})"), "unknown operator '$not'"},
        {"empty $and", where::parse(R"({"$and":[]})"), "non-empty array"},
        {"$or object", where::parse(R"({"$or":{}})"), "non-empty array"},
        {"$and of numbers", where::parse(R"({"$and":[1]})"), "non-empty array"},
        {"nested problem", where::parse(R"({"$and":[{"$or":[{"a.b":1}]}]})"), "dotted"},
        {"dotted", where::parse(R"({"a.b":{"$eq":1}})"), "dotted"},
        {"empty field", where::parse(R"({"":{"$eq":1}})"), "must not be empty"},
        {"unknown op", where::parse(R"({"score":{"$incr":1}})"), "unknown operator '$incr'"},
        {"mixed keys", where::parse(R"({"score":{"$eq":1,"x":2}})"), "mixes operators"},
        {"lonely $options", where::parse(R"({"test":{"$options":"i"}})"), "needs $regex"},
        {"_group eq", where::parse(R"({"_group":{"$eq":1}})"), "only $in"},
        {"_group shorthand", where::parse(R"({"_group":[1]})"), "only $in"},
        {"overflow", where::parse(R"({"score":{"$eq":1e999}})"), "non-finite"},
        {"too deep", where::parse(deep), "nested deeper than 64"},
        {"two nearsphere", where::parse(two_near), "at most one $nearsphere"},
        {"raw object", where::raw(json::object{{"$foo", 1}}), "unknown operator '$foo'"},
    });
}

// Every factory takes what callers hold: anything boost::json::value_from converts, and lists
// for the list operators.
BOOST_AUTO_TEST_CASE(takes_standard_types) {
    const std::string city = "广州";
    const std::string_view view = "x";
    const std::vector<std::int64_t> ids = {1, 2};
    const std::set<std::string> tags = {"a", "b"};
    const std::optional<int> level = 3;
    check_outputs({
        {"eq string", where::eq("city", city), R"({"city":{"$eq":"广州"}})"},
        {"ne string_view", where::ne("test", view), R"({"test":{"$ne":"x"}})"},
        {"gte optional", where::gte("score", level), R"({"score":{"$gte":3}})"},
        {"eq vector", where::eq("tags", ids), R"({"tags":{"$eq":[1,2]}})"},
        {"in vector", where::in("id", ids), R"({"id":{"$in":[1,2]}})"},
        {"nin set", where::nin("tags", tags), R"({"tags":{"$nin":["a","b"]}})"},
        {"contains_all set", where::contains_all("tags", tags), R"({"tags":{"$all":["a","b"]}})"},
        {"in json_array", where::in("id", minapp::json_array(1, city)),
         R"({"id":{"$in":[1,"广州"]}})"},
    });
    // A list operator given a scalar or a string is refused at compile time.
    static_assert(!in_accepts<std::string>);
    static_assert(in_accepts<std::vector<int>>);
}

BOOST_AUTO_TEST_SUITE_END()
