// Percent-encoding of query-parameter values (notes §1.4, design notes §2).
#pragma once

#include <string>
#include <string_view>

namespace minapp::detail {

/// Percent-encodes `value` for use as a query-parameter value: every byte outside the RFC 3986
/// unreserved set (A-Z a-z 0-9 - . _ ~) becomes %XX with upper-case hex digits, so UTF-8 text
/// is encoded byte by byte and a space becomes %20, never '+'. The result is safe to append to
/// a query verbatim (e.g. through boost::urls::url::encoded_params()). Never fails.
std::string encode_query_value(std::string_view value);

} // namespace minapp::detail
