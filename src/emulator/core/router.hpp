// The user API's route table: which endpoint a method and path select (notes §3).
#pragma once

#include <string>
#include <string_view>

namespace minapp::emulator::detail {

/// The endpoints the emulator implements.
enum class endpoint {
    profile_list,         ///< U4  GET /oserve/v2.2/miniapp/user_profile/
    profile_get,          ///< U5  GET /oserve/v2.2/miniapp/user_profile/:id/
    profile_update,       ///< U6  PUT /oserve/v2.6/miniapp/user_profile/:id/
    profile_batch_update, ///< U7  PUT /oserve/v2.6/miniapp/user_profile/
    account_update,       ///< U8  PUT /oserve/v2.1/miniapp/user/account/:id/
    legacy_profile_list,  ///< U2/U3 GET /oserve/v1/miniapp/user-profile/
    info_list,            ///< U4-old GET /oserve/v1/user/info/
    info_get,             ///< U5-old GET /oserve/v1/user/info/:id/
    info_update,          ///< U6-old PUT /oserve/v1/user/info/:id/
    oauth_authorize,      ///< POST /api/oauth2/hydrogen/openapi/authorize/ (notes §1.3)
    oauth_continue,       ///< GET  .../authorize/continue/ (first redirect hop)
    oauth_done,           ///< GET  .../authorize/continue/done/ (second hop: the code)
    oauth_access_token,   ///< POST /api/oauth2/access_token/
};

/// The outcome of looking up a request's method and (still percent-encoded) path.
struct route_match {
    enum class status { not_found, method_not_allowed, found };
    status outcome = status::not_found;
    endpoint which = endpoint::profile_list;
    std::string_view name;      ///< Stable route name, e.g. "GET v2.2 user_profile list".
    std::string_view id;        ///< The `:id` segment (unvalidated) for detail routes.
    std::string_view list_path; ///< Path of the collection, for `next`/`previous` links.
    std::string allow;          ///< For method_not_allowed: the Allow header value.
    /// Whether the path is a user endpoint that needs a bearer token (the token flow's own
    /// endpoints do not); meaningful unless not_found.
    bool needs_token = true;
};

/// Matches exactly the documented paths; the trailing slash is required.
route_match match_route(std::string_view method, std::string_view path);

} // namespace minapp::emulator::detail
