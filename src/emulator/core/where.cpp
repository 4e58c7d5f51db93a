#include "where.hpp"

#include "where_geo.hpp"
#include "where_iso8601.hpp"
#include "where_regex.hpp"
#include "where_value.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace minapp::emulator::detail {

namespace {

namespace json = boost::json;

/// Deepest accepted nesting of `$and` / `$or` (the docs say "unlimited"; recursion must not be).
constexpr std::size_t max_nesting = 64;
/// JSON depth the parser allows: two levels per `$and`/`$or` plus room for operand values, so
/// that over-deep logic is reported by the nesting check with a clearer message.
constexpr std::size_t max_json_depth = 2 * max_nesting + 64;

/// A compiled predicate over one user.
using predicate = std::function<bool(const json::object&)>;
/// A compiled test of one column's value; the argument is null when the key is absent.
using value_test = std::function<bool(const json::value*)>;

/// Thrown while compiling and caught by where_filter::parse: it unwinds the recursive descent
/// in one step instead of threading a result through every level.
struct where_reject {
    std::string message;
};

[[noreturn]] void reject(std::string message) {
    throw where_reject{std::move(message)};
}

enum class op {
    eq,
    ne,
    lt,
    lte,
    gt,
    gte,
    contains,
    icontains,
    regex,
    in,
    nin,
    all,
    range,
    isnull,
    exists,
    has_key,
    intersects,
    within,
    center,
    nearsphere
};

struct op_entry {
    std::string_view name;
    op id;
};

constexpr std::array<op_entry, 20> op_table{{
    {"$eq", op::eq},
    {"$ne", op::ne},
    {"$lt", op::lt},
    {"$lte", op::lte},
    {"$gt", op::gt},
    {"$gte", op::gte},
    {"$contains", op::contains},
    {"$icontains", op::icontains},
    {"$regex", op::regex},
    {"$in", op::in},
    {"$nin", op::nin},
    {"$all", op::all},
    {"$range", op::range},
    {"$isnull", op::isnull},
    {"$exists", op::exists},
    {"$has_key", op::has_key},
    {"$intersects", op::intersects},
    {"$within", op::within},
    {"$center", op::center},
    {"$nearsphere", op::nearsphere},
}};

std::optional<op> find_op(std::string_view name) {
    for (const auto& e : op_table) {
        if (e.name == name) {
            return e.id;
        }
    }
    return std::nullopt;
}

std::string_view op_name(op o) {
    for (const auto& e : op_table) {
        if (e.id == o) {
            return e.name;
        }
    }
    return "?";
}

/// The operator x type matrix of notes §4.3.
bool allowed(field_type t, op o) {
    using enum op;
    if (o == isnull || o == exists) {
        return true;
    }
    switch (t) {
    case field_type::string:
        return o == eq || o == ne || o == in || o == nin || o == contains || o == icontains ||
               o == regex;
    case field_type::integer:
    case field_type::number:
        return o == eq || o == ne || o == lt || o == lte || o == gt || o == gte || o == in ||
               o == nin || o == range;
    case field_type::boolean:
        return o == eq;
    case field_type::date:
        return o == eq || o == lt || o == lte || o == gt || o == gte;
    case field_type::array:
        return o == eq || o == in || o == nin || o == all;
    case field_type::object:
        return o == eq || o == has_key;
    case field_type::file:
        return false;
    case field_type::geojson:
        return o == intersects || o == within || o == center || o == nearsphere;
    case field_type::pointer:
        return o == eq || o == ne || o == in || o == nin;
    }
    return false;
}

bool is_scalar(const json::value& v) {
    return v.is_string() || v.is_bool() || is_number(v);
}

double as_double(const json::value& v) {
    if (v.is_int64()) {
        return static_cast<double>(v.get_int64());
    }
    if (v.is_uint64()) {
        return static_cast<double>(v.get_uint64());
    }
    return v.get_double();
}

/// The target row id of a stored pointer: an id string or integer, or `{"id": ..., "_table"}`.
std::optional<std::string> pointer_id(const json::value& v) {
    if (v.is_string()) {
        return std::string(v.get_string());
    }
    if (v.is_int64()) {
        return std::to_string(v.get_int64());
    }
    if (v.is_uint64()) {
        return std::to_string(v.get_uint64());
    }
    if (const auto* o = v.if_object()) {
        if (const auto* id = o->if_contains("id"); id != nullptr && !id->is_object()) {
            return pointer_id(*id);
        }
    }
    return std::nullopt;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

bool contains_equal(const json::array& haystack, const json::value& needle) {
    return std::any_of(haystack.begin(), haystack.end(),
                       [&](const json::value& e) { return json_equal(e, needle); });
}

value_test never_test() {
    return [](const json::value*) {
        return false;
    };
}

predicate all_of(std::vector<predicate> parts) {
    if (parts.size() == 1) {
        return std::move(parts.front());
    }
    return [parts = std::move(parts)](const json::object& user) {
        return std::all_of(parts.begin(), parts.end(), [&](const auto& p) { return p(user); });
    };
}

predicate any_of(std::vector<predicate> parts) {
    return [parts = std::move(parts)](const json::object& user) {
        return std::any_of(parts.begin(), parts.end(), [&](const auto& p) { return p(user); });
    };
}

/// The `$nearsphere` centre that orders the results.
struct distance_origin {
    std::string field;
    geo_point centre;
};

/// Compiles a parsed `where` document into a predicate, validating it against a schema.
class compiler {
public:
    explicit compiler(const schema& s)
        : schema_(s) {}

    predicate document(const json::object& doc, std::size_t depth) {
        if (depth > max_nesting) {
            reject("where: $and/$or nested deeper than " + std::to_string(max_nesting) + " levels");
        }
        std::vector<predicate> parts;
        for (const auto& kv : doc) {
            const std::string_view key = kv.key();
            if (key == "$and" || key == "$or") {
                parts.push_back(junction(key, kv.value(), depth + 1));
            } else if (key.starts_with('$')) {
                reject("where: unknown operator '" + std::string(key) +
                       "' where a field name, $and or $or was expected");
            } else {
                parts.push_back(field_clause(key, kv.value()));
            }
        }
        if (parts.empty()) {
            return [](const json::object&) {
                return true;
            };
        }
        return all_of(std::move(parts));
    }

    std::optional<distance_origin> take_origin() { return std::move(origin_); }

private:
    predicate junction(std::string_view name, const json::value& v, std::size_t depth) {
        const auto* list = v.if_array();
        if (list == nullptr || list->empty()) {
            reject("where: " + std::string(name) + " takes a non-empty array of where objects");
        }
        std::vector<predicate> parts;
        for (const auto& item : *list) {
            if (!item.is_object()) {
                reject("where: every element of " + std::string(name) + " must be an object");
            }
            parts.push_back(document(item.get_object(), depth));
        }
        return name == "$and" ? all_of(std::move(parts)) : any_of(std::move(parts));
    }

    predicate field_clause(std::string_view field, const json::value& condition) {
        if (field.find('.') != std::string_view::npos) {
            reject("where: dotted field path '" + std::string(field) + "' is not supported");
        }
        std::vector<value_test> tests;
        const auto* ops = condition.if_object();
        const bool operator_form =
            ops != nullptr && std::any_of(ops->begin(), ops->end(),
                                          [](const auto& kv) { return kv.key().starts_with('$'); });
        if (operator_form) {
            const json::value* options = ops->if_contains("$options");
            if (options != nullptr && !ops->contains("$regex")) {
                reject("where: $options on field '" + std::string(field) +
                       "' is only valid together with $regex");
            }
            for (const auto& kv : *ops) {
                if (kv.key() == "$options") {
                    continue;
                }
                if (!kv.key().starts_with('$')) {
                    reject("where: condition on field '" + std::string(field) +
                           "' mixes operators with the plain key '" + std::string(kv.key()) + "'");
                }
                const auto o = find_op(kv.key());
                if (!o) {
                    reject("where: unknown operator '" + std::string(kv.key()) + "' on field '" +
                           std::string(field) + "'");
                }
                tests.push_back(condition_test(field, *o, kv.value(), options));
            }
        } else {
            // Shorthand {"field": value} means {"field": {"$eq": value}} (notes §4.1).
            tests.push_back(condition_test(field, op::eq, condition, nullptr));
        }
        return [key = std::string(field), tests = std::move(tests)](const json::object& user) {
            const json::value* v = user.if_contains(key);
            return std::all_of(tests.begin(), tests.end(), [v](const auto& t) { return t(v); });
        };
    }

    value_test condition_test(std::string_view field, op o, const json::value& operand,
                              const json::value* options) {
        const std::string where = " on field '" + std::string(field) + "'";
        if (field == "_group") {
            return group_test(o, operand, where);
        }
        const auto type = schema_.type_of(field);
        if (!type) {
            return unknown_field_test(o, operand, where);
        }
        if (!allowed(*type, o)) {
            reject("where: operator " + std::string(op_name(o)) + " is not supported" + where +
                   " of type " + std::string(to_string(*type)));
        }
        const std::string context = std::string(op_name(o)) + where;
        switch (o) {
        case op::exists:
        case op::isnull:
            return presence_test(o, operand, context);
        case op::eq:
            return equal_test(*type, operand, context);
        case op::ne: {
            // The exact negation of $eq, so an unset or null value matches.
            auto eq = equal_test(*type, operand, context);
            return [eq = std::move(eq)](const json::value* v) {
                return !eq(v);
            };
        }
        case op::lt:
        case op::lte:
        case op::gt:
        case op::gte:
            return order_test(*type, o, operand, context);
        case op::contains:
        case op::icontains:
            return substring_test(o, operand, context);
        case op::regex:
            return regex_test(operand, options, context);
        case op::in:
            return in_test(*type, operand, context);
        case op::nin: {
            // The exact negation of $in, so an unset or null value matches.
            auto in = in_test(*type, operand, context);
            return [in = std::move(in)](const json::value* v) {
                return !in(v);
            };
        }
        case op::all:
            return all_test(operand, context);
        case op::range:
            return range_test(operand, context);
        case op::has_key:
            return has_key_test(operand, context);
        case op::intersects:
            return intersects_test(operand, context);
        case op::within:
            return within_test(operand, context);
        case op::center:
            return center_test(operand, context);
        case op::nearsphere:
            return nearsphere_test(field, operand, context);
        }
        return never_test();
    }

    /// `_group` is query-only and accepts nothing but `$in` with group ids (notes §4.2).
    static value_test group_test(op o, const json::value& operand, const std::string& where) {
        if (o != op::in) {
            reject("where: only $in is supported" + where);
        }
        const auto* list = operand.if_array();
        if (list == nullptr) {
            reject("where: $in" + where + " takes an array of group ids");
        }
        for (const auto& id : *list) {
            if (!as_integral(id)) {
                reject("where: $in" + where + " takes integer group ids");
            }
        }
        return [ids = *list](const json::value* v) {
            const auto* groups = v != nullptr ? v->if_array() : nullptr;
            return groups != nullptr && std::any_of(ids.begin(), ids.end(), [&](const auto& id) {
                       return contains_equal(*groups, id);
                   });
        };
    }

    /// Unknown columns are accepted and never match, except that an unset field is "absent"
    /// and "null" (notes §11 #19).
    static value_test unknown_field_test(op o, const json::value& operand,
                                         const std::string& where) {
        if (o == op::exists || o == op::isnull) {
            if (!operand.is_bool()) {
                reject("where: " + std::string(op_name(o)) + where + " takes a boolean");
            }
            const bool holds = o == op::exists ? !operand.get_bool() : operand.get_bool();
            return [holds](const json::value*) {
                return holds;
            };
        }
        return never_test();
    }

    static value_test presence_test(op o, const json::value& operand, const std::string& ctx) {
        if (!operand.is_bool()) {
            reject("where: " + ctx + " takes a boolean");
        }
        const bool want = operand.get_bool();
        if (o == op::exists) {
            // Key present, even with a null value (notes §11 #16).
            return [want](const json::value* v) {
                return (v != nullptr) == want;
            };
        }
        return [want](const json::value* v) {
            return (v == nullptr || v->is_null()) == want;
        };
    }

    static std::int64_t date_operand(const json::value& operand, const std::string& ctx) {
        const auto t =
            operand.is_string() ? parse_iso8601_micros(operand.get_string()) : std::nullopt;
        if (!t) {
            reject("where: " + ctx + " takes an ISO-8601 date string");
        }
        return *t;
    }

    static std::optional<std::int64_t> stored_date(const json::value* v) {
        if (v == nullptr || !v->is_string()) {
            return std::nullopt;
        }
        return parse_iso8601_micros(v->get_string());
    }

    static value_test equal_test(field_type type, const json::value& operand,
                                 const std::string& ctx) {
        switch (type) {
        case field_type::string:
            if (!operand.is_string()) {
                reject("where: " + ctx + " takes a string");
            }
            return [s = std::string(operand.get_string())](const json::value* v) {
                return v != nullptr && v->is_string() && v->get_string() == s;
            };
        case field_type::integer:
        case field_type::number:
            if (!is_number(operand)) {
                reject("where: " + ctx + " takes a number");
            }
            return [n = operand](const json::value* v) {
                return v != nullptr && is_number(*v) && compare_numbers(*v, n) == 0;
            };
        case field_type::boolean:
            if (!operand.is_bool()) {
                reject("where: " + ctx + " takes a boolean");
            }
            return [b = operand.get_bool()](const json::value* v) {
                return v != nullptr && v->is_bool() && v->get_bool() == b;
            };
        case field_type::date:
            return [t = date_operand(operand, ctx)](const json::value* v) {
                return stored_date(v) == t;
            };
        case field_type::array:
            return array_equal_test(operand, ctx);
        case field_type::object:
            if (!operand.is_object()) {
                reject("where: " + ctx + " takes an object");
            }
            return [o = operand](const json::value* v) {
                return v != nullptr && json_equal(*v, o);
            };
        case field_type::pointer: {
            const auto id =
                operand.is_string() || as_integral(operand) ? pointer_id(operand) : std::nullopt;
            if (!id) {
                reject("where: " + ctx + " takes the id of the referenced row");
            }
            return [id = *id](const json::value* v) {
                return v != nullptr && pointer_id(*v) == id;
            };
        }
        case field_type::geojson:
        case field_type::file:
            break;
        }
        return never_test();
    }

    /// An array equals the operand when it holds exactly the listed values, in any order.
    static value_test array_equal_test(const json::value& operand, const std::string& ctx) {
        const auto* list = operand.if_array();
        if (list == nullptr) {
            reject("where: " + ctx + " takes an array (use $in or $all to test for one element)");
        }
        if (!std::all_of(list->begin(), list->end(), is_scalar)) {
            // Arrays of objects cannot be queried: the server answers with an empty result.
            return never_test();
        }
        return [list = *list](const json::value* v) {
            const auto* stored = v != nullptr ? v->if_array() : nullptr;
            if (stored == nullptr) {
                return false;
            }
            return std::all_of(stored->begin(), stored->end(),
                               [&](const auto& e) { return contains_equal(list, e); }) &&
                   std::all_of(list.begin(), list.end(),
                               [&](const auto& e) { return contains_equal(*stored, e); });
        };
    }

    static value_test order_test(field_type type, op o, const json::value& operand,
                                 const std::string& ctx) {
        auto accept = [o](std::partial_ordering c) {
            switch (o) {
            case op::lt:
                return c < 0;
            case op::lte:
                return c <= 0;
            case op::gt:
                return c > 0;
            default:
                return c >= 0;
            }
        };
        if (type == field_type::date) {
            return [t = date_operand(operand, ctx), accept](const json::value* v) {
                const auto stored = stored_date(v);
                return stored && accept(*stored <=> t);
            };
        }
        if (!is_number(operand)) {
            reject("where: " + ctx + " takes a number");
        }
        return [n = operand, accept](const json::value* v) {
            return v != nullptr && is_number(*v) && accept(compare_numbers(*v, n));
        };
    }

    static value_test substring_test(op o, const json::value& operand, const std::string& ctx) {
        if (!operand.is_string() || (o == op::contains && operand.get_string().empty())) {
            reject("where: " + ctx +
                   (o == op::contains ? " takes a non-empty string" : " takes a string"));
        }
        if (o == op::contains) {
            return [s = std::string(operand.get_string())](const json::value* v) {
                return v != nullptr && v->is_string() &&
                       std::string_view(v->get_string()).find(s) != std::string_view::npos;
            };
        }
        // Case folding is ASCII only; other scripts in the data (Chinese) have no case.
        return [s = ascii_lower(operand.get_string())](const json::value* v) {
            return v != nullptr && v->is_string() &&
                   ascii_lower(v->get_string()).find(s) != std::string::npos;
        };
    }

    static value_test regex_test(const json::value& operand, const json::value* options,
                                 const std::string& ctx) {
        if (!operand.is_string()) {
            reject("where: " + ctx + " takes a pattern string");
        }
        if (options != nullptr && !options->is_string()) {
            reject("where: $options" + ctx.substr(ctx.find(' ')) + " takes a flags string");
        }
        try {
            auto re = std::make_shared<const where_regex>(
                operand.get_string(),
                options != nullptr ? std::string_view(options->get_string()) : std::string_view());
            return [re = std::move(re)](const json::value* v) {
                return v != nullptr && v->is_string() && re->search(v->get_string());
            };
        } catch (const std::invalid_argument& e) {
            reject("where: " + ctx + ": " + e.what());
        }
    }

    static value_test in_test(field_type type, const json::value& operand, const std::string& ctx) {
        const auto* list = operand.if_array();
        if (list == nullptr) {
            reject("where: " + ctx + " takes an array");
        }
        switch (type) {
        case field_type::array:
            if (!std::all_of(list->begin(), list->end(), is_scalar)) {
                return never_test();
            }
            // An array field matches when it shares at least one element with the list.
            return [list = *list](const json::value* v) {
                const auto* stored = v != nullptr ? v->if_array() : nullptr;
                return stored != nullptr &&
                       std::any_of(stored->begin(), stored->end(),
                                   [&](const auto& e) { return contains_equal(list, e); });
            };
        case field_type::pointer: {
            std::vector<std::string> ids;
            for (const auto& item : *list) {
                auto id = item.is_string() || as_integral(item) ? pointer_id(item) : std::nullopt;
                if (!id) {
                    reject("where: " + ctx + " takes an array of row ids");
                }
                ids.push_back(std::move(*id));
            }
            return [ids = std::move(ids)](const json::value* v) {
                const auto id = v != nullptr ? pointer_id(*v) : std::nullopt;
                return id && std::find(ids.begin(), ids.end(), *id) != ids.end();
            };
        }
        case field_type::string:
            if (!std::all_of(list->begin(), list->end(),
                             [](const auto& e) { return e.is_string(); })) {
                reject("where: " + ctx + " takes an array of strings");
            }
            break;
        default:
            if (!std::all_of(list->begin(), list->end(),
                             [](const auto& e) { return is_number(e); })) {
                reject("where: " + ctx + " takes an array of numbers");
            }
            break;
        }
        return [list = *list](const json::value* v) {
            return v != nullptr && is_scalar(*v) && contains_equal(list, *v);
        };
    }

    static value_test all_test(const json::value& operand, const std::string& ctx) {
        const auto* list = operand.if_array();
        if (list == nullptr) {
            reject("where: " + ctx + " takes an array");
        }
        if (!std::all_of(list->begin(), list->end(), is_scalar)) {
            return never_test();
        }
        return [list = *list](const json::value* v) {
            const auto* stored = v != nullptr ? v->if_array() : nullptr;
            return stored != nullptr && std::all_of(list.begin(), list.end(), [&](const auto& e) {
                       return contains_equal(*stored, e);
                   });
        };
    }

    static value_test range_test(const json::value& operand, const std::string& ctx) {
        const auto* bounds = operand.if_array();
        if (bounds == nullptr || bounds->size() != 2 || !is_number((*bounds)[0]) ||
            !is_number((*bounds)[1])) {
            reject("where: " + ctx + " takes [start, end] numbers");
        }
        // Half-open [start, end): the documented example [0, 5] yields 0..4 (notes §11 #17).
        return [start = (*bounds)[0], end = (*bounds)[1]](const json::value* v) {
            return v != nullptr && is_number(*v) && compare_numbers(*v, start) >= 0 &&
                   compare_numbers(*v, end) < 0;
        };
    }

    static value_test has_key_test(const json::value& operand, const std::string& ctx) {
        if (!operand.is_string() || !is_identifier(operand.get_string())) {
            reject("where: " + ctx + " takes a top-level key matching ^[A-Za-z][A-Za-z0-9_]*$");
        }
        return [key = std::string(operand.get_string())](const json::value* v) {
            return v != nullptr && v->is_object() && v->get_object().contains(key);
        };
    }

    static value_test intersects_test(const json::value& operand, const std::string& ctx) {
        const auto point = parse_geo_point(operand);
        if (!point) {
            reject("where: " + ctx + " takes a GeoJSON Point");
        }
        return [p = *point](const json::value* v) {
            const auto poly = v != nullptr ? parse_geo_polygon(*v) : std::nullopt;
            return poly && geo_contains(*poly, p);
        };
    }

    static value_test within_test(const json::value& operand, const std::string& ctx) {
        auto poly = parse_geo_polygon(operand);
        if (!poly) {
            reject("where: " + ctx +
                   " takes a GeoJSON Polygon whose rings are closed and have at least 4 points");
        }
        return [poly = std::move(*poly)](const json::value* v) {
            const auto p = v != nullptr ? parse_geo_point(*v) : std::nullopt;
            return p && geo_contains(poly, *p);
        };
    }

    static value_test center_test(const json::value& operand, const std::string& ctx) {
        const auto* o = operand.if_object();
        const json::value* radius = o != nullptr ? o->if_contains("radius") : nullptr;
        const json::value* coordinates = o != nullptr ? o->if_contains("coordinates") : nullptr;
        const auto centre =
            coordinates != nullptr ? parse_geo_position(*coordinates) : std::nullopt;
        if (radius == nullptr || !is_number(*radius) || as_double(*radius) < 0 || !centre ||
            o->size() != 2) {
            reject("where: " + ctx +
                   " takes {\"radius\": <km, >= 0>, \"coordinates\": [lng, lat]}");
        }
        return [c = *centre, metres = as_double(*radius) * 1000.0](const json::value* v) {
            const auto p = v != nullptr ? parse_geo_point(*v) : std::nullopt;
            return p && geo_distance_m(c, *p) <= metres;
        };
    }

    value_test nearsphere_test(std::string_view field, const json::value& operand,
                               const std::string& ctx) {
        const auto* o = operand.if_object();
        const auto usage = "where: " + ctx +
                           " takes {\"geometry\": <GeoJSON Point>, \"min_distance\": <m>, "
                           "\"max_distance\": <m>} (distances optional, 0 <= min <= max)";
        if (o == nullptr) {
            reject(usage);
        }
        std::optional<geo_point> centre;
        double min = 0;
        double max = std::numeric_limits<double>::infinity();
        for (const auto& kv : *o) {
            if (kv.key() == "geometry") {
                centre = parse_geo_point(kv.value());
            } else if ((kv.key() == "min_distance" || kv.key() == "max_distance") &&
                       is_number(kv.value()) && as_double(kv.value()) >= 0) {
                (kv.key() == "min_distance" ? min : max) = as_double(kv.value());
            } else {
                reject(usage);
            }
        }
        if (!centre || min > max) {
            reject(usage);
        }
        if (origin_) {
            reject("where: only one $nearsphere condition is allowed per query");
        }
        origin_ = distance_origin{std::string(field), *centre};
        return [c = *centre, min, max](const json::value* v) {
            const auto p = v != nullptr ? parse_geo_point(*v) : std::nullopt;
            if (!p) {
                return false;
            }
            const double d = geo_distance_m(c, *p);
            return d >= min && d <= max;
        };
    }

    const schema& schema_;
    std::optional<distance_origin> origin_;
};

} // namespace

struct where_filter::node {
    predicate test;
    std::optional<distance_origin> origin;
};

where_filter::where_filter() = default;
where_filter::~where_filter() = default;
where_filter::where_filter(where_filter&&) noexcept = default;
where_filter& where_filter::operator=(where_filter&&) noexcept = default;

boost::system::result<where_filter, where_error> where_filter::parse(std::string_view json_text,
                                                                     const schema& s) {
    json::parse_options options;
    options.max_depth = max_json_depth;
    boost::system::error_code ec;
    const json::value doc = json::parse(json_text, ec, {}, options);
    if (ec) {
        return where_error{"where is not valid JSON: " + ec.message()};
    }
    if (!doc.is_object()) {
        return where_error{"where must be a JSON object"};
    }
    try {
        compiler c(s);
        auto root = std::make_unique<node>();
        root->test = c.document(doc.get_object(), 0);
        root->origin = c.take_origin();
        where_filter f;
        f.root_ = std::move(root);
        return f;
    } catch (const where_reject& e) {
        return where_error{e.message};
    }
}

bool where_filter::matches(const boost::json::object& user) const {
    return !root_ || root_->test(user);
}

bool where_filter::sorts_by_distance() const noexcept {
    return root_ && root_->origin;
}

double where_filter::sort_key(const boost::json::object& user) const {
    if (!sorts_by_distance()) {
        return 0;
    }
    const auto& origin = *root_->origin;
    const auto* v = user.if_contains(origin.field);
    const auto p = v != nullptr ? parse_geo_point(*v) : std::nullopt;
    // A user without a stored point (possible when $nearsphere sits inside an $or) sorts last.
    return p ? geo_distance_m(origin.centre, *p) : std::numeric_limits<double>::infinity();
}

} // namespace minapp::emulator::detail
