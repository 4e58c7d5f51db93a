#include <minapp/where.hpp>

#include "builder_checks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace minapp {

namespace {

namespace json = boost::json;
using detail::quoted;

/// Deepest `$and`/`$or` nesting accepted in a raw document. The docs say "unlimited", but the
/// check recurses, and the emulator draws the line at the same depth.
constexpr std::size_t max_nesting = 64;
/// JSON depth `parse` allows: two levels per `$and`/`$or` plus room for operands, so that
/// over-deep logic is reported by the nesting check with a clearer message.
constexpr std::size_t max_json_depth = 2 * max_nesting + 64;

/// The condition operators of notes §4.2, plus `$options`, the companion of `$regex`.
constexpr std::array<std::string_view, 21> condition_operators{
    "$eq",        "$ne",     "$lt",      "$lte",        "$gt",     "$gte",    "$contains",
    "$icontains", "$regex",  "$options", "$in",         "$nin",    "$all",    "$range",
    "$isnull",    "$exists", "$has_key", "$intersects", "$within", "$center", "$nearsphere"};

bool is_condition_operator(std::string_view name) {
    return std::find(condition_operators.begin(), condition_operators.end(), name) !=
           condition_operators.end();
}

bool is_number(const json::value& v) noexcept {
    return v.is_int64() || v.is_uint64() || v.is_double();
}

/// Whether the number `a` is less than the number `b`, exactly for 64-bit integers.
bool number_less(const json::value& a, const json::value& b) noexcept {
    if (a.is_double() || b.is_double()) {
        return a.to_number<double>() < b.to_number<double>();
    }
    if (a.is_int64() && b.is_int64()) {
        return a.get_int64() < b.get_int64();
    }
    if (a.is_int64()) {
        return a.get_int64() < 0 || static_cast<std::uint64_t>(a.get_int64()) < b.get_uint64();
    }
    if (b.is_int64()) {
        return b.get_int64() >= 0 && a.get_uint64() < static_cast<std::uint64_t>(b.get_int64());
    }
    return a.get_uint64() < b.get_uint64();
}

/// "$op on field 'f'", the start of most problem messages.
std::string on(std::string_view op, std::string_view field) {
    return std::string(op) + " on field " + quoted(field);
}

/// Why `p` is not a valid position, or an empty string.
std::string position_problem(const geo_point& p) {
    if (!std::isfinite(p.longitude) || !std::isfinite(p.latitude) || std::abs(p.longitude) > 180 ||
        std::abs(p.latitude) > 90) {
        return "takes positions with |longitude| <= 180 and |latitude| <= 90";
    }
    return {};
}

json::array position_json(const geo_point& p) {
    return json::array{p.longitude, p.latitude};
}

json::object point_json(const geo_point& p) {
    return json::object{{"type", "Point"}, {"coordinates", position_json(p)}};
}

/// Checks a raw document against the grammar of notes §4.1 and counts its `$nearsphere`s.
class grammar_check {
public:
    /// The first problem of `doc`, or an empty string.
    std::string run(const json::object& doc) {
        document(doc, 0);
        return std::move(problem_);
    }

    std::size_t near_spheres() const noexcept { return near_spheres_; }

private:
    void document(const json::object& doc, std::size_t depth) {
        for (const auto& kv : doc) {
            if (!problem_.empty()) {
                return;
            }
            const std::string_view key = kv.key();
            if (key == "$and" || key == "$or") {
                junction(key, kv.value(), depth + 1);
            } else if (key.starts_with('$')) {
                problem_ = "unknown operator " + quoted(key) +
                           " where a field name, $and or $or was expected";
            } else {
                field_clause(key, kv.value());
            }
        }
    }

    void junction(std::string_view name, const json::value& v, std::size_t depth) {
        if (depth > max_nesting) {
            problem_ = "$and/$or nested deeper than " + std::to_string(max_nesting) + " levels";
            return;
        }
        const auto* list = v.if_array();
        if (list == nullptr || list->empty() ||
            !std::all_of(list->begin(), list->end(), [](const auto& e) { return e.is_object(); })) {
            problem_ = std::string(name) + " takes a non-empty array of objects";
            return;
        }
        for (const auto& item : *list) {
            document(item.get_object(), depth);
        }
    }

    void field_clause(std::string_view field, const json::value& condition) {
        if (auto p = detail::field_name_problem(field); !p.empty()) {
            problem_ = std::move(p);
            return;
        }
        if (!detail::all_finite(condition)) {
            problem_ = "condition on field " + quoted(field) + " holds a non-finite number";
            return;
        }
        const auto* ops = condition.if_object();
        const bool operator_form =
            ops != nullptr && std::any_of(ops->begin(), ops->end(),
                                          [](const auto& kv) { return kv.key().starts_with('$'); });
        if (field == "_group" && !(operator_form && ops->size() == 1 && ops->contains("$in"))) {
            problem_ = "field '_group' supports only $in";
            return;
        }
        if (!operator_form) {
            return; // The {"f": value} shorthand for $eq.
        }
        for (const auto& kv : *ops) {
            const std::string_view op = kv.key();
            if (!op.starts_with('$')) {
                problem_ = "condition on field " + quoted(field) +
                           " mixes operators with the plain key " + quoted(op);
            } else if (!is_condition_operator(op)) {
                problem_ = "unknown operator " + quoted(op) + " on field " + quoted(field);
            } else if (op == "$options" && !ops->contains("$regex")) {
                problem_ = "$options on field " + quoted(field) + " needs $regex beside it";
            } else if (op == "$nearsphere") {
                ++near_spheres_;
            }
            if (!problem_.empty()) {
                return;
            }
        }
    }

