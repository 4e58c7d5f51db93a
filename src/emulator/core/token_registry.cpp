#include "token_registry.hpp"

#include <mutex>
#include <stdexcept>

namespace minapp::emulator::detail {
namespace {

std::map<std::string, std::string, std::less<>> client_map(std::vector<oauth_client> clients) {
    std::map<std::string, std::string, std::less<>> out;
    for (oauth_client& client : clients) {
        if (client.id.empty() || client.secret.empty()) {
            throw std::invalid_argument("minapp emulator: a client needs an id and a secret");
        }
        const std::string id = client.id; // the message must not quote the secret
        if (!out.emplace(std::move(client.id), std::move(client.secret)).second) {
            throw std::invalid_argument("minapp emulator: client '" + id + "' registered twice");
        }
    }
    return out;
}

std::chrono::seconds checked_ttl(std::chrono::seconds ttl) {
    if (ttl.count() <= 0 || ttl > max_token_ttl) {
        throw std::invalid_argument("minapp emulator: token_ttl must be in [1, max_token_ttl]");
    }
    return ttl;
}

/// Erases the entries of `map` for which `dead(entry)` holds.
template <class Map, class Predicate>
void erase_where(Map& map, Predicate dead) {
    for (auto it = map.begin(); it != map.end();) {
        it = dead(it->second) ? map.erase(it) : std::next(it);
    }
}

} // namespace

token_registry::token_registry(std::vector<oauth_client> clients, std::chrono::seconds token_ttl)
    : clients_(client_map(std::move(clients)))
    , token_ttl_(checked_ttl(token_ttl)) {}

bool token_registry::authenticate(std::string_view id, std::string_view secret) const {
    const auto it = clients_.find(id);
    return it != clients_.end() && it->second == secret;
}

std::string token_registry::random_hex(std::size_t bytes) {
    // random_device (the kernel's generator): tokens must not be guessable from earlier ones,
    // or a test of revocation could pass by luck.
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    while (out.size() < bytes * 2) {
        std::uint32_t word = random_();
        for (int i = 0; i < 8 && out.size() < bytes * 2; ++i, word >>= 4) {
            out += digits[word & 0xf];
        }
    }
    return out;
}

void token_registry::sweep(time_point now) {
    // Expired entries are unusable anyway; dropping them at most once a second keeps memory
    // bounded without walking every map on every request.
    if (now < next_sweep_) {
        return;
    }
    next_sweep_ = now + std::chrono::seconds(1);
    const auto expired = [now](const auto& entry) {
        return entry.expires <= now;
    };
    erase_where(flows_, expired);
    erase_where(codes_, expired);
    erase_where(access_, expired);
}

flow_start token_registry::start_flow(std::string_view client_id, time_point now) {
    std::unique_lock lock(mutex_);
    sweep(now);
    flow_start out{random_hex(16), random_hex(16)};
    flows_[out.flow_id] = flow{std::string(client_id), out.cookie, {}, now + hop_ttl};
    return out;
}

std::optional<std::string> token_registry::continue_flow(std::string_view flow_id,
                                                         std::string_view cookie, time_point now) {
    std::unique_lock lock(mutex_);
    const auto it = flows_.find(flow_id);
    if (it == flows_.end() || it->second.expires <= now || !it->second.second_cookie.empty() ||
        it->second.first_cookie != cookie) {
        return std::nullopt;
    }
    it->second.second_cookie = random_hex(16);
    it->second.expires = now + hop_ttl;
    return it->second.second_cookie;
}

std::optional<std::string> token_registry::finish_flow(std::string_view flow_id,
                                                       std::string_view first_cookie,
                                                       std::string_view second_cookie,
                                                       time_point now) {
    std::unique_lock lock(mutex_);
    const auto it = flows_.find(flow_id);
    if (it == flows_.end() || it->second.expires <= now || it->second.second_cookie.empty() ||
        it->second.first_cookie != first_cookie || it->second.second_cookie != second_cookie) {
        return std::nullopt;
    }
    std::string client_id = std::move(it->second.client_id);
    flows_.erase(it);
    sweep(now);
    std::string issued = random_hex(20);
    codes_[issued] = code{std::move(client_id), now + code_ttl};
    return issued;
}

token_pair token_registry::issue(std::string_view client_id, time_point now) {
    token_pair out{random_hex(20), random_hex(20)};
    access_[out.access_token] = access{std::string(client_id), now + token_ttl_};
    refresh_[out.refresh_token] = std::string(client_id);
    return out;
}

std::optional<token_pair> token_registry::exchange_code(std::string_view client_id,
                                                        std::string_view presented,
                                                        time_point now) {
    std::unique_lock lock(mutex_);
    const auto it = codes_.find(presented);
    if (it == codes_.end() || it->second.expires <= now || it->second.client_id != client_id) {
        return std::nullopt;
    }
    codes_.erase(it);
    sweep(now);
    return issue(client_id, now);
}

std::optional<token_pair> token_registry::refresh(std::string_view client_id,
                                                  std::string_view refresh_token, time_point now) {
    std::unique_lock lock(mutex_);
    const auto it = refresh_.find(refresh_token);
    if (it == refresh_.end() || it->second != client_id) {
        return std::nullopt;
    }
    // Everything the client holds was issued before this refresh: all of it goes (notes §1.3).
    const auto of_client = [client_id](const auto& owner) {
        return owner == client_id;
    };
    erase_where(refresh_, of_client);
    erase_where(access_, [&](const access& a) { return of_client(a.client_id); });
    sweep(now);
    return issue(client_id, now);
}

bool token_registry::access_token_valid(std::string_view token, time_point now) const {
    std::shared_lock lock(mutex_);
    const auto it = access_.find(token);
    return it != access_.end() && now < it->second.expires;
}

} // namespace minapp::emulator::detail
