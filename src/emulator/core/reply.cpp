#include "reply.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace minapp::emulator::detail {

namespace {

/// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong forms,
/// no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s) {
    const auto byte = [&](std::size_t i) {
        return static_cast<unsigned char>(s[i]);
    };
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned char low = 0x80; // bounds of the second byte, which rule out the invalid ranges
    unsigned char high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        low = lead == 0xe0 ? 0xa0 : 0x80;
        high = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        low = lead == 0xf0 ? 0x90 : 0x80;
        high = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (s.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf) {
            return 0;
        }
    }
    return length;
}

} // namespace

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t n = utf8_sequence_length(text);
        if (n == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER, for one bad byte
            text.remove_prefix(1);
        } else {
            out.append(text.substr(0, n));
            text.remove_prefix(n);
        }
    }
    return out;
}

api_response json_reply(std::string body, unsigned status) {
    api_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

api_response error_reply(unsigned status, std::string_view message) {
    boost::json::object body;
    body["status"] = "error";
    // Messages quote what the client sent, which may be any bytes; JSON text is UTF-8.
    body["error_msg"] = valid_utf8(message);
    return json_reply(boost::json::serialize(body), status);
}

std::string json_string_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::serialize(boost::json::value(*text)) : std::string("null");
}

} // namespace minapp::emulator::detail
