// The values the `where` and `update` builders accept, and helpers that build JSON arrays and
// objects inline in a form g++ 12 compiles inside `co_await`.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string_view.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <concepts>
#include <cstddef>
#include <ranges>
#include <string_view>
#include <type_traits>
#include <utility>

namespace minapp {

/// A value the builders take: anything `boost::json::value_from` converts (numbers, booleans,
/// `std::string`, `std::string_view`, string literals, `std::vector<T>`, `std::map<std::string,
/// T>`, `std::optional<T>`, `std::variant`, `nullptr`, the Boost.JSON types, and users' own types
/// with a `tag_invoke` conversion).
template <class T>
concept json_convertible = boost::json::has_value_from<std::remove_cvref_t<T>>::value;

/// A list the builders take where the API expects an array (`in`, `nin`, `contains_all`,
/// `append_unique`, `remove`): a `boost::json::array`, or a range that is not a string and
/// whose conversion is an array (`std::vector<T>`, `std::array<T, N>`, `std::set<T>`, ...).
/// Scalars are excluded on purpose: see `where::in`.
template <class T>
concept json_list = json_convertible<T> &&
    (std::same_as<std::remove_cvref_t<T>, boost::json::array> ||
     (std::ranges::range<std::remove_cvref_t<T>> &&
      !std::is_convertible_v<const std::remove_cvref_t<T>&, std::string_view> &&
      !std::same_as<std::remove_cvref_t<T>, boost::json::object> &&
      !std::same_as<std::remove_cvref_t<T>, boost::json::value>));

/// A JSON array of `items`, each converted by `boost::json::value_from`:
/// `update().set("tags", minapp::json_array("a", "b", some_string))`. Unlike a braced
/// `boost::json::array{...}` (an initializer list, which g++ 12 cannot compile inside a
/// `co_await` expression), it may be written inline anywhere.
template <json_convertible... Items>
boost::json::array json_array(Items&&... items) {
    boost::json::array out;
    out.reserve(sizeof...(Items));
    (out.push_back(boost::json::value_from(std::forward<Items>(items))), ...);
    return out;
}

namespace detail {

inline void put_members(boost::json::object&) {}

template <class Value, class... Rest>
void put_members(boost::json::object& out, std::string_view key, Value&& value, Rest&&... rest) {
    out.insert_or_assign(boost::json::string_view(key.data(), key.size()),
                         boost::json::value_from(std::forward<Value>(value)));
    put_members(out, std::forward<Rest>(rest)...);
}

} // namespace detail

/// A JSON object from alternating keys and values, each value converted by
/// `boost::json::value_from`: `minapp::json_object("city", "Paris", "level", 3)`. A later key
/// replaces an earlier equal one. Usable inline inside `co_await` on g++ 12 (see `json_array`).
template <class... KeysAndValues>
requires(sizeof...(KeysAndValues) % 2 == 0) boost::json::object
    json_object(KeysAndValues&&... keys_and_values) {
    boost::json::object out;
    out.reserve(sizeof...(KeysAndValues) / 2);
    detail::put_members(out, std::forward<KeysAndValues>(keys_and_values)...);
    return out;
}

} // namespace minapp
