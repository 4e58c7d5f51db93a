// The client-credentials flow against the emulator over TLS: the real redirects and cookies,
// renewal under a bulk load with 2-second tokens, and recovery after another holder of the
// client id refreshed (which revokes every earlier token).
#include "api/token_flow.hpp"
#include "support/async_test.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>
#include <minapp/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace emu = minapp::emulator;
namespace json = boost::json;
using minapp::error;
using minapp::test::run_bounded;

namespace {

constexpr const char* client_id = "svc-client";
constexpr const char* secret = "svc-secret-0123456789";

struct oauth_service {
    explicit oauth_service(std::chrono::seconds ttl, std::size_t users = 500)
        : api(config(ttl, users))
        , server(ioc, server_options(), [this](const emu::api_request& r) {
            if (r.target.rfind("/oserve/", 0) == 0) {
                const auto n = ++api_requests;
                if (on_api_request) {
                    on_api_request(n);
                }
            }
            return api.handle(r);
        }) {
        server.start();
    }

    static emu::user_api_config config(std::chrono::seconds ttl, std::size_t users) {
        emu::user_api_config c;
        c.users_per_environment = users;
        c.tokens = {};
        c.clients = {emu::oauth_client(client_id, secret)};
        c.token_ttl = ttl;
        return c;
    }

    static emu::server_options server_options() {
        emu::server_options o;
        o.tls = true;
        return o;
    }

    minapp::client_options client_options(std::size_t connections) const {
        minapp::client_options o;
        o.base_url(server.url());
        o.client_credentials(minapp::client_credentials(client_id, secret));
        o.pool().tls().use_system_ca(false);
        o.pool().tls().ca_pem(server.ca_pem());
        o.pool().max_connections(connections);
        return o;
    }

    std::vector<std::int64_t> ids() const {
        emu::api_request r;
        r.method = "GET";
        r.target = "/oserve/v2.2/miniapp/user_profile/?order_by=id&limit=1000";
        r.authorization = "Bearer " + access_token_in_process();
        const auto page = json::parse(api.handle(r).body);
        std::vector<std::int64_t> out;
        for (const auto& u : page.at("objects").as_array()) {
            out.push_back(u.at("id").as_int64());
        }
        return out;
    }

    // One flow in-process (as another process holding the client id would run it over the
    // wire); returns the reply of the token endpoint.
    json::object token_reply(const std::string& grant_body) const {
        emu::api_request r;
        r.method = "POST";
        r.target = "/api/oauth2/access_token/";
        r.content_type = "application/json";
        r.body = grant_body;
        r.body_announced = true;
        const auto reply = api.handle(r);
        BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
        return json::parse(reply.body).as_object();
    }

    std::string code_in_process() const {
        emu::api_request r;
        r.method = "POST";
        r.target = "/api/oauth2/hydrogen/openapi/authorize/";
        r.content_type = "application/json";
        r.body = json::serialize(json::object{{"client_id", client_id}, {"client_secret", secret}});
        r.body_announced = true;
        std::vector<std::string> cookies;
        for (int hop = 0; hop < 5; ++hop) {
            auto reply = api.handle(r);
            std::string location;
            for (const auto& [name, value] : reply.headers) {
                if (name == "Set-Cookie") {
                    cookies.push_back(value.substr(0, value.find(';')));
                } else if (name == "Location") {
                    location = value;
                }
            }
            if (reply.status == 200) {
                return std::string(json::parse(reply.body).at("code").as_string());
            }
            BOOST_TEST_REQUIRE(reply.status == 302u, reply.body);
            std::string why;
            const minapp::http::origin here(minapp::http::scheme::https, "127.0.0.1", 443);
            r.target = minapp::detail::redirect_target(here, r.target, location, why).value();
            r.method = "GET";
            r.body.clear();
            r.body_announced = false;
            r.content_type.clear();
            r.cookie.clear();
            for (const auto& c : cookies) {
                r.cookie += (r.cookie.empty() ? "" : "; ") + c;
            }
        }
        BOOST_FAIL("the authorize flow did not end");
        return {};
    }

