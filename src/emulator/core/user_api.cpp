#include <minapp/emulator/user_api.hpp>

#include "account_endpoint.hpp"
#include "endpoint_context.hpp"
#include "legacy_endpoints.hpp"
#include "oauth_endpoints.hpp"
#include "profile_endpoints.hpp"
#include "reply.hpp"
#include "router.hpp"
#include "seed.hpp"
#include "token_registry.hpp"
#include "user_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace minapp::emulator {

namespace {

/// URLs longer than this get 502 from the real service (notes §1.4).
constexpr std::size_t max_target_length = 16386;

/// FNV-1a: a stable hash so each environment's data differs but never varies between runs.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h = (h ^ c) * 0x100000001b3ULL;
    }
    return h;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
std::optional<std::string_view> bearer_token(std::string_view header) {
    constexpr std::string_view scheme = "bearer ";
    if (header.size() <= scheme.size() ||
        detail::ascii_lower(header.substr(0, scheme.size())) != scheme) {
        return std::nullopt;
    }
    return header.substr(scheme.size());
}

} // namespace

struct user_api::impl {
    explicit impl(user_api_config c)
        : config(std::move(c))
        , tokens(config.clients, config.token_ttl) {
        auto add = [&](const std::string& env) {
            auto [it, inserted] = envs.try_emplace(env, detail::schema::seeded());
            if (inserted) {
                const std::uint64_t seed = env.empty() ? config.seed : config.seed ^ fnv1a(env);
                detail::seed_users(it->second, config.users_per_environment, seed);
            }
        };
        add("");
        for (const auto& env : config.environments) {
            add(env);
        }
    }

    detail::user_store* store(std::string_view env) {
        auto it = envs.find(env);
        return it == envs.end() ? nullptr : &it->second;
    }

    auth_clock::time_point auth_now() const {
        return config.clock ? config.clock() : auth_clock::now();
    }

    bool token_ok(std::string_view header) const {
        auto token = bearer_token(header);
        if (!token) {
            return false;
        }
        // The static tokens first: they need neither the clock nor the registry's lock.
        return std::find(config.tokens.begin(), config.tokens.end(), *token) !=
                   config.tokens.end() ||
               tokens.access_token_valid(*token, auth_now());
    }

    /// The token flow's endpoints: they have no environment and never touch the user store.
    api_response dispatch_oauth(detail::endpoint which, const api_request& request,
                                const boost::urls::url_view& url) {
        using detail::endpoint;
        const detail::oauth_context ctx{request, url, auth_now()};
        switch (which) {
        case endpoint::oauth_authorize:
            return detail::authorize(tokens, ctx);
        case endpoint::oauth_continue:
            return detail::authorize_continue(tokens, ctx);
        case endpoint::oauth_done:
            return detail::authorize_done(tokens, ctx);
        case endpoint::oauth_access_token:
            return detail::access_token(tokens, ctx);
        default:
            return detail::error_reply(500, "unhandled route");
        }
    }

    api_response answer(const api_request& request);

    void count(api_event event) {
        if (event != api_event::none) {
            std::lock_guard lock(counters_mutex);
            counters.add(event);
        }
    }

    api_response dispatch(detail::endpoint which, detail::user_store& s,
                          const detail::endpoint_context& ctx) {
        using detail::endpoint;
        switch (which) {
        case endpoint::profile_list:
        case endpoint::info_list: {
            std::shared_lock lock(mutex);
            return detail::list_profiles(s, ctx);
        }
        case endpoint::profile_get:
        case endpoint::info_get: {
            std::shared_lock lock(mutex);
            return detail::get_profile(s, ctx);
        }
        case endpoint::legacy_profile_list: {
            std::shared_lock lock(mutex);
            return detail::list_legacy_profiles(s, ctx);
        }
        case endpoint::profile_update:
        case endpoint::info_update: {
            // The v1 alias saves whole rows in the real service; for one request at a time
            // that is indistinguishable from the field-level v2.6 write, and requests here are
            // serialised anyway.
            std::unique_lock lock(mutex);
            return detail::update_profile(s, ctx);
        }
        case endpoint::profile_batch_update: {
            std::unique_lock lock(mutex);
            return detail::batch_update_profiles(s, ctx);
        }
        case endpoint::account_update: {
            std::unique_lock lock(mutex);
            return detail::update_account(s, ctx);
        }
        case endpoint::oauth_authorize:
        case endpoint::oauth_continue:
        case endpoint::oauth_done:
        case endpoint::oauth_access_token:
            break; // dispatch_oauth
        }
        return detail::error_reply(500, "unhandled route");
    }

