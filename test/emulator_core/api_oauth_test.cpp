// The access-token flow of user_api (notes §1.3): authorize with two redirects, the code
// exchange, refresh and revocation, expiry on an injected clock, errors and counters.
#include "api_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <regex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace minapp::emulator;
using namespace minapp::emulator::test;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view authorize_target = "/api/oauth2/hydrogen/openapi/authorize/";
constexpr std::string_view token_target = "/api/oauth2/access_token/";

/// A clock the test moves by hand. Copies share the time; reads and moves are thread-safe.
class manual_clock {
public:
    std::function<auth_clock::time_point()> function() const {
        return [ticks = ticks_] {
            return auth_clock::time_point(auth_clock::duration(*ticks));
        };
    }
    void advance(auth_clock::duration d) { *ticks_ += d.count(); }

private:
    // Far from zero, like a real steady clock, so that nothing relies on an epoch start.
    std::shared_ptr<std::atomic<auth_clock::rep>> ticks_ =
        std::make_shared<std::atomic<auth_clock::rep>>(
            std::chrono::duration_cast<auth_clock::duration>(1000h).count());
};

user_api_config oauth_config(const manual_clock& clock) {
    user_api_config c = small_config(20);
    c.clients = {oauth_client("client-a", "secret-a"), oauth_client("client-b", "secret-b")};
    c.token_ttl = 3600s;
    c.clock = clock.function();
    return c;
}

std::string header(const api_response& r, std::string_view name) {
    std::string out;
    int found = 0;
    for (const auto& [key, value] : r.headers) {
        if (key == name) {
            out = value;
            ++found;
        }
    }
    BOOST_TEST(found <= 1, "header " << name << " repeated");
    return out;
}

