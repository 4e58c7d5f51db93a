// Building api_response values: JSON bodies and the API's error body.
#pragma once

#include <minapp/emulator/api.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace minapp::emulator::detail {

/// A 200 (or `status`) reply carrying JSON text.
api_response json_reply(std::string body, unsigned status = 200);

/// An error reply with the body every MinApp error uses: {"status":"error","error_msg":"..."}.
api_response error_reply(unsigned status, std::string_view message);

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

/// A JSON string literal of `text`, or `null`.
std::string json_string_or_null(const std::optional<std::string>& text);

} // namespace minapp::emulator::detail