    json::object code_grant() const {
        return token_reply(json::serialize(json::object{{"client_id", client_id},
                                                        {"client_secret", secret},
                                                        {"code", code_in_process()},
                                                        {"grant_type", "authorization_code"}}));
    }

    std::string access_token_in_process() const {
        return std::string(code_grant().at("access_token").as_string());
    }

    asio::io_context ioc;
    mutable emu::user_api api;
    std::atomic<std::size_t> api_requests{0};
    std::function<void(std::size_t)> on_api_request; // on a server thread
    emu::server server;
};

std::vector<minapp::user_update> increments(const std::vector<std::int64_t>& ids,
                                            std::size_t count) {
    std::vector<minapp::user_update> items;
    for (std::size_t i = 0; i < count; ++i) {
        minapp::user_update u;
        u.id = ids[i % ids.size()];
        u.change.incr_by("score", 1);
        items.push_back(std::move(u));
    }
    return items;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tokens_against_the_emulator)

BOOST_AUTO_TEST_CASE(the_flow_over_tls_then_calls_with_the_token) {
    oauth_service s(std::chrono::seconds(7200));
    minapp::client c(s.ioc.get_executor(), s.client_options(4));
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto n = co_await c.count_users();
        BOOST_TEST_REQUIRE(n.has_value(), n.error().diagnostics.to_string());
        BOOST_TEST(*n == 500);
        auto token = co_await c.access_token();
        BOOST_TEST_REQUIRE(token.has_value());
        BOOST_TEST(token->expires_in().count() > 7100);
        c.shutdown();
        s.server.stop();
    }());
    const auto auth = s.api.auth_stats();
    BOOST_TEST(auth.flows_started == 1u);
    BOOST_TEST(auth.codes_issued == 1u);
    BOOST_TEST(auth.tokens_issued == 1u);
    BOOST_TEST(auth.api_unauthorized == 0u);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_refused_before_any_api_call) {
    oauth_service s(std::chrono::seconds(7200));
    auto options = s.client_options(2);
    options.client_credentials(minapp::client_credentials(client_id, "not-the-secret"));
    minapp::client c(s.ioc.get_executor(), options);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto n = co_await c.count_users();
        BOOST_TEST_REQUIRE(!n.has_value());
        BOOST_TEST((n.error().code == error::unauthorized));
        BOOST_TEST(n.error().diagnostics.server_message == "invalid_client");
        BOOST_TEST(n.error().diagnostics.to_string().find("not-the-secret") == std::string::npos);
        c.shutdown();
        s.server.stop();
    }());
    BOOST_TEST(s.api_requests.load() == 0u);
}

BOOST_AUTO_TEST_CASE(renewal_under_load_with_two_second_tokens) {
    // 10,000 updates at concurrency 32 while tokens live 2 s: renewed in the background ahead
    // of expiry, one flow per renewal period, never an item lost to authentication.
    oauth_service s(std::chrono::seconds(2));
    const auto ids = s.ids();
    const auto before = s.api.auth_stats();
    // Paced at 2,500/s so that the run spans several token lifetimes.
    auto options = s.client_options(32);
    options.rate_limit(minapp::rate_limit{2500, 50});
    minapp::client c(s.ioc.get_executor(), options);
    const auto items = increments(ids, 10000);
    std::optional<minapp::result<minapp::bulk_report>> report;
    const auto started = std::chrono::steady_clock::now();
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            minapp::bulk_options options;
            options.concurrency(32);
            report = co_await minapp::update_users(c, items, options);
            c.shutdown();
            s.server.stop();
        }(),
        std::chrono::seconds(300));
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    BOOST_TEST_REQUIRE(report->has_value());
    BOOST_TEST((*report)->totals.succeeded == items.size());
    const auto auth = s.api.auth_stats();
    const auto flows = auth.flows_started - before.flows_started;
    // One flow per renewal period (1 s: half the 2-second life), plus the first; not one per
    // caller.
    BOOST_TEST_MESSAGE("renewal under load: " << items.size() << " updates in " << seconds.count()
                                              << " s, " << flows << " flows, "
                                              << auth.api_unauthorized << " 401s");
    BOOST_TEST(seconds.count() >= 3.5);
    BOOST_TEST(flows >= 3u, flows << " flows in " << seconds.count() << " s");
    BOOST_TEST(flows <= static_cast<std::uint64_t>(seconds.count()) + 2u,
               flows << " flows in " << seconds.count() << " s");
    // Every 401 was followed by exactly one replay, which succeeded: the API saw the items
    // plus one request per 401.
    BOOST_TEST(s.api_requests.load() == items.size() + auth.api_unauthorized);
}

