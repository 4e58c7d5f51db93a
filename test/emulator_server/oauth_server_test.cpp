// The access-token flow over real HTTPS: redirects, cookies and framing on the wire, counters,
// and fault injection on the token endpoints.
#include "test_client.hpp"
#include "test_print.hpp"

#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <regex>
#include <string>

namespace asio = boost::asio;
using namespace minapp::emulator;
using namespace minapp::emulator::test;
using namespace std::chrono_literals;

namespace {

const std::string authorize_target = "/api/oauth2/hydrogen/openapi/authorize/";
const std::string token_target = "/api/oauth2/access_token/";
const std::string list_target = "/oserve/v2.2/miniapp/user_profile/?limit=2";

user_api_config oauth_config() {
    user_api_config c;
    c.users_per_environment = 5;
    c.clients = {oauth_client("cli", "s3cret")};
    c.token_ttl = 120s;
    return c;
}

/// A user_api behind a TLS server with inspection on a test-owned io_context.
struct fixture {
    asio::io_context io;
    user_api api{oauth_config()};
    std::unique_ptr<server> srv;

    explicit fixture(server_options options = {}) {
        options.inspection = true;
        srv = std::make_unique<server>(io, std::move(options),
                                       [this](const api_request& r) { return api.handle(r); });
        srv->start();
    }

    asio::awaitable<std::unique_ptr<test_connection>> connect() {
        return test_connection::connect(srv->port(), srv->ca_pem());
    }

    void run(std::function<asio::awaitable<void>()> body) {
        run_bounded(io, std::move(body), [this] { srv->stop(); });
    }
};

/// The single value of header `name`, failing the test when it is absent or repeated.
std::string only(const http_result& r, std::string_view name) {
    const auto values = r.header_values(name);
    BOOST_TEST(values.size() == 1U, name << " appears " << values.size() << " times");
    return values.empty() ? std::string() : values.front();
}

std::string cookie_pair(const http_result& r) {
    const std::string set_cookie = only(r, "Set-Cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
}

/// Resolves a Location against the URL of the request that received it (RFC 3986 §5.2).
std::string follow(std::string_view base_target, std::string_view location) {
    const boost::urls::url base("https://127.0.0.1" + std::string(base_target));
    boost::urls::url dest;
    const auto ref = boost::urls::parse_uri_reference(location);
    BOOST_TEST_REQUIRE(!ref.has_error());
    BOOST_TEST_REQUIRE(!boost::urls::resolve(base, *ref, dest).has_error());
    return std::string(dest.encoded_target());
}

http_request authorize_request() {
    http_request r;
    r.method = "POST";
    r.target = authorize_target;
    r.body = R"({"client_id":"cli","client_secret":"s3cret"})";
    r.headers = {{"Content-Type", "application/json"}};
    return r;
}

http_request hop(const std::string& target, const std::string& cookie) {
    http_request r;
    r.target = target;
    r.headers = {{"Cookie", cookie}};
    return r;
}

/// A token request as multipart/form-data, as the official CLI sends it.
http_request multipart_exchange(const std::string& code) {
    const std::string boundary = "X-MINAPP-BOUNDARY-7f3a";
    std::string body;
    for (const auto& [name, value] : {std::pair<std::string, std::string>{"client_id", "cli"},
                                      {"client_secret", "s3cret"},
                                      {"grant_type", "authorization_code"},
                                      {"code", code}}) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
                "\"\r\n\r\n" + value + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    http_request r;
    r.method = "POST";
    r.target = token_target;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}};
    return r;
}

http_request api_call(const std::string& token) {
    http_request r;
    r.target = list_target;
    r.headers = {{"Authorization", "Bearer " + token}};
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_oauth_server)