/// "name=value" of a `Set-Cookie: name=value; Path=/; HttpOnly` header.
std::string cookie_pair(const api_response& r) {
    const std::string set_cookie = header(r, "Set-Cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
}

/// The origin-form target a client reaches from `base_target` by following `location`.
std::string follow(std::string_view base_target, std::string_view location) {
    const boost::urls::url base("https://emulator.test" + std::string(base_target));
    boost::urls::url dest;
    const auto ref = boost::urls::parse_uri_reference(location);
    BOOST_TEST_REQUIRE(!ref.has_error());
    BOOST_TEST_REQUIRE(!boost::urls::resolve(base, *ref, dest).has_error());
    return std::string(dest.encoded_target());
}

api_request post(std::string_view target, std::string body,
                 std::string content_type = "application/json") {
    api_request r;
    r.method = "POST";
    r.target = std::string(target);
    r.body = std::move(body);
    r.body_announced = !r.body.empty();
    r.content_type = std::move(content_type);
    return r;
}

api_request hop(std::string target, std::string cookie) {
    api_request r;
    r.method = "GET";
    r.target = std::move(target);
    r.cookie = std::move(cookie);
    return r;
}

std::string credentials(std::string_view id, std::string_view secret) {
    boost::json::object o;
    o["client_id"] = id;
    o["client_secret"] = secret;
    return boost::json::serialize(o);
}

/// The three steps of an authorization, kept for tests that replay or alter one of them.
struct authorization {
    api_response start;      ///< The authorize POST's answer.
    std::string first_hop;   ///< Target of the first redirected GET.
    std::string flow_cookie; ///< "oauth_flow=..."
    api_response continued;  ///< The first hop's answer.
    std::string second_hop;  ///< Target of the second redirected GET.
    std::string both_cookies;
    api_response done; ///< The second hop's answer.
    std::string code;
};

authorization authorize(user_api& api, std::string_view id = "client-a",
                        std::string_view secret = "secret-a") {
    authorization a;
    a.start = api.handle(post(authorize_target, credentials(id, secret)));
    BOOST_TEST_REQUIRE(a.start.status == 302U);
    a.first_hop = follow(authorize_target, header(a.start, "Location"));
    a.flow_cookie = cookie_pair(a.start);
    a.continued = api.handle(hop(a.first_hop, a.flow_cookie));
    BOOST_TEST_REQUIRE(a.continued.status == 302U);
    a.second_hop = follow(a.first_hop, header(a.continued, "Location"));
    a.both_cookies = a.flow_cookie + "; " + cookie_pair(a.continued);
    a.done = api.handle(hop(a.second_hop, a.both_cookies));
    BOOST_TEST_REQUIRE(a.done.status == 200U);
    a.code = std::string(body_of(a.done).at("code").as_string());
    return a;
}

std::string token_request(std::string_view id, std::string_view secret, std::string_view grant,
                          std::string_view key, std::string_view value) {
    boost::json::object o;
    o["client_id"] = id;
    o["client_secret"] = secret;
    o["grant_type"] = grant;
    o[key] = value;
    return boost::json::serialize(o);
}

api_response exchange_code(user_api& api, std::string_view code, std::string_view id = "client-a",
                           std::string_view secret = "secret-a") {
    return api.handle(
        post(token_target, token_request(id, secret, "authorization_code", "code", code)));
}

api_response refresh_grant(user_api& api, std::string_view refresh_token,
                           std::string_view id = "client-a", std::string_view secret = "secret-a") {
    return api.handle(post(
        token_target, token_request(id, secret, "refresh_token", "refresh_token", refresh_token)));
}

struct tokens {
    std::string access;
    std::string refresh;
};

tokens tokens_of(const api_response& r) {
    BOOST_TEST_REQUIRE(r.status == 200U, r.body);
    const auto body = body_of(r).as_object();
    return {std::string(body.at("access_token").as_string()),
            std::string(body.at("refresh_token").as_string())};
}

tokens new_tokens(user_api& api, std::string_view id = "client-a",
                  std::string_view secret = "secret-a") {
    return tokens_of(exchange_code(api, authorize(api, id, secret).code, id, secret));
}

/// A user endpoint called with `token`.
unsigned api_status(user_api& api, std::string_view token, std::string env = {}) {
    api_request r = request("GET", std::string(list_path) + "?limit=1", {}, std::move(env));
    r.authorization = "Bearer " + std::string(token);
    return api.handle(r).status;
}

/// The `error` of an RFC 6749 error body.
std::string oauth_error(const api_response& r) {
    const auto body = body_of(r).as_object();
    BOOST_TEST(body.contains("error_description"));
    return std::string(body.at("error").as_string());
}

bool is_hex(std::string_view s, std::size_t length) {
    return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) {
               return std::isxdigit(c) && !std::isupper(c);
           });
}

} // namespace

namespace minapp::emulator {

inline std::ostream& boost_test_print_type(std::ostream& os, api_event event) {
    return os << "api_event(" << static_cast<int>(event) << ")";
}

} // namespace minapp::emulator

BOOST_AUTO_TEST_SUITE(api_oauth)

