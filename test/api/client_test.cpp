// Every endpoint of the client against the in-process emulator over HTTPS, checked by result and
// by the exact request the emulator saw.
#include "emulated_service.hpp"
#include "support/async_test.hpp"

#include <minapp/error.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url/decode_view.hpp>

namespace asio = boost::asio;
using minapp::error;
using minapp::test::emulated_service;
using minapp::test::run_bounded;

namespace {

std::string decoded_query(const std::string& target) {
    const auto q = target.find('?');
    if (q == std::string::npos) {
        return {};
    }
    std::string out;
    for (char c : boost::urls::decode_view(std::string_view(target).substr(q + 1))) {
        out += c;
    }
    return out;
}

boost::json::object stored(emulated_service& s, std::int64_t id) {
    return boost::json::parse(s.api.stored_user_json("", id).value()).as_object();
}

// Picks the ids of the first users in id order.
asio::awaitable<std::vector<std::int64_t>> first_ids(minapp::client& c, std::int64_t n) {
    minapp::user_query q;
    q.order(minapp::order_by().asc("id"));
    q.page_size(n);
    auto page = (co_await c.list_users_page(q)).value();
    std::vector<std::int64_t> ids;
    for (const auto& u : page.objects) {
        ids.push_back(u.id);
    }
    co_return ids;
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_endpoints)

BOOST_AUTO_TEST_CASE(get_user_round_trips_and_sends_the_documented_request) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 3);
        BOOST_TEST_REQUIRE(ids.size() == 3u);
        auto u = co_await s.client->get_user(ids[1]);
        BOOST_TEST_REQUIRE(u.has_value(), u.error().diagnostics.to_string());
        BOOST_TEST(u->id == ids[1]);
        const auto raw = stored(s, ids[1]);
        BOOST_TEST(u->nickname == std::string(raw.at("nickname").as_string()));
        const auto seen = s.last();
        BOOST_TEST(seen.method == "GET");
        BOOST_TEST(seen.target ==
                   "/oserve/v2.2/miniapp/user_profile/" + std::to_string(ids[1]) + "/");
        BOOST_TEST(seen.authorization == std::string("Bearer ") + emulated_service::token);
        BOOST_TEST(seen.env_id.empty());
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(errors_carry_status_message_method_and_path_but_never_the_token) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto missing = co_await s.client->get_user(1);
        BOOST_TEST_REQUIRE(!missing.has_value());
        const auto& f = missing.error();
        BOOST_TEST((f.code == error::not_found));
        BOOST_TEST(f.diagnostics.http_status == 404u);
        BOOST_TEST(!f.diagnostics.server_message.empty());
        BOOST_TEST(f.diagnostics.method == "GET");
        BOOST_TEST(f.diagnostics.path == "/oserve/v2.2/miniapp/user_profile/1/");
        BOOST_TEST(f.diagnostics.to_string().find(emulated_service::token) == std::string::npos);
        try {
            (void)missing.value();
            BOOST_FAIL("value() must throw");
        } catch (const minapp::api_error& e) {
            BOOST_TEST((e.code() == error::not_found));
            BOOST_TEST(std::string(e.what()).find("404") != std::string::npos);
            BOOST_TEST(std::string(e.what()).find(emulated_service::token) == std::string::npos);
        }
        // Valid for the client, refused by the server: $contains is not an integer operator.
        const auto mismatch = minapp::where::contains("score", "1");
        auto bad_where = co_await s.client->count_users(mismatch);
        BOOST_TEST_REQUIRE(!bad_where.has_value());
        BOOST_TEST((bad_where.error().code == error::bad_request));
        BOOST_TEST(bad_where.error().diagnostics.http_status == 400u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(invalid_arguments_fail_before_any_request) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        std::vector<minapp::failure> failures;
        auto keep = [&](const auto& r) {
            BOOST_TEST_REQUIRE(!r.has_value());
            failures.push_back(r.error());
        };
        // Arguments are named before co_await: g++ 12 mishandles temporaries there.
        const auto score = minapp::update().set("score", 1);
        const auto builtin = minapp::update().set("nickname", boost::json::string("x"));
        const auto both = minapp::update::parse(R"({"$set":{"score":1},"$unset":{"score":""}})");
        const auto rename = minapp::account_update().username("a");
        const auto blank = minapp::account_update().username("");
        const auto empty_contains = minapp::where::contains("nickname", "");
        const auto all = minapp::where::all();
        const minapp::batch_slice zero_limit{0, 0, false};
        minapp::user_query big;
        big.page_size(1001);
        minapp::user_query zero;
        zero.page_size(0);
        keep(co_await s.client->get_user(0));
        keep(co_await s.client->get_user(-7));
        keep(co_await s.client->update_user(0, score));
        keep(co_await s.client->update_user(5, builtin));
        keep(co_await s.client->update_account(-1, rename));
        keep(co_await s.client->update_account(5, blank));
        keep(co_await s.client->list_users_page(big));
        keep(co_await s.client->list_users_page(zero));
        keep(co_await s.client->update_users_batch(all, score, zero_limit));
        keep(co_await s.client->count_users(empty_contains));
        keep(co_await s.client->update_user(5, both));
        for (const auto& f : failures) {
            BOOST_TEST((f.code == error::invalid_argument), f.diagnostics.to_string());
            BOOST_TEST(!f.diagnostics.detail.empty());
            BOOST_TEST(!f.diagnostics.request_sent);
        }
        boost::json::array many;
        for (int i = 0; i < 3000; ++i) {
            many.emplace_back(1'000'000'000'000 + i);
        }
        const auto huge = minapp::where::in("id", many);
        auto too_long = co_await s.client->count_users(huge);
        BOOST_TEST_REQUIRE(!too_long.has_value());
        BOOST_TEST((too_long.error().code == error::url_too_long));
        BOOST_TEST(s.requests().empty());
        s.finish();
    }());
}

