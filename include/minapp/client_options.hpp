// Configuration of a minapp::client.
#pragma once

#include <minapp/http/options.hpp>
#include <minapp/rate_limiter.hpp>
#include <minapp/retry_policy.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace minapp {

/// Everything a client needs; only the token is required.
struct client_options {
    /// Origin of the API: https://host[:port] (or http://host:port for a local emulator).
    std::string base_url = "https://cloud.minapp.com";
    /// The Open API access token, sent as "Authorization: Bearer <token>". Never logged.
    std::string access_token;
    /// Called before every request instead of using `access_token` when set (e.g. to pick up a
    /// refreshed token). Must be thread-safe and cheap; it runs on the client's executor.
    std::function<std::string()> token_provider;
    /// X-Hydrogen-Env-ID of a test environment; empty for production.
    std::string env_id;
    /// Deadline of one attempt (connect, TLS handshake, write, read); retries get a fresh one.
    std::chrono::milliseconds request_timeout{30'000};
    /// Connection pool, TLS and User-Agent settings.
    http::pool_options pool;
    /// Retry settings.
    retry_policy retry;
    /// A request budget for this client: every attempt (retries included) of every call, listing
    /// and updates alike, waits for its turn. Unset: no client-side limit.
    std::optional<minapp::rate_limit> rate_limit;
    /// A limiter shared with other clients (takes precedence over `rate_limit`).
    std::shared_ptr<rate_limiter> shared_rate_limiter;
    /// Refuse updates of built-in fields (id, nickname, `_`-prefixed, ...) before sending, as the
    /// Open API answers 400 for them (notes §6.4). Set to true only if the server's policy differs.
    bool allow_builtin_field_updates = false;
};

} // namespace minapp
