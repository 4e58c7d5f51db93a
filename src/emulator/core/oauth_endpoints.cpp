#include "oauth_endpoints.hpp"

#include "cookie_header.hpp"
#include "oauth_body.hpp"
#include "query_params.hpp"
#include "reply.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <string>

namespace minapp::emulator::detail {
namespace {

/// The `error` codes of RFC 6749 §5.2 that the flow answers.
enum class oauth_error { invalid_request, invalid_client, invalid_grant, unsupported_grant_type };

std::string_view to_string(oauth_error e) {
    switch (e) {
    case oauth_error::invalid_request:
        return "invalid_request";
    case oauth_error::invalid_client:
        return "invalid_client";
    case oauth_error::invalid_grant:
        return "invalid_grant";
    case oauth_error::unsupported_grant_type:
        return "unsupported_grant_type";
    }
    return "invalid_request";
}

/// Token replies, codes included, must not be cached (RFC 6749 §5.1).
void no_store(api_response& r) {
    r.headers.emplace_back("Cache-Control", "no-store");
}

/// `{"error": ..., "error_description": ...}`: 401 for invalid_client, else 400. The
/// description never quotes what the client sent (ids aside, it is all secrets).
api_response oauth_error_reply(oauth_error e, std::string_view description) {
    boost::json::object body;
    body["error"] = to_string(e);
    body["error_description"] = valid_utf8(description);
    api_response r =
        json_reply(boost::json::serialize(body), e == oauth_error::invalid_client ? 401U : 400U);
    no_store(r);
    return r;
}

api_response redirect(std::string location, std::string_view cookie_name,
                      std::string_view cookie_value) {
    api_response r;
    r.status = 302;
    r.headers.emplace_back("Location", std::move(location));
    r.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=" +
                                             std::string(cookie_value) + "; Path=/; HttpOnly");
    no_store(r);
    return r;
}

bool carries_body(const api_request& request) {
    return request.body_announced || !request.body.empty();
}

/// A non-empty parameter, or nullopt.
std::optional<std::string_view> required(const oauth_params& params, std::string_view name) {
    const auto it = params.find(name);
    if (it == params.end() || it->second.empty()) {
        return std::nullopt;
    }
    return std::string_view(it->second);
}

/// The flow id of a hop's URL, or nullopt.
std::optional<std::string> flow_id(const oauth_context& ctx) {
    auto id = query_param(ctx.url.params(), "flow");
    if (!id || id->empty()) {
        return std::nullopt;
    }
    return id;
}

/// What both redirected hops require: no body, and the flow id in the URL (into `id`). The
/// refusal, or nullopt when the hop may go on.
std::optional<api_response> check_hop(const oauth_context& ctx, std::string& id) {
    if (carries_body(ctx.request)) {
        return oauth_error_reply(oauth_error::invalid_request,
                                 "a redirected request carries no body");
    }
    auto found = flow_id(ctx);
    if (!found) {
        return oauth_error_reply(oauth_error::invalid_request, "the flow parameter is missing");
    }
    id = std::move(*found);
    return std::nullopt;
}

constexpr std::string_view hop_refused =
    "unknown, expired or already used authorization flow, or a cookie of another flow";

} // namespace

api_response authorize(token_registry& registry, const oauth_context& ctx) {
    auto params = parse_oauth_body(ctx.request.content_type, ctx.request.body);
    if (params.index() == 1) {
        return oauth_error_reply(oauth_error::invalid_request, std::get<1>(params));
    }
    const auto id = required(std::get<0>(params), "client_id");
    const auto secret = required(std::get<0>(params), "client_secret");
    if (!id || !secret) {
        return oauth_error_reply(oauth_error::invalid_request,
                                 "client_id and client_secret are required");
    }
    if (!registry.authenticate(*id, *secret)) {
        return oauth_error_reply(oauth_error::invalid_client, "unknown client or wrong secret");
    }
    const flow_start flow = registry.start_flow(*id, ctx.now);
    api_response r = redirect(std::string(authorize_continue_path) + "?flow=" + flow.flow_id,
                              flow_cookie, flow.cookie);
    r.event = api_event::flow_started;
    return r;
}

