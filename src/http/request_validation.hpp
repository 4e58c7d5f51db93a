// Checks that a request can be written as HTTP/1.1 without changing its meaning.
#pragma once

#include <minapp/http/message.hpp>

#include <string>

namespace minapp::http::detail {

/// Returns an empty string when `req` is sendable, else what is wrong (never a header value:
/// values may be credentials). Rejects a target that is not origin-form or contains controls or
/// spaces, header names that are not tokens, and header values with CR, LF or NUL (which would
/// let a value inject headers or split the request).
std::string validate_request(const request& req);

/// The header part of validate_request, for one field.
std::string validate_field(const field& f);

} // namespace minapp::http::detail
