// Helpers for tests that drive minapp::emulator::user_api directly.
#pragma once

#include <minapp/emulator/user_api.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace minapp::emulator::test {

inline constexpr std::string_view list_path = "/oserve/v2.2/miniapp/user_profile/";
inline constexpr std::string_view update_path = "/oserve/v2.6/miniapp/user_profile/";
inline constexpr std::string_view account_path = "/oserve/v2.1/miniapp/user/account/";
inline constexpr std::string_view legacy_path = "/oserve/v1/miniapp/user-profile/";

/// A small store: fast to seed, large enough for several pages.
inline user_api_config small_config(std::size_t users = 200) {
    user_api_config c;
    c.users_per_environment = users;
    c.environments = {"env-b"};
    return c;
}

inline api_request request(std::string method, std::string target, std::string body = {},
                           std::string env = {}) {
    api_request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.authorization = "Bearer test-token";
    r.env_id = std::move(env);
    r.body = std::move(body);
    if (!r.body.empty()) {
        r.content_type = "application/json";
    }
    return r;
}

inline api_response get(user_api& api, std::string target, std::string env = {}) {
    return api.handle(request("GET", std::move(target), {}, std::move(env)));
}

inline api_response put(user_api& api, std::string target, std::string body, std::string env = {}) {
    return api.handle(request("PUT", std::move(target), std::move(body), std::move(env)));
}

/// A string value's text; any other value as JSON (so `null` reads "null").
inline std::string text(const boost::json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
}

inline boost::json::value body_of(const api_response& r) {
    return boost::json::parse(r.body);
}

/// Percent-encodes a query value (a `where` document, say) as the client library does.
inline std::string encode(std::string_view value) {
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

inline std::string user_path(std::string_view base, std::int64_t id) {
    return std::string(base) + std::to_string(id) + "/";
}

/// The error message of a {"status":"error","error_msg":...} body, checking its shape.
inline std::string error_message(const api_response& r) {
    auto body = body_of(r).as_object();
    if (body.at("status") != "error") {
        return "<not an error body>";
    }
    return std::string(body.at("error_msg").as_string());
}

} // namespace minapp::emulator::test
