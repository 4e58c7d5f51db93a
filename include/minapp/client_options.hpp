// Configuration of a minapp::client.
#pragma once

#include <minapp/http/options.hpp>
#include <minapp/rate_limiter.hpp>
#include <minapp/retry_policy.hpp>
#include <minapp/token_source.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace minapp {

/// Everything a client needs; only a token (or a way to obtain one) is required. Written inline
/// with chainable setters, each getter named like its setter:
///
///     minapp::client c(ex, minapp::client_options().base_url(url).access_token(token));
///
/// Not an aggregate on purpose: see README, "Compilers".
class client_options {
public:
    client_options() = default;

    /// Origin of the API: https://host[:port] (or http://host:port for a local emulator).
    /// Default "https://cloud.minapp.com".
    client_options& base_url(std::string v) {
        base_url_ = std::move(v);
        return *this;
    }
    const std::string& base_url() const noexcept { return base_url_; }

    /// The Open API access token, sent as "Authorization: Bearer <token>". Never logged.
    client_options& access_token(std::string v) {
        access_token_ = std::move(v);
        return *this;
    }
    const std::string& access_token() const noexcept { return access_token_; }

    /// Used instead of `access_token` when set: called before every attempt of every call (a
    /// retry picks up a refreshed token), in the calling coroutine, so it must be cheap, must
    /// not block, and must be safe to call from every thread that runs the calls' executors.
    /// A 401 is final with it: prefer `token_fetcher` for tokens that expire.
    client_options& token_provider(std::function<std::string()> v) {
        token_provider_ = std::move(v);
        return *this;
    }
    const std::function<std::string()>& token_provider() const noexcept { return token_provider_; }

    /// Used instead of `access_token` when set: the client awaits it for a token when it has
    /// none or the one it has is about to expire (see `token_renewal`), in one flight however
    /// many calls are waiting, and again after a 401 (the call is then replayed once).
    client_options& token_fetcher(minapp::token_fetcher v) {
        token_fetcher_ = std::move(v);
        return *this;
    }
    const minapp::token_fetcher& token_fetcher() const noexcept { return token_fetcher_; }

    /// Obtain tokens with the Open API client-credentials flow (takes precedence over
    /// `token_fetcher`, `token_provider` and `access_token`), renewed as `token_fetcher`'s are.
    client_options& client_credentials(minapp::client_credentials v) {
        client_credentials_ = std::move(v);
        return *this;
    }
    const std::optional<minapp::client_credentials>& client_credentials() const noexcept {
        return client_credentials_;
    }

    /// When fetched tokens are renewed (`token_fetcher`, `client_credentials`).
    client_options& token_renewal(minapp::token_renewal v) {
        token_renewal_ = v;
        return *this;
    }
    const minapp::token_renewal& token_renewal() const noexcept { return token_renewal_; }

    /// X-Hydrogen-Env-ID of a test environment; empty (default) for production.
    client_options& env_id(std::string v) {
        env_id_ = std::move(v);
        return *this;
    }
    const std::string& env_id() const noexcept { return env_id_; }

    /// Deadline of one attempt: waiting for a pooled connection, connect, TLS handshake, write
    /// and read (default 30 s); a retry gets a fresh one. This is the only request timeout a
    /// client uses: `pool_options::request_timeout` applies to a bare `connection_pool` only.
    client_options& request_timeout(std::chrono::milliseconds v) {
        request_timeout_ = v;
        return *this;
    }
    std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

    /// Connection pool, TLS and User-Agent settings: `options.pool().tls().ca_pem(pem)`, or
    /// `.pool(http::pool_options().max_connections(32))`.
    client_options& pool(http::pool_options v) {
        pool_ = std::move(v);
        return *this;
    }
    const http::pool_options& pool() const noexcept { return pool_; }
    http::pool_options& pool() noexcept { return pool_; }

    /// Retry settings: `.retry({.max_attempts = 2})` (retry_policy is a plain struct).
    client_options& retry(retry_policy v) {
        retry_ = v;
        return *this;
    }
    const retry_policy& retry() const noexcept { return retry_; }
    retry_policy& retry() noexcept { return retry_; }

    /// A request budget for this client: every attempt (retries included) of every call,
    /// listing and updates alike, waits for its turn, e.g. `.rate_limit({.per_second = 200,
    /// .burst = 20})`. Unset (default): no client-side limit.
    client_options& rate_limit(minapp::rate_limit v) {
        rate_limit_ = v;
        return *this;
    }
    const std::optional<minapp::rate_limit>& rate_limit() const noexcept { return rate_limit_; }
    /// Removes the request budget set by `rate_limit`.
    client_options& no_rate_limit() {
        rate_limit_.reset();
        return *this;
    }

    /// A limiter shared with other clients (takes precedence over `rate_limit`).
    client_options& shared_rate_limiter(std::shared_ptr<minapp::rate_limiter> v) {
        shared_rate_limiter_ = std::move(v);
        return *this;
    }
    const std::shared_ptr<minapp::rate_limiter>& shared_rate_limiter() const noexcept {
        return shared_rate_limiter_;
    }

    /// Refuse updates of built-in fields (id, nickname, `_`-prefixed, ...) before sending, as the
    /// Open API answers 400 for them (notes §6.4). Default false; set to true only if the
    /// server's policy differs.
    client_options& allow_builtin_field_updates(bool v) {
        allow_builtin_field_updates_ = v;
        return *this;
    }
    bool allow_builtin_field_updates() const noexcept { return allow_builtin_field_updates_; }

private:
    std::string base_url_ = "https://cloud.minapp.com";
    std::string access_token_;
    std::function<std::string()> token_provider_;
    minapp::token_fetcher token_fetcher_;
    std::optional<minapp::client_credentials> client_credentials_;
    minapp::token_renewal token_renewal_;
    std::string env_id_;
    std::chrono::milliseconds request_timeout_{30'000};
    http::pool_options pool_;
    retry_policy retry_;
    std::optional<minapp::rate_limit> rate_limit_;
    std::shared_ptr<minapp::rate_limiter> shared_rate_limiter_;
    bool allow_builtin_field_updates_ = false;
};

} // namespace minapp
