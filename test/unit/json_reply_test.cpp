#include "api/json_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>

using namespace minapp::detail;

BOOST_AUTO_TEST_SUITE(json_reply)

BOOST_AUTO_TEST_CASE(user_conversion_is_lenient_and_keeps_unknown_keys) {
    // The source document's example, plus a custom field, a null built-in and an unknown key.
    const char* body = R"({"avatar":"https://a/x.jpg","city":"广州","country":"中国",
        "created_at":1542364387,"created_by":88888,"gender":1,"id":180889312739596,
        "is_authorized":true,"language":"zh_CN","nickname":"你今天真好看","openid":"o0b4",
        "province":"广东","test":"test","unionid":null,"updated_at":1542872767,
        "score":10,"_group":[1,2],"brand_new_key":{"a":[1]}})";
    auto u = parse_user(body);
    BOOST_TEST_REQUIRE(u.has_value());
    BOOST_TEST(u->id == 180889312739596);
    BOOST_TEST(u->nickname == "你今天真好看");
    BOOST_TEST(u->city == "广州");
    BOOST_TEST(u->gender == 1);
    BOOST_TEST(u->is_authorized);
    BOOST_TEST(!u->unionid.has_value());
    BOOST_TEST(u->created_by == 88888);
    BOOST_TEST(u->updated_at == 1542872767);
    BOOST_TEST(u->custom_fields.size() == 4u);
    BOOST_TEST(u->custom_fields.at("test").as_string() == "test");
    BOOST_TEST(u->custom_fields.at("score").as_int64() == 10);
    BOOST_TEST(u->custom_fields.at("_group").as_array().size() == 2u);
    BOOST_TEST(u->custom_fields.contains("brand_new_key"));

    BOOST_TEST(parse_user(R"({"id":"9223372036854775807"})")->id == INT64_MAX);
    auto minimal = parse_user(R"({"id":"42","nickname":null})");
    BOOST_TEST_REQUIRE(minimal.has_value());
    BOOST_TEST(minimal->id == 42);
    BOOST_TEST(minimal->nickname.empty());
}

BOOST_AUTO_TEST_CASE(rejects_replies_of_the_wrong_shape) {
    const char* users[] = {"", "not json", "[]", R"("x")", R"({"nickname":"no id"})",
                           R"({"id":"12x"})",
                           // Above INT64_MAX as text (found by fuzz_json_reply: it overflowed).
                           R"({"id":"9223372036854775808"})", R"({"id":"9999999999999999999"})",
                           R"({"id":1.5})", R"({"id":[1]})"};
    for (const char* body : users) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(!parse_user(body).has_value());
        }
    }
    const char* pages[] = {
        R"({"objects":[]})", R"({"meta":{},"objects":{}})",           R"({"meta":[],"objects":[]})",
        R"({"meta":{}})",    R"({"meta":{},"objects":[{"id":"x"}]})", "[]"};
    for (const char* body : pages) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(!parse_user_page(body).has_value());
        }
    }
    BOOST_TEST(!parse_total_count(R"({"meta":{"limit":1},"objects":[]})").has_value());
    BOOST_TEST(!parse_batch_update(R"({"succeed":1})").has_value());
    BOOST_TEST(!parse_batch_update(R"({"operation_result":[{"other":{}}]})").has_value());
    BOOST_TEST(!parse_account("[1]").has_value());
    BOOST_TEST(!parse_v1_user(R"({"meta":{},"objects":[]})").has_value());
}

BOOST_AUTO_TEST_CASE(parses_pages_and_their_meta) {
    auto page = parse_user_page(R"({"meta":{"limit":2,"offset":4,
        "next":"/oserve/v2.2/miniapp/user_profile/?limit=2&offset=6","previous":null,
        "total_count":9},"objects":[{"id":1},{"id":2}]})");
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->meta.limit == 2);
    BOOST_TEST(page->meta.offset == 4);
    BOOST_TEST(page->meta.next.has_value());
    BOOST_TEST(!page->meta.previous.has_value());
    BOOST_TEST(page->meta.total_count.value() == 9);
    BOOST_TEST(page->objects.size() == 2u);
    BOOST_TEST(
        parse_total_count(R"({"meta":{"total_count":12345},"objects":[{"id":1}]})").value() ==
        12345);
}

BOOST_AUTO_TEST_CASE(parses_batch_replies_with_mixed_results) {
    auto r = parse_batch_update(R"({"operation_result":[
        {"success":{"id":"5a3c51cdceb616ccfc9d5f78","updated_at":1564411939}},
        {"success":{"id":70695404,"updated_at":1564411940}},
        {"error":{"err_msg":"update failed","code":16837}}],
        "succeed":2,"total_count":3,"offset":0,"limit":1000,"next":null})");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->results.size() == 3u);
    BOOST_TEST(std::get<minapp::batch_success>(r->results[0]).id == "5a3c51cdceb616ccfc9d5f78");
    BOOST_TEST(std::get<minapp::batch_success>(r->results[1]).id == "70695404");
    BOOST_TEST(std::get<minapp::batch_error>(r->results[2]).code == 16837);
    BOOST_TEST(std::get<minapp::batch_error>(r->results[2]).message == "update failed");
    BOOST_TEST(r->succeed == 2);
    BOOST_TEST(r->total_count.value() == 3);
    BOOST_TEST(r->limit == 1000);
    BOOST_TEST(!r->next.has_value());
}

BOOST_AUTO_TEST_CASE(parses_account_and_v1_shapes) {
    auto a = parse_account(R"({"email":"pretty_girl@example.com","email_verified":false,
        "username":"pretty_girl","phone":null,"phone_verified":true})");
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->username.value() == "pretty_girl");
    BOOST_TEST(!a->phone.has_value());
    BOOST_TEST(a->phone_verified);

    const char* v1 = R"({"avatar":"x","city":"Guangzhou","country":"China","created_at":1504504504,
        "gender":1,"id":55019,"nickname":"PCG","openid":"o","unionid":"u","province":"Guangdong",
        "user_group":[137],"user_id":36619758})";
    auto bare = parse_v1_user(v1);
    BOOST_TEST_REQUIRE(bare.has_value());
    BOOST_TEST(bare->id == 55019);
    BOOST_TEST(bare->user_id == 36619758);
    BOOST_TEST(bare->user_group == std::vector<std::int64_t>{137});
    auto enveloped =
        parse_v1_user(std::string(R"({"meta":{"total_count":1},"objects":[)") + v1 + "]}");
    BOOST_TEST_REQUIRE(enveloped.has_value());
    BOOST_TEST((*enveloped == *bare));
}

BOOST_AUTO_TEST_CASE(extracts_the_server_message) {
    BOOST_TEST(server_message(R"({"status":"error","error_msg":"bad where"})") == "bad where");
    BOOST_TEST(server_message(R"({"message":"m"})") == "m");
    BOOST_TEST(server_message(R"({"detail":"d"})") == "d");
    BOOST_TEST(server_message("<html>\r\nBad Gateway</html>") == "<html>  Bad Gateway</html>");
    const auto long_text = server_message(std::string(2000, 'x'));
    BOOST_TEST(long_text.size() == 515u);
}

BOOST_AUTO_TEST_SUITE_END()