BOOST_AUTO_TEST_CASE(happy_path_from_credentials_to_an_api_call) {
    manual_clock clock;
    user_api api(oauth_config(clock));

    const api_response start =
        api.handle(post(authorize_target, credentials("client-a", "secret-a")));
    BOOST_TEST(start.status == 302U);
    BOOST_TEST(start.body.empty());
    BOOST_TEST(start.route == "POST oauth2 authorize");
    BOOST_TEST(start.event == api_event::flow_started);
    const std::string location = header(start, "Location");
    BOOST_TEST(std::regex_match(
        location,
        std::regex("/api/oauth2/hydrogen/openapi/authorize/continue/\\?flow=[0-9a-f]{32}")));
    BOOST_TEST(std::regex_match(header(start, "Set-Cookie"),
                                std::regex("oauth_flow=[0-9a-f]{32}; Path=/; HttpOnly")));

    const api_response continued = api.handle(hop(location, cookie_pair(start)));
    BOOST_TEST(continued.status == 302U);
    BOOST_TEST(continued.route == "GET oauth2 authorize continue");
    const std::string relative = header(continued, "Location");
    BOOST_TEST(std::regex_match(relative, std::regex("done/\\?flow=[0-9a-f]{32}")));
    BOOST_TEST(relative.substr(relative.find('?')) == location.substr(location.find('?')));
    BOOST_TEST(std::regex_match(header(continued, "Set-Cookie"),
                                std::regex("oauth_session=[0-9a-f]{32}; Path=/; HttpOnly")));
    BOOST_TEST(cookie_pair(continued) != cookie_pair(start));

    const std::string second = follow(location, relative);
    BOOST_TEST(second.starts_with("/api/oauth2/hydrogen/openapi/authorize/continue/done/?flow="));
    const api_response done =
        api.handle(hop(second, cookie_pair(start) + "; " + cookie_pair(continued)));
    BOOST_TEST(done.status == 200U);
    BOOST_TEST(done.route == "GET oauth2 authorize done");
    BOOST_TEST(done.event == api_event::code_issued);
    BOOST_TEST(header(done, "Cache-Control") == "no-store");
    const auto code_body = body_of(done).as_object();
    BOOST_TEST(code_body.size() == 2U);
    const std::string code(code_body.at("code").as_string());
    BOOST_TEST(is_hex(code, 40));
    BOOST_TEST(code_body.at("expires_in").as_int64() == 600);

    const api_response issued = exchange_code(api, code);
    BOOST_TEST(issued.status == 200U);
    BOOST_TEST(issued.route == "POST oauth2 access_token");
    BOOST_TEST(issued.event == api_event::token_issued);
    BOOST_TEST(header(issued, "Cache-Control") == "no-store");
    const auto token_body = body_of(issued).as_object();
    BOOST_TEST(token_body.size() == 5U);
    BOOST_TEST(token_body.at("token_type") == "Bearer");
    BOOST_TEST(token_body.at("expires_in").as_int64() == 3600);
    BOOST_TEST(token_body.at("scope") == "write");
    const std::string access(token_body.at("access_token").as_string());
    const std::string refresh_token(token_body.at("refresh_token").as_string());
    BOOST_TEST(is_hex(access, 40));
    BOOST_TEST(is_hex(refresh_token, 40));
    BOOST_TEST(access != refresh_token);

    BOOST_TEST(api_status(api, access) == 200U);
    BOOST_TEST(api_status(api, access, "env-b") == 200U); // every environment, like --token
    BOOST_TEST(api_status(api, "test-token") == 200U);    // static tokens are unchanged
    BOOST_TEST(api_status(api, refresh_token) == 401U);   // a refresh token is no access token
}

BOOST_AUTO_TEST_CASE(authorize_errors) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const auto answer = [&](std::string body, std::string type = "application/json") {
        return api.handle(post(authorize_target, std::move(body), std::move(type)));
    };

    for (const auto& [id, secret] :
         std::vector<std::pair<std::string, std::string>>{{"client-a", "s3cr3t-x"},
                                                          {"client-a", "secret-b"},
                                                          {"nobody", "secret-a"},
                                                          {"client-a", "secret-a "}}) {
        const api_response r = answer(credentials(id, secret));
        BOOST_TEST_CONTEXT(id << " " << secret) {
            BOOST_TEST(r.status == 401U);
            BOOST_TEST(oauth_error(r) == "invalid_client");
            BOOST_TEST(r.body.find(secret) == std::string::npos); // never echoed
            BOOST_TEST(r.event == api_event::none);
        }
    }
    for (const char* body : {"", "{", "[]", R"({"client_id":"client-a"})",
                             R"({"client_id":"client-a","client_secret":""})",
                             R"({"client_id":"client-a","client_secret":7})"}) {
        const api_response r = answer(body);
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(oauth_error(r) == "invalid_request");
        }
    }
    BOOST_TEST(answer(credentials("client-a", "secret-a"), "text/plain").status == 400U);
    BOOST_TEST(
        answer("client_id=client-a&client_secret=secret-a", "application/x-www-form-urlencoded")
            .status == 302U);

    // The flow's endpoints have fixed methods and need no bearer token.
    api_request get = hop(std::string(authorize_target), "");
    const api_response r405 = api.handle(get);
    BOOST_TEST(r405.status == 405U);
    BOOST_TEST(header(r405, "Allow") == "POST");
    BOOST_TEST(api.handle(post(std::string(authorize_target) + "continue/", "")).status == 405U);
    BOOST_TEST(api.auth_stats().flows_started == 1U);
}

