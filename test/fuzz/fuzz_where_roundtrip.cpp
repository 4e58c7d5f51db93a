// Fuzz target: the client's `where` and update builders against the emulator's parsers, the
// property test/emulator_core/builder_roundtrip_test.cpp checks on hand-picked documents.
//
// Why: a document the builder accepts is what the client puts on the wire. It must arrive as
// the document the caller wrote, and the emulator (our model of the server) must read it as the
// caller meant it. The input is JSON text, fed to both `where::parse` and `update::parse`.
//
// `where` (when where::parse records no problem):
//   1. to_json() decodes to the same document (numbers within the precision of Boost.JSON 1.81,
//      whose parser may round a double's shortest form to a neighbour, 2 ulps seen);
//   2. sent as the `where` query parameter (detail::query_string), the emulator's query parsing
//      gives back exactly to_json();
//   3. the builder claims to check the grammar of notes §4.1, so the emulator never refuses the
//      document for a grammar reason (only for operand types and columns, which the builder
//      leaves to the server);
//   4. when the encoding is exact, the emulator decides and matches the same on the sent text as
//      on the input text, over sample users.
// update (when update::parse records no problem):
//   1. to_json() decodes to document(); re-parsing the canonical form gives the same form;
//   2. when the encoding is exact, the emulator accepts the canonical form iff it accepts the
//      input, and both plans change sample users identically (or both fail).
#include "api/query_string.hpp"
#include "emulator/core/query_params.hpp"
#include "emulator/core/update.hpp"
#include "emulator/core/where.hpp"

#include <minapp/update.hpp>
#include <minapp/where.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
using minapp::update;
using minapp::where;
using minapp::emulator::detail::schema;
using minapp::emulator::detail::update_plan;
using minapp::emulator::detail::where_filter;

void check(bool ok, const char* what, std::string_view context = {}) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_where_roundtrip: check failed: %s\n  %.*s\n", what,
                     static_cast<int>(context.size()), context.data());
        std::abort();
    }
}

// Users of the seeded schema (those of builder_roundtrip_test, plus one whose stored values do
// not fit their columns, so that updates can fail and operators meet odd types).
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
  {"id": 4, "nickname": "dave"},
  {"id": 5, "score": 9223372036854775807, "balance": 1e308, "vip": null, "tags": "a",
   "profile": [1], "location": {"type": "Point", "coordinates": [181, 0]},
   "birthday": "yesterday", "test": 7, "referrer": {"id": 12, "_table": "x"}, "_group": 1}
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

const schema& columns() {
    static const schema s = schema::seeded();
    return s;
}

/// Distance between two finite doubles in units in the last place.
std::uint64_t ulps(double a, double b) {
    const auto key = [](double d) {
        std::int64_t i = 0;
        std::memcpy(&i, &d, sizeof d);
        // Sign-magnitude bits onto a monotonic integer line (negative doubles below zero).
        return i < 0 ? -(i & INT64_MAX) : i;
    };
    const std::int64_t x = key(a);
    const std::int64_t y = key(b);
    // Modular unsigned subtraction: exact even when the signed difference would overflow.
    return x > y ? static_cast<std::uint64_t>(x) - static_cast<std::uint64_t>(y)
                 : static_cast<std::uint64_t>(y) - static_cast<std::uint64_t>(x);
}

