// Formats the status line and headers of a response into a reused string, so that writing a
// response costs one gather write and no header container.
#pragma once

#include <minapp/emulator/api.hpp>

#include <cstddef>
#include <string>

namespace minapp::emulator::detail {

/// Replaces `out` with the head of `response`: status line, Date, Content-Type (when the body is
/// not empty), the extra headers (any containing CR or LF are dropped), Content-Length
/// `content_length`, Connection, and the blank line.
void format_response_head(std::string& out, const api_response& response,
                          std::size_t content_length, bool keep_alive);

} // namespace minapp::emulator::detail
