// Builder of update documents, the bodies of the single and batch user updates (notes §6).
#pragma once

#include <minapp/json_values.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_ref.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace minapp {

namespace detail {
struct update_access;
} // namespace detail

/// A mutable update document: one operation per field, set by chainable calls. A later call on
/// a field replaces the earlier one, keeping its position (notes §6.3).
///
/// Invalid input never throws: the first problem is recorded (see `problem()`) and the call
/// that caused it changes nothing else, so that the client can fail with
/// `error::invalid_argument` before sending anything. Every call checks the field name: not
/// empty, no leading '$' (the server would read an operator), no '.' (dotted paths are not
/// supported). Numbers must be finite (Boost.JSON would write NaN or Infinity, which is not
/// JSON). A value nests at most `max_value_depth` levels of arrays and objects.
///
/// Values: every operation takes what callers hold, anything `boost::json::value_from`
/// converts (see `json_convertible`: `std::string`, numbers, `std::vector<T>`, `std::map`,
/// `std::optional<T>`, own types with `tag_invoke`), or a `boost::json::value` itself. Braced
/// lists (`set("tags", {"a", "b"})`) work outside `co_await`; inside a `co_await` expression
/// g++ 12 cannot compile an initializer list, so write `minapp::json_array("a", "b")` and
/// `minapp::json_object("k", v)` there.
class update {
public:
    /// Deepest nesting of a value: its place in the body (`{"$set":{"f":{"$op":value}}}`) adds
    /// three levels, and request bodies nest at most 32 (Boost.JSON's default parse limit, which
    /// the emulator applies; the API documents none).
    static constexpr std::size_t max_value_depth = 29;

    /// An update that changes nothing (`{}`).
    update() = default;

