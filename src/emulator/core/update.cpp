#include "update.hpp"

#include "where_geo.hpp"
#include "where_iso8601.hpp"
#include "where_value.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

namespace minapp::emulator::detail {

namespace {

namespace json = boost::json;

/// Thrown while validating and caught by update_plan::parse, so that helpers can stop the
/// whole document at the first problem.
struct update_reject {
    std::string message;
};

[[noreturn]] void reject(std::string message) {
    throw update_reject{std::move(message)};
}

std::string quoted(std::string_view field) {
    // Built with append: g++ 12 at -O3 reports a false -Wrestrict for "'" + std::string(...).
    std::string out;
    out.reserve(field.size() + 2);
    out.append(1, '\'').append(field).append(1, '\'');
    return out;
}

/// The validated operations, in a form free functions can build (update_plan::op is private).
enum class action { set, unset, incr_by, append, append_unique, remove, patch, pop };

struct planned_op {
    action what;
    std::string field;
    json::value operand;
};

/// Per-field operators of notes §6.2, by wire name.
std::optional<action> find_action(std::string_view name) {
    if (name == "$incr_by") {
        return action::incr_by;
    }
    if (name == "$append") {
        return action::append;
    }
    if (name == "$append_unique") {
        return action::append_unique;
    }
    if (name == "$remove") {
        return action::remove;
    }
    if (name == "$update") {
        return action::patch;
    }
    if (name == "$pop") {
        return action::pop;
    }
    return std::nullopt;
}

/// Rejects a per-field operator name that is not one of notes §6.2, naming the likely intent.
[[noreturn]] void reject_operator(std::string_view name, std::string_view field) {
    std::string message =
        "unknown update operator '" + std::string(name) + "' on field " + quoted(field);
    if (name == "$incr") {
        message += " (did you mean $incr_by?)";
    } else if (name == "$set" || name == "$unset") {
        message += " (" + std::string(name) + " wraps a whole document, not a field)";
    }
    reject(std::move(message));
}

/// Checks a plain value against the column type; returns the value to store (an integral
/// double such as 3.0 is stored as the integer 3 in an integer column).
json::value checked_value(field_type type, const json::value& v, std::string_view field) {
    bool fits = false;
    switch (type) {
    case field_type::string:
        fits = v.is_string();
        break;
    case field_type::integer:
        if (const auto i = as_integral(v)) {
            return *i;
        }
        break;
    case field_type::number:
        fits = is_number(v);
        break;
    case field_type::boolean:
        fits = v.is_bool();
        break;
    case field_type::array:
        fits = v.is_array();
        break;
    case field_type::object:
    case field_type::file:
        fits = v.is_object();
        break;
    case field_type::geojson:
        fits = parse_geo_point(v).has_value() || parse_geo_polygon(v).has_value();
        break;
    case field_type::date:
        fits = v.is_string() && parse_iso8601_micros(v.get_string()).has_value();
        break;
    case field_type::pointer:
        fits = (v.is_string() && !v.get_string().empty()) || v.is_int64() || v.is_uint64();
        break;
    }
    if (!fits) {
        reject("type conflict on field " + quoted(field) + ": column is " +
               std::string(to_string(type)) + ", value is " + std::string(kind_name(v)) +
               (type == field_type::date ? " (dates are ISO-8601 strings)" : ""));
    }
    return v;
}

json::array as_item_list(const json::value& operand) {
    if (const auto* a = operand.if_array()) {
        return *a;
    }
    // The SDKs wrap a single item into a one-element array; accept the bare item too.
    json::array items;
    items.push_back(operand);
    return items;
}

/// Validates an atomic operator against the column and normalises its operand.
planned_op atomic_op(action what, std::string_view name, field_type type,
                     const json::value& operand, std::string_view field) {
    const auto wrong_column = [&] {
        reject(std::string(name) + " cannot be used on " + std::string(to_string(type)) +
               " field " + quoted(field));
    };
    const auto wrong_operand = [&](std::string_view expected) {
        reject(std::string(name) + " on field " + quoted(field) + " takes " +
               std::string(expected) + ", got " + std::string(kind_name(operand)));
    };
    planned_op result{what, std::string(field), operand};
    switch (what) {
    case action::incr_by:
        if (type != field_type::integer && type != field_type::number) {
            wrong_column();
        }
        if (type == field_type::integer) {
            const auto i = as_integral(operand);
            if (!i) {
                wrong_operand("an integer");
            }
            result.operand = *i;
        } else if (!is_number(operand)) {
            wrong_operand("a number");
        }
        break;
    case action::append:
    case action::append_unique:
    case action::remove:
        if (type != field_type::array) {
            wrong_column();
        }
        if (operand.is_null()) {
            wrong_operand("an array");
        }
        result.operand = as_item_list(operand);
        break;
    case action::patch:
        if (type != field_type::object) {
            wrong_column();
        }
        if (!operand.is_object()) {
            wrong_operand("an object");
        }
        for (const auto& kv : operand.get_object()) {
            if (!is_identifier(kv.key())) {
                reject("$update on field " + quoted(field) + ": key '" + std::string(kv.key()) +
                       "' does not match ^[A-Za-z][A-Za-z0-9_]*$");
            }
        }
        break;
    case action::pop: {
        if (type != field_type::array) {
            wrong_column();
        }
        const auto end = as_integral(operand);
        if (!end || (*end != 1 && *end != -1)) {
            wrong_operand("1 (drop the last item) or -1 (drop the first)");
        }
        result.operand = *end;
        break;
    }
    case action::set:
    case action::unset:
        break;
    }
    return result;
}

/// Reads a whole update document into per-field operations.
class planner {
public:
    explicit planner(const schema& s)
        : schema_(s) {}