BOOST_AUTO_TEST_CASE(the_whole_flow_over_https) {
    fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const http_request start = authorize_request();
        const http_result first = co_await c->send(start);
        BOOST_TEST(first.status == 302U);
        BOOST_TEST(first.body.empty());
        BOOST_TEST(first.header_values("Content-Type").empty());
        const std::string location = only(first, "Location");
        BOOST_TEST(location.starts_with("/api/oauth2/hydrogen/openapi/authorize/continue/?flow="));
        BOOST_TEST(std::regex_match(only(first, "Set-Cookie"),
                                    std::regex("oauth_flow=[0-9a-f]{32}; Path=/; HttpOnly")));
        const std::string flow = cookie_pair(first);

        // An empty chunked body is still a body: refused, and the flow survives it.
        const std::string chunked = "GET " + location +
                                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + flow +
                                    "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        const http_result refused = co_await c->send_raw(chunked);
        BOOST_TEST(refused.status == 400U);
        BOOST_TEST(boost::json::parse(refused.body).at("error") == "invalid_request");
        const http_request without_cookie = hop(location, "other=1");
        BOOST_TEST((co_await c->send(without_cookie)).status == 400U);

        // Content-Length: 0 is no body.
        const std::string empty = "GET " + location +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + flow +
                                  "\r\nContent-Length: 0\r\n\r\n";
        const http_result second = co_await c->send_raw(empty);
        BOOST_TEST(second.status == 302U);
        const std::string relative = only(second, "Location");
        BOOST_TEST(relative.starts_with("done/?flow="));
        BOOST_TEST(std::regex_match(only(second, "Set-Cookie"),
                                    std::regex("oauth_session=[0-9a-f]{32}; Path=/; HttpOnly")));

        const http_request last =
            hop(follow(location, relative), flow + "; " + cookie_pair(second));
        const http_result done = co_await c->send(last);
        BOOST_TEST(done.status == 200U);
        BOOST_TEST(done.content_type == "application/json");
        const auto code_body = boost::json::parse(done.body).as_object();
        BOOST_TEST(code_body.at("expires_in").as_int64() == 600);
        const std::string code(code_body.at("code").as_string());
        BOOST_TEST(std::regex_match(code, std::regex("[0-9a-f]{40}")));

        const http_request exchange = multipart_exchange(code);
        const http_result issued = co_await c->send(exchange);
        BOOST_TEST(issued.status == 200U, issued.body);
        BOOST_TEST(only(issued, "Cache-Control") == "no-store");
        const auto tokens = boost::json::parse(issued.body).as_object();
        BOOST_TEST(tokens.at("token_type") == "Bearer");
        BOOST_TEST(tokens.at("expires_in").as_int64() == 120);
        const std::string access(tokens.at("access_token").as_string());

        const http_request call = api_call(access);
        const http_result listed = co_await c->send(call);
        BOOST_TEST(listed.status == 200U);
        BOOST_TEST(boost::json::parse(listed.body).at("objects").as_array().size() == 2U);
        const http_request bad_call = api_call("not-a-token");
        BOOST_TEST((co_await c->send(bad_call)).status == 401U);
        BOOST_TEST((co_await c->send(exchange)).status == 400U); // the code is used up

        http_request stats;
        stats.target = "/_emulator/stats";
        const auto json = boost::json::parse((co_await c->send(stats)).body).as_object();
        const auto& auth = json.at("auth").as_object();
        BOOST_TEST(auth.at("flows_started").as_int64() == 1);
        BOOST_TEST(auth.at("codes_issued").as_int64() == 1);
        BOOST_TEST(auth.at("tokens_issued").as_int64() == 1);
        BOOST_TEST(auth.at("refreshes").as_int64() == 0);
        BOOST_TEST(auth.at("api_unauthorized").as_int64() == 1);
        BOOST_TEST(json.at("routes").at("GET oauth2 authorize continue").at("400").as_int64() == 2);
    });
    const server_stats stats = f.srv->stats();
    BOOST_TEST(stats.auth.flows_started == 1U);
    BOOST_TEST(stats.auth.tokens_issued == 1U);
    BOOST_TEST(stats.auth.api_unauthorized == 1U);
    BOOST_TEST(stats.route_count("POST oauth2 access_token", 400) == 1U);
    const auth_counters direct = f.api.auth_stats();
    BOOST_TEST(direct.codes_issued == stats.auth.codes_issued);
}