BOOST_AUTO_TEST_CASE(a_refresh_by_another_holder_revokes_and_the_client_recovers) {
    oauth_service s(std::chrono::seconds(7200));
    const auto ids = s.ids();
    // Another process holding the client id: it has a refresh token and uses it mid-run.
    const std::string refresh_token(s.code_grant().at("refresh_token").as_string());
    std::once_flag refreshed;
    s.on_api_request = [&](std::size_t n) {
        if (n == 600) {
            std::call_once(refreshed, [&] {
                s.token_reply(json::serialize(json::object{{"client_id", client_id},
                                                           {"client_secret", secret},
                                                           {"refresh_token", refresh_token},
                                                           {"grant_type", "refresh_token"}}));
            });
        }
    };
    const auto before = s.api.auth_stats();
    minapp::client c(s.ioc.get_executor(), s.client_options(16));
    const auto items = increments(ids, 2000);
    std::optional<minapp::result<minapp::bulk_report>> report;
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            minapp::bulk_options options;
            options.concurrency(16);
            report = co_await minapp::update_users(c, items, options);
            c.shutdown();
            s.server.stop();
        }(),
        std::chrono::seconds(300));
    BOOST_TEST_REQUIRE(report->has_value());
    BOOST_TEST((*report)->totals.succeeded == items.size());
    const auto auth = s.api.auth_stats();
    BOOST_TEST_MESSAGE("revocation: " << auth.api_unauthorized << " 401s, "
                                      << auth.flows_started - before.flows_started << " flows");
    BOOST_TEST(auth.refreshes - before.refreshes == 1u);
    BOOST_TEST(auth.api_unauthorized >= 1u);                     // the revocation was noticed...
    BOOST_TEST(auth.flows_started - before.flows_started == 2u); // ...and cured by one flow
    BOOST_TEST(s.api_requests.load() == items.size() + auth.api_unauthorized);
}

BOOST_AUTO_TEST_CASE(with_refresh_tokens_renewals_refresh_instead_of_running_the_flow) {
    oauth_service s(std::chrono::seconds(2));
    const auto before = s.api.auth_stats();
    auto options = s.client_options(4);
    options.client_credentials(
        minapp::client_credentials(client_id, secret).use_refresh_token(true));
    minapp::client c(s.ioc.get_executor(), options);
    int ok = 0;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        // About 3 s of calls: two or three renewals of a 2-second token.
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(3200);
        asio::steady_timer pace(co_await asio::this_coro::executor);
        while (std::chrono::steady_clock::now() < until) {
            ok += (co_await c.count_users()).has_value() ? 1 : 0;
            pace.expires_after(std::chrono::milliseconds(50));
            co_await pace.async_wait(asio::use_awaitable);
        }
        c.shutdown();
        s.server.stop();
    }());
    const auto auth = s.api.auth_stats();
    BOOST_TEST(ok > 20);
    BOOST_TEST(auth.api_unauthorized == 0u);
    BOOST_TEST(auth.flows_started - before.flows_started == 1u); // only the first token
    BOOST_TEST(auth.refreshes - before.refreshes >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
