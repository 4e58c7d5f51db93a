// The emulated MinApp user API as an in-process object: a store of seeded users per environment
// and the behaviour of every user endpoint, without sockets. The HTTP server wraps it; tests call
// it directly.
#pragma once

#include <minapp/emulator/api.hpp>
#include <minapp/emulator/auth.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minapp::emulator {

/// How a user_api is set up.
struct user_api_config {
    user_api_config() = default;

    /// Bearer tokens accepted for every environment.
    std::vector<std::string> tokens = {"test-token"};
    /// Users seeded into each environment.
    std::size_t users_per_environment = 10000;
    /// Seed of the deterministic data generator: the same seed gives the same users.
    std::uint64_t seed = 42;
    /// Ids of the non-production environments (X-Hydrogen-Env-ID values). Production (the empty
    /// id) always exists; a request naming any other id is answered with 401.
    std::vector<std::string> environments;

    /// Clients registered for the access-token flow (notes §1.3). Their access tokens are
    /// accepted by every user endpoint and environment like `tokens`, until they expire or a
    /// refresh revokes them. Empty: the token endpoints answer every client `invalid_client`.
    /// Ids must be unique and neither id nor secret empty.
    std::vector<oauth_client> clients;
    /// Lifetime of an issued access token (the `expires_in` of the token endpoint); above zero
    /// and at most max_token_ttl.
    std::chrono::seconds token_ttl{7200};
    /// The time of the flow's expiry decisions; empty = auth_clock::now. Tests inject a manual
    /// clock to expire codes and tokens without waiting. Called concurrently when requests
    /// are, so it must be thread-safe.
    std::function<auth_clock::time_point()> clock;
};

/// The user endpoints of the MinApp Open API (U2-U8 of the API notes plus the deprecated
/// `/oserve/v1/user/info/` aliases) over an in-memory store, and the access-token flow that
/// issues tokens for them (`/api/oauth2/hydrogen/openapi/authorize/` with its two redirects,
/// `/api/oauth2/access_token/`).
///
/// Thread safety: every member function may be called concurrently from any thread. Reads share
/// a lock; writes are exclusive, so each request sees and leaves a consistent store.
class user_api {
public:
    /// Seeds `config.users_per_environment` users into each environment (1M users take a few
    /// seconds). Throws std::invalid_argument for an invalid client list or token_ttl.
    explicit user_api(user_api_config config = {});
    ~user_api();
    user_api(const user_api&) = delete;
    user_api& operator=(const user_api&) = delete;

    /// Answers one request: routing, authentication, environment selection and the endpoint's
    /// behaviour. Never throws for anything a client can send.
    api_response handle(const api_request& request);

    /// The stored form of one user as JSON text: unset custom fields are absent (responses show
    /// them as null). nullopt for an unknown environment or user.
    std::optional<std::string> stored_user_json(std::string_view env, std::int64_t id) const;

    /// Inserts a user, or replaces the stored user with the same `id`, from the JSON text of a
    /// user object. Without an `id` a new one above every existing id is assigned;
    /// `created_at`/`updated_at` default to now and `created_by` to the id. Returns the id, or
    /// nullopt when the environment is unknown or the text is not a JSON object with an integer
    /// (or absent) positive id.
    std::optional<std::int64_t> upsert_user(std::string_view env, std::string_view json_text);

    /// The number of users in an environment (0 for an unknown one).
    std::size_t user_count(std::string_view env) const;

    /// Whether `password` is the password last set for the user through the account endpoint.
    /// False for an unknown user or when no password was ever set.
    bool check_password(std::string_view env, std::int64_t id, std::string_view password) const;

    /// The access-token flow's counters so far (every api_response::event handle() returned).
    auth_counters auth_stats() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace minapp::emulator