    user_api_config config;
    detail::token_registry tokens; // thread-safe on its own, apart from the stores' lock
    // The map itself never changes after construction; the mutex guards the stores' contents.
    std::map<std::string, detail::user_store, std::less<>> envs;
    mutable std::shared_mutex mutex;
    mutable std::mutex counters_mutex; // guards counters
    auth_counters counters;
};

user_api::user_api(user_api_config config)
    : impl_(std::make_unique<impl>(std::move(config))) {}

user_api::~user_api() = default;

api_response user_api::handle(const api_request& request) {
    api_response response = impl_->answer(request);
    impl_->count(response.event);
    return response;
}

auth_counters user_api::auth_stats() const {
    std::lock_guard lock(impl_->counters_mutex);
    return impl_->counters;
}

api_response user_api::impl::answer(const api_request& request) {
    if (request.target.size() > max_target_length) {
        return detail::error_reply(502, "request URL too long");
    }
    auto url = boost::urls::parse_origin_form(request.target);
    if (!url) {
        return detail::error_reply(400, "malformed request target");
    }
    auto route = detail::match_route(request.method, url->encoded_path());
    if (route.outcome == detail::route_match::status::not_found) {
        return detail::error_reply(404, "not found");
    }
    // Every reply for a matched route names it, for the server's per-route counters.
    const auto named = [&](api_response r) {
        if (route.outcome == detail::route_match::status::found) {
            r.route = route.name;
        }
        return r;
    };
    const auto unauthorized = [&](std::string_view message) {
        api_response r = named(detail::error_reply(401, message));
        r.event = api_event::api_unauthorized;
        return r;
    };
    detail::user_store* store = nullptr;
    if (route.needs_token) {
        if (!token_ok(request.authorization)) {
            return unauthorized("invalid or missing access token");
        }
        store = this->store(request.env_id);
        if (store == nullptr) {
            return unauthorized("access token not valid for this environment");
        }
    }
    if (route.outcome == detail::route_match::status::method_not_allowed) {
        api_response r = detail::error_reply(405, "method not allowed");
        r.headers.emplace_back("Allow", route.allow);
        return r;
    }
    try {
        if (!route.needs_token) {
            return named(dispatch_oauth(route.which, request, *url));
        }
        const detail::endpoint_context ctx{request, *url, route.id, route.list_path, unix_now()};
        return named(dispatch(route.which, *store, ctx));
    } catch (const std::exception& e) {
        // A bug must not take the server down; report it like the real service would.
        return named(detail::error_reply(500, e.what()));
    }
}

std::optional<std::string> user_api::stored_user_json(std::string_view env, std::int64_t id) const {
    std::shared_lock lock(impl_->mutex);
    auto* s = impl_->store(env);
    if (s == nullptr) {
        return std::nullopt;
    }
    auto at = s->find(id);
    if (!at) {
        return std::nullopt;
    }
    return boost::json::serialize(detail::load_user(*s, s->records()[*at]));
}

std::optional<std::int64_t> user_api::upsert_user(std::string_view env,
                                                  std::string_view json_text) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(json_text, ec);
    if (ec || !parsed.is_object()) {
        return std::nullopt;
    }
    boost::json::object& user = parsed.as_object();
    std::unique_lock lock(impl_->mutex);
    auto* s = impl_->store(env);
    if (s == nullptr) {
        return std::nullopt;
    }
    std::int64_t id = 0;
    if (const boost::json::value* v = user.if_contains("id")) {
        if (v->is_int64() && v->get_int64() > 0) {
            id = v->get_int64();
        } else {
            return std::nullopt;
        }
    } else {
        id = s->next_id();
        user["id"] = id;
    }
    const std::int64_t now = unix_now();
    if (!user.contains("created_by")) {
        user["created_by"] = id;
    }
    if (!user.contains("created_at")) {
        user["created_at"] = now;
    }
    if (!user.contains("updated_at")) {
        user["updated_at"] = now;
    }
    s->put(user);
    return id;
}

std::size_t user_api::user_count(std::string_view env) const {
    std::shared_lock lock(impl_->mutex);
    auto* s = impl_->store(env);
    return s == nullptr ? 0 : s->size();
}

bool user_api::check_password(std::string_view env, std::int64_t id,
                              std::string_view password) const {
    std::shared_lock lock(impl_->mutex);
    auto* s = impl_->store(env);
    if (s == nullptr) {
        return false;
    }
    const std::string* stored = s->password(id);
    return stored != nullptr && *stored == password;
}

} // namespace minapp::emulator