    std::string problem_;
    std::size_t near_spheres_ = 0;
};

} // namespace

where where::all() {
    return where{};
}

where where::failed(std::string problem) {
    where w;
    w.problem_ = "where: " + std::move(problem);
    return w;
}

/// Builds `{field: {op: v}}` after the checks every factory shares; `operand_problem` is the
/// factory's own verdict on `v`, reported after any problem with the field name.
where where::condition(std::string_view field, std::string_view op, json::value v,
                       std::string_view operand_problem) {
    if (auto p = detail::field_name_problem(field); !p.empty()) {
        return failed(std::move(p));
    }
    if (field == "_group" && op != "$in") {
        return failed("field '_group' supports only $in (see in_groups)");
    }
    if (!operand_problem.empty()) {
        return failed(on(op, field) + ' ' + std::string(operand_problem));
    }
    if (!detail::all_finite(v)) {
        return failed(on(op, field) + " takes finite numbers only");
    }
    where w;
    w.doc_[field] = json::object{{op, std::move(v)}};
    w.near_spheres_ = op == "$nearsphere" ? 1 : 0;
    return w;
}

where where::eq(std::string_view field, json::value v) {
    const std::string_view bad = v.is_null() ? "takes a value, not null (see is_null)" : "";
    return condition(field, "$eq", std::move(v), bad);
}

where where::ne(std::string_view field, json::value v) {
    const bool scalar = v.is_string() || v.is_bool() || is_number(v);
    const std::string_view bad = scalar ? "" : "takes a string, number or boolean";
    return condition(field, "$ne", std::move(v), bad);
}

namespace {

std::string_view ordering_problem(const json::value& v) {
    return v.is_string() || is_number(v) ? "" : "takes a number or an ISO-8601 date string";
}

} // namespace

where where::lt(std::string_view field, json::value v) {
    const auto bad = ordering_problem(v);
    return condition(field, "$lt", std::move(v), bad);
}

where where::lte(std::string_view field, json::value v) {
    const auto bad = ordering_problem(v);
    return condition(field, "$lte", std::move(v), bad);
}

where where::gt(std::string_view field, json::value v) {
    const auto bad = ordering_problem(v);
    return condition(field, "$gt", std::move(v), bad);
}

where where::gte(std::string_view field, json::value v) {
    const auto bad = ordering_problem(v);
    return condition(field, "$gte", std::move(v), bad);
}

where where::in(std::string_view field, json::array values) {
    return condition(field, "$in", std::move(values), "");
}

where where::nin(std::string_view field, json::array values) {
    return condition(field, "$nin", std::move(values), "");
}

where where::contains_all(std::string_view field, json::array values) {
    return condition(field, "$all", std::move(values), "");
}

where where::contains(std::string_view field, std::string_view s) {
    // The official SDK refuses an empty substring locally (notes §4.2).
    const std::string_view bad = s.empty() ? "takes a non-empty string" : "";
    return condition(field, "$contains", json::string(s), bad);
}

where where::icontains(std::string_view field, std::string_view s) {
    return condition(field, "$icontains", json::string(s), "");
}

where where::regex(std::string_view field, std::string_view pattern, std::string_view options) {
    std::string_view bad;
    for (std::size_t i = 0; i < options.size(); ++i) {
        // JavaScript, whose syntax the server claims, rejects unknown and repeated flags.
        if (std::string_view("gimsuy").find(options[i]) == std::string_view::npos ||
            options.find(options[i], i + 1) != std::string_view::npos) {
            bad = "takes $options made of distinct flags out of \"gimsuy\"";
        }
    }
    where w = condition(field, "$regex", json::string(pattern), bad);
    if (w.problem_.empty() && !options.empty()) {
        w.doc_[field].as_object()["$options"] = options;
    }
    return w;
}

where where::range(std::string_view field, json::value start, json::value end) {
    std::string_view bad;
    if (!is_number(start) || !is_number(end)) {
        bad = "takes [start, end] numbers";
    } else if (number_less(end, start)) {
        bad = "takes [start, end] with start <= end";
    }
    return condition(field, "$range", json::array{std::move(start), std::move(end)}, bad);
}

where where::is_null(std::string_view field, bool null) {
    return condition(field, "$isnull", null, "");
}

where where::exists(std::string_view field, bool present) {
    return condition(field, "$exists", present, "");
}

where where::has_key(std::string_view field, std::string_view key) {
    const std::string_view bad =
        detail::is_identifier(key) ? "" : "takes a key matching ^[A-Za-z][A-Za-z0-9_]*$";
    return condition(field, "$has_key", json::string(key), bad);
}

