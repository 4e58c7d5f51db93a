// Builder of `where` documents, the query language of the user list endpoint (notes §4).
#pragma once

#include <minapp/geo.hpp>
#include <minapp/json_values.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minapp {

/// An immutable `where` document, built from factories and combined with `&&`, `||`,
/// `and_` and `or_`.
///
/// Conditions are always written with an explicit operator (`{"score":{"$eq":10}}`, never the
/// `{"score":10}` shorthand); several conditions become `{"$and":[...]}`.
///
/// Invalid input never throws: the value records the first problem (see `problem()`), which
/// composition carries into every document built from it, so that the client can fail with
/// `error::invalid_argument` before sending anything. Checks common to every factory: the field
/// name is not empty, does not start with '$' and contains no '.' (dotted paths are not
/// supported, notes §4.1); `_group` accepts only `$in` (notes §4.2, use `in_groups`); numbers
/// are finite (Boost.JSON would write NaN or Infinity, which is not JSON).
///
/// Values: each factory takes what callers hold, anything `boost::json::value_from` converts
/// (see `json_convertible`), or a `boost::json::value`; the list operators take a list (see
/// `json_list`). Inside a `co_await` expression write lists as `minapp::json_array(...)`, not as
/// braced initializer lists, which g++ 12 cannot compile there.
class where {
public:
    /// Matches every user: `{}`.
    where() = default;

    /// Matches every user: `{}`.
    static where all();

    /// `{"f":{"$eq":v}}`: equal; for an array field, exactly these elements. `v` must not be
    /// null (use `is_null`).
    static where eq(std::string_view field, boost::json::value v);
    /// `{"f":{"$ne":v}}`: not equal. `v` must be a string, number or boolean.
    static where ne(std::string_view field, boost::json::value v);
    /// `{"f":{"$lt":v}}`. `v` must be a number, or an ISO-8601 string for a date field.
    static where lt(std::string_view field, boost::json::value v);
    /// `{"f":{"$lte":v}}`. `v` must be a number, or an ISO-8601 string for a date field.
    static where lte(std::string_view field, boost::json::value v);
    /// `{"f":{"$gt":v}}`. `v` must be a number, or an ISO-8601 string for a date field.
    static where gt(std::string_view field, boost::json::value v);
    /// `{"f":{"$gte":v}}`. `v` must be a number, or an ISO-8601 string for a date field.
    static where gte(std::string_view field, boost::json::value v);