BOOST_AUTO_TEST_CASE(each_hop_needs_its_cookies) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const api_response start =
        api.handle(post(authorize_target, credentials("client-a", "secret-a")));
    const std::string first_hop = follow(authorize_target, header(start, "Location"));
    const std::string flow = cookie_pair(start);
    const std::string other_flow =
        cookie_pair(api.handle(post(authorize_target, credentials("client-a", "secret-a"))));

    for (const std::string& cookie :
         {std::string(), std::string("oauth_session=x"), std::string("oauth_flow=0123"), other_flow,
          flow + "; " + flow, std::string("garbage")}) {
        const api_response r = api.handle(hop(first_hop, cookie));
        BOOST_TEST_CONTEXT("'" << cookie << "'") {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(oauth_error(r) == "invalid_request");
        }
    }
    // A refused hop leaves the flow usable; cookie syntax is the RFC's, any order.
    const api_response continued = api.handle(hop(first_hop, "a=1;  " + flow + ";b=2"));
    BOOST_REQUIRE(continued.status == 302U);
    const std::string second_hop = follow(first_hop, header(continued, "Location"));
    const std::string session = cookie_pair(continued);

    for (const std::string& cookie : {std::string(), flow, session, other_flow + "; " + session,
                                      flow + "; oauth_session=0123"}) {
        const api_response r = api.handle(hop(second_hop, cookie));
        BOOST_TEST_CONTEXT("'" << cookie << "'") {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(oauth_error(r) == "invalid_request");
        }
    }
    // The flow id in the URL must match the cookies' flow too.
    const std::string without_flow = second_hop.substr(0, second_hop.find('?'));
    BOOST_TEST(api.handle(hop(without_flow, session + "; " + flow)).status == 400U);
    BOOST_TEST(api.handle(hop(second_hop, session + "; " + flow)).status == 200U);
    BOOST_TEST(api.auth_stats().codes_issued == 1U);
}

