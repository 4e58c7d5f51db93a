// Tokens the client obtains itself: the client-credentials flow (redirects, cookies, retries,
// refusals) against a scripted token service on loopback, renewal after a 401 with one replay,
// single flight under concurrency, and secrets kept out of every diagnostic. The same flow
// against the emulator is in token_emulator_test.cpp.
#include "support/async_test.hpp"
#include "support/scripted_server.hpp"

#include <minapp/client.hpp>
#include <minapp/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using minapp::error;
using minapp::test::reply;
using minapp::test::run_bounded;
using minapp::test::scripted_server;
using minapp::test::seen_request;

namespace {

constexpr const char* client_id = "client-id-1";
constexpr const char* secret = "s3cret-value-never-shown";
constexpr const char* authorize = "/api/oauth2/hydrogen/openapi/authorize/";
constexpr const char* hop1 = "/api/oauth2/hydrogen/openapi/authorize/hop/?n=1";
constexpr const char* hop2 = "/api/oauth2/hydrogen/openapi/authorize/hop/done/";
constexpr const char* token_endpoint = "/api/oauth2/access_token/";

reply json_reply(unsigned status, json::object body) {
    reply r;
    r.status = status;
    r.body = json::serialize(body);
    r.headers = {{"Content-Type", "application/json"}};
    return r;
}

reply redirect(std::string location, std::string cookie) {
    reply r;
    r.status = 302;
    r.body.clear();
    r.headers = {{"Location", std::move(location)}};
    if (!cookie.empty()) {
        r.headers.emplace_back("Set-Cookie", std::move(cookie));
    }
    return r;
}

// The token service and one API endpoint (count), strict about the protocol: any deviation is
// answered 400 and counted as a violation.
struct token_service {
    int flows = 0;           // authorize requests accepted
    int tokens = 0;          // access tokens issued
    int api_calls = 0;       // API requests seen
    int unauthorized = 0;    // API requests answered 401
    int violations = 0;      // protocol deviations
    int fail_authorize = 0;  // answer this many authorize requests 500 first
    bool loop = false;       // hop 1 redirects to itself forever
    bool refuse_all = false; // the API refuses every token
    std::string hop1_target = hop1;
    std::string valid_token; // the only token the API accepts
    int hops_looped = 0;
    std::set<std::string> codes;

    reply violation(const char* why) {
        ++violations;
        return json_reply(400, {{"error", "invalid_request"}, {"why", why}});
    }

    reply operator()(const seen_request& r) {
        const std::string path = r.target.substr(0, r.target.find('?'));
        if (r.method == "POST" && r.target == authorize) {
            if (fail_authorize > 0) {
                --fail_authorize;
                return json_reply(500, {{"error", "server_error"}});
            }
            boost::system::error_code ec;
            const auto body = json::parse(r.body, ec);
            if (ec || !body.is_object()) {
                return violation("authorize body is not JSON");
            }
            if (body.at("client_id") != client_id || body.at("client_secret") != secret) {
                // Echoes the secret: the client must not repeat it.
                return json_reply(401, {{"error", "invalid_client"},
                                        {"error_description", std::string("bad ") + secret}});
            }
            ++flows;
            return redirect(hop1_target, "flow=f" + std::to_string(flows) + "; Path=/; HttpOnly");
        }
        if (r.method == "GET" && r.target == hop1) {
            if (!r.body.empty() || !r.header("Content-Type").empty()) {
                return violation("a redirected request carries a body");
            }
            if (r.header("Cookie") != "flow=f" + std::to_string(flows)) {
                return violation("hop 1 without the flow cookie");
            }
            if (loop) {
                ++hops_looped;
                return redirect(hop1, "");
            }
            return redirect("done/", "step=s2; Path=/");
        }
        if (r.method == "GET" && r.target == hop2) {
            if (r.header("Cookie") != "flow=f" + std::to_string(flows) + "; step=s2") {
                return violation("hop 2 without both cookies");
            }
            const std::string code = "code-" + std::to_string(flows);
            codes.insert(code);
            return json_reply(200, {{"code", code}, {"expires_in", 600}});
        }
        if (r.method == "POST" && r.target == token_endpoint) {
            boost::system::error_code ec;
            const auto body = json::parse(r.body, ec);
            if (ec || !body.is_object() || body.at("grant_type") != "authorization_code") {
                return violation("token request");
            }
            const std::string code(body.at("code").as_string());
            if (codes.erase(code) == 0) {
                return json_reply(400, {{"error", "invalid_grant"}});
            }
            ++tokens;
            valid_token = "tok-" + std::to_string(tokens);
            return json_reply(200, {{"access_token", valid_token},
                                    {"token_type", "Bearer"},
                                    {"expires_in", 3600},
                                    {"refresh_token", "ref-" + std::to_string(tokens)},
                                    {"scope", "write"}});
        }
        if (r.method == "GET" && path == "/oserve/v2.2/miniapp/user_profile/") {
            ++api_calls;
            if (r.header("Authorization") != "Bearer " + valid_token || refuse_all) {
                ++unauthorized;
                return json_reply(401,
                                  {{"message", "token invalid: " + r.header("Authorization")}});
            }
            json::object meta{{"limit", 1},
                              {"offset", 0},
                              {"next", nullptr},
                              {"previous", nullptr},
                              {"total_count", 7}};
            return json_reply(200, {{"meta", meta}, {"objects", json::array{}}});
        }
        return violation("unexpected request");
    }
};

struct rig {
    asio::io_context io;
    token_service service;
    scripted_server server{io.get_executor(), [this](const seen_request& r) {
                               return service(r);
                           }};
    std::optional<minapp::client> client;

