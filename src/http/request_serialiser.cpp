#include "request_serialiser.hpp"

#include <charconv>

namespace minapp::http::detail {

namespace {

std::string_view method_text(method m) noexcept {
    switch (m) {
    case method::get:
        return "GET";
    case method::put:
        return "PUT";
    case method::post:
        return "POST";
    case method::delete_:
        return "DELETE";
    }
    return "GET";
}

} // namespace

void append_request_line(std::string& out, method m, std::string_view path,
                         std::string_view query) {
    out.append(method_text(m));
    out.push_back(' ');
    out.append(path);
    if (!query.empty()) {
        out.push_back('?');
        out.append(query);
    }
    out.append(" HTTP/1.1\r\n");
}

void append_content_length(std::string& out, std::size_t length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, length).ptr;
    out.append("Content-Length: ");
    out.append(digits, end);
    out.append("\r\n");
}

void write_request_head(const void* head, std::string& out) {
    const auto& h = *static_cast<const request_head*>(head);
    append_request_line(out, h.req.method, h.req.target);
    out.append("Host: ");
    out.append(h.target.host_header());
    out.append("\r\nUser-Agent: ");
    out.append(h.user_agent);
    out.append("\r\n");
    for (const auto& f : h.req.headers) {
        out.append(f.name);
        out.append(": ");
        out.append(f.value);
        out.append("\r\n");
    }
    const bool bodiless = h.req.method == method::get || h.req.method == method::delete_;
    if (!h.req.body.empty() || !bodiless) {
        append_content_length(out, h.req.body.size());
    }
    out.append("\r\n");
}

} // namespace minapp::http::detail