    std::vector<planned_op> plan(const json::value& body) {
        const auto* doc = body.if_object();
        if (doc == nullptr) {
            reject("the update body must be a JSON object");
        }
        for (const auto& kv : *doc) {
            const std::string_view key = kv.key();
            if (key == "$set") {
                for (const auto& f : wrapper(key, kv.value())) {
                    add_field(f.key(), f.value(), key);
                }
            } else if (key == "$unset") {
                // The values inside $unset carry no meaning (docs send "", the PHP sample [""]).
                for (const auto& f : wrapper(key, kv.value())) {
                    claim(f.key(), key);
                    ops_.push_back({action::unset, std::string(f.key()), nullptr});
                }
            } else if (key.starts_with('$')) {
                reject("unknown update operator '" + std::string(key) +
                       "' at document level (only $set and $unset wrap fields; atomic "
                       "operators go in field position)");
            } else {
                add_field(key, kv.value(), "the top level");
            }
        }
        return std::move(ops_);
    }

private:
    static const json::object& wrapper(std::string_view name, const json::value& v) {
        if (!v.is_object()) {
            reject(std::string(name) + " takes an object of fields");
        }
        return v.get_object();
    }

    /// Checks that `field` is a writable column not already named elsewhere in the document.
    field_type claim(std::string_view field, std::string_view origin) {
        if (schema::is_builtin(field)) {
            reject("built-in field " + quoted(field) + " cannot be updated here");
        }
        const auto type = schema_.type_of(field);
        if (!type) {
            reject("unknown field " + quoted(field));
        }
        const auto [it, inserted] = seen_.emplace(std::string(field), std::string(origin));
        if (!inserted) {
            const bool unset_clash = (it->second == "$unset") != (origin == "$unset");
            reject(unset_clash ? "field " + quoted(field) + " is both set and unset"
                               : "field " + quoted(field) + " appears twice (in " + it->second +
                                     " and " + std::string(origin) + ")");
        }
        return *type;
    }

