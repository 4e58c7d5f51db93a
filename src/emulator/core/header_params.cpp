#include "header_params.hpp"

#include <algorithm>
#include <cstring>

namespace minapp::emulator::detail {
namespace {

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

void skip_ows(std::string_view& s) {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
}

/// Takes a (non-empty) token off the front of `s`.
std::optional<std::string> take_token(std::string_view& s) {
    std::size_t n = 0;
    while (n < s.size() && is_tchar(s[n])) {
        ++n;
    }
    if (n == 0) {
        return std::nullopt;
    }
    std::string out(s.substr(0, n));
    s.remove_prefix(n);
    return out;
}

/// Names and media types compare case-insensitively: keep them in lower case.
std::optional<std::string> take_lower_token(std::string_view& s) {
    auto token = take_token(s);
    if (token) {
        std::transform(token->begin(), token->end(), token->begin(), [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        });
    }
    return token;
}

/// Takes a quoted-string off the front of `s` (which starts with '"'), returning its content.
std::optional<std::string> take_quoted(std::string_view& s) {
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (c == '\\') {
            if (++i == s.size()) {
                return std::nullopt;
            }
            out += s[i];
        } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
            return std::nullopt; // no control characters in qdtext
        } else {
            out += c;
        }
    }
    return std::nullopt; // unterminated
}

} // namespace

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

const std::string* parameterized_value::param(std::string_view name) const {
    for (const auto& [key, text] : params) {
        if (key == name) {
            return &text;
        }
    }
    return nullptr;
}

std::optional<parameterized_value> parse_parameterized(std::string_view text) {
    parameterized_value out;
    skip_ows(text);
    auto value = take_lower_token(text);
    if (!value) {
        return std::nullopt;
    }
    out.value = std::move(*value);
    if (!text.empty() && text.front() == '/') {
        text.remove_prefix(1);
        auto subtype = take_lower_token(text);
        if (!subtype) {
            return std::nullopt;
        }
        out.value += '/';
        out.value += *subtype;
    }
    for (;;) {
        skip_ows(text);
        if (text.empty()) {
            return out;
        }
        if (text.front() != ';') {
            return std::nullopt;
        }
        text.remove_prefix(1);
        skip_ows(text);
        auto name = take_lower_token(text);
        if (!name || text.empty() || text.front() != '=') {
            return std::nullopt;
        }
        text.remove_prefix(1);
        std::optional<std::string> param_value =
            !text.empty() && text.front() == '"' ? take_quoted(text) : take_token(text);
        if (!param_value || out.param(*name) != nullptr) {
            return std::nullopt; // a repeated parameter would be ambiguous
        }
        out.params.emplace_back(std::move(*name), std::move(*param_value));
    }
}

} // namespace minapp::emulator::detail
