// Reading a request's Cookie header (RFC 6265 §4.2: `name=value; name2=value2`).
#pragma once

#include <optional>
#include <string_view>

namespace minapp::emulator::detail {

/// The value of cookie `name` in a Cookie header value. nullopt when the cookie is absent, when
/// it appears more than once (which value the client meant is ambiguous), or when the header is
/// not a `;`-separated list of `name=value` pairs. Quotes around a value (allowed by the RFC)
/// are removed.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

} // namespace minapp::emulator::detail