    explicit rig(minapp::client_credentials credentials = {client_id, secret}) {
        client.emplace(io.get_executor(),
                       minapp::client_options()
                           .base_url("http://127.0.0.1:" + std::to_string(server.port()))
                           .client_credentials(std::move(credentials)));
    }

    /// Runs `body` with the client, then shuts the client and the server down so the
    /// io_context drains.
    template <class Body>
    void run(Body body) {
        run_bounded(io, [&]() -> asio::awaitable<void> {
            co_await body();
            client->shutdown();
            server.stop();
        }());
    }

    asio::awaitable<minapp::result<std::int64_t>> count() { return client->count_users(); }
};

void check_no_secret(const minapp::failure& f) {
    const std::string text = f.diagnostics.to_string() + f.diagnostics.server_message +
                             f.diagnostics.detail + f.diagnostics.path;
    BOOST_TEST(text.find(secret) == std::string::npos, text);
    BOOST_TEST(text.find("code-") == std::string::npos, text);
    BOOST_TEST(text.find("tok-") == std::string::npos, text);
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_credentials_flow)

BOOST_AUTO_TEST_CASE(the_flow_follows_two_redirects_with_cookies_and_the_token_is_reused) {
    rig t;
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
        BOOST_TEST(*r == 7);
        for (int i = 0; i < 5; ++i) {
            BOOST_TEST((co_await t.count()).has_value());
        }
    });
    BOOST_TEST(t.service.violations == 0);
    BOOST_TEST(t.service.flows == 1); // the token is cached
    BOOST_TEST(t.service.tokens == 1);
    BOOST_TEST(t.service.api_calls == 6);
}

BOOST_AUTO_TEST_CASE(access_token_hands_out_the_cached_token_and_its_remaining_life) {
    rig t;
    t.run([&]() -> asio::awaitable<void> {
        auto first = co_await t.client->access_token(); // runs the flow
        BOOST_TEST_REQUIRE(first.has_value(), first.error().diagnostics.to_string());
        BOOST_TEST(first->access_token() == "tok-1");
        BOOST_TEST(first->expires_in().count() > 3500);
        BOOST_TEST(first->expires_in().count() <= 3600);
        BOOST_TEST((co_await t.count()).has_value()); // the API call uses the same token
        auto again = co_await t.client->access_token();
        BOOST_TEST(again->access_token() == "tok-1");
    });
    BOOST_TEST(t.service.flows == 1);
}