BOOST_AUTO_TEST_CASE(hops_are_single_use_relative_and_expire) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    authorization a = authorize(api);
    // Replays of either hop are refused.
    BOOST_TEST(api.handle(hop(a.first_hop, a.flow_cookie)).status == 400U);
    BOOST_TEST(api.handle(hop(a.second_hop, a.both_cookies)).status == 400U);

    // Resolving the relative Location against the authorize URL instead of the first hop's
    // leads nowhere.
    const api_response start =
        api.handle(post(authorize_target, credentials("client-a", "secret-a")));
    const std::string first_hop = follow(authorize_target, header(start, "Location"));
    const api_response continued = api.handle(hop(first_hop, cookie_pair(start)));
    const std::string wrong = follow(authorize_target, header(continued, "Location"));
    BOOST_TEST(api.handle(hop(wrong, cookie_pair(start) + "; " + cookie_pair(continued))).status ==
               404U);

    // Each hop must come within 60 s of the step before it.
    clock.advance(59s);
    BOOST_TEST(api.handle(hop(follow(first_hop, header(continued, "Location")),
                              cookie_pair(start) + "; " + cookie_pair(continued)))
                   .status == 200U);
    const api_response late =
        api.handle(post(authorize_target, credentials("client-a", "secret-a")));
    clock.advance(60s);
    const api_response r =
        api.handle(hop(follow(authorize_target, header(late, "Location")), cookie_pair(late)));
    BOOST_TEST(r.status == 400U);
    BOOST_TEST(oauth_error(r) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(a_redirected_get_with_a_body_is_refused) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const api_response start =
        api.handle(post(authorize_target, credentials("client-a", "secret-a")));
    const std::string first_hop = follow(authorize_target, header(start, "Location"));

    api_request with_body = hop(first_hop, cookie_pair(start));
    with_body.body = credentials("client-a", "secret-a");
    with_body.body_announced = true;
    api_request chunked_empty = hop(first_hop, cookie_pair(start));
    chunked_empty.body_announced = true; // what the server reports for an empty chunked body
    for (const api_request& r : {with_body, chunked_empty}) {
        const api_response answer = api.handle(r);
        BOOST_TEST(answer.status == 400U);
        BOOST_TEST(oauth_error(answer) == "invalid_request");
    }
    const api_response continued = api.handle(hop(first_hop, cookie_pair(start)));
    BOOST_REQUIRE(continued.status == 302U);
    api_request second = hop(follow(first_hop, header(continued, "Location")),
                             cookie_pair(start) + "; " + cookie_pair(continued));
    second.body = "x";
    BOOST_TEST(api.handle(second).status == 400U);
    second.body.clear();
    BOOST_TEST(api.handle(second).status == 200U);
}

BOOST_AUTO_TEST_CASE(codes_are_single_use_per_client_and_expire) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const std::string code = authorize(api).code;
    // Another client cannot use it, and does not burn it either.
    const api_response foreign = exchange_code(api, code, "client-b", "secret-b");
    BOOST_TEST(foreign.status == 400U);
    BOOST_TEST(oauth_error(foreign) == "invalid_grant");
    // A wrong secret is a client error, checked before the code.
    const api_response bad_client = exchange_code(api, code, "client-a", "secret-b");
    BOOST_TEST(bad_client.status == 401U);
    BOOST_TEST(oauth_error(bad_client) == "invalid_client");

    BOOST_TEST(exchange_code(api, code).status == 200U);
    const api_response reused = exchange_code(api, code);
    BOOST_TEST(reused.status == 400U);
    BOOST_TEST(oauth_error(reused) == "invalid_grant");
    BOOST_TEST(oauth_error(exchange_code(api, std::string(40, 'a'))) == "invalid_grant");

    const std::string fresh = authorize(api).code;
    const std::string stale = authorize(api).code;
    clock.advance(599s);
    BOOST_TEST(exchange_code(api, fresh).status == 200U);
    clock.advance(1s);
    const api_response expired = exchange_code(api, stale);
    BOOST_TEST(expired.status == 400U);
    BOOST_TEST(oauth_error(expired) == "invalid_grant");
}

BOOST_AUTO_TEST_CASE(the_exchange_accepts_json_multipart_and_urlencoded) {
    manual_clock clock;
    user_api api(oauth_config(clock));

    const std::string boundary = "------------------------d74496d66958873e";
    std::string multipart;
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"client_id", "client-a"},
                                                          {"client_secret", "secret-a"},
                                                          {"grant_type", "authorization_code"},
                                                          {"code", authorize(api).code}}) {
        multipart += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
                     "\"\r\n\r\n" + value + "\r\n";
    }
    multipart += "--" + boundary + "--\r\n";
    const api_response by_form =
        api.handle(post(token_target, multipart, "multipart/form-data; boundary=" + boundary));
    BOOST_TEST(by_form.status == 200U, by_form.body);
    BOOST_TEST(api_status(api, tokens_of(by_form).access) == 200U);

    // The same body cut short is refused as a malformed request, not guessed at.
    const api_response cut =
        api.handle(post(token_target, multipart.substr(0, multipart.size() - 4),
                        "multipart/form-data; boundary=" + boundary));
    BOOST_TEST(cut.status == 400U);
    BOOST_TEST(oauth_error(cut) == "invalid_request");
    const api_response no_boundary =
        api.handle(post(token_target, multipart, "multipart/form-data"));
    BOOST_TEST(oauth_error(no_boundary) == "invalid_request");

    const api_response by_urlencoded = api.handle(
        post(token_target,
             "client_id=client-a&client_secret=secret-a&grant_type=authorization_code&code=" +
                 authorize(api).code,
             "application/x-www-form-urlencoded"));
    BOOST_TEST(by_urlencoded.status == 200U, by_urlencoded.body);

    const api_response by_json = exchange_code(api, authorize(api).code);
    BOOST_TEST(by_json.status == 200U);
    BOOST_TEST(api.auth_stats().tokens_issued == 3U);
}

