#include "request_parser.hpp"

#include <boost/beast/http/field.hpp>

namespace minapp::emulator::detail {

namespace http = boost::beast::http;

request_parser::request_parser(api_request& out)
    : out_(out) {
    out_.method.clear();
    out_.target.clear();
    out_.authorization.clear();
    out_.env_id.clear();
    out_.content_type.clear();
    out_.cookie.clear();
    out_.body.clear();
    out_.body_announced = false;
}

void request_parser::on_request_impl(http::verb, string_view method, string_view target, int,
                                     error_code&) {
    out_.method.assign(method.data(), method.size());
    out_.target.assign(target.data(), target.size());
}

void request_parser::on_field_impl(http::field name, string_view name_string, string_view value,
                                   error_code&) {
    switch (name) {
    case http::field::authorization:
        out_.authorization.assign(value.data(), value.size());
        break;
    case http::field::content_type:
        out_.content_type.assign(value.data(), value.size());
        break;
    case http::field::cookie:
        // HTTP/1.1 clients send one Cookie field; join any more as HTTP/2 prescribes.
        if (!out_.cookie.empty()) {
            out_.cookie += "; ";
        }
        out_.cookie.append(value.data(), value.size());
        break;
    case http::field::expect:
        expect_continue_ = boost::beast::iequals(value, "100-continue");
        break;
    case http::field::unknown:
        if (boost::beast::iequals(name_string, "X-Hydrogen-Env-ID")) {
            out_.env_id.assign(value.data(), value.size());
        }
        break;
    default:
        break;
    }
}

void request_parser::on_header_impl(error_code&) {
    // Known only now that every field is in: the framing tells a GET with an (even empty)
    // body from one without, which the emulated redirect hops must refuse.
    out_.body_announced = chunked() || content_length().value_or(0) > 0;
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       error_code&) {
    if (content_length) {
        // The parser has already checked the length against the body limit.
        out_.body.reserve(static_cast<std::size_t>(*content_length));
    }
}

std::size_t request_parser::on_body_impl(string_view body, error_code&) {
    out_.body.append(body.data(), body.size());
    return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
    out_.body.append(body.data(), body.size());
    return body.size();
}

} // namespace minapp::emulator::detail
