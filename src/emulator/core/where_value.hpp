// JSON value comparisons shared by the `where` evaluator and the update applier.
#pragma once

#include <boost/json/fwd.hpp>

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

namespace minapp::emulator::detail {

/// Whether `v` is a JSON number (int64, uint64 or double).
bool is_number(const boost::json::value& v) noexcept;

/// Orders two JSON numbers by value, exactly (no rounding of 64-bit integers).
/// Precondition: both are numbers.
std::partial_ordering compare_numbers(const boost::json::value& a,
                                      const boost::json::value& b) noexcept;

/// Deep equality in which numbers compare by value (`1 == 1.0`) and object key order is ignored.
bool json_equal(const boost::json::value& a, const boost::json::value& b) noexcept;

/// The value of `v` as an int64 when it is a number with an integral value that fits.
std::optional<std::int64_t> as_integral(const boost::json::value& v) noexcept;

/// Whether `key` matches `^[A-Za-z][A-Za-z0-9_]*$`, the rule for `$has_key` and `$update` keys.
bool is_identifier(std::string_view key) noexcept;

/// The name of a JSON value's kind for error messages ("string", "number", "object", ...).
std::string_view kind_name(const boost::json::value& v) noexcept;

} // namespace minapp::emulator::detail
