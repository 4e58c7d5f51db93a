#include "response_head.hpp"

#include <boost/beast/http/status.hpp>

#include <charconv>
#include <ctime>
#include <string_view>

namespace minapp::emulator::detail {
namespace {

// An IMF-fixdate changes once a second: format it once a second per thread, not per response.
std::string_view http_date() {
    thread_local std::time_t cached_second = -1;
    thread_local char text[64];
    thread_local std::size_t length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_second = now;
    }
    return {text, length};
}

void append_number(std::string& out, std::size_t value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

bool safe_header_text(std::string_view text) {
    return text.find_first_of("\r\n") == std::string_view::npos;
}

} // namespace

void format_response_head(std::string& out, const api_response& response,
                          std::size_t content_length, bool keep_alive) {
    namespace http = boost::beast::http;
    out.assign("HTTP/1.1 ");
    append_number(out, response.status);
    out += ' ';
    const auto reason = http::obsolete_reason(http::int_to_status(response.status));
    out.append(reason.data(), reason.size());
    out += "\r\nDate: ";
    out += http_date();
    if (!response.body.empty() && safe_header_text(response.content_type)) {
        out += "\r\nContent-Type: ";
        out += response.content_type;
    }
    for (const auto& [name, value] : response.headers) {
        if (safe_header_text(name) && safe_header_text(value)) {
            out += "\r\n";
            out += name;
            out += ": ";
            out += value;
        }
    }
    out += "\r\nContent-Length: ";
    append_number(out, content_length);
    out += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
}

} // namespace minapp::emulator::detail
