#include <minapp/update.hpp>

#include "builder_checks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace minapp {

namespace {

namespace json = boost::json;
using detail::quoted;

bool has_operator_key(const json::object& o) {
    return std::any_of(o.begin(), o.end(),
                       [](const auto& kv) { return kv.key().starts_with('$'); });
}

json::array as_items(json::value v) {
    if (v.is_array()) {
        return std::move(v.get_array());
    }
    json::array items;
    items.push_back(std::move(v));
    return items;
}

} // namespace

update& update::record(std::string problem) {
    if (problem_.empty()) {
        problem_ = std::move(problem);
    }
    return *this;
}

/// Stores one operation after the checks every call shares, replacing an earlier one on the
/// same field in place.
update& update::put(std::string_view field, kind what, json::value operand) {
    if (auto p = detail::field_name_problem(field); !p.empty()) {
        return record("update: " + std::move(p));
    }
    if (!detail::all_finite(operand)) {
        return record("update: the value for field " + quoted(field) +
                      " holds a non-finite number");
    }
    if (const auto depth = detail::nesting_depth(operand); depth > max_value_depth) {
        return record("update: the value for field " + quoted(field) + " nests " +
                      std::to_string(depth) + " levels deep; at most " +
                      std::to_string(max_value_depth) + " are sent");
    }
    const auto same = std::find_if(ops_.begin(), ops_.end(),
                                   [&](const operation& op) { return op.field == field; });
    if (same != ops_.end()) {
        same->what = what;
        same->operand = std::move(operand);
    } else {
        ops_.push_back({std::string(field), what, std::move(operand)});
    }
    return *this;
}

update& update::set(std::string_view field, json::value v) {
    if (const auto* o = v.if_object(); o != nullptr && has_operator_key(*o)) {
        return record("update: the value set on field " + quoted(field) +
                      " has a key starting with '$', which the server reads as an operator");
    }
    return put(field, kind::set, std::move(v));
}

update& update::unset(std::string_view field) {
    return put(field, kind::unset, nullptr);
}

update& update::incr_by(std::string_view field, std::int64_t by) {
    return put(field, kind::incr_by, by);
}

update& update::incr_by(std::string_view field, double by) {
    return put(field, kind::incr_by, by);
}

update& update::append(std::string_view field, json::array items) {
    return put(field, kind::append, std::move(items));
}

update& update::append(std::string_view field, json::value item) {
    return put(field, kind::append, as_items(std::move(item)));
}

update& update::append(std::string_view field, std::initializer_list<json::value_ref> items) {
    return put(field, kind::append, json::array(items));
}

update& update::append_unique(std::string_view field, json::array items) {
    return put(field, kind::append_unique, std::move(items));
}

update& update::remove(std::string_view field, json::array items) {
    return put(field, kind::remove, std::move(items));
}

update& update::patch(std::string_view field, json::object changes) {
    for (const auto& kv : changes) {
        if (!detail::is_identifier(kv.key())) {
            return record("update: $update on field " + quoted(field) + ": key " +
                          quoted(kv.key()) + " does not match ^[A-Za-z][A-Za-z0-9_]*$");
        }
    }
    return put(field, kind::patch, std::move(changes));
}

update& update::patch_value(std::string_view field, json::value changes) {
    if (!changes.is_object()) {
        return record("update: $update on field " + quoted(field) + " takes an object");
    }
    return patch(field, std::move(changes.get_object()));
}

update& update::pop_back(std::string_view field) {
    return put(field, kind::pop, 1);
}

update& update::pop_front(std::string_view field) {
    return put(field, kind::pop, -1);
}

/// Reads the value of one field of a raw document: a plain value or `{"$op": operand}`.
void update::read_field(std::string_view field, const json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr || !has_operator_key(*o)) {
        put(field, kind::set, v);
        return;
    }
    if (o->size() != 1) {
        record("update: field " + quoted(field) +
               ": an atomic operator must be the only key of its object");
        return;
    }
    const std::string_view name = o->begin()->key();
    const json::value& operand = o->begin()->value();
    const auto wrong_operand = [&](std::string_view expected) {
        record("update: " + std::string(name) + " on field " + quoted(field) + " takes " +
               std::string(expected));
    };
    if (name == "$incr_by") {
        if (operand.is_int64() || operand.is_uint64() || operand.is_double()) {
            put(field, kind::incr_by, operand);
        } else {
            wrong_operand("a number");
        }
    } else if (name == "$append" || name == "$append_unique" || name == "$remove") {
        if (operand.is_null()) {
            wrong_operand("an array");
            return;
        }
        const kind what = name == "$append"          ? kind::append
                          : name == "$append_unique" ? kind::append_unique
                                                     : kind::remove;
        put(field, what, as_items(operand));
    } else if (name == "$update") {
        if (operand.is_object()) {
            patch(field, operand.get_object());
        } else {
            wrong_operand("an object");
        }
    } else if (name == "$pop") {
        std::int64_t end = 0;
        if (operand.is_int64()) {
            end = operand.get_int64();
        } else if (operand.is_uint64() && operand.get_uint64() == 1) {
            end = 1;
        }
        if (end == 1 || end == -1) {
            put(field, kind::pop, end);
        } else {
            wrong_operand("1 (drop the last element) or -1 (drop the first)");
        }
    } else {
        std::string hint;
        if (name == "$incr") {
            hint = " (the operator is $incr_by)";
        } else if (name == "$set" || name == "$unset") {
            hint = " (" + std::string(name) + " wraps a whole document, not a field)";
        }
        record("update: unknown operator " + quoted(name) + " on field " + quoted(field) + hint);
    }
}

