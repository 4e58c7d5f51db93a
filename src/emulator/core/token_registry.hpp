// The state of the emulated access-token flow (notes §1.3): redirect flows in progress,
// authorization codes, issued access and refresh tokens, and their expiry and revocation.
// No HTTP here: oauth_endpoints turns requests into these calls.
#pragma once

#include <minapp/emulator/auth.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace minapp::emulator::detail {

/// A new access token and its refresh token.
struct token_pair {
    std::string access_token;
    std::string refresh_token;
};

/// A redirect flow just started: the id its hops carry in the URL and the first cookie.
struct flow_start {
    std::string flow_id;
    std::string cookie;
};

/// Flows, codes and tokens of the registered clients.
///
/// Thread safety: every member function may be called concurrently. Token checks (every API
/// call with an issued token) share a lock; the steps of the flow are exclusive.
class token_registry {
public:
    using time_point = auth_clock::time_point;

    /// How long each redirect hop may take (from the previous step).
    static constexpr std::chrono::seconds hop_ttl{60};
    /// How long an authorization code stays valid (the old docs' `expires_in`).
    static constexpr std::chrono::seconds code_ttl{600};

    /// Throws std::invalid_argument for an empty or repeated client id, an empty secret, or a
    /// token_ttl outside [1 s, max_token_ttl].
    token_registry(std::vector<oauth_client> clients, std::chrono::seconds token_ttl);

    /// Lifetime of issued access tokens.
    std::chrono::seconds token_ttl() const noexcept { return token_ttl_; }

    /// Whether `id` is a registered client and `secret` its secret.
    bool authenticate(std::string_view id, std::string_view secret) const;

    /// Starts a redirect flow for an (authenticated) client.
    flow_start start_flow(std::string_view client_id, time_point now);

    /// The first redirect hop of flow `flow_id` carrying `cookie`. Returns the second hop's
    /// cookie; nullopt when the flow is unknown, expired or past this hop, or the cookie is not
    /// the flow's (the flow then stays as it was).
    std::optional<std::string> continue_flow(std::string_view flow_id, std::string_view cookie,
                                             time_point now);

    /// The second hop, carrying both cookies: ends the flow and returns a new authorization
    /// code; nullopt as for continue_flow.
    std::optional<std::string> finish_flow(std::string_view flow_id, std::string_view first_cookie,
                                           std::string_view second_cookie, time_point now);

    /// Exchanges a code issued to `client_id`, once. nullopt for an unknown, used or expired
    /// code, or one issued to another client (that one is not consumed).
    std::optional<token_pair> exchange_code(std::string_view client_id, std::string_view code,
                                            time_point now);

    /// Exchanges a refresh token of `client_id` for a new pair, revoking every access and
    /// refresh token issued to the client before (the one presented included). nullopt for an
    /// unknown or revoked refresh token, or one of another client. Refresh tokens do not expire
    /// with time, only by the client's next refresh.
    std::optional<token_pair> refresh(std::string_view client_id, std::string_view refresh_token,
                                      time_point now);

    /// Whether `token` is an issued access token that has neither expired nor been revoked.
    bool access_token_valid(std::string_view token, time_point now) const;

private:
    struct flow {
        std::string client_id;
        std::string first_cookie;
        std::string second_cookie; ///< Empty until the first hop.
        time_point expires;
    };
    struct code {
        std::string client_id;
        time_point expires;
    };
    struct access {
        std::string client_id;
        time_point expires;
    };

    std::string random_hex(std::size_t bytes);
    token_pair issue(std::string_view client_id, time_point now);
    void sweep(time_point now);

    const std::map<std::string, std::string, std::less<>> clients_; // id -> secret
    const std::chrono::seconds token_ttl_;

    mutable std::shared_mutex mutex_; // guards everything below
    std::random_device random_;
    std::map<std::string, flow, std::less<>> flows_;          // by flow id
    std::map<std::string, code, std::less<>> codes_;          // by code
    std::map<std::string, access, std::less<>> access_;       // by access token
    std::map<std::string, std::string, std::less<>> refresh_; // refresh token -> client id
    time_point next_sweep_{};
};

} // namespace minapp::emulator::detail
