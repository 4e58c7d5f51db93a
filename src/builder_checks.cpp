#include "builder_checks.hpp"

#include <boost/json/error.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace minapp::detail {

namespace json = boost::json;

namespace {

bool is_ascii_letter(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_ascii_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

} // namespace

bool is_identifier(std::string_view key) noexcept {
    if (key.empty() || !is_ascii_letter(key.front())) {
        return false;
    }
    for (const char c : key.substr(1)) {
        if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_') {
            return false;
        }
    }
    return true;
}

std::string field_name_problem(std::string_view field) {
    if (field.empty()) {
        return "field name must not be empty";
    }
    if (field.front() == '$') {
        return "field name " + quoted(field) + " must not start with '$'";
    }
    if (field.find('.') != std::string_view::npos) {
        return "field name " + quoted(field) + " contains '.' (dotted paths are not supported)";
    }
    return {};
}

bool all_finite(const boost::json::value& v) {
    if (!v.is_structured()) {
        // The common case (an operand such as a number or a string) needs no stack.
        const auto* d = v.if_double();
        return d == nullptr || std::isfinite(*d);
    }
    // An explicit stack: documents from `parse` may nest deeper than is safe to recurse.
    std::vector<const boost::json::value*> pending{&v};
    while (!pending.empty()) {
        const boost::json::value* current = pending.back();
        pending.pop_back();
        if (const auto* d = current->if_double(); d != nullptr && !std::isfinite(*d)) {
            return false;
        }
        if (const auto* a = current->if_array()) {
            for (const auto& item : *a) {
                pending.push_back(&item);
            }
        } else if (const auto* o = current->if_object()) {
            for (const auto& kv : *o) {
                pending.push_back(&kv.value());
            }
        }
    }
    return true;
}

std::size_t nesting_depth(const boost::json::value& v) {
    if (!v.is_structured()) {
        return 0;
    }
    // An explicit stack, as in all_finite.
    std::vector<std::pair<const boost::json::value*, std::size_t>> pending{{&v, 0}};
    std::size_t deepest = 0;
    while (!pending.empty()) {
        const auto [current, above] = pending.back();
        pending.pop_back();
        if (const auto* a = current->if_array()) {
            deepest = std::max(deepest, above + 1);
            for (const auto& item : *a) {
                pending.emplace_back(&item, above + 1);
            }
        } else if (const auto* o = current->if_object()) {
            deepest = std::max(deepest, above + 1);
            for (const auto& kv : *o) {
                pending.emplace_back(&kv.value(), above + 1);
            }
        }
    }
    return deepest;
}

json::value parse_document(std::string_view text, std::size_t max_depth, std::string& problem) {
    json::parse_options options;
    options.max_depth = max_depth;
    json::stream_parser p({}, options);
    boost::system::error_code ec;
    const std::size_t used = p.write_some(text.data(), text.size(), ec);
    if (!ec && used == text.size()) {
        p.finish(ec);
    }
    if (!ec && used != text.size()) {
        ec = json::error::extra_data;
    }
    if (!ec) {
        return p.release();
    }
    // The parser stops at the first byte it cannot take.
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t k = 0; k < std::min(used, text.size()); ++k) {
        if (text[k] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    problem = "not valid JSON at line " + std::to_string(line) + ", column " +
              std::to_string(column) + ": " + ec.message();
    return nullptr;
}

std::string quoted(std::string_view name) {
    // Appended piecewise: g++ 12 reports a false -Wrestrict for "'" + std::string(...) at -O3.
    std::string out;
    out.reserve(name.size() + 2);
    out.append(1, '\'').append(name).append(1, '\'');
    return out;
}

} // namespace minapp::detail
