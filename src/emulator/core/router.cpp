#include "router.hpp"

#include "oauth_endpoints.hpp"

#include <array>

namespace minapp::emulator::detail {

namespace {

struct route {
    std::string_view method;
    std::string_view prefix; ///< Path up to and including the collection's slash.
    bool has_id;             ///< Whether one `:id/` segment follows the prefix.
    endpoint which;
    std::string_view name;
    bool needs_token = true;
};

constexpr std::array<route, 13> routes = {{
    {"GET", "/oserve/v2.2/miniapp/user_profile/", false, endpoint::profile_list,
     "GET v2.2 user_profile list"},
    {"GET", "/oserve/v2.2/miniapp/user_profile/", true, endpoint::profile_get,
     "GET v2.2 user_profile detail"},
    {"PUT", "/oserve/v2.6/miniapp/user_profile/", true, endpoint::profile_update,
     "PUT v2.6 user_profile detail"},
    {"PUT", "/oserve/v2.6/miniapp/user_profile/", false, endpoint::profile_batch_update,
     "PUT v2.6 user_profile batch"},
    {"PUT", "/oserve/v2.1/miniapp/user/account/", true, endpoint::account_update,
     "PUT v2.1 user account"},
    {"GET", "/oserve/v1/miniapp/user-profile/", false, endpoint::legacy_profile_list,
     "GET v1 user-profile list"},
    {"GET", "/oserve/v1/user/info/", false, endpoint::info_list, "GET v1 user info list"},
    {"GET", "/oserve/v1/user/info/", true, endpoint::info_get, "GET v1 user info detail"},
    {"PUT", "/oserve/v1/user/info/", true, endpoint::info_update, "PUT v1 user info detail"},
    {"POST", authorize_path, false, endpoint::oauth_authorize, "POST oauth2 authorize", false},
    {"GET", authorize_continue_path, false, endpoint::oauth_continue,
     "GET oauth2 authorize continue", false},
    {"GET", authorize_done_path, false, endpoint::oauth_done, "GET oauth2 authorize done", false},
    {"POST", access_token_path, false, endpoint::oauth_access_token, "POST oauth2 access_token",
     false},
}};

/// Whether `path` is `r`'s shape; sets `id` for detail routes.
bool shape_matches(const route& r, std::string_view path, std::string_view& id) {
    if (!path.starts_with(r.prefix)) {
        return false;
    }
    std::string_view rest = path.substr(r.prefix.size());
    if (!r.has_id) {
        return rest.empty();
    }
    // Exactly one non-empty segment followed by the required trailing slash.
    if (rest.size() < 2 || rest.back() != '/') {
        return false;
    }
    rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
        return false;
    }
    id = rest;
    return true;
}

} // namespace

route_match match_route(std::string_view method, std::string_view path) {
    route_match m;
    for (const route& r : routes) {
        std::string_view id;
        if (!shape_matches(r, path, id)) {
            continue;
        }
        m.needs_token = r.needs_token; // every shape of one path agrees
        if (r.method == method) {
            m.outcome = route_match::status::found;
            m.which = r.which;
            m.name = r.name;
            m.id = id;
            m.list_path = r.prefix;
            return m;
        }
        m.outcome = route_match::status::method_not_allowed;
        if (!m.allow.empty()) {
            m.allow += ", ";
        }
        m.allow += r.method;
    }
    return m;
}

} // namespace minapp::emulator::detail