    /// `eq` of `boost::json::value_from(v)` (a `std::string`, an `std::optional<T>`, ...).
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        eq(std::string_view field, T&& v) {
        return eq(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// `ne` of `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        ne(std::string_view field, T&& v) {
        return ne(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// `lt` of `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        lt(std::string_view field, T&& v) {
        return lt(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// `lte` of `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        lte(std::string_view field, T&& v) {
        return lte(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// `gt` of `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        gt(std::string_view field, T&& v) {
        return gt(field, boost::json::value_from(std::forward<T>(v)));
    }
    /// `gte` of `boost::json::value_from(v)`.
    template <json_convertible T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::value>) static where
        gte(std::string_view field, T&& v) {
        return gte(field, boost::json::value_from(std::forward<T>(v)));
    }

    /// `{"f":{"$in":[...]}}`: the value is one of `values` (an array field: shares an element).
    static where in(std::string_view field, boost::json::array values);
    /// `{"f":{"$nin":[...]}}`: the negation of `in`.
    static where nin(std::string_view field, boost::json::array values);
    /// `{"f":{"$all":[...]}}`: an array field holding every one of `values`.
    static where contains_all(std::string_view field, boost::json::array values);
    /// `in` over a list (`std::vector<T>`, `std::set<T>`, ...).
    template <json_list T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::array>) static where
        in(std::string_view field, T&& values) {
        return in(field, std::move(boost::json::value_from(std::forward<T>(values)).as_array()));
    }
    /// `nin` over a list.
    template <json_list T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::array>) static where
        nin(std::string_view field, T&& values) {
        return nin(field, std::move(boost::json::value_from(std::forward<T>(values)).as_array()));
    }
    /// `contains_all` over a list.
    template <json_list T>
    requires(!std::same_as<std::remove_cvref_t<T>, boost::json::array>) static where
        contains_all(std::string_view field, T&& values) {
        return contains_all(field,
                            std::move(boost::json::value_from(std::forward<T>(values)).as_array()));
    }
    /// A number passed where a list is expected would silently become an array of that many
    /// nulls (json::array converts implicitly from a count): refused at compile time.
    template <std::convertible_to<std::size_t> T>
    static where in(std::string_view field, T value) = delete;
    /// Refused at compile time, as for `in`.
    template <std::convertible_to<std::size_t> T>
    static where nin(std::string_view field, T value) = delete;
    /// Refused at compile time, as for `in`.
    template <std::convertible_to<std::size_t> T>
    static where contains_all(std::string_view field, T value) = delete;

    /// `{"f":{"$contains":s}}`: case-sensitive substring. An empty `s` is a problem (notes §4.2).
    static where contains(std::string_view field, std::string_view s);
    /// `{"f":{"$icontains":s}}`: case-insensitive substring. An empty `s` is allowed (the docs
    /// restrict only `$contains`) and matches every string.
    static where icontains(std::string_view field, std::string_view s);
    /// `{"f":{"$regex":p}}`, plus `"$options":o` when `options` is not empty. The pattern is
    /// JavaScript syntax without slashes and is not checked here; `options` must be distinct
    /// flags out of "gimsuy".
    static where regex(std::string_view field, std::string_view pattern,
                       std::string_view options = {});

    /// `{"f":{"$range":[start,end]}}`: a number in the half-open interval [start, end) (notes
    /// §11 #17). Both bounds must be finite numbers with `start <= end`; integers stay integers.
    static where range(std::string_view field, boost::json::value start, boost::json::value end);

    /// `{"f":{"$isnull":null}}`: the value is null (or unset) when `null`, else it is not.
    static where is_null(std::string_view field, bool null = true);
    /// `{"f":{"$exists":present}}`: the key is present (a null value counts) when `present`.
    static where exists(std::string_view field, bool present = true);
    /// `{"f":{"$has_key":key}}`: an object field with this top-level key. `key` must match
    /// `^[A-Za-z][A-Za-z0-9_]*$`.
    static where has_key(std::string_view field, std::string_view key);

    /// `{"f":{"$intersects":{"type":"Point","coordinates":[lng,lat]}}}`: a stored polygon
    /// containing `point`.
    static where intersects(std::string_view field, geo_point point);
    /// `{"f":{"$within":{"type":"Polygon","coordinates":[[[lng,lat],...]]}}}`: a stored point
    /// inside `area`. An open ring is closed by repeating its first position; the closed ring
    /// must have at least four positions.
    static where within(std::string_view field, const geo_polygon& area);
    /// `{"f":{"$center":{"radius":km,"coordinates":[lng,lat]}}}`: a stored point within
    /// `radius_km` kilometres of `centre`. The radius must be finite and >= 0.
    static where within_circle(std::string_view field, geo_point centre, double radius_km);
    /// `{"f":{"$nearsphere":{"geometry":<Point>,"min_distance":m[,"max_distance":m]}}}`: a
    /// stored point between the two distances (metres) from `centre`, results sorted nearest
    /// first. Distances must be finite with 0 <= min <= max. At most one `near_sphere` may be in
    /// a query, since a result can be sorted by only one distance.
    static where near_sphere(std::string_view field, geo_point centre,
                             std::optional<double> max_distance_m, double min_distance_m = 0);

    /// `{"_group":{"$in":[ids...]}}`: users belonging to at least one of these groups.
    static where in_groups(std::vector<std::int64_t> group_ids);

    /// Uses `doc` as it is, after checking the grammar of notes §4.1: `$and`/`$or` take
    /// non-empty arrays of objects, field names follow the rules above, conditions use only the
    /// operators of notes §4.2 (`$options` only beside `$regex`), numbers are finite. Operand
    /// types are not checked and the `{"f":value}` shorthand is accepted.
    static where raw(boost::json::object doc);
    /// Parses JSON text and then checks it like `raw`; invalid JSON or a non-object is a
    /// problem.
    static where parse(std::string_view json);

    /// All of `parts`: `{"$and":[...]}`, with nested `$and` lists flattened and `all()` parts
    /// dropped. No parts (or only `all()`) give `all()`; a single part is returned as it is.
    static where and_(std::vector<where> parts);
    /// Any of `parts`: `{"$or":[...]}`, with nested `$or` lists flattened. A part that matches
    /// everything makes the result `all()`; a single part is returned as it is. No parts at all
    /// is a problem (an empty `$or` is not valid on the wire).
    static where or_(std::vector<where> parts);

    /// The document. Meaningful only when `problem()` is empty.
    const boost::json::object& document() const noexcept { return doc_; }
    /// The document as compact JSON, ready for `detail::encode_query_value`.
    std::string to_json() const;
    /// Whether the document is `{}` (meaningful only when `problem()` is empty).
    bool matches_all() const noexcept { return doc_.empty(); }
    /// The first problem found while building this value (or any part of it); empty if none.
    const std::string& problem() const noexcept { return problem_; }

    /// `where::and_({a, b})`.
    friend where operator&&(const where& a, const where& b);
    /// `where::or_({a, b})`.
    friend where operator||(const where& a, const where& b);

private:
    static where condition(std::string_view field, std::string_view op, boost::json::value v,
                           std::string_view operand_problem);
    static where failed(std::string problem);
    static where combine(std::vector<where> parts, std::string_view junction);

    boost::json::object doc_;
    std::string problem_;
    // How many `$nearsphere` conditions the document holds: a query may have only one.
    std::size_t near_spheres_ = 0;
};

} // namespace minapp
