// Routing, authentication, environments and the single-user read endpoint (U5) of user_api.
#include "api_test_support.hpp"

#include "emulator/core/reply.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

using namespace minapp::emulator;
using namespace minapp::emulator::test;

namespace {

std::int64_t first_id(user_api& api, std::string env = {}) {
    auto r = get(api, std::string(list_path) + "?order_by=id&limit=1", std::move(env));
    return body_of(r).at("objects").as_array().at(0).at("id").as_int64();
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_routing)

BOOST_AUTO_TEST_CASE(unknown_route_is_404_with_json_error_body) {
    user_api api(small_config(10));
    for (std::string target :
         {"/", "/oserve/v2.2/miniapp/", "/oserve/v2.3/miniapp/user_profile/",
          "/oserve/v1/miniapp/user-profile/55000/", "/oserve/v2.2/miniapp/user_profile/1/extra/"}) {
        auto r = get(api, target);
        BOOST_TEST_CONTEXT(target) {
            BOOST_TEST(r.status == 404U);
            BOOST_TEST(r.content_type == "application/json");
            BOOST_TEST(!error_message(r).empty());
            BOOST_TEST(r.route == "unmatched");
        }
    }
}

BOOST_AUTO_TEST_CASE(trailing_slash_is_required) {
    user_api api(small_config(10));
    const auto id = first_id(api);
    BOOST_TEST(get(api, "/oserve/v2.2/miniapp/user_profile").status == 404U);
    BOOST_TEST(get(api, "/oserve/v2.2/miniapp/user_profile?limit=1").status == 404U);
    BOOST_TEST(get(api, "/oserve/v2.2/miniapp/user_profile/" + std::to_string(id)).status == 404U);
    BOOST_TEST(put(api, "/oserve/v2.1/miniapp/user/account/" + std::to_string(id), "{}").status ==
               404U);
    BOOST_TEST(get(api, user_path(list_path, id)).status == 200U);
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
    user_api api(small_config(10));
    const auto id = first_id(api);
    auto r = put(api, std::string(list_path), "{}");
    BOOST_TEST(r.status == 405U);
    BOOST_TEST(!error_message(r).empty());
    BOOST_REQUIRE(r.headers.size() == 1U);
    BOOST_TEST(r.headers[0].first == "Allow");
    BOOST_TEST(r.headers[0].second == "GET");

    BOOST_TEST(get(api, std::string(update_path)).status == 405U);
    BOOST_TEST(get(api, user_path(update_path, id)).status == 405U);
    BOOST_TEST(get(api, user_path(account_path, id)).status == 405U);
    BOOST_TEST(api.handle(request("DELETE", user_path(list_path, id))).status == 405U);
    BOOST_TEST(api.handle(request("POST", std::string(legacy_path))).status == 405U);

    auto info = api.handle(request("DELETE", "/oserve/v1/user/info/" + std::to_string(id) + "/"));
    BOOST_TEST(info.status == 405U);
    BOOST_TEST(info.headers.at(0).second == "GET, PUT");
}

BOOST_AUTO_TEST_CASE(authorization_is_required) {
    user_api api(small_config(10));
    auto req = request("GET", std::string(list_path));
    for (std::string header : {"", "Bearer", "Bearer ", "Bearer wrong", "Basic test-token",
                               "test-token", "Bearer test-token "}) {
        req.authorization = header;
        auto r = api.handle(req);
        BOOST_TEST_CONTEXT("'" << header << "'") {
            BOOST_TEST(r.status == 401U);
            BOOST_TEST(r.content_type == "application/json");
            BOOST_TEST(!error_message(r).empty());
            BOOST_TEST(r.route == "GET v2.2 user_profile list");
        }
    }
    req.authorization = "bearer test-token";
    BOOST_TEST(api.handle(req).status == 200U);
}

BOOST_AUTO_TEST_CASE(authorization_is_checked_before_the_method) {
    user_api api(small_config(10));
    auto req = request("DELETE", std::string(list_path));
    req.authorization.clear();
    auto r = api.handle(req);
    BOOST_TEST(r.status == 401U);
    BOOST_TEST(r.route == "unmatched");
}

BOOST_AUTO_TEST_CASE(configured_tokens_replace_the_default) {
    auto config = small_config(10);
    config.tokens = {"alpha", "beta"};
    user_api api(config);
    auto req = request("GET", std::string(list_path));
    BOOST_TEST(api.handle(req).status == 401U);
    req.authorization = "Bearer beta";
    BOOST_TEST(api.handle(req).status == 200U);
}

BOOST_AUTO_TEST_CASE(every_route_requires_a_token) {
    user_api api(small_config(10));
    const std::string id = std::to_string(first_id(api));
    const std::pair<std::string, std::string> routes[] = {
        {"GET", std::string(list_path)},
        {"GET", std::string(list_path) + id + "/"},
        {"PUT", std::string(update_path) + id + "/"},
        {"PUT", std::string(update_path)},
        {"PUT", std::string(account_path) + id + "/"},
        {"GET", std::string(legacy_path)},
        {"GET", "/oserve/v1/user/info/"},
        {"GET", "/oserve/v1/user/info/" + id + "/"},
        {"PUT", "/oserve/v1/user/info/" + id + "/"},
    };
    for (const auto& [method, target] : routes) {
        auto req = request(method, target, method == "PUT" ? "{}" : "");
        req.authorization = "Bearer nope";
        BOOST_TEST_CONTEXT(method << " " << target) {
            BOOST_TEST(api.handle(req).status == 401U);
            req.authorization = "Bearer test-token";
            BOOST_TEST(api.handle(req).status == 200U);
        }
    }
}

BOOST_AUTO_TEST_CASE(route_names_are_stable) {
    user_api api(small_config(10));
    const std::string id = std::to_string(first_id(api));
    BOOST_TEST(get(api, std::string(list_path)).route == "GET v2.2 user_profile list");
    BOOST_TEST(get(api, std::string(list_path) + id + "/").route == "GET v2.2 user_profile detail");
    BOOST_TEST(put(api, std::string(update_path) + id + "/", "{}").route ==
               "PUT v2.6 user_profile detail");
    BOOST_TEST(put(api, std::string(update_path), "{}").route == "PUT v2.6 user_profile batch");
    BOOST_TEST(put(api, std::string(account_path) + id + "/", "{}").route ==
               "PUT v2.1 user account");
    BOOST_TEST(get(api, std::string(legacy_path)).route == "GET v1 user-profile list");
    BOOST_TEST(get(api, "/oserve/v1/user/info/").route == "GET v1 user info list");
    BOOST_TEST(get(api, "/oserve/v1/user/info/" + id + "/").route == "GET v1 user info detail");
    BOOST_TEST(put(api, "/oserve/v1/user/info/" + id + "/", "{}").route ==
               "PUT v1 user info detail");
}

BOOST_AUTO_TEST_CASE(overlong_url_is_502) {
    user_api api(small_config(10));
    std::string target = std::string(list_path) + "?where=" + std::string(16400, 'a');
    auto r = get(api, target);
    BOOST_TEST(r.status == 502U);
    BOOST_TEST(!error_message(r).empty());
}

// Found by fuzz_emulator_request: messages quoting a decoded parameter copied its bytes, so
// `order_by=%FF` gave a body that is not UTF-8 and so not JSON (RFC 8259 §8.1).
BOOST_AUTO_TEST_CASE(error_bodies_quoting_invalid_utf8_are_still_json) {
    user_api api(small_config(10));
    for (std::string query : {"order_by=%FF", "order_by=a%C0%80b", "keys=%ED%A0%80",
                              "order_by=%F4%90%80%80", "keys=nick%E4%B8"}) {
        BOOST_TEST_CONTEXT(query) {
            auto r = get(api, std::string(list_path) + "?" + query);
            BOOST_TEST(r.status == 400U);
            // body_of parses strictly: it throws on invalid UTF-8.
            const std::string message = error_message(r);
            BOOST_TEST(message.find("\xEF\xBF\xBD") != std::string::npos, message);
        }
    }
}

BOOST_AUTO_TEST_CASE(valid_utf8_replaces_each_bad_byte_and_keeps_the_rest) {
    using minapp::emulator::detail::valid_utf8;
    const std::string r = "\xEF\xBF\xBD";
    struct row {
        std::string in, out;
    };
    const row rows[] = {
        {"", ""},
        {"plain ascii", "plain ascii"},
        {"\xE5\xB9\xBF\xE5\xB7\x9E", "\xE5\xB9\xBF\xE5\xB7\x9E"}, // 广州
        {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},                 // U+1F600
        {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},                 // U+10FFFF
        {"a\xFF"
         "b",
         "a" + r + "b"},
        {"\xC0\x80", r + r},                 // overlong NUL
        {"\xE0\x80\xAF", r + r + r},         // overlong '/'
        {"\xED\xA0\x80", r + r + r},         // a UTF-16 surrogate
        {"\xF4\x90\x80\x80", r + r + r + r}, // above U+10FFFF
        {"\xE5\xB9", r + r},                 // cut short
        {"\xE5\xB9x", r + r + "x"},
        {"\x80", r}, // a lone continuation byte
    };
    for (const auto& row : rows) {
        BOOST_TEST(valid_utf8(row.in) == row.out);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_environments)

BOOST_AUTO_TEST_CASE(unknown_environment_is_401) {
    user_api api(small_config(10));
    auto r = get(api, std::string(list_path), "no-such-env");
    BOOST_TEST(r.status == 401U);
    BOOST_TEST(!error_message(r).empty());
    BOOST_TEST(get(api, std::string(list_path), "env-b").status == 200U);
}

BOOST_AUTO_TEST_CASE(environments_hold_separate_data) {
    user_api api(small_config(50));
    BOOST_TEST(api.user_count("") == 50U);
    BOOST_TEST(api.user_count("env-b") == 50U);
    BOOST_TEST(api.user_count("nope") == 0U);

    auto prod = get(api, std::string(list_path) + "?order_by=id");
    auto other = get(api, std::string(list_path) + "?order_by=id", "env-b");
    BOOST_TEST(prod.body != other.body);

    auto id = api.upsert_user("env-b", R"({"nickname":"only in b"})");
    BOOST_REQUIRE(id.has_value());
    BOOST_TEST(get(api, user_path(list_path, *id), "env-b").status == 200U);
    BOOST_TEST(get(api, user_path(list_path, *id)).status == 404U);
    BOOST_TEST(api.user_count("env-b") == 51U);
    BOOST_TEST(api.user_count("") == 50U);

    const auto prod_id = first_id(api);
    BOOST_TEST(put(api, user_path(update_path, prod_id), R"({"score":777})").status == 200U);
    auto in_b = get(api,
                    std::string(list_path) + "?where=" + encode(R"({"score":{"$eq":777}})") +
                        "&return_total_count=1",
                    "env-b");
    auto in_prod =
        get(api, std::string(list_path) + "?where=" + encode(R"({"score":{"$eq":777}})") +
                     "&return_total_count=1");
    BOOST_TEST(body_of(in_prod).at("meta").at("total_count").as_int64() >= 1);
    const auto b_users = body_of(in_b);
    for (const auto& u : b_users.at("objects").as_array()) {
        BOOST_TEST(u.at("id").as_int64() != prod_id);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_get_user)

BOOST_AUTO_TEST_CASE(returns_the_user_as_listed) {
    user_api api(small_config(30));
    auto list = body_of(get(api, std::string(list_path) + "?limit=30"));
    for (const auto& listed : list.at("objects").as_array()) {
        const auto id = listed.at("id").as_int64();
        auto r = get(api, user_path(list_path, id));
        BOOST_TEST(r.status == 200U);
        BOOST_TEST(r.content_type == "application/json");
        BOOST_TEST(body_of(r) == listed);
    }
}

BOOST_AUTO_TEST_CASE(unknown_or_malformed_id_is_404) {
    user_api api(small_config(10));
    const auto id = first_id(api);
    for (std::string segment : {std::to_string(id + 1), std::string("0"), std::string("-5"),
                                std::string("abc"), std::to_string(id) + "x", std::string("1.5"),
                                std::string("99999999999999999999999"), std::string("%31")}) {
        auto r = get(api, std::string(list_path) + segment + "/");
        BOOST_TEST_CONTEXT(segment) {
            BOOST_TEST(r.status == 404U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(shows_unset_custom_columns_as_null) {
    user_api api(small_config(10));
    auto id = api.upsert_user("", R"({"nickname":"bare","score":5})");
    BOOST_REQUIRE(id.has_value());
    auto user = body_of(get(api, user_path(list_path, *id))).as_object();
    BOOST_TEST(user.at("score").as_int64() == 5);
    for (auto column : {"balance", "vip", "tags", "profile", "location", "birthday", "test",
                        "avatar_file", "referrer"}) {
        BOOST_TEST_CONTEXT(column) {
            BOOST_REQUIRE(user.contains(column));
            BOOST_TEST(user.at(column).is_null());
        }
    }
    auto stored = boost::json::parse(*api.stored_user_json("", *id)).as_object();
    BOOST_TEST(!stored.contains("balance"));
    BOOST_TEST(stored.at("score").as_int64() == 5);
}

BOOST_AUTO_TEST_CASE(keys_selects_or_omits_fields) {
    user_api api(small_config(10));
    const auto id = first_id(api);
    auto only = body_of(get(api, user_path(list_path, id) + "?keys=id,nickname,score")).as_object();
    BOOST_TEST(only.size() == 3U);
    BOOST_TEST(only.at("id").as_int64() == id);
    BOOST_TEST(only.contains("nickname"));
    BOOST_TEST(only.contains("score"));

    auto full = body_of(get(api, user_path(list_path, id))).as_object();
    auto without =
        body_of(get(api, user_path(list_path, id) + "?keys=-nickname,-score")).as_object();
    BOOST_TEST(without.size() == full.size() - 2);
    BOOST_TEST(!without.contains("nickname"));
    BOOST_TEST(without.contains("id"));

    BOOST_TEST(body_of(get(api, user_path(list_path, id) + "?keys=")) == full);
    BOOST_TEST(body_of(get(api, user_path(list_path, id) + "?keys=referrer.id")) == full);
    BOOST_TEST(get(api, user_path(list_path, id) + "?keys=id,-nickname").status == 400U);
    BOOST_TEST(get(api, user_path(list_path, id) + "?keys=no_such_column").status == 400U);
}

BOOST_AUTO_TEST_CASE(v1_info_aliases_behave_like_v2) {
    user_api api(small_config(30));
    auto v2 = body_of(get(api, std::string(list_path) + "?limit=5&order_by=id"));
    auto v1 = body_of(get(api, "/oserve/v1/user/info/?limit=5&order_by=id"));
    BOOST_TEST(v1.at("objects") == v2.at("objects"));
    BOOST_TEST(text(v1.at("meta").at("next")) ==
               "/oserve/v1/user/info/?limit=5&order_by=id&offset=5");

    const auto id = v2.at("objects").as_array().at(0).at("id").as_int64();
    const std::string info = "/oserve/v1/user/info/" + std::to_string(id) + "/";
    BOOST_TEST(body_of(get(api, info)) == body_of(get(api, user_path(list_path, id))));
    auto updated = put(api, info, R"({"score": 4242})");
    BOOST_TEST(updated.status == 200U);
    BOOST_TEST(body_of(updated).at("score").as_int64() == 4242);
    BOOST_TEST(body_of(get(api, user_path(list_path, id))).at("score").as_int64() == 4242);
    BOOST_TEST(put(api, info, R"({"nickname": "x"})").status == 400U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_concurrency)

BOOST_AUTO_TEST_CASE(concurrent_requests_are_serialised_per_write) {
    user_api api(small_config(100));
    auto id = api.upsert_user("", R"({"score":0})");
    BOOST_REQUIRE(id.has_value());
    constexpr int threads = 4;
    constexpr int rounds = 50;
    std::vector<std::thread> workers;
    std::vector<int> failures(threads, 0);
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                if (put(api, user_path(update_path, *id), R"({"score":{"$incr_by":1}})").status !=
                    200U) {
                    ++failures[t];
                }
                if (get(api, std::string(list_path) + "?order_by=-score&limit=5").status != 200U) {
                    ++failures[t];
                }
                if (!api.upsert_user("", R"({"nickname":"racer"})")) {
                    ++failures[t];
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    for (int f : failures) {
        BOOST_TEST(f == 0);
    }
    BOOST_TEST(body_of(get(api, user_path(list_path, *id))).at("score").as_int64() ==
               threads * rounds);
    BOOST_TEST(api.user_count("") == 101U + threads * rounds);
}

BOOST_AUTO_TEST_SUITE_END()
