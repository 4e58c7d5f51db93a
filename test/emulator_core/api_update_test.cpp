// U6 (PUT one user) and U7 (batch PUT by where) of user_api.
#include "api_test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace minapp::emulator;
using namespace minapp::emulator::test;

namespace {

/// A user with known custom values and an old updated_at, so every bump is visible.
std::int64_t make_user(user_api& api, std::string_view extra = {}) {
    std::string text = R"({"nickname":"fixture","created_at":1500000000,"updated_at":1500000000)";
    if (!extra.empty()) {
        text += ',';
        text += extra;
    }
    text += '}';
    auto id = api.upsert_user("", text);
    BOOST_REQUIRE(id.has_value());
    return *id;
}

boost::json::object stored(user_api& api, std::int64_t id) {
    auto text = api.stored_user_json("", id);
    BOOST_REQUIRE(text.has_value());
    return boost::json::parse(*text).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_update_one)

BOOST_AUTO_TEST_CASE(sets_fields_bumps_updated_at_and_returns_the_user) {
    user_api api(small_config(10));
    const auto id = make_user(api, R"("score":1)");
    auto r = put(api, user_path(update_path, id), R"({"score": 10, "tags": ["a", "b"]})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(r.route == "PUT v2.6 user_profile detail");
    auto user = body_of(r).as_object();
    BOOST_TEST(user.at("id").as_int64() == id);
    BOOST_TEST(user.at("score").as_int64() == 10);
    BOOST_TEST(user.at("tags") == boost::json::parse(R"(["a","b"])"));
    BOOST_TEST(user.at("nickname") == "fixture");
    BOOST_TEST(user.at("balance").is_null());
    BOOST_TEST(user.at("updated_at").as_int64() > 1500000000);
    BOOST_TEST(user.at("created_at").as_int64() == 1500000000);
    BOOST_TEST(body_of(get(api, user_path(list_path, id))) == user);
    BOOST_TEST(stored(api, id).at("score").as_int64() == 10);
}

BOOST_AUTO_TEST_CASE(empty_document_changes_nothing) {
    user_api api(small_config(10));
    const auto id = make_user(api, R"("score":1)");
    const auto before = get(api, user_path(list_path, id)).body;
    auto r = put(api, user_path(update_path, id), "{}");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(r.body == before);
    BOOST_TEST(body_of(r).at("updated_at").as_int64() == 1500000000);
}

BOOST_AUTO_TEST_CASE(atomic_operators_and_unset) {
    user_api api(small_config(10));
    const auto id = make_user(api, R"("score":5,"tags":["x"],"test":"t")");
    auto r = put(api, user_path(update_path, id),
                 R"({"score":{"$incr_by":3},"tags":{"$append":["y"]},"$unset":{"test":""}})");
    BOOST_TEST(r.status == 200U, r.body);
    auto user = body_of(r).as_object();
    BOOST_TEST(user.at("score").as_int64() == 8);
    BOOST_TEST(user.at("tags") == boost::json::parse(R"(["x","y"])"));
    BOOST_TEST(user.at("test").is_null());
    BOOST_TEST(!stored(api, id).contains("test"));
}

BOOST_AUTO_TEST_CASE(rejected_documents_are_400_and_change_nothing) {
    user_api api(small_config(10));
    const auto id = make_user(api, R"("score":5)");
    const auto before = get(api, user_path(list_path, id)).body;
    for (std::string bad :
         {R"({"nickname":"x"})", R"({"_email":"a@b.c"})", R"({"id":1})", R"({"updated_at":1})",
          R"({"no_such_field":1})", R"({"score":"ten"})", R"({"vip":1})", "not json", "{", "[1]",
          R"({"$set":{"score":1},"$unset":{"score":""}})", R"({"score":{"$bogus":1}})"}) {
        auto r = put(api, user_path(update_path, id), bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
    BOOST_TEST(get(api, user_path(list_path, id)).body == before);
}

BOOST_AUTO_TEST_CASE(operation_not_fitting_the_stored_value_is_400) {
    user_api api(small_config(10));
    const auto id = make_user(api, R"("score":"stored as text")");
    auto r = put(api, user_path(update_path, id), R"({"score":{"$incr_by":1}})");
    BOOST_TEST(r.status == 400U);
    BOOST_TEST(stored(api, id).at("score") == "stored as text");
}

BOOST_AUTO_TEST_CASE(unknown_or_malformed_id_is_404) {
    user_api api(small_config(10));
    const auto id = make_user(api);
    BOOST_TEST(put(api, user_path(update_path, id + 1), R"({"score":1})").status == 404U);
    BOOST_TEST(put(api, std::string(update_path) + "abc/", R"({"score":1})").status == 404U);
    BOOST_TEST(put(api, std::string(update_path) + "0/", R"({"score":1})").status == 404U);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_update_batch)

BOOST_AUTO_TEST_CASE(updates_one_window_and_reports_each_record) {
    user_api api(small_config(100));
    const std::string where = encode(R"({"gender":{"$in":[1,2]}})");
    auto matched = body_of(
        get(api, std::string(list_path) + "?where=" + where + "&limit=1000&return_total_count=1"));
    const auto total = matched.at("meta").at("total_count").as_int64();
    BOOST_REQUIRE(total > 10);
    const auto& expected_users = matched.at("objects").as_array();

    auto r = put(api,
                 std::string(update_path) + "?where=" + where +
                     "&limit=10&offset=5&return_total_count=1",
                 R"({"score":{"$incr_by":1000}})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(r.route == "PUT v2.6 user_profile batch");
    auto body = body_of(r).as_object();
    BOOST_TEST(body.at("succeed").as_int64() == 10);
    BOOST_TEST(body.at("total_count").as_int64() == total);
    BOOST_TEST(body.at("offset").as_int64() == 5);
    BOOST_TEST(body.at("limit").as_int64() == 10);
    BOOST_TEST(text(body.at("next")) == "/oserve/v2.6/miniapp/user_profile/?where=" + where +
                                            "&limit=10&offset=15&return_total_count=1");
    const auto& results = body.at("operation_result").as_array();
    BOOST_REQUIRE(results.size() == 10U);
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& success = results[i].at("success");
        const auto& original = expected_users[i + 5];
        BOOST_TEST(success.at("id") == original.at("id"));
        auto now = body_of(get(api, user_path(list_path, success.at("id").as_int64())));
        BOOST_TEST(success.at("updated_at") == now.at("updated_at"));
        const auto before = original.at("score").is_null() ? 0 : original.at("score").as_int64();
        BOOST_TEST(now.at("score").as_int64() == before + 1000);
    }
}

BOOST_AUTO_TEST_CASE(defaults_without_where_or_window) {
    user_api api(small_config(30));
    auto r = put(api, std::string(update_path), R"({"test":"batch"})");
    BOOST_TEST(r.status == 200U);
    auto body = body_of(r).as_object();
    BOOST_TEST(body.at("limit").as_int64() == 20);
    BOOST_TEST(body.at("offset").as_int64() == 0);
    BOOST_TEST(body.at("succeed").as_int64() == 20);
    BOOST_TEST(!body.contains("total_count"));
    BOOST_TEST(text(body.at("next")) == "/oserve/v2.6/miniapp/user_profile/?limit=20&offset=20");
    // The same default order as U4: the newest 20 users were updated.
    auto newest = body_of(get(api, std::string(list_path) + "?limit=20"));
    const auto& ops = body.at("operation_result").as_array();
    for (std::size_t i = 0; i < 20; ++i) {
        BOOST_TEST(ops[i].at("success").at("id") == newest.at("objects").as_array()[i].at("id"));
        BOOST_TEST(newest.at("objects").as_array()[i].at("test") == "batch");
    }
    auto last = body_of(put(api, std::string(update_path) + "?offset=20", R"({"test":"batch"})"));
    BOOST_TEST(last.at("succeed").as_int64() == 10);
    BOOST_TEST(last.at("next").is_null());
}

BOOST_AUTO_TEST_CASE(failing_records_get_error_entries) {
    user_api api(small_config(0));
    const auto a = make_user(api, R"("score":1)");
    const auto b = make_user(api, R"("score":"text")");
    const auto c = make_user(api, R"("score":3)");
    auto r = put(api, std::string(update_path) + "?order_by=id", R"({"score":{"$incr_by":1}})");
    BOOST_TEST(r.status == 200U);
    auto body = body_of(r).as_object();
    BOOST_TEST(body.at("succeed").as_int64() == 2);
    const auto& ops = body.at("operation_result").as_array();
    BOOST_REQUIRE(ops.size() == 3U);
    BOOST_TEST(ops[0].at("success").at("id").as_int64() == a);
    BOOST_TEST(ops[1].as_object().contains("error"));
    BOOST_TEST(!ops[1].at("error").at("err_msg").as_string().empty());
    BOOST_TEST(ops[1].at("error").at("code").is_int64());
    BOOST_TEST(!ops[1].at("error").as_object().contains("id"));
    BOOST_TEST(ops[2].at("success").at("id").as_int64() == c);
    BOOST_TEST(stored(api, a).at("score").as_int64() == 2);
    BOOST_TEST(stored(api, b).at("score") == "text");
    BOOST_TEST(stored(api, c).at("score").as_int64() == 4);
}

BOOST_AUTO_TEST_CASE(empty_document_reports_success_without_bumping) {
    user_api api(small_config(0));
    const auto id = make_user(api);
    auto body = body_of(put(api, std::string(update_path), "{}"));
    BOOST_TEST(body.at("succeed").as_int64() == 1);
    BOOST_TEST(body.at("operation_result").at(0).at("success").at("id").as_int64() == id);
    BOOST_TEST(body.at("operation_result").at(0).at("success").at("updated_at").as_int64() ==
               1500000000);
}

BOOST_AUTO_TEST_CASE(no_match_is_an_empty_result) {
    user_api api(small_config(20));
    auto body = body_of(put(api,
                            std::string(update_path) + "?return_total_count=1&where=" +
                                encode(R"({"score":{"$gt":100000}})"),
                            R"({"score":1})"));
    BOOST_TEST(body.at("operation_result").as_array().empty());
    BOOST_TEST(body.at("succeed").as_int64() == 0);
    BOOST_TEST(body.at("total_count").as_int64() == 0);
    BOOST_TEST(body.at("next").is_null());
}

BOOST_AUTO_TEST_CASE(bad_requests_are_400) {
    user_api api(small_config(20));
    const std::string before = get(api, std::string(list_path) + "?limit=1000").body;
    for (auto [query, doc] :
         {std::pair<std::string, std::string>{"?where=" + encode("{"), R"({"score":1})"},
          {"?limit=0", R"({"score":1})"},
          {"?offset=-3", R"({"score":1})"},
          {"?order_by=city", R"({"score":1})"},
          {"", R"({"nickname":"x"})"},
          {"", R"({"score":"x"})"},
          {"", "garbage"}}) {
        auto r = put(api, std::string(update_path) + query, doc);
        BOOST_TEST_CONTEXT(query << " " << doc) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
    BOOST_TEST(get(api, std::string(list_path) + "?limit=1000").body == before);
}

BOOST_AUTO_TEST_SUITE_END()
