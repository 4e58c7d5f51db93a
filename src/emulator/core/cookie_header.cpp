#include "cookie_header.hpp"

#include "header_params.hpp"

#include <algorithm>

namespace minapp::emulator::detail {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
    std::optional<std::string_view> found;
    while (!header.empty()) {
        const auto semicolon = header.find(';');
        const std::string_view pair = trim(header.substr(0, semicolon));
        header =
            semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
        if (pair.empty()) {
            continue; // tolerate "a=1; " and "a=1;;b=2"
        }
        const auto equals = pair.find('=');
        const std::string_view key = pair.substr(0, equals);
        if (equals == std::string_view::npos || key.empty() ||
            !std::all_of(key.begin(), key.end(), is_tchar)) {
            return std::nullopt;
        }
        if (key != name) {
            continue;
        }
        if (found) {
            return std::nullopt;
        }
        std::string_view value = pair.substr(equals + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        found = value;
    }
    return found;
}

} // namespace minapp::emulator::detail
