// U8: PUT /oserve/v2.1/miniapp/user/account/:id/ of user_api.
#include "api_test_support.hpp"

#include <boost/test/unit_test.hpp>

using namespace minapp::emulator;
using namespace minapp::emulator::test;

namespace {

struct account_fixture {
    user_api api{small_config(0)};
    std::int64_t alice =
        add(R"("_username":"Alice","_email":"alice@example.com","_phone":"13800000001",)"
            R"("_email_verified":true,"_phone_verified":true)");
    std::int64_t bob = add(R"("_username":"bob","_email":"bob@example.com","_phone":"13800000002",)"
                           R"("_email_verified":true,"_phone_verified":true)");
    std::int64_t carol = add(R"("_username":null,"_email":null,"_phone":null,)"
                             R"("_email_verified":false,"_phone_verified":false)");

    std::int64_t add(std::string_view account) {
        auto id = api.upsert_user("", "{" + std::string(account) + R"(,"updated_at":1500000000})");
        BOOST_REQUIRE(id.has_value());
        return *id;
    }

    api_response change(std::int64_t id, std::string body) {
        return put(api, user_path(account_path, id), std::move(body));
    }

    boost::json::object stored(std::int64_t id) {
        return boost::json::parse(*api.stored_user_json("", id)).as_object();
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(api_account, account_fixture)

BOOST_AUTO_TEST_CASE(empty_body_returns_the_current_account) {
    auto r = change(alice, "{}");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(body_of(r) ==
               boost::json::parse(
                   R"({"username":"Alice","email":"alice@example.com",)"
                   R"("email_verified":true,"phone":"13800000001","phone_verified":true})"));
    BOOST_TEST(stored(alice).at("updated_at").as_int64() == 1500000000);
    BOOST_TEST(body_of(change(carol, "{}")) ==
               boost::json::parse(R"({"username":null,"email":null,"email_verified":false,)"
                                  R"("phone":null,"phone_verified":false})"));
}

BOOST_AUTO_TEST_CASE(changes_username_keeping_its_case) {
    auto r = change(carol, R"({"username":"CarolC"})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(body_of(r).at("username") == "CarolC");
    BOOST_TEST(stored(carol).at("_username") == "CarolC");
    BOOST_TEST(stored(carol).at("updated_at").as_int64() > 1500000000);
    // A user may change the case of its own name.
    BOOST_TEST(change(carol, R"({"username":"carolc"})").status == 200U);
}

BOOST_AUTO_TEST_CASE(username_uniqueness_ignores_case) {
    for (std::string taken : {"alice", "ALICE", "Alice", "BOB"}) {
        auto r = change(carol, R"({"username":")" + taken + R"("})");
        BOOST_TEST_CONTEXT(taken) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
    BOOST_TEST(stored(carol).at("_username").is_null());
}

BOOST_AUTO_TEST_CASE(email_is_lower_cased_unique_and_unverified_after_a_change) {
    auto r = change(alice, R"({"email":"New.Alice@Example.COM"})");
    BOOST_TEST(r.status == 200U);
    auto account = body_of(r);
    BOOST_TEST(account.at("email") == "new.alice@example.com");
    BOOST_TEST(account.at("email_verified") == false);
    BOOST_TEST(account.at("phone_verified") == true);
    BOOST_TEST(stored(alice).at("_email") == "new.alice@example.com");

    BOOST_TEST(change(carol, R"({"email":"BOB@example.com"})").status == 400U);
    BOOST_TEST(change(carol, R"({"email":"new.alice@EXAMPLE.com"})").status == 400U);
    // The old address is free again.
    BOOST_TEST(change(carol, R"({"email":"alice@example.com"})").status == 200U);
}

BOOST_AUTO_TEST_CASE(same_email_keeps_verification) {
    auto r = change(bob, R"({"email":"BOB@example.com"})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(body_of(r).at("email_verified") == true);
}

BOOST_AUTO_TEST_CASE(malformed_email_is_400) {
    for (std::string bad : {"", "plain", "@example.com", "a@", "a@b", "a@.com", "a@b.", "a b@c.d",
                            "a@b..c", "a@b@c.d"}) {
        auto r = change(alice, R"({"email":")" + bad + R"("})");
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
        }
    }
    BOOST_TEST(stored(alice).at("_email") == "alice@example.com");
}

BOOST_AUTO_TEST_CASE(new_phone_resets_verification_and_must_be_unique) {
    auto r = change(alice, R"({"phone":"13900000009"})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(body_of(r).at("phone") == "13900000009");
    BOOST_TEST(body_of(r).at("phone_verified") == false);
    BOOST_TEST(body_of(r).at("email_verified") == true);
    BOOST_TEST(change(carol, R"({"phone":"13800000002"})").status == 400U);
    BOOST_TEST(change(bob, R"({"phone":"13800000002"})").status == 200U);
    BOOST_TEST(body_of(change(bob, "{}")).at("phone_verified") == true);
}

BOOST_AUTO_TEST_CASE(null_clears_fields) {
    auto r = change(bob, R"({"username":null,"email":null,"phone":null})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(body_of(r) == boost::json::parse(R"({"username":null,"email":null,)"
                                                R"("email_verified":false,"phone":null,)"
                                                R"("phone_verified":false})"));
    BOOST_TEST(stored(bob).at("_username").is_null());
    // Cleared keys are free for others.
    BOOST_TEST(change(carol, R"({"username":"bob","phone":"13800000002"})").status == 200U);
}

BOOST_AUTO_TEST_CASE(password_is_set_and_blank_is_refused) {
    BOOST_TEST(!api.check_password("", alice, "s3cret"));
    auto r = change(alice, R"({"new_password":"s3cret"})");
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(api.check_password("", alice, "s3cret"));
    BOOST_TEST(stored(alice).at("updated_at").as_int64() == 1500000000);
    for (std::string bad : {R"("")", R"("   ")", "null", "123"}) {
        auto e = change(alice, R"({"new_password":)" + bad + "}");
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(e.status == 400U);
        }
    }
    BOOST_TEST(api.check_password("", alice, "s3cret"));
}

BOOST_AUTO_TEST_CASE(validation_is_all_or_nothing) {
    auto r = change(carol, R"({"username":"carol2","email":"bob@example.com"})");
    BOOST_TEST(r.status == 400U);
    BOOST_TEST(stored(carol).at("_username").is_null());
    BOOST_TEST(change(carol, R"({"username":"carol2","new_password":""})").status == 400U);
    BOOST_TEST(stored(carol).at("_username").is_null());
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_400) {
    for (std::string bad : {"", "not json", "[]", R"({"username":5})", R"({"email":true})",
                            R"({"phone":[]})", R"({"username":"  "})", R"({"phone":""})"}) {
        auto r = change(alice, bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_user_is_404) {
    BOOST_TEST(change(carol + 1000, R"({"username":"x"})").status == 404U);
    BOOST_TEST(put(api, std::string(account_path) + "x/", "{}").status == 404U);
}

BOOST_AUTO_TEST_CASE(seeded_accounts_are_indexed) {
    user_api seeded(small_config(200));
    auto body = body_of(get(seeded, std::string(list_path) + "?limit=200&where=" +
                                        encode(R"({"_username":{"$isnull":false}})")));
    const auto& users = body.at("objects").as_array();
    BOOST_REQUIRE(users.size() >= 2U);
    const auto first = users[0].at("id").as_int64();
    const std::string taken(users[1].at("_username").as_string());
    auto r = put(seeded, user_path(account_path, first),
                 R"({"username":")" + std::string(taken) + R"("})");
    BOOST_TEST(r.status == 400U);
}

BOOST_AUTO_TEST_SUITE_END()
