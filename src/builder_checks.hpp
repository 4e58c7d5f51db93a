// Input rules shared by the `where`, `update` and `order_by` builders.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>

#include <string>
#include <string_view>

namespace minapp::detail {

/// Whether `key` matches `^[A-Za-z][A-Za-z0-9_]*$`, the rule for `$has_key` keys and `$update`
/// keys (notes §4.2, §6.2).
bool is_identifier(std::string_view key) noexcept;

/// Why `field` cannot name a column, or an empty string. A name must not be empty, must not
/// start with '$' (the server would read it as an operator) and must not contain '.' (dotted
/// paths are not supported, notes §4.1).
std::string field_name_problem(std::string_view field);

/// Whether every number in `v` is finite. Boost.JSON writes NaN and infinities as `NaN` and
/// `Infinity`, which are not JSON, and parses overflowing literals such as 1e999 to infinity.
bool all_finite(const boost::json::value& v);

/// How deeply arrays and objects nest in `v`: 0 for a scalar, 1 for `[]` or `[1]`, 2 for
/// `[[1]]`. Boost.JSON's parser, and with it the emulator, accepts 32 levels by default.
std::size_t nesting_depth(const boost::json::value& v);

/// Parses `text` as one JSON value nested at most `max_depth` deep. On failure `problem` says
/// where and why, as the CLI does: "not valid JSON at line 1, column 9: incomplete JSON".
boost::json::value parse_document(std::string_view text, std::size_t max_depth,
                                  std::string& problem);

/// `name` in single quotes, for problem messages.
std::string quoted(std::string_view name);

} // namespace minapp::detail
