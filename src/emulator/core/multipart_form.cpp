#include "multipart_form.hpp"

#include "header_params.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

namespace minapp::emulator::detail {
namespace {

constexpr std::string_view crlf = "\r\n";

bool is_bchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && std::strchr("'()+_,-./:=? ", c) != nullptr;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// Reads the header block of one part (up to and including the empty line) off the front of
/// `rest` and returns the field name, or the reason it is not acceptable.
std::variant<std::string, std::string> part_name(std::string_view& rest) {
    std::optional<std::string> name;
    bool content_type = false;
    for (;;) {
        const auto end = rest.find(crlf);
        if (end == std::string_view::npos) {
            return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                          "part header not terminated by CRLF");
        }
        const std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end + crlf.size());
        if (line.empty()) {
            break;
        }
        const auto fail = [](std::string message) {
            return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                          std::move(message));
        };
        if (line.find_first_of("\r\n") != std::string_view::npos) {
            return fail("bare CR or LF in a part header");
        }
        const auto colon = line.find(':');
        const std::string_view field = line.substr(0, colon);
        if (colon == std::string_view::npos || field.empty() ||
            !std::all_of(field.begin(), field.end(), is_tchar)) {
            return fail("malformed part header line");
        }
        const std::string_view value = trim_ows(line.substr(colon + 1));
        if (iequals(field, "Content-Disposition")) {
            const auto disposition = parse_parameterized(value);
            if (name || !disposition || disposition->value != "form-data") {
                return fail("a part needs one Content-Disposition: form-data");
            }
            const std::string* field_name = disposition->param("name");
            if (field_name == nullptr || field_name->empty() || disposition->params.size() != 1) {
                return fail("Content-Disposition must name the field and nothing else");
            }
            name = *field_name;
        } else if (iequals(field, "Content-Type")) {
            if (content_type || !parse_parameterized(value)) {
                return fail("malformed or repeated part Content-Type");
            }
            content_type = true;
        } else {
            return fail("unexpected part header '" + std::string(field) + "'");
        }
    }
    if (!name) {
        return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                      "part without Content-Disposition");
    }
    return std::variant<std::string, std::string>(std::in_place_index<0>, std::move(*name));
}

} // namespace

bool valid_boundary(std::string_view boundary) noexcept {
    return !boundary.empty() && boundary.size() <= 70 && boundary.back() != ' ' &&
           std::all_of(boundary.begin(), boundary.end(), is_bchar);
}

std::variant<std::vector<form_field>, std::string> parse_multipart_form(std::string_view boundary,
                                                                        std::string_view body) {
    using result = std::variant<std::vector<form_field>, std::string>;
    const auto fail = [](std::string message) {
        return result(std::in_place_index<1>, std::move(message));
    };
    if (!valid_boundary(boundary)) {
        return fail("invalid multipart boundary");
    }
    const std::string dash_boundary = "--" + std::string(boundary);
    // Every delimiter after the first is preceded by a CRLF that belongs to it, not to the
    // content before it (RFC 2046 §5.1.1).
    const std::string delimiter = std::string(crlf) + dash_boundary;
    if (!body.starts_with(dash_boundary)) {
        return fail("the body must start with the boundary delimiter");
    }
    std::string_view rest = body.substr(dash_boundary.size());
    std::vector<form_field> fields;
    for (;;) {
        if (rest.starts_with("--")) {
            rest.remove_prefix(2);
            if (fields.empty()) {
                return fail("a multipart body needs at least one part");
            }
            if (!rest.empty() && rest != crlf) {
                return fail("data after the close delimiter");
            }
            return result(std::in_place_index<0>, std::move(fields));
        }
        if (!rest.starts_with(crlf)) {
            return fail("the boundary delimiter must be followed by CRLF");
        }
        rest.remove_prefix(crlf.size());
        auto name = part_name(rest);
        if (name.index() == 1) {
            return fail(std::move(std::get<1>(name)));
        }
        const auto end = rest.find(delimiter);
        if (end == std::string_view::npos) {
            return fail("part not terminated by a boundary delimiter");
        }
        fields.push_back(
            form_field{std::move(std::get<0>(name)), std::string(rest.substr(0, end))});
        rest.remove_prefix(end + delimiter.size());
    }
}

} // namespace minapp::emulator::detail