    /// Sets the field to `v`. An object holding a key that starts with '$' is a problem: the
    /// server would read it as an operator (use the operator functions instead).
    update& set(std::string_view field, boost::json::value v);
    /// Sets the field to `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) update& set(
        std::string_view field, T&& v) {
        return set(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// Clears the field (`"$unset":{"f":""}`).
    update& unset(std::string_view field);
    /// Adds `by` atomically (`{"$incr_by":by}`); negative to decrement. Integers stay integers.
    update& incr_by(std::string_view field, std::int64_t by);
    /// Adds `by` atomically (`{"$incr_by":by}`).
    update& incr_by(std::string_view field, double by);
    /// Adds an integer of another type; an unsigned value above INT64_MAX is a problem.
    template <std::integral T>
    update& incr_by(std::string_view field, T by) {
        if constexpr (std::is_unsigned_v<T>) {
            if (static_cast<std::uintmax_t>(by) >
                static_cast<std::uintmax_t>(std::numeric_limits<std::int64_t>::max())) {
                return record("update: $incr_by operand exceeds the int64 range");
            }
        }
        return incr_by(field, static_cast<std::int64_t>(by));
    }
    /// A boolean is not an increment.
    update& incr_by(std::string_view field, bool by) = delete;
    /// Appends every item, duplicates kept (`{"$append":[...]}`).
    update& append(std::string_view field, boost::json::array items);
    /// Appends one item: a non-array value is wrapped into `[v]`, an array is taken as the list
    /// of items as the SDKs do (to append one array as an element, pass
    /// `minapp::json_array(minapp::json_array(...))`: a braced `array{array{...}}` is a copy for
    /// clang and a nested list for g++).
    update& append(std::string_view field, boost::json::value item);
    /// Appends the listed items: lets `append("tags", {"a", "b"})` pick the list meaning.
    update& append(std::string_view field, std::initializer_list<boost::json::value_ref> items);
    /// Appends `boost::json::value_from(item)` as `append(field, json::value)` does: a list
    /// (`std::vector<T>`, ...) is the list of items, anything else one item. A number is one
    /// item, never a count (json::array's implicit count constructor is not involved).
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value> &&
             !std::same_as<std::remove_cvref_t<T>, boost::json::array>)
        update& append(std::string_view field, T&& item) {
        return append(field, boost::json::value_from(std::forward<T>(item)));
    }
    /// Appends the items not already present (`{"$append_unique":[...]}`).
    update& append_unique(std::string_view field, boost::json::array items);
    /// Appends the items of a list (`std::vector<T>`, `std::set<T>`, ...) not already present.
    template <json_list T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::array>) update& append_unique(
        std::string_view field, T&& items) {
        return append_unique(field,
                             std::move(boost::json::value_from(std::forward<T>(items)).as_array()));
    }
    /// A number would silently become an array of that many nulls (json::array converts
    /// implicitly from a count): refused at compile time; pass a list.
    template <std::convertible_to<std::size_t> T>
    update& append_unique(std::string_view field, T item) = delete;
    /// Removes every element equal to one of `items` (`{"$remove":[...]}`).
    update& remove(std::string_view field, boost::json::array items);
    /// Removes the elements of a list (`std::vector<T>`, ...).
    template <json_list T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::array>) update& remove(
        std::string_view field, T&& items) {
        return remove(field, std::move(boost::json::value_from(std::forward<T>(items)).as_array()));
    }
    /// Refused at compile time, as for `append_unique`.
    template <std::convertible_to<std::size_t> T>
    update& remove(std::string_view field, T item) = delete;
    /// Merges `changes` into an object field (`{"$update":{...}}`): top-level keys replaced or
    /// added. Every key must match `^[A-Za-z][A-Za-z0-9_]*$`.
    update& patch(std::string_view field, boost::json::object changes);
    /// Merges `boost::json::value_from(changes)` (a `std::map<std::string, T>`, an own type...),
    /// which must be an object.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::object>) update& patch(
        std::string_view field, T&& changes) {
        return patch_value(field, boost::json::value_from(std::forward<T>(changes)));
    }
    /// Drops the last element of an array field (`{"$pop":1}`).
    update& pop_back(std::string_view field);
    /// Drops the first element of an array field (`{"$pop":-1}`).
    update& pop_front(std::string_view field);

    /// Reads an update document in any form of notes §6.1 (plain map, `$set`/`$unset`, atomic
    /// operators at top level or inside `$set`) into operations, which then emit in the
    /// canonical form of `document()`. Problems: a document-level key other than `$set` and
    /// `$unset`, a field named twice (in particular in both `$set` and `$unset`), an operator
    /// object with more than one key or an unknown operator (`$incr`, ...), and operands of the
    /// wrong kind (`$incr_by`: number; `$append`, `$append_unique`, `$remove`: array or a single
    /// non-null item, which is wrapped; `$update`: object with identifier keys; `$pop`: 1 or -1).
    static update raw(const boost::json::object& doc);
    /// Parses JSON text and reads it like `raw`; invalid JSON or a non-object is a problem.
    static update parse(std::string_view json);

    /// True iff every operation is a plain set or unset, so that sending the update twice has
    /// the effect of sending it once (notes §11 #2). An empty update is idempotent.
    bool idempotent() const noexcept;
    /// Whether there is no operation.
    bool empty() const noexcept { return ops_.empty(); }
    /// The fields this update touches, in the order they were first named.
    std::vector<std::string> fields() const;
    /// The first problem recorded; empty if none.
    const std::string& problem() const noexcept { return problem_; }

    /// The wire form. Without unsets, a plain map with atomic operators in field position:
    /// `{"score":10,"visits":{"$incr_by":1}}`. With unsets, `{"$set":{...},"$unset":{"f":""}}`,
    /// where `$set` holds the sets and atomic operators and is present even when empty, as the
    /// official SDK sends it. Meaningful only when `problem()` is empty.
    boost::json::object document() const;
    /// `document()` as compact JSON.
    std::string to_json() const;

private:
    friend struct detail::update_access;

    enum class kind { set, unset, incr_by, append, append_unique, remove, patch, pop };
    struct operation {
        std::string field;
        kind what;
        boost::json::value operand;
    };

    static std::string_view operator_name(kind what) noexcept;
    update& put(std::string_view field, kind what, boost::json::value operand);
    update& record(std::string problem);
    update& patch_value(std::string_view field, boost::json::value changes);
    void read_field(std::string_view field, const boost::json::value& v);

    std::vector<operation> ops_;
    std::string problem_;
};

} // namespace minapp