// A call refused before sending says why once, with the position of a JSON error.
BOOST_AUTO_TEST_CASE(local_errors_read_once_with_their_position) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto bad_where = co_await s.client->count_users(minapp::where::parse(R"({"city": )"));
        BOOST_TEST_REQUIRE(!bad_where.has_value());
        BOOST_TEST(bad_where.error().diagnostics.to_string() ==
                   "where: not valid JSON at line 1, column 10: incomplete JSON");
        const minapp::api_error thrown(bad_where.error());
        BOOST_TEST(std::string(thrown.what()).find("where: not valid JSON at line 1, column 10") !=
                   std::string::npos);
        BOOST_TEST(std::string(thrown.what()).find("where: where") == std::string::npos);
        auto bad_update = co_await s.client->update_user(
            1, minapp::update::parse("{\n  \"score\": 1,\n  \"tags\": [1,,2]\n}"));
        BOOST_TEST_REQUIRE(!bad_update.has_value());
        BOOST_TEST(bad_update.error().diagnostics.to_string() ==
                   "update: not valid JSON at line 3, column 14: syntax error");
        auto bad_order = co_await s.client->list_users_page(
            minapp::user_query().order(minapp::order_by().asc("city")));
        BOOST_TEST_REQUIRE(!bad_order.has_value());
        BOOST_TEST(bad_order.error().diagnostics.to_string().starts_with("order_by: "));
        BOOST_TEST(bad_order.error().diagnostics.to_string().find("order_by: order_by") ==
                   std::string::npos);
        BOOST_TEST(s.requests().empty());
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(where_values_survive_url_encoding) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 2);
        const std::string tricky = "a+b&c=d %25 广州/?#";
        const auto change = minapp::update().set("test", boost::json::string(tricky));
        auto set = co_await s.client->update_user(ids[0], change);
        BOOST_TEST_REQUIRE(set.has_value(), set.error().diagnostics.to_string());
        BOOST_TEST(set->custom_fields.at("test").as_string() == tricky);

        minapp::user_query q;
        q.filter(minapp::where::eq("test", boost::json::string(tricky)));
        auto page = co_await s.client->list_users_page(q);
        BOOST_TEST_REQUIRE(page.has_value(), page.error().diagnostics.to_string());
        BOOST_TEST_REQUIRE(page->objects.size() == 1u);
        BOOST_TEST(page->objects[0].id == ids[0]);
        const auto target = s.last().target;
        BOOST_TEST(target.find('+') == std::string::npos);
        BOOST_TEST(target.find(' ') == std::string::npos);
        BOOST_TEST(decoded_query(target).find(q.filter().to_json()) != std::string::npos);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(count_uses_the_count_idiom) {
    emulated_service s(150);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto all = co_await s.client->count_users();
        BOOST_TEST_REQUIRE(all.has_value());
        BOOST_TEST(*all == 150);
        BOOST_TEST(s.last().target ==
                   "/oserve/v2.2/miniapp/user_profile/?limit=1&return_total_count=1");
        const auto male = minapp::where::eq("gender", 1);
        auto men = co_await s.client->count_users(male);
        BOOST_TEST_REQUIRE(men.has_value());
        BOOST_TEST(*men > 0);
        BOOST_TEST(*men < 150);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(update_user_applies_every_operator_once) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto id = (co_await first_ids(*s.client, 1)).at(0);
        // Updates are named before co_await: g++ 12 mishandles some temporaries in coroutines.
        boost::json::array ab;
        ab.emplace_back("a");
        ab.emplace_back("b");
        const auto first = minapp::update().set("score", 10).set("tags", ab);
        auto r = co_await s.client->update_user(id, first);
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
        const auto put = s.last();
        BOOST_TEST(put.method == "PUT");
        BOOST_TEST(put.target == "/oserve/v2.6/miniapp/user_profile/" + std::to_string(id) + "/");
        BOOST_TEST(put.content_type.find("application/json") == 0u);
        BOOST_TEST(boost::json::parse(put.body) ==
                   boost::json::parse(R"({"score":10,"tags":["a","b"]})"));

        boost::json::array c;
        c.emplace_back("c");
        const auto second = minapp::update().incr_by("score", 5).append("tags", c).unset("vip");
        r = co_await s.client->update_user(id, second);
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
        BOOST_TEST(r->custom_fields.at("score").as_int64() == 15);
        auto after = stored(s, id);
        BOOST_TEST(after.at("score").as_int64() == 15);
        BOOST_TEST(after.at("tags").as_array().size() == 3u);
        BOOST_TEST(!after.contains("vip"));

        boost::json::array az;
        az.emplace_back("a");
        az.emplace_back("z");
        const auto third = minapp::update().pop_back("tags").append_unique("tags", az);
        r = co_await s.client->update_user(id, third);
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
        after = stored(s, id);
        BOOST_TEST(after.at("tags") ==
                   boost::json::parse(R"(["a","b","c","z"])")); // last call wins

        const auto wrong = minapp::update().set("score", boost::json::string("x"));
        auto wrong_type = co_await s.client->update_user(id, wrong);
        BOOST_TEST((wrong_type.error().code == error::bad_request));
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(batch_update_by_where) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 5);
        const auto filter = minapp::where::in("id", boost::json::array(ids.begin(), ids.end()));
        const auto change = minapp::update().set("test", "batch");
        const minapp::batch_slice slice{1000, 0, true};
        auto r = co_await s.client->update_users_batch(filter, change, slice);
        BOOST_TEST_REQUIRE(r.has_value(), r.error().diagnostics.to_string());
        BOOST_TEST(r->succeed == 5);
        BOOST_TEST(r->results.size() == 5u);
        BOOST_TEST(r->total_count.value() == 5);
        BOOST_TEST(!r->next.has_value());
        const auto put = s.last();
        BOOST_TEST(put.method == "PUT");
        BOOST_TEST(put.target.rfind("/oserve/v2.6/miniapp/user_profile/?where=", 0) == 0u);
        BOOST_TEST(decoded_query(put.target).find("limit=1000&offset=0&return_total_count=1") !=
                   std::string::npos);
        for (auto id : ids) {
            BOOST_TEST(stored(s, id).at("test").as_string() == "batch");
        }
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(account_update_sets_clears_and_resets_phone_verification) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 2);
        const auto change = minapp::account_update()
                                .username("Pretty_Girl")
                                .email("PG@Example.com")
                                .phone("13800138000");
        auto a = co_await s.client->update_account(ids[0], change);
        BOOST_TEST_REQUIRE(a.has_value(), a.error().diagnostics.to_string());
        BOOST_TEST(a->username.value() == "Pretty_Girl");
        BOOST_TEST(!a->phone_verified);
        const auto put = s.last();
        BOOST_TEST(put.target ==
                   "/oserve/v2.1/miniapp/user/account/" + std::to_string(ids[0]) + "/");

        const auto same_name = minapp::account_update().username("pretty_girl");
        auto clash = co_await s.client->update_account(ids[1], same_name);
        BOOST_TEST((clash.error().code == error::bad_request));

        const auto clear = minapp::account_update().clear_email();
        auto cleared = co_await s.client->update_account(ids[0], clear);
        BOOST_TEST_REQUIRE(cleared.has_value());
        BOOST_TEST(!cleared->email.has_value());
        BOOST_TEST(boost::json::parse(s.last().body) == boost::json::parse(R"({"email":null})"));
        BOOST_TEST(cleared->username.value() == "Pretty_Girl");
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(deprecated_v1_routes) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 3);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        auto v1 = co_await s.client->get_user_v1(ids[0]);
        BOOST_TEST_REQUIRE(v1.has_value(), v1.error().diagnostics.to_string());
        BOOST_TEST(v1->user_id == ids[0]);
        BOOST_TEST(s.last().target ==
                   "/oserve/v1/miniapp/user-profile/?user_id=" + std::to_string(ids[0]));

        minapp::v1_filter f;
        f.gender(2);
        f.limit(50);
        f.order_by(minapp::v1_filter::order::created_at_desc);
        auto list = co_await s.client->list_users_v1(f);
        BOOST_TEST_REQUIRE(list.has_value(), list.error().diagnostics.to_string());
        BOOST_TEST(!list->objects.empty());
        for (const auto& u : list->objects) {
            BOOST_TEST(u.gender == 2);
        }
        BOOST_TEST(list->meta.total_count.has_value());

        auto info = co_await s.client->get_user_info_v1(ids[1]);
        BOOST_TEST_REQUIRE(info.has_value(), info.error().diagnostics.to_string());
        BOOST_TEST(info->id == ids[1]);
        BOOST_TEST(s.last().target == "/oserve/v1/user/info/" + std::to_string(ids[1]) + "/");
        auto info_page = co_await s.client->list_user_info_v1(10, 0);
        BOOST_TEST_REQUIRE(info_page.has_value(), info_page.error().diagnostics.to_string());
        BOOST_TEST(info_page->objects.size() == 10u);
        const auto change = minapp::update().set("test", "v1");
        auto info_put = co_await s.client->update_user_info_v1(ids[2], change);
        BOOST_TEST_REQUIRE(info_put.has_value(), info_put.error().diagnostics.to_string());
        BOOST_TEST(stored(s, ids[2]).at("test").as_string() == "v1");
