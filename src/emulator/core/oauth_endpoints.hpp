// The HTTP side of the emulated access-token flow (notes §1.3): the authorize POST, its two
// redirect hops and the token endpoint, over a token_registry.
//
// The redirect chain:
//   POST /api/oauth2/hydrogen/openapi/authorize/   {"client_id", "client_secret"}
//     -> 302 Location: /api/oauth2/hydrogen/openapi/authorize/continue/?flow=ID
//            Set-Cookie: oauth_flow=V1; Path=/; HttpOnly
//   GET  .../authorize/continue/?flow=ID           Cookie: oauth_flow=V1
//     -> 302 Location: done/?flow=ID  (relative: .../authorize/continue/done/?flow=ID)
//            Set-Cookie: oauth_session=V2; Path=/; HttpOnly
//   GET  .../authorize/continue/done/?flow=ID      Cookie: oauth_flow=V1; oauth_session=V2
//     -> 200 {"code": "<40 hex>", "expires_in": 600}
// Each hop is single-use and must follow the previous step within token_registry::hop_ttl; a
// redirected request carries no body. Errors use RFC 6749 §5.2 bodies.
#pragma once

#include "token_registry.hpp"

#include <minapp/emulator/api.hpp>

#include <boost/url/url_view.hpp>

#include <string_view>

namespace minapp::emulator::detail {

inline constexpr std::string_view authorize_path = "/api/oauth2/hydrogen/openapi/authorize/";
inline constexpr std::string_view authorize_continue_path =
    "/api/oauth2/hydrogen/openapi/authorize/continue/";
inline constexpr std::string_view authorize_done_path =
    "/api/oauth2/hydrogen/openapi/authorize/continue/done/";
inline constexpr std::string_view access_token_path = "/api/oauth2/access_token/";

/// The cookie set by the authorize POST, required by both hops.
inline constexpr std::string_view flow_cookie = "oauth_flow";
/// The cookie set by the first hop, required by the second.
inline constexpr std::string_view session_cookie = "oauth_session";

/// The request, parsed target and time every endpoint of the flow receives.
struct oauth_context {
    const api_request& request;
    boost::urls::url_view url;
    auth_clock::time_point now;
};

/// POST authorize: authenticates the client and starts a flow (first redirect).
api_response authorize(token_registry& registry, const oauth_context& ctx);

/// GET authorize/continue/: the first hop (second redirect, relative Location).
api_response authorize_continue(token_registry& registry, const oauth_context& ctx);

/// GET authorize/continue/done/: the second hop, answering the authorization code.
api_response authorize_done(token_registry& registry, const oauth_context& ctx);

/// POST access_token: the authorization_code and refresh_token grants, with a JSON,
/// multipart/form-data or application/x-www-form-urlencoded body.
api_response access_token(token_registry& registry, const oauth_context& ctx);

} // namespace minapp::emulator::detail