BOOST_AUTO_TEST_CASE(a_wrong_secret_is_unauthorized_with_the_servers_error_and_no_secret) {
    rig t(minapp::client_credentials(client_id, std::string(secret) + "-wrong"));
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::unauthorized));
        BOOST_TEST(r.error().diagnostics.http_status == 401u);
        BOOST_TEST(r.error().diagnostics.server_message == "invalid_client");
        BOOST_TEST(r.error().diagnostics.path == authorize);
        check_no_secret(r.error());
    });
    BOOST_TEST(t.service.api_calls == 0); // nothing was sent without a token
}

BOOST_AUTO_TEST_CASE(a_redirect_to_another_origin_is_refused) {
    rig t;
    t.service.hop1_target = "https://evil.example/api/oauth2/hydrogen/openapi/authorize/hop/";
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::token_flow_failed));
        BOOST_TEST(r.error().diagnostics.detail == "a redirect to another origin, refused");
    });
    BOOST_TEST(t.service.api_calls == 0);
}

BOOST_AUTO_TEST_CASE(an_endless_redirect_stops_after_five) {
    rig t;
    t.service.loop = true;
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::token_flow_failed));
        BOOST_TEST(r.error().diagnostics.detail == "more than 5 redirects");
    });
    BOOST_TEST(t.service.hops_looped ==
               5);                    // redirects 2..6 lead to hop 1 again; the 6th is refused
    BOOST_TEST(t.service.flows == 1); // not retried: a protocol failure is not transient
}

BOOST_AUTO_TEST_CASE(a_server_error_in_the_flow_is_retried) {
    rig t;
    t.service.fail_authorize = 2;
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST(r.has_value(), (r ? "" : r.error().diagnostics.to_string()));
    });
    BOOST_TEST(t.service.flows == 1);
    BOOST_TEST(t.service.fail_authorize == 0);
}

BOOST_AUTO_TEST_CASE(a_server_error_past_the_attempts_fails_the_call) {
    rig t(minapp::client_credentials(client_id, secret).max_attempts(2));
    t.service.fail_authorize = 5;
    t.run([&]() -> asio::awaitable<void> {
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::server_error));
    });
    BOOST_TEST(t.service.fail_authorize == 3);
}

BOOST_AUTO_TEST_CASE(a_401_renews_once_and_replays) {
    rig t;
    t.run([&]() -> asio::awaitable<void> {
        BOOST_TEST_REQUIRE((co_await t.count()).has_value());
        t.service.valid_token = "revoked-by-someone-else";
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
    });
    BOOST_TEST(t.service.flows == 2);
    BOOST_TEST(t.service.unauthorized == 1);
    BOOST_TEST(t.service.api_calls == 3);
}

BOOST_AUTO_TEST_CASE(fifty_concurrent_401s_cause_one_renewal) {
    rig t;
    int ok = 0;
    t.run([&]() -> asio::awaitable<void> {
        BOOST_TEST_REQUIRE((co_await t.count()).has_value());
        t.service.valid_token = "revoked";
        auto ex = co_await asio::this_coro::executor;
        int done = 0;
        minapp::test::async_event all(ex);
        for (int i = 0; i < 50; ++i) {
            asio::co_spawn(ex, t.client->count_users(), [&](std::exception_ptr, auto r) {
                ok += r.has_value() ? 1 : 0;
                if (++done == 50) {
                    all.set();
                }
            });
        }
        co_await all.wait();
    });
    BOOST_TEST(ok == 50);
    BOOST_TEST(t.service.flows == 2);
    BOOST_TEST(t.service.violations == 0);
}

BOOST_AUTO_TEST_CASE(a_second_401_is_final_and_the_token_is_not_in_the_message) {
    rig t;
    t.run([&]() -> asio::awaitable<void> {
        BOOST_TEST_REQUIRE((co_await t.count()).has_value());
        // Every token is refused from now on: the replay is refused too.
        t.service.refuse_all = true;
        auto r = co_await t.count();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::unauthorized));
        BOOST_TEST(r.error().diagnostics.attempts == 2);
        // The server echoed the Authorization header: redacted.
        BOOST_TEST(r.error().diagnostics.server_message.find("[redacted]") != std::string::npos,
                   r.error().diagnostics.server_message);
        check_no_secret(r.error());
    });
    BOOST_TEST(t.service.flows == 2);
}

BOOST_AUTO_TEST_SUITE_END()
