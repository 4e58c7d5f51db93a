#include "request_validation.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace minapp::http::detail {
namespace {

bool is_token_char(unsigned char c) {
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    return std::isalnum(c) != 0 || specials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_field_value_char(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool is_target_char(unsigned char c) {
    return c > 0x20 && c != 0x7f;
}

} // namespace

std::string validate_request(const request& req) {
    if (req.target.empty() || req.target.front() != '/') {
        return "request target must start with '/'";
    }
    if (!std::all_of(req.target.begin(), req.target.end(),
                     [](char c) { return is_target_char(static_cast<unsigned char>(c)); })) {
        return "request target contains a space or control character";
    }
    for (const auto& f : req.headers) {
        if (auto problem = validate_field(f); !problem.empty()) {
            return problem;
        }
    }
    return {};
}

std::string validate_field(const field& f) {
    if (f.name.empty() || !std::all_of(f.name.begin(), f.name.end(), [](char c) {
            return is_token_char(static_cast<unsigned char>(c));
        })) {
        return "header name is not a valid token";
    }
    if (!std::all_of(f.value.begin(), f.value.end(),
                     [](char c) { return is_field_value_char(static_cast<unsigned char>(c)); })) {
        return "value of header '" + f.name + "' contains CR, LF or another control character";
    }
    return {};
}

} // namespace minapp::http::detail