BOOST_AUTO_TEST_CASE(token_request_errors) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const std::string code = authorize(api).code;

    const api_response unsupported = api.handle(
        post(token_target, token_request("client-a", "secret-a", "password", "code", code)));
    BOOST_TEST(unsupported.status == 400U);
    BOOST_TEST(oauth_error(unsupported) == "unsupported_grant_type");
    const api_response credentials_grant = api.handle(post(
        token_target, token_request("client-a", "secret-a", "client_credentials", "code", code)));
    BOOST_TEST(oauth_error(credentials_grant) == "unsupported_grant_type");

    for (const std::string& body :
         {std::string(""), std::string("{}"), std::string("null"),
          std::string(R"({"client_id":"client-a","client_secret":"secret-a","code":"x"})"),
          std::string(R"({"client_id":"client-a","client_secret":"secret-a",)"
                      R"("grant_type":"authorization_code"})"),
          std::string(R"({"client_id":"client-a","client_secret":"secret-a",)"
                      R"("grant_type":"refresh_token"})"),
          std::string(R"({"client_id":"client-a","client_secret":"secret-a",)"
                      R"("grant_type":"authorization_code","code":42})")}) {
        const api_response r = api.handle(post(token_target, body));
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(oauth_error(r) == "invalid_request");
        }
    }
    const api_response form_twice =
        api.handle(post(token_target,
                        "client_id=client-a&client_secret=secret-a&grant_type=authorization_code"
                        "&code=" +
                            code + "&code=" + code,
                        "application/x-www-form-urlencoded"));
    BOOST_TEST(oauth_error(form_twice) == "invalid_request");
    const api_response wrong_client = exchange_code(api, code, "nobody", "secret-a");
    BOOST_TEST(wrong_client.status == 401U);
    BOOST_TEST(oauth_error(wrong_client) == "invalid_client");
    BOOST_TEST(wrong_client.body.find("secret-a") == std::string::npos);
    // None of these consumed the code.
    BOOST_TEST(exchange_code(api, code).status == 200U);
    BOOST_TEST(api.handle(hop(std::string(token_target), "")).status == 405U);
}