#pragma GCC diagnostic pop
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(environment_header_selects_the_dataset) {
    minapp::client_options o;
    o.env_id("env-test");
    emulated_service s(200, o);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto n = co_await s.client->count_users();
        BOOST_TEST_REQUIRE(n.has_value(), n.error().diagnostics.to_string());
        BOOST_TEST(s.last().env_id == "env-test");
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(unknown_token_is_unauthorized) {
    minapp::client_options o;
    emulated_service s(50, o);
    minapp::client_options wrong;
    wrong.base_url(s.server.url());
    wrong.access_token("not-a-token");
    wrong.pool().tls().ca_pem(s.server.ca_pem());
    minapp::client other(s.ioc.get_executor(), wrong);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await other.count_users();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::unauthorized));
        BOOST_TEST(r.error().diagnostics.to_string().find("not-a-token") == std::string::npos);
        other.shutdown();
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(header_injection_through_options_is_refused) {
    minapp::client_options o;
    emulated_service s(50, o);
    minapp::client_options bad;
    bad.base_url(s.server.url());
    bad.access_token("tok\r\nX-Evil: 1");
    bad.pool().tls().ca_pem(s.server.ca_pem());
    minapp::client other(s.ioc.get_executor(), bad);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto r = co_await other.count_users();
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::invalid_request));
        BOOST_TEST(r.error().diagnostics.to_string().find("X-Evil") == std::string::npos);
        BOOST_TEST(s.requests().empty());
        other.shutdown();
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(throttling_pauses_the_shared_rate_limiter_and_is_retried) {
    minapp::client_options o;
    o.rate_limit(minapp::rate_limit{1000, 10});
    o.retry().throttle_floor = std::chrono::milliseconds(50);
    emulated_service s(50, o);
    minapp::emulator::fault_config faults;
    minapp::emulator::fault_rule throttle;
    throttle.kind = minapp::emulator::fault_kind::http_429;
    throttle.on_requests = {2};
    faults.rules.push_back(throttle);
    s.server.faults().configure(faults);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto n = co_await s.client->count_users();
            BOOST_TEST_REQUIRE(n.has_value(), n.error().diagnostics.to_string());
            BOOST_TEST(*n == 50);
        }
        const auto limiter = s.client->rate_limiter();
        BOOST_TEST_REQUIRE(limiter != nullptr);
        const auto st = limiter->stats();
        BOOST_TEST(st.granted == 4u); // three calls, one of them retried after the 429
        BOOST_TEST(st.throttled == 1u);
        BOOST_TEST(limiter->effective_rate() < 1000.0);
        BOOST_TEST(s.requests().size() == 3u); // the 429 never reached the API handler
        s.finish();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
