#include <minapp/error.hpp>
#include <minapp/http/origin.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace minapp::http {

bool origin::host_is_ip_literal() const noexcept {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

std::string origin::host_header() const {
    const bool v6 = host.find(':') != std::string::npos;
    std::string out = v6 ? "[" + host + "]" : host;
    const std::uint16_t default_port = scheme == http::scheme::https ? 443 : 80;
    if (port != default_port) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

std::string origin::to_string() const {
    return (scheme == http::scheme::https ? "https://" : "http://") + host_header();
}

boost::system::result<origin> parse_origin(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) {
        return error::invalid_origin;
    }
    const auto& u = *parsed;
    if (u.has_userinfo() || u.has_query() || u.has_fragment() || !u.has_authority() ||
        (u.encoded_path() != "" && u.encoded_path() != "/")) {
        return error::invalid_origin;
    }
    origin out;
    if (u.scheme_id() == boost::urls::scheme::https) {
        out.scheme = scheme::https;
        out.port = 443;
    } else if (u.scheme_id() == boost::urls::scheme::http) {
        out.scheme = scheme::http;
        out.port = 80;
    } else {
        return error::invalid_origin;
    }
    switch (u.host_type()) {
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
        out.host = u.host();
        break;
    case boost::urls::host_type::ipv6:
        out.host = u.host_ipv6_address().to_string();
        break;
    default:
        return error::invalid_origin;
    }
    if (out.host.empty()) {
        return error::invalid_origin;
    }
    std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (u.has_port()) {
        // port_number() wraps values above 65535, so range-check the digits themselves.
        const auto digits = u.port();
        unsigned long port = 0;
        for (char c : digits) {
            port = port * 10 + static_cast<unsigned long>(c - '0');
            if (port > 65535) {
                return error::invalid_origin;
            }
        }
        if (digits.empty() || port == 0) {
            return error::invalid_origin;
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    return out;
}

} // namespace minapp::http