/// Whether `a` (decoded) is `b` (encoded): the same kinds, keys in the same order, the same
/// values; two doubles a few ulps apart pass but clear `exact` (Boost.JSON 1.81 parses doubles
/// imprecisely; its serializer writes the shortest exact form).
bool same_json(const json::value& a, const json::value& b, bool& exact) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double();
        const double y = b.get_double();
        if (x == y) {
            return true;
        }
        exact = false;
        return std::isfinite(x) && std::isfinite(y) && ulps(x, y) <= 16;
    }
    if (a.kind() != b.kind()) {
        return false;
    }
    if (a.is_array()) {
        const auto& x = a.get_array();
        const auto& y = b.get_array();
        if (x.size() != y.size()) {
            return false;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!same_json(x[i], y[i], exact)) {
                return false;
            }
        }
        return true;
    }
    if (a.is_object()) {
        const auto& x = a.get_object();
        const auto& y = b.get_object();
        if (x.size() != y.size()) {
            return false;
        }
        for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
            if (i->key() != j->key() || !same_json(i->value(), j->value(), exact)) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

/// Whether the emulator refused a `where` document for its grammar (notes §4.1: junctions,
/// field names, operator names, `$options` placement, one `$nearsphere`) rather than for an
/// operand or a column type. The fixed text before any quoted name identifies the message.
bool grammar_refusal(std::string_view m) {
    const std::string_view prefixes[] = {
        "where is not valid JSON",
        "where must be a JSON object",
        "where: $and/$or nested deeper than",
        "where: unknown operator '",
        "where: $and takes a non-empty array",
        "where: $or takes a non-empty array",
        "where: every element of $",
        "where: dotted field path '",
        "where: condition on field '",
        "where: only one $nearsphere",
        "where: only $in is supported on field '_group'",
    };
    for (const auto p : prefixes) {
        if (m.starts_with(p)) {
            return true;
        }
    }
    return m.starts_with("where: $options on field '") &&
           m.ends_with("' is only valid together with $regex");
}

void where_roundtrip(std::string_view text) {
    const where built = where::parse(text);
    // The emulator reads the input whatever the builder thinks of it: it is a server.
    const auto as_written = where_filter::parse(text, columns());
    if (as_written) {
        for (const auto& u : users()) {
            static_cast<void>(as_written->matches(u));
            static_cast<void>(as_written->sort_key(u));
        }
    }
    if (!built.problem().empty()) {
        return;
    }
    const std::string wire = built.to_json();

    json::parse_options deep;
    deep.max_depth = 1024; // the builder's own limit is lower; this decode must not refuse
    boost::system::error_code ec;
    const json::value decoded = json::parse(wire, ec, {}, deep);
    check(!ec && decoded.is_object(), "where::to_json() is a JSON object", wire);
    bool exact = true;
    check(same_json(decoded, built.document(), exact), "where::to_json() decodes to document()",
          wire);

    minapp::detail::query_string query;
    query.add("where", wire).add("limit", std::int64_t{20});
    const std::string target = "/oserve/v2.2/miniapp/user_profile/?" + query.str();
    const auto url = boost::urls::parse_origin_form(target);
    check(url.has_value(), "the encoded query string is a valid request target", target);
    const auto received = minapp::emulator::detail::query_param(url->params(), "where");
    check(received.has_value() && *received == wire,
          "the emulator decodes the where parameter to what the client encoded", target);

    const auto as_sent = where_filter::parse(wire, columns());
    if (!as_sent) {
        check(!grammar_refusal(as_sent.error().message),
              "the emulator refuses a builder-accepted where for its grammar",
              as_sent.error().message + "\n  " + wire);
    }
    if (!exact) {
        return;
    }
    check(as_sent.has_value() == as_written.has_value(),
          "the emulator decides the same on the encoded where as on the input", wire);
    if (!as_sent) {
        return;
    }
    check(as_sent->sorts_by_distance() == as_written->sorts_by_distance(),
          "both filters sort by distance or neither", wire);
    for (const auto& u : users()) {
        check(as_sent->matches(u) == as_written->matches(u),
              "the encoded where matches the same users as the input", wire);
        const double a = as_sent->sort_key(u);
        const double b = as_written->sort_key(u);
        check(a == b || (std::isnan(a) && std::isnan(b)), "the same distance sort keys", wire);
    }
}

void update_roundtrip(std::string_view text) {
    const update built = update::parse(text);
    if (!built.problem().empty()) {
        // The emulator reads every body whatever the builder thinks of it (it must not crash).
        boost::system::error_code ec;
        const json::value body = json::parse(text, ec);
        if (!ec) {
            const auto plan = update_plan::parse(body, columns());
            if (plan) {
                for (auto u : users()) {
                    static_cast<void>(plan->apply(u));
                }
            }
        }
        return;
    }
    const json::object document = built.document();
    const std::string wire = built.to_json();
    check(wire == json::serialize(document), "update::to_json() serialises document()", wire);

    // The canonical form can be one level deeper than the input (fields move under "$set",
    // single items are wrapped in arrays): decode without the default depth limit of 32.
    json::parse_options deep;
    deep.max_depth = 1024;
    boost::system::error_code ec;
    const json::value decoded = json::parse(wire, ec, {}, deep);
    check(!ec && decoded.is_object(), "update::to_json() is a JSON object", wire);
    bool exact = true;
    check(same_json(decoded, document, exact), "update::to_json() decodes to document()", wire);
    if (!exact) {
        return;
    }
    const update again = update::raw(decoded.get_object());
    check(again.problem().empty(), "the canonical form of an update is accepted",
          again.problem() + "\n  " + wire);
    check(again.to_json() == wire, "the canonical form of an update is a fixed point", wire);

    const auto as_written = update_plan::parse(json::parse(text), columns());
    const auto as_sent = update_plan::parse(decoded, columns());
    if (as_written.has_value() != as_sent.has_value()) {
        const std::string why = as_written ? as_sent.error().message : as_written.error().message;
        check(false, "the emulator accepts the canonical update iff it accepts the input",
              why + "\n  " + wire);
    }
    if (!as_sent) {
        return;
    }
    check(as_sent->empty() == built.empty() && as_written->empty() == built.empty(),
          "the emulator sees an empty update iff the builder does", wire);
    for (const auto& u : users()) {
        json::object x = u;
        json::object y = u;
        const auto rx = as_written->apply(x);
        const auto ry = as_sent->apply(y);
        check(rx.has_value() == ry.has_value(), "both plans apply to a user or both fail", wire);
        check(x == y, "both plans leave a user in the same state", wire);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    where_roundtrip(text);
    update_roundtrip(text);
    return 0;
}
