// Where a client's access tokens come from when they are not a fixed string: a user-supplied
// asynchronous fetch, or the Open API client-credentials flow (client id and secret from the
// MinApp console). Either way the client caches the token, renews it ahead of its expiry in one
// flight however many calls need it, and replays a call once after a 401.
#pragma once

#include <minapp/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace minapp {

/// An access token and how long it lasts from the moment it was requested.
class token_grant {
public:
    token_grant(std::string access_token, std::chrono::seconds expires_in)
        : access_token_(std::move(access_token))
        , expires_in_(expires_in) {}

    /// Sent as "Authorization: Bearer <token>". Never logged.
    const std::string& access_token() const noexcept { return access_token_; }
    /// Lifetime; the client renews ahead of it (see token_renewal).
    std::chrono::seconds expires_in() const noexcept { return expires_in_; }

private:
    std::string access_token_;
    std::chrono::seconds expires_in_;
};

/// Obtains a token: called by the client (one call at a time, never concurrently) when it needs
/// a new one. A failure reaches every call waiting for that token.
using token_fetcher = std::function<boost::asio::awaitable<result<token_grant>>()>;

/// When a cached token is renewed. Each window is also capped at a fraction of the token's
/// lifetime (a half and a tenth), so that short-lived tokens still get used.
struct token_renewal {
    /// Soft window: when less than this remains, one renewal starts in the background while
    /// calls keep sending the current token. Default 5 minutes.
    std::chrono::seconds renew_before{300};
    /// Hard window: when less than this remains, calls wait for the renewal. Default 30 s.
    std::chrono::seconds wait_before{30};
};

/// The Open API client-credentials flow (notes §1.3): authorize with the client id and secret
/// (following the two redirects it answers, keeping their cookies), then exchange the code for
/// an access token. It runs over the client's own connection pool and TLS settings; redirects
/// are followed only here (at most 5, same origin only), never for API calls.
///
///     client_options().client_credentials(minapp::client_credentials(id, secret))
class client_credentials {
public:
    client_credentials(std::string client_id, std::string client_secret)
        : client_id_(std::move(client_id))
        , client_secret_(std::move(client_secret)) {}

    const std::string& client_id() const noexcept { return client_id_; }
    /// Never logged, never in diagnostics.
    const std::string& client_secret() const noexcept { return client_secret_; }

    /// Renew with the refresh token instead of re-running the code flow. Off by default: a
    /// refresh revokes every access token and refresh token issued to this client id before it,
    /// so when several processes share a client id, one process's refresh makes every other
    /// process's calls fail with 401 until each renews (which they do, by themselves, at the cost
    /// of a flow each). Turn it on only for a client id used by this process alone.
    client_credentials& use_refresh_token(bool v) {
        use_refresh_token_ = v;
        return *this;
    }
    bool use_refresh_token() const noexcept { return use_refresh_token_; }

    /// Deadline of one renewal, all its requests and retries included (default 30 s).
    client_credentials& flow_timeout(std::chrono::milliseconds v) {
        flow_timeout_ = v;
        return *this;
    }
    std::chrono::milliseconds flow_timeout() const noexcept { return flow_timeout_; }

    /// Times a flow is run when it fails with a 5xx or a transport error, with exponential
    /// backoff in between (default 3; at least 1).
    client_credentials& max_attempts(int v) {
        max_attempts_ = v;
        return *this;
    }
    int max_attempts() const noexcept { return max_attempts_; }

private:
    std::string client_id_;
    std::string client_secret_;
    bool use_refresh_token_ = false;
    std::chrono::milliseconds flow_timeout_{30'000};
    int max_attempts_ = 3;
};

} // namespace minapp