api_response authorize_continue(token_registry& registry, const oauth_context& ctx) {
    std::string id;
    if (auto refused = check_hop(ctx, id)) {
        return std::move(*refused);
    }
    const auto cookie = cookie_value(ctx.request.cookie, flow_cookie);
    if (!cookie) {
        return oauth_error_reply(oauth_error::invalid_request, "the oauth_flow cookie is missing");
    }
    const auto next = registry.continue_flow(id, *cookie, ctx.now);
    if (!next) {
        return oauth_error_reply(oauth_error::invalid_request, hop_refused);
    }
    // Relative on purpose: a client must resolve it against this hop's URL (RFC 3986 §5.2),
    // not against the authorize URL, as the real service's redirects require.
    return redirect("done/?flow=" + id, session_cookie, *next);
}

api_response authorize_done(token_registry& registry, const oauth_context& ctx) {
    std::string id;
    if (auto refused = check_hop(ctx, id)) {
        return std::move(*refused);
    }
    const auto first = cookie_value(ctx.request.cookie, flow_cookie);
    const auto second = cookie_value(ctx.request.cookie, session_cookie);
    if (!first || !second) {
        return oauth_error_reply(oauth_error::invalid_request,
                                 "the oauth_flow and oauth_session cookies are required");
    }
    const auto code = registry.finish_flow(id, *first, *second, ctx.now);
    if (!code) {
        return oauth_error_reply(oauth_error::invalid_request, hop_refused);
    }
    boost::json::object body;
    body["code"] = *code;
    body["expires_in"] = token_registry::code_ttl.count();
    api_response r = json_reply(boost::json::serialize(body));
    no_store(r);
    r.event = api_event::code_issued;
    return r;
}

api_response access_token(token_registry& registry, const oauth_context& ctx) {
    auto parsed = parse_oauth_body(ctx.request.content_type, ctx.request.body);
    if (parsed.index() == 1) {
        return oauth_error_reply(oauth_error::invalid_request, std::get<1>(parsed));
    }
    const oauth_params& params = std::get<0>(parsed);
    const auto id = required(params, "client_id");
    const auto secret = required(params, "client_secret");
    const auto grant = required(params, "grant_type");
    if (!id || !secret || !grant) {
        return oauth_error_reply(oauth_error::invalid_request,
                                 "client_id, client_secret and grant_type are required");
    }
    if (!registry.authenticate(*id, *secret)) {
        return oauth_error_reply(oauth_error::invalid_client, "unknown client or wrong secret");
    }
    std::optional<token_pair> issued;
    api_event event = api_event::none;
    if (*grant == "authorization_code") {
        const auto code = required(params, "code");
        if (!code) {
            return oauth_error_reply(oauth_error::invalid_request, "code is required");
        }
        issued = registry.exchange_code(*id, *code, ctx.now);
        event = api_event::token_issued;
    } else if (*grant == "refresh_token") {
        const auto token = required(params, "refresh_token");
        if (!token) {
            return oauth_error_reply(oauth_error::invalid_request, "refresh_token is required");
        }
        issued = registry.refresh(*id, *token, ctx.now);
        event = api_event::token_refreshed;
    } else {
        return oauth_error_reply(oauth_error::unsupported_grant_type,
                                 "grant_type must be authorization_code or refresh_token");
    }
    if (!issued) {
        return oauth_error_reply(oauth_error::invalid_grant,
                                 event == api_event::token_issued
                                     ? "unknown, used or expired authorization code"
                                     : "unknown or revoked refresh token");
    }
    boost::json::object body;
    body["access_token"] = issued->access_token;
    body["token_type"] = "Bearer";
    body["expires_in"] = registry.token_ttl().count();
    body["refresh_token"] = issued->refresh_token;
    body["scope"] = "write";
    api_response r = json_reply(boost::json::serialize(body));
    no_store(r);
    r.event = event;
    return r;
}

} // namespace minapp::emulator::detail
