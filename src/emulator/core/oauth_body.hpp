// The parameters of a token-endpoint request body, whichever encoding the client chose: JSON
// (the current docs), multipart/form-data (the 2018 docs and the official CLI) or
// application/x-www-form-urlencoded (RFC 6749's own encoding).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace minapp::emulator::detail {

/// Parameter name -> value.
using oauth_params = std::map<std::string, std::string, std::less<>>;

/// Decodes `body` by `content_type` (an absent Content-Type reads as JSON). JSON must be an
/// object of string values; a form must not repeat a name (RFC 6749 §3.2); any other media
/// type is refused. Returns the reason on failure (never quoting a value: they are secrets).
std::variant<oauth_params, std::string> parse_oauth_body(std::string_view content_type,
                                                         std::string_view body);

} // namespace minapp::emulator::detail
