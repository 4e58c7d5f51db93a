// The emulated Open API access-token flow (notes §1.3, client credentials): the registered
// clients, the clock of its expiry times and its counters.
#pragma once

#include <minapp/emulator/api.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace minapp::emulator {

/// A registered Open API client: the console's ClientID and ClientSecret.
struct oauth_client {
    oauth_client() = default;
    oauth_client(std::string client_id, std::string client_secret)
        : id(std::move(client_id))
        , secret(std::move(client_secret)) {}

    std::string id;
    std::string secret;
};

/// The clock of every expiry in the flow (redirect hops, codes, issued tokens). Monotonic, so
/// a wall-clock step cannot expire or revive a token.
using auth_clock = std::chrono::steady_clock;

/// The longest accepted token lifetime: 100 years, which keeps expiry arithmetic in the clock's
/// nanoseconds far from overflow (the old docs showed 31535999 s, about one year).
inline constexpr std::chrono::seconds max_token_ttl{std::int64_t{100} * 365 * 24 * 3600};

/// How often each step of the access-token flow happened.
struct auth_counters {
    auth_counters() = default;

    /// Authorize POSTs answered with the first redirect.
    std::uint64_t flows_started = 0;
    /// Authorization codes handed out by the last redirect hop.
    std::uint64_t codes_issued = 0;
    /// Access tokens issued, by a code exchange or a refresh.
    std::uint64_t tokens_issued = 0;
    /// Refresh grants honoured (each also counts in tokens_issued).
    std::uint64_t refreshes = 0;
    /// 401 answers to calls of user endpoints (bad, expired or revoked token).
    std::uint64_t api_unauthorized = 0;

    /// Counts one response's event: the one place that maps events to counters.
    void add(api_event event) noexcept {
        switch (event) {
        case api_event::none:
            break;
        case api_event::flow_started:
            ++flows_started;
            break;
        case api_event::code_issued:
            ++codes_issued;
            break;
        case api_event::token_refreshed:
            ++refreshes;
            ++tokens_issued;
            break;
        case api_event::token_issued:
            ++tokens_issued;
            break;
        case api_event::api_unauthorized:
            ++api_unauthorized;
            break;
        }
    }
};

} // namespace minapp::emulator
