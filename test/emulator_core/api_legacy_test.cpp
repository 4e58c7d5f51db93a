// U2/U3: the deprecated GET /oserve/v1/miniapp/user-profile/ of user_api.
#include "api_test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace minapp::emulator;
using namespace minapp::emulator::test;

namespace {

boost::json::object legacy(user_api& api, std::string query) {
    auto r = get(api, std::string(legacy_path) + query);
    BOOST_REQUIRE_EQUAL(r.status, 200U);
    return body_of(r).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_legacy)

BOOST_AUTO_TEST_CASE(v1_shape_and_meta) {
    user_api api(small_config(40));
    auto body = legacy(api, "");
    const auto& meta = body.at("meta").as_object();
    BOOST_TEST(meta.at("limit").as_int64() == 20);
    BOOST_TEST(meta.at("offset").as_int64() == 0);
    BOOST_TEST(meta.at("total_count").as_int64() == 40);
    BOOST_TEST(meta.at("previous").is_null());
    BOOST_TEST(text(meta.at("next")) == "/oserve/v1/miniapp/user-profile/?limit=20&offset=20");
    const auto& objects = body.at("objects").as_array();
    BOOST_REQUIRE(objects.size() == 20U);
    std::set<std::int64_t> legacy_ids;
    for (const auto& o : objects) {
        const auto& user = o.as_object();
        const std::set<std::string> keys = [&] {
            std::set<std::string> k;
            for (const auto& kv : user) {
                k.emplace(kv.key());
            }
            return k;
        }();
        BOOST_TEST(keys == (std::set<std::string>{"avatar", "city", "country", "created_at",
                                                  "gender", "id", "nickname", "openid", "unionid",
                                                  "province", "user_group", "user_id"}),
                   boost::test_tools::per_element());
        BOOST_TEST(user.at("id") != user.at("user_id"));
        legacy_ids.insert(user.at("id").as_int64());
        auto v2 = body_of(get(api, user_path(list_path, user.at("user_id").as_int64())));
        BOOST_TEST(v2.at("nickname") == user.at("nickname"));
        BOOST_TEST(v2.at("_group") == user.at("user_group"));
        BOOST_TEST(v2.at("created_at") == user.at("created_at"));
    }
    BOOST_TEST(legacy_ids.size() == 20U);
    // Newest first by default.
    for (std::size_t i = 1; i < objects.size(); ++i) {
        BOOST_TEST(objects[i - 1].at("created_at").as_int64() >=
                   objects[i].at("created_at").as_int64());
    }
}

BOOST_AUTO_TEST_CASE(filter_by_user_id_is_u2) {
    user_api api(small_config(40));
    auto any = legacy(api, "?limit=1").at("objects").as_array().at(0);
    const auto id = any.at("user_id").as_int64();
    auto body = legacy(api, "?user_id=" + std::to_string(id));
    BOOST_TEST(body.at("meta").at("total_count").as_int64() == 1);
    BOOST_TEST(body.at("objects").as_array().at(0) == any);
    BOOST_TEST(legacy(api, "?user_id=1").at("meta").at("total_count").as_int64() == 0);
    BOOST_TEST(get(api, std::string(legacy_path) + "?user_id=abc").status == 400U);
}

BOOST_AUTO_TEST_CASE(filters_combine) {
    user_api api(small_config(10));
    auto tom = api.upsert_user("", R"({"nickname":"Tom","gender":1,"created_at":1600000000,)"
                                   R"("openid":"o-tom","unionid":"u-tom","_group":[258,999]})");
    auto tommy = api.upsert_user("", R"({"nickname":"Tommy","gender":2,"created_at":1600000100,)"
                                     R"("openid":"o-tommy","unionid":null,"_group":[360]})");
    BOOST_REQUIRE(tom && tommy);
    auto ids = [&](std::string query) {
        std::set<std::int64_t> out;
        const auto body = legacy(api, std::move(query));
        for (const auto& u : body.at("objects").as_array()) {
            out.insert(u.at("user_id").as_int64());
        }
        return out;
    };
    BOOST_TEST(ids("?nickname=Tom") == std::set<std::int64_t>{*tom});
    BOOST_TEST(ids("?nickname__contains=Tom&created_at__gte=1600000000") ==
               (std::set<std::int64_t>{*tom, *tommy}));
    BOOST_TEST(ids("?nickname__contains=Tom&gender=2") == std::set<std::int64_t>{*tommy});
    BOOST_TEST(ids("?nickname__contains=Tom&created_at__gt=1600000000") ==
               std::set<std::int64_t>{*tommy});
    BOOST_TEST(ids("?nickname__contains=Tom&created_at__lt=1600000100") ==
               std::set<std::int64_t>{*tom});
    BOOST_TEST(ids("?nickname__contains=Tom&created_at__lte=1600000100") ==
               (std::set<std::int64_t>{*tom, *tommy}));
    BOOST_TEST(ids("?openid=o-tommy") == std::set<std::int64_t>{*tommy});
    BOOST_TEST(ids("?unionid=u-tom") == std::set<std::int64_t>{*tom});
    BOOST_TEST(ids("?group__in=999,360&nickname__contains=Tom") ==
               (std::set<std::int64_t>{*tom, *tommy}));
    BOOST_TEST(ids("?group__in=999") == std::set<std::int64_t>{*tom});
}

BOOST_AUTO_TEST_CASE(order_by_created_at_only) {
    user_api api(small_config(30));
    auto asc = legacy(api, "?order_by=created_at&limit=30").at("objects").as_array();
    for (std::size_t i = 1; i < asc.size(); ++i) {
        BOOST_TEST(asc[i - 1].at("created_at").as_int64() <= asc[i].at("created_at").as_int64());
    }
    for (std::string bad : {"id", "-id", "nickname", "created_at,id"}) {
        auto r = get(api, std::string(legacy_path) + "?order_by=" + bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_values_are_400) {
    user_api api(small_config(10));
    for (std::string bad : {"?gender=male", "?created_at__gte=yesterday", "?group__in=1,x",
                            "?group__in=", "?limit=0", "?offset=-1"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(get(api, std::string(legacy_path) + bad).status == 400U);
        }
    }
}

BOOST_AUTO_TEST_CASE(paging_walks_every_user_once) {
    user_api api(small_config(45));
    std::set<std::int64_t> seen;
    std::string target = std::string(legacy_path) + "?limit=10&order_by=created_at";
    while (true) {
        auto body = body_of(get(api, target));
        for (const auto& u : body.at("objects").as_array()) {
            BOOST_TEST(seen.insert(u.at("user_id").as_int64()).second);
        }
        if (body.at("meta").at("next").is_null()) {
            break;
        }
        target = std::string(body.at("meta").at("next").as_string());
    }
    BOOST_TEST(seen.size() == 45U);
}

BOOST_AUTO_TEST_SUITE_END()
