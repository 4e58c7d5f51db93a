#include "json_reply.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace minapp::detail {

namespace json = boost::json;

namespace {

constexpr std::size_t max_message = 512;

} // namespace

void throw_exception_from_error(const shape_error& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

std::string server_message(std::string_view body) {
    std::string out;
    json::monotonic_resource scratch;
    boost::system::error_code ec;
    auto v = json::parse(body, ec, &scratch);
    if (!ec && v.is_object()) {
        for (const char* key : {"error_msg", "message", "detail"}) {
            if (const auto* m = v.get_object().if_contains(key); m && m->is_string()) {
                out = std::string(m->get_string());
                break;
            }
        }
    }
    if (out.empty()) {
        out = std::string(body);
    }
    if (out.size() > max_message) {
        out.resize(max_message);
        out += "...";
    }
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) {
            c = ' ';
        }
    }
    return out;
}

std::string redacted(std::string text, std::string_view secret) {
    if (secret.empty()) {
        return text;
    }
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "[redacted]");
    }
    return text;
}

} // namespace minapp::detail