BOOST_AUTO_TEST_CASE(refresh_revokes_every_earlier_token_of_the_client) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const tokens first = new_tokens(api);
    const tokens second = new_tokens(api);
    const tokens other = new_tokens(api, "client-b", "secret-b");
    BOOST_TEST(api_status(api, first.access) == 200U);
    BOOST_TEST(api_status(api, second.access) == 200U);

    const api_response refreshed = refresh_grant(api, first.refresh);
    BOOST_TEST(refreshed.event == api_event::token_refreshed);
    const tokens third = tokens_of(refreshed);
    BOOST_TEST(body_of(refreshed).at("expires_in").as_int64() == 3600);
    BOOST_TEST(third.access != first.access);
    BOOST_TEST(api_status(api, third.access) == 200U);
    // Earlier access tokens, including ones the refresh token was not issued with, are gone.
    const auto revoked = api.handle([&] {
        api_request r = request("GET", std::string(list_path));
        r.authorization = "Bearer " + first.access;
        return r;
    }());
    BOOST_TEST(revoked.status == 401U);
    BOOST_TEST(error_message(revoked) == "invalid or missing access token"); // the usual 401 body
    BOOST_TEST(revoked.event == api_event::api_unauthorized);
    BOOST_TEST(api_status(api, second.access) == 401U);
    // And so are earlier refresh tokens, the one just used included.
    for (const std::string& old : {first.refresh, second.refresh}) {
        const api_response r = refresh_grant(api, old);
        BOOST_TEST(r.status == 400U);
        BOOST_TEST(oauth_error(r) == "invalid_grant");
    }
    // Another client's tokens are untouched, and cannot refresh this client's.
    BOOST_TEST(api_status(api, other.access) == 200U);
    BOOST_TEST(oauth_error(refresh_grant(api, third.refresh, "client-b", "secret-b")) ==
               "invalid_grant");
    BOOST_TEST(api_status(api, third.access) == 200U);

    const tokens fourth = tokens_of(refresh_grant(api, third.refresh));
    BOOST_TEST(api_status(api, third.access) == 401U);
    BOOST_TEST(api_status(api, fourth.access) == 200U);
    BOOST_TEST(api_status(api, other.access) == 200U);
    const auto counts = api.auth_stats();
    BOOST_TEST(counts.refreshes == 2U);
    BOOST_TEST(counts.tokens_issued == 5U);
}

BOOST_AUTO_TEST_CASE(issued_tokens_expire_after_token_ttl) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    const tokens t = new_tokens(api);
    clock.advance(3599s);
    BOOST_TEST(api_status(api, t.access) == 200U);
    const tokens later = new_tokens(api);
    clock.advance(1s);
    BOOST_TEST(api_status(api, t.access) == 401U);
    BOOST_TEST(api_status(api, later.access) == 200U);
    BOOST_TEST(api_status(api, "test-token") == 200U); // static tokens never expire
    // The refresh token outlives its access token.
    const tokens renewed = tokens_of(refresh_grant(api, t.refresh));
    BOOST_TEST(api_status(api, renewed.access) == 200U);
    BOOST_TEST(api_status(api, later.access) == 401U); // revoked by the refresh
}

BOOST_AUTO_TEST_CASE(counters_follow_the_events) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    BOOST_TEST(api.auth_stats().flows_started == 0U);
    const tokens t = new_tokens(api);
    api.handle(post(authorize_target, credentials("client-a", "secret-a"))); // started only
    api.handle(post(authorize_target, credentials("client-a", "nope")));     // refused
    refresh_grant(api, t.refresh);
    refresh_grant(api, t.refresh); // refused: already revoked
    api_status(api, t.access);
    api_status(api, "nope");
    api_status(api, "test-token", "no-such-env");
    api_status(api, "test-token");

    const auth_counters c = api.auth_stats();
    BOOST_TEST(c.flows_started == 2U);
    BOOST_TEST(c.codes_issued == 1U);
    BOOST_TEST(c.tokens_issued == 2U);
    BOOST_TEST(c.refreshes == 1U);
    BOOST_TEST(c.api_unauthorized == 3U);
}