where where::intersects(std::string_view field, geo_point point) {
    const auto bad = position_problem(point);
    return condition(field, "$intersects", point_json(point), bad);
}

where where::within(std::string_view field, const geo_polygon& area) {
    std::string bad;
    for (const auto& p : area.ring) {
        if (bad.empty()) {
            bad = position_problem(p);
        }
    }
    // The SDKs require the ring to be closed (notes §4.2); closing it here costs nothing.
    std::vector<geo_point> ring = area.ring;
    if (!ring.empty() && ring.front() != ring.back()) {
        ring.push_back(ring.front());
    }
    if (bad.empty() && ring.size() < 4) {
        bad = "takes a ring of at least 3 distinct positions (4 once closed)";
    }
    json::array positions;
    for (const auto& p : ring) {
        positions.push_back(position_json(p));
    }
    // The rings, built by push_back: clang reads `json::array{positions}` as a copy of
    // `positions`, g++ as a one-element list.
    json::array rings;
    rings.push_back(std::move(positions));
    json::object polygon{{"type", "Polygon"}, {"coordinates", std::move(rings)}};
    return condition(field, "$within", std::move(polygon), bad);
}

where where::within_circle(std::string_view field, geo_point centre, double radius_km) {
    std::string bad = position_problem(centre);
    if (bad.empty() && !(std::isfinite(radius_km) && radius_km >= 0)) {
        bad = "takes a finite radius >= 0";
    }
    json::object circle{{"radius", radius_km}, {"coordinates", position_json(centre)}};
    return condition(field, "$center", std::move(circle), bad);
}

where where::near_sphere(std::string_view field, geo_point centre,
                         std::optional<double> max_distance_m, double min_distance_m) {
    std::string bad = position_problem(centre);
    const bool distances_ok =
        std::isfinite(min_distance_m) && min_distance_m >= 0 &&
        (!max_distance_m || (std::isfinite(*max_distance_m) && *max_distance_m >= min_distance_m));
    if (bad.empty() && !distances_ok) {
        bad = "takes finite distances with 0 <= min_distance <= max_distance";
    }
    json::object operand{{"geometry", point_json(centre)}, {"min_distance", min_distance_m}};
    if (max_distance_m) {
        operand["max_distance"] = *max_distance_m;
    }
    return condition(field, "$nearsphere", std::move(operand), bad);
}

where where::in_groups(std::vector<std::int64_t> group_ids) {
    json::array ids(group_ids.begin(), group_ids.end());
    return condition("_group", "$in", std::move(ids), "");
}

where where::raw(json::object doc) {
    grammar_check check;
    if (auto p = check.run(doc); !p.empty()) {
        return failed(std::move(p));
    }
    if (check.near_spheres() > 1) {
        return failed("at most one $nearsphere per query (results sort by one distance)");
    }
    where w;
    w.doc_ = std::move(doc);
    w.near_spheres_ = check.near_spheres();
    return w;
}

where where::parse(std::string_view json) {
    std::string problem;
    json::value doc = detail::parse_document(json, max_json_depth, problem);
    if (!problem.empty()) {
        return failed(std::move(problem));
    }
    if (!doc.is_object()) {
        return failed("the document must be a JSON object");
    }
    return raw(std::move(doc.get_object()));
}

where where::combine(std::vector<where> parts, std::string_view junction) {
    const bool is_or = junction == "$or";
    where result;
    json::array items;
    bool any_matches_all = false;
    for (auto& part : parts) {
        if (result.problem_.empty()) {
            result.problem_ = std::move(part.problem_);
        }
        if (part.doc_.empty()) {
            any_matches_all = true;
            continue;
        }
        result.near_spheres_ += part.near_spheres_;
        auto* same = part.doc_.size() == 1 ? part.doc_.if_contains(junction) : nullptr;
        if (same != nullptr && same->is_array()) {
            for (auto& item : same->get_array()) {
                items.push_back(std::move(item));
            }
        } else {
            items.emplace_back(std::move(part.doc_));
        }
    }
    if (is_or && parts.empty() && result.problem_.empty()) {
        result.problem_ = "where: or_ needs at least one condition";
    }
    if (is_or && any_matches_all) {
        // `x || all()` matches every user: the other parts cannot narrow it.
        items.clear();
        result.near_spheres_ = 0;
    }
    if (items.size() == 1) {
        result.doc_ = std::move(items.front().as_object());
    } else if (!items.empty()) {
        result.doc_[junction] = std::move(items);
    }
    if (result.near_spheres_ > 1 && result.problem_.empty()) {
        result.problem_ = "where: at most one $nearsphere per query (results sort by one distance)";
    }
    return result;
}

where where::and_(std::vector<where> parts) {
    return combine(std::move(parts), "$and");
}

where where::or_(std::vector<where> parts) {
    return combine(std::move(parts), "$or");
}

where operator&&(const where& a, const where& b) {
    return where::and_({a, b});
}

where operator||(const where& a, const where& b) {
    return where::or_({a, b});
}

std::string where::to_json() const {
    return json::serialize(doc_);
}

} // namespace minapp
