// Where a connection pool connects: scheme, host and port.
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace minapp::http {

/// Transport security of an origin.
enum class scheme { http, https };

/// A parsed origin (`https://host[:port]` or `http://host[:port]`).
struct origin {
    origin() = default;
    origin(http::scheme s, std::string host_name, std::uint16_t port_number)
        : scheme(s)
        , host(std::move(host_name))
        , port(port_number) {}

    http::scheme scheme = http::scheme::https;
    std::string host; ///< Host name or IP literal, without brackets; lower-cased.
    std::uint16_t port = 443;

    /// True when the host is an IPv4 or IPv6 literal (no SNI is sent for those).
    bool host_is_ip_literal() const noexcept;
    /// The value of the Host header: the host, plus ":port" unless it is the scheme's default.
    std::string host_header() const;
    /// The canonical text form, e.g. "https://cloud.minapp.com" or "http://127.0.0.1:8080".
    std::string to_string() const;

    friend bool operator==(const origin&, const origin&) = default;
};

/// Parses an origin. Accepts an optional trailing '/'; rejects user info, paths, queries,
/// fragments, unknown schemes and port 0. Errors are `minapp::error::invalid_origin`.
boost::system::result<origin> parse_origin(std::string_view url);

} // namespace minapp::http
