// Header values of the form `value *( ";" name=value )`: media types (Content-Type) and the
// Content-Disposition of multipart parts (RFC 9110 §5.6.6, §8.3.1; RFC 7578 §4.2).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minapp::emulator::detail {

/// A parsed header value with parameters.
struct parameterized_value {
    /// The leading token in lower case: `type/subtype` for a media type, e.g.
    /// "multipart/form-data", or a single token such as "form-data".
    std::string value;
    /// Parameters in order, names in lower case, quoted values unquoted (quoted-pairs undone).
    std::vector<std::pair<std::string, std::string>> params;

    /// The value of the parameter `name` (lower case), or null when absent.
    const std::string* param(std::string_view name) const;
};

/// Parses `text` strictly: tokens of RFC 9110 tchars, optional whitespace around `;` and at the
/// ends, parameter values as tokens or quoted-strings, no repeated parameter name. nullopt on
/// anything else.
std::optional<parameterized_value> parse_parameterized(std::string_view text);

/// Whether `c` is an RFC 9110 tchar (the characters of a token).
bool is_tchar(char c) noexcept;

} // namespace minapp::emulator::detail