    void add_field(std::string_view field, const json::value& v, std::string_view origin) {
        const field_type type = claim(field, origin);
        const auto* o = v.if_object();
        const bool has_operator =
            o != nullptr && std::any_of(o->begin(), o->end(),
                                        [](const auto& kv) { return kv.key().starts_with('$'); });
        if (has_operator) {
            if (o->size() != 1) {
                reject("field " + quoted(field) +
                       ": an atomic operator must be the only key of its object");
            }
            const auto& [name, operand] = *o->begin();
            const auto what = find_action(name);
            if (!what) {
                reject_operator(name, field);
            }
            ops_.push_back(atomic_op(*what, name, type, operand, field));
        } else if (v.is_null()) {
            // Setting null clears the field exactly like $unset: the stored key is removed.
            ops_.push_back({action::unset, std::string(field), nullptr});
        } else {
            ops_.push_back({action::set, std::string(field), checked_value(type, v, field)});
        }
    }

    const schema& schema_;
    std::map<std::string, std::string, std::less<>> seen_;
    std::vector<planned_op> ops_;
};

/// Thrown while applying and caught by update_plan::apply, which then discards the copy.
struct apply_failure {
    std::string message;
};

[[noreturn]] void fail(std::string message) {
    throw apply_failure{std::move(message)};
}

/// The stored value, or null when the field is unset or null (both read as "empty").
json::value* stored(json::object& user, std::string_view field) {
    json::value* v = user.if_contains(field);
    return v != nullptr && !v->is_null() ? v : nullptr;
}

json::array& stored_array(json::object& user, std::string_view field, std::string_view op) {
    json::value* v = stored(user, field);
    if (v == nullptr) {
        return user[field].emplace_array();
    }
    if (!v->is_array()) {
        fail(std::string(op) + ": field " + quoted(field) + " holds " + std::string(kind_name(*v)) +
             ", not an array");
    }
    return v->get_array();
}

void increment(json::object& user, std::string_view field, const json::value& by) {
    json::value* v = stored(user, field);
    if (v == nullptr) {
        user[field] = by;
        return;
    }
    if (!is_number(*v)) {
        fail("$incr_by: field " + quoted(field) + " holds " + std::string(kind_name(*v)) +
             ", not a number");
    }
    const auto a = as_integral(*v);
    const auto b = as_integral(by);
    if (!v->is_double() && !by.is_double() && a && b) {
        // Integers stay integers; overflow is an error rather than a silent switch to double.
        std::int64_t sum = 0;
        if (__builtin_add_overflow(*a, *b, &sum)) {
            fail("$incr_by: field " + quoted(field) + " would overflow a 64-bit integer");
        }
        *v = sum;
        return;
    }
    const auto to_double = [](const json::value& x) {
        return x.is_double()  ? x.get_double()
               : x.is_int64() ? static_cast<double>(x.get_int64())
                              : static_cast<double>(x.get_uint64());
    };
    const double sum = to_double(*v) + to_double(by);
    if (!std::isfinite(sum)) {
        fail("$incr_by: field " + quoted(field) + " would overflow a double");
    }
    *v = sum;
}

void remove_items(json::object& user, std::string_view field, const json::array& items) {
    json::value* v = stored(user, field);
    if (v == nullptr) {
        return;
    }
    if (!v->is_array()) {
        fail("$remove: field " + quoted(field) + " holds " + std::string(kind_name(*v)) +
             ", not an array");
    }
    // For arrays of object, geojson or file items the API honours only the first operand item.
    const bool compound = !items.empty() && items.front().is_object();
    const auto last = compound ? items.begin() + 1 : items.end();
    auto& arr = v->get_array();
    const auto doomed = [&](const json::value& e) {
        return std::any_of(items.begin(), last, [&](const auto& x) { return json_equal(e, x); });
    };
    arr.erase(std::remove_if(arr.begin(), arr.end(), doomed), arr.end());
}

void patch_object(json::object& user, std::string_view field, const json::object& with) {
    json::value* v = stored(user, field);
    if (v != nullptr && !v->is_object()) {
        fail("$update: field " + quoted(field) + " holds " + std::string(kind_name(*v)) +
             ", not an object");
    }
    json::object& target = v != nullptr ? v->get_object() : user[field].emplace_object();
    for (const auto& kv : with) {
        target[kv.key()] = kv.value();
    }
}

void pop_item(json::object& user, std::string_view field, std::int64_t end) {
    json::value* v = stored(user, field);
    if (v == nullptr) {
        return;
    }
    if (!v->is_array()) {
        fail("$pop: field " + quoted(field) + " holds " + std::string(kind_name(*v)) +
             ", not an array");
    }
    auto& arr = v->get_array();
    if (arr.empty()) {
        return;
    }
    if (end == 1) {
        arr.pop_back();
    } else {
        arr.erase(arr.begin());
    }
}

} // namespace

namespace {

// Boost.JSON reads an overflowing literal (1e999) as infinity: stored, it would be written back
// as "Infinity", which is not JSON. Such a number is refused like any other invalid value.
bool has_non_finite(const json::value& v) {
    switch (v.kind()) {
    case json::kind::double_:
        return !std::isfinite(v.get_double());
    case json::kind::array:
        for (const auto& item : v.get_array()) {
            if (has_non_finite(item)) {
                return true;
            }
        }
        return false;
    case json::kind::object:
        for (const auto& member : v.get_object()) {
            if (has_non_finite(member.value())) {
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

} // namespace

boost::system::result<update_plan, update_error> update_plan::parse(const boost::json::value& body,
                                                                    const schema& s) {
    if (has_non_finite(body)) {
        return update_error{"invalid number: out of the range of a double"};
    }
    std::vector<planned_op> planned;
    try {
        planned = planner(s).plan(body);
    } catch (const update_reject& e) {
        return update_error{e.message};
    }
    update_plan plan;
    plan.ops_.reserve(planned.size());
    for (auto& p : planned) {
        op::kind k = op::kind::set;
        switch (p.what) {
        case action::set:
            k = op::kind::set;
            break;
        case action::unset:
            k = op::kind::unset;
            break;
        case action::incr_by:
            k = op::kind::incr_by;
            break;
        case action::append:
            k = op::kind::append;
            break;
        case action::append_unique:
            k = op::kind::append_unique;
            break;
        case action::remove:
            k = op::kind::remove;
            break;
        case action::patch:
            k = op::kind::patch;
            break;
        case action::pop:
            k = op::kind::pop;
            break;
        }
        plan.ops_.push_back(op{k, std::move(p.field), std::move(p.operand)});
    }
    return plan;
}

boost::system::result<void, update_error> update_plan::apply(boost::json::object& user) const {
    // Work on a copy so that a failing operation leaves the stored user untouched.
    json::object next(user, user.storage());
    try {
        for (const auto& o : ops_) {
            switch (o.what) {
            case op::kind::set:
                next[o.field] = o.operand;
                break;
            case op::kind::unset:
                next.erase(o.field);
                break;
            case op::kind::incr_by:
                increment(next, o.field, o.operand);
                break;
            case op::kind::append: {
                auto& arr = stored_array(next, o.field, "$append");
                for (const auto& item : o.operand.get_array()) {
                    arr.push_back(item);
                }
                break;
            }
            case op::kind::append_unique: {
                auto& arr = stored_array(next, o.field, "$append_unique");
                for (const auto& item : o.operand.get_array()) {
                    if (std::none_of(arr.begin(), arr.end(),
                                     [&](const auto& e) { return json_equal(e, item); })) {
                        arr.push_back(item);
                    }
                }
                break;
            }
            case op::kind::remove:
                remove_items(next, o.field, o.operand.get_array());
                break;
            case op::kind::patch:
                patch_object(next, o.field, o.operand.get_object());
                break;
            case op::kind::pop:
                pop_item(next, o.field, o.operand.get_int64());
                break;
            }
        }
    } catch (const apply_failure& e) {
        return update_error{e.message};
    }
    user = std::move(next);
    return {};
}

} // namespace minapp::emulator::detail