BOOST_AUTO_TEST_CASE(faults_apply_to_the_token_endpoints) {
    fault_rule flow_fault;
    flow_fault.kind = fault_kind::http_503;
    flow_fault.filter.path_prefix = "/api/oauth2/hydrogen/";
    flow_fault.on_requests = {1, 4}; // the first authorize POST and the first second hop
    fault_rule token_fault;
    token_fault.kind = fault_kind::http_502;
    token_fault.filter.method = "POST";
    token_fault.filter.path_prefix = token_target;
    token_fault.on_requests = {1};
    server_options options;
    options.faults = fault_config(default_fault_seed, {flow_fault, token_fault});
    fixture f(options);
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const http_request start = authorize_request();
        BOOST_TEST((co_await c->send(start)).status == 503U);
        const http_result first = co_await c->send(start);
        BOOST_TEST_REQUIRE(first.status == 302U);
        const std::string location = only(first, "Location");
        const http_request first_hop = hop(location, cookie_pair(first));
        const http_result second = co_await c->send(first_hop);
        BOOST_TEST_REQUIRE(second.status == 302U);
        const http_request second_hop = hop(follow(location, only(second, "Location")),
                                            cookie_pair(first) + "; " + cookie_pair(second));
        // The handler did not run for the faulty answer, so the hop is still unused.
        BOOST_TEST((co_await c->send(second_hop)).status == 503U);
        const http_result done = co_await c->send(second_hop);
        BOOST_TEST_REQUIRE(done.status == 200U);
        const std::string code(boost::json::parse(done.body).at("code").as_string());
        const http_request exchange = multipart_exchange(code);
        BOOST_TEST((co_await c->send(exchange)).status == 502U);
        BOOST_TEST((co_await c->send(exchange)).status == 200U);
    });
    const server_stats stats = f.srv->stats();
    BOOST_TEST(stats.fault_count(fault_kind::http_503) == 2U);
    BOOST_TEST(stats.fault_count(fault_kind::http_502) == 1U);
    BOOST_TEST(stats.auth.flows_started == 1U);
    BOOST_TEST(stats.auth.codes_issued == 1U);
    BOOST_TEST(stats.auth.tokens_issued == 1U);
}

BOOST_AUTO_TEST_CASE(refresh_over_the_wire_revokes_the_old_token) {
    fixture f;
    f.run([&]() -> asio::awaitable<void> {
        auto c = co_await f.connect();
        const http_request start = authorize_request();
        const http_result first = co_await c->send(start);
        const std::string location = only(first, "Location");
        const http_request first_hop = hop(location, cookie_pair(first));
        const http_result second = co_await c->send(first_hop);
        const http_request second_hop = hop(follow(location, only(second, "Location")),
                                            cookie_pair(first) + "; " + cookie_pair(second));
        const http_result done = co_await c->send(second_hop);
        const std::string code(boost::json::parse(done.body).at("code").as_string());
        const http_request exchange = multipart_exchange(code);
        const http_result issued = co_await c->send(exchange);
        const auto old_pair = boost::json::parse(issued.body).as_object();

        http_request refresh;
        refresh.method = "POST";
        refresh.target = token_target;
        refresh.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
        refresh.body =
            "client_id=cli&client_secret=s3cret&grant_type=refresh_token&refresh_token=" +
            std::string(old_pair.at("refresh_token").as_string());
        const http_result renewed = co_await c->send(refresh);
        BOOST_TEST_REQUIRE(renewed.status == 200U, renewed.body);
        const std::string fresh(boost::json::parse(renewed.body).at("access_token").as_string());
        const http_request old_call =
            api_call(std::string(old_pair.at("access_token").as_string()));
        const http_request new_call = api_call(fresh);
        BOOST_TEST((co_await c->send(old_call)).status == 401U);
        BOOST_TEST((co_await c->send(new_call)).status == 200U);
        const http_result again = co_await c->send(refresh);
        BOOST_TEST(again.status == 400U);
        BOOST_TEST(boost::json::parse(again.body).at("error") == "invalid_grant");
    });
    BOOST_TEST(f.srv->stats().auth.refreshes == 1U);
    BOOST_TEST(f.srv->stats().auth.api_unauthorized == 1U);
}

BOOST_AUTO_TEST_CASE(every_set_cookie_header_reaches_the_wire) {
    asio::io_context io;
    server srv(io, server_options(), [](const api_request&) {
        api_response r;
        r.status = 302;
        r.headers = {{"Location", "/next/"},
                     {"Set-Cookie", "a=1; Path=/; HttpOnly"},
                     {"Set-Cookie", "b=2; Path=/; HttpOnly"}};
        return r;
    });
    srv.start();
    run_bounded(
        io,
        [&]() -> asio::awaitable<void> {
            auto c = co_await test_connection::connect(srv.port(), srv.ca_pem());
            const http_request get;
            const http_result r = co_await c->send(get);
            BOOST_TEST(r.status == 302U);
            const auto cookies = r.header_values("Set-Cookie");
            BOOST_TEST(cookies == (std::vector<std::string>{"a=1; Path=/; HttpOnly",
                                                            "b=2; Path=/; HttpOnly"}),
                       boost::test_tools::per_element());
            BOOST_TEST(r.header_values("Location").size() == 1U);
        },
        [&] { srv.stop(); });
}

BOOST_AUTO_TEST_SUITE_END()
