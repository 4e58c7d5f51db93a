// A strict parser of multipart/form-data bodies (RFC 7578 over RFC 2046 §5.1), the encoding
// older MinApp servers and the official CLI use for the token exchange (notes §1.3).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace minapp::emulator::detail {

/// One field of a form.
struct form_field {
    std::string name;
    std::string value;
};

/// Whether `boundary` may delimit parts: 1 to 70 RFC 2046 bchars, not ending in a space.
bool valid_boundary(std::string_view boundary) noexcept;

/// The fields of a multipart/form-data `body` delimited by `boundary`, in order (repeated names
/// are kept; the caller decides). Strict, so that a client bug shows up as an error rather than
/// as a guessed value: the body starts with the first delimiter (no preamble) and ends with the
/// close delimiter plus at most one CRLF (no epilogue); lines end in CRLF; no transport padding;
/// at least one part; each part has exactly one `Content-Disposition: form-data; name="..."`
/// (no filename: file parts are not form fields) and at most one Content-Type, and no other
/// header. Returns the reason on failure.
std::variant<std::vector<form_field>, std::string> parse_multipart_form(std::string_view boundary,
                                                                        std::string_view body);

} // namespace minapp::emulator::detail