update update::raw(const json::object& doc) {
    update u;
    // Whether each field named so far was unset: a field may appear only once in a document.
    std::map<std::string, bool, std::less<>> seen;
    const auto claim = [&](std::string_view field, bool unset) {
        const auto [it, inserted] = seen.emplace(std::string(field), unset);
        if (!inserted) {
            u.record("update: field " + quoted(field) +
                     (it->second != unset ? " is both set and unset" : " appears twice"));
        }
        return inserted;
    };
    const auto fields_of = [&](std::string_view wrapper, const json::value& v) {
        if (!v.is_object()) {
            u.record("update: " + std::string(wrapper) + " takes an object of fields");
        }
        return v.if_object();
    };
    for (const auto& kv : doc) {
        const std::string_view key = kv.key();
        if (key == "$set") {
            if (const auto* fields = fields_of(key, kv.value())) {
                for (const auto& f : *fields) {
                    if (claim(f.key(), false)) {
                        u.read_field(f.key(), f.value());
                    }
                }
            }
        } else if (key == "$unset") {
            // The values inside $unset carry no meaning (notes §6.1).
            if (const auto* fields = fields_of(key, kv.value())) {
                for (const auto& f : *fields) {
                    if (claim(f.key(), true)) {
                        u.unset(f.key());
                    }
                }
            }
        } else if (key.starts_with('$')) {
            u.record("update: unknown document-level operator " + quoted(key) +
                     " (only $set and $unset wrap fields)");
        } else if (claim(key, false)) {
            u.read_field(key, kv.value());
        }
    }
    return u;
}

update update::parse(std::string_view json) {
    std::string problem;
    // Boost.JSON's default depth: deeper values could not be sent anyway (max_value_depth).
    const json::value doc = detail::parse_document(json, 32, problem);
    if (!problem.empty()) {
        return update().record("update: " + problem);
    }
    if (!doc.is_object()) {
        return update().record("update: the document must be a JSON object");
    }
    return raw(doc.get_object());
}

bool update::idempotent() const noexcept {
    return std::all_of(ops_.begin(), ops_.end(), [](const operation& op) {
        return op.what == kind::set || op.what == kind::unset;
    });
}

std::vector<std::string> update::fields() const {
    std::vector<std::string> out;
    out.reserve(ops_.size());
    for (const auto& op : ops_) {
        out.push_back(op.field);
    }
    return out;
}

std::string_view update::operator_name(kind what) noexcept {
    switch (what) {
    case kind::incr_by:
        return "$incr_by";
    case kind::append:
        return "$append";
    case kind::append_unique:
        return "$append_unique";
    case kind::remove:
        return "$remove";
    case kind::patch:
        return "$update";
    case kind::pop:
        return "$pop";
    case kind::set:
    case kind::unset:
        break;
    }
    return {};
}

json::object update::document() const {
    json::object sets;
    json::object unsets;
    for (const auto& op : ops_) {
        if (op.what == kind::unset) {
            unsets[op.field] = "";
        } else if (op.what == kind::set) {
            sets[op.field] = op.operand;
        } else {
            sets[op.field] = json::object{{operator_name(op.what), op.operand}};
        }
    }
    if (unsets.empty()) {
        return sets;
    }
    return json::object{{"$set", std::move(sets)}, {"$unset", std::move(unsets)}};
}

namespace {

// Appends what `sr` was reset on to `out`, growing it in place: no string of its own. Each read
// gets room for a number or a short string whole, so the serializer need not suspend (which
// allocates its stack); `out` grows only when that room is missing.
void drain(json::serializer& sr, std::string& out) {
    constexpr std::size_t room = 64;
    while (!sr.done()) {
        const auto used = out.size();
        if (out.capacity() - used < room) {
            out.reserve(std::max(2 * out.capacity(), used + room));
        }
        out.resize(out.capacity());
        out.resize(used + sr.read(out.data() + used, out.size() - used).size());
    }
}

} // namespace

// The same text as serialize(document()), written straight from the operations: a request
// body then costs no copy of the operands into a temporary document.
std::string update::to_json() const {
    std::string out;
    out.reserve(128);
    json::serializer sr;
    const auto key = [&](std::string_view name) {
        sr.reset(json::string_view(name));
        drain(sr, out);
        out += ':';
    };
    const bool with_unsets = std::any_of(
        ops_.begin(), ops_.end(), [](const operation& op) { return op.what == kind::unset; });
    out += with_unsets ? "{\"$set\":{" : "{";
    bool first = true;
    for (const auto& op : ops_) {
        if (op.what == kind::unset) {
            continue;
        }
        if (!std::exchange(first, false)) {
            out += ',';
        }
        key(op.field);
        if (op.what != kind::set) {
            out += '{';
            key(operator_name(op.what));
        }
        sr.reset(&op.operand);
        drain(sr, out);
        if (op.what != kind::set) {
            out += '}';
        }
    }
    if (with_unsets) {
        out += "},\"$unset\":{";
        first = true;
        for (const auto& op : ops_) {
            if (op.what == kind::unset) {
                if (!std::exchange(first, false)) {
                    out += ',';
                }
                key(op.field);
                out += "\"\"";
            }
        }
        out += '}';
    }
    out += '}';
    return out;
}

} // namespace minapp