BOOST_AUTO_TEST_CASE(configuration_is_checked) {
    manual_clock clock;
    const auto with = [&](auto change) {
        user_api_config c = oauth_config(clock);
        c.users_per_environment = 1;
        change(c);
        return c;
    };
    BOOST_CHECK_THROW(user_api(with([](user_api_config& c) { c.clients.push_back(c.clients[0]); })),
                      std::invalid_argument);
    BOOST_CHECK_THROW(user_api(with([](user_api_config& c) { c.clients[0].secret.clear(); })),
                      std::invalid_argument);
    BOOST_CHECK_THROW(user_api(with([](user_api_config& c) { c.clients[0].id.clear(); })),
                      std::invalid_argument);
    BOOST_CHECK_THROW(user_api(with([](user_api_config& c) { c.token_ttl = 0s; })),
                      std::invalid_argument);
    BOOST_CHECK_THROW(user_api(with([](user_api_config& c) { c.token_ttl = max_token_ttl + 1s; })),
                      std::invalid_argument);
    BOOST_CHECK_NO_THROW(user_api(with([](user_api_config& c) { c.token_ttl = max_token_ttl; })));

    // Without clients, every client is unknown; real time is the default clock.
    user_api plain(small_config(1));
    const api_response r =
        plain.handle(post(authorize_target, credentials("client-a", "secret-a")));
    BOOST_TEST(r.status == 401U);
    BOOST_TEST(oauth_error(r) == "invalid_client");
    user_api_config real_time = small_config(1);
    real_time.clients = {oauth_client("id", "secret")};
    user_api timed(real_time);
    BOOST_TEST(api_status(timed, new_tokens(timed, "id", "secret").access) == 200U);
}

BOOST_AUTO_TEST_CASE(concurrent_flows_and_calls) {
    manual_clock clock;
    user_api api(oauth_config(clock));
    constexpr int threads = 4;
    constexpr int rounds = 25;
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            // Each thread its own client would hide revocation races: two share one.
            const std::string id = t % 2 == 0 ? "client-a" : "client-b";
            const std::string secret = t % 2 == 0 ? "secret-a" : "secret-b";
            for (int i = 0; i < rounds; ++i) {
                // Kept free of Boost.Test assertions (follow() has some): they are not
                // thread-safe. The first Location is an absolute path, the second relative to
                // the first hop's directory.
                const api_response start =
                    api.handle(post(authorize_target, credentials(id, secret)));
                std::string first;
                std::string flow;
                for (const auto& [k, v] : start.headers) {
                    if (k == "Location") {
                        first = v;
                    } else if (k == "Set-Cookie") {
                        flow = v.substr(0, v.find(';'));
                    }
                }
                const api_response next = api.handle(hop(first, flow));
                std::string second;
                std::string session;
                for (const auto& [k, v] : next.headers) {
                    if (k == "Location") {
                        second = v;
                    } else if (k == "Set-Cookie") {
                        session = v.substr(0, v.find(';'));
                    }
                }
                const api_response done = api.handle(
                    hop(first.substr(0, first.find('?')) + second, flow + "; " + session));
                if (done.status != 200) {
                    ++failures;
                    continue;
                }
                const std::string code(boost::json::parse(done.body).at("code").as_string());
                const api_response issued = exchange_code(api, code, id, secret);
                if (issued.status != 200) {
                    ++failures;
                    continue;
                }
                const std::string refresh_token(
                    boost::json::parse(issued.body).at("refresh_token").as_string());
                refresh_grant(api, refresh_token, id, secret); // may race with the sibling thread's
                api_request call = request("GET", std::string(list_path) + "?limit=1");
                call.authorization =
                    "Bearer " +
                    std::string(boost::json::parse(issued.body).at("access_token").as_string());
                const unsigned status = api.handle(call).status;
                if (status != 200 && status != 401) {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    BOOST_TEST(failures.load() == 0);
    const auth_counters c = api.auth_stats();
    BOOST_TEST(c.flows_started == threads * rounds);
    BOOST_TEST(c.codes_issued == threads * rounds);
    BOOST_TEST(c.tokens_issued == threads * rounds + c.refreshes);
    // Every refresh presented a token issued just before; a sibling's refresh may have revoked
    // it first, so only a bound holds.
    BOOST_TEST(c.refreshes >= static_cast<std::uint64_t>(rounds));
    BOOST_TEST(c.refreshes <= static_cast<std::uint64_t>(threads * rounds));
}

BOOST_AUTO_TEST_SUITE_END()
