// Deterministic seeded data: same seed, same users; the documented invariants hold.
#include "emulator/core/seed.hpp"

#include "api_test_support.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

using namespace minapp::emulator;
using namespace minapp::emulator::detail;

namespace {

user_store seeded(std::size_t n, std::uint64_t seed) {
    user_store s(schema::seeded());
    seed_users(s, n, seed);
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(seed)

BOOST_AUTO_TEST_CASE(same_seed_same_data) {
    auto a = seeded(500, 42);
    auto b = seeded(500, 42);
    BOOST_REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        BOOST_TEST(a.records()[i].json == b.records()[i].json);
        BOOST_TEST(a.records()[i].unset == b.records()[i].unset);
        BOOST_TEST(a.records()[i].legacy_id == b.records()[i].legacy_id);
    }
    auto c = seeded(500, 43);
    BOOST_TEST(a.records()[0].json != c.records()[0].json);
}

BOOST_AUTO_TEST_CASE(same_config_same_api_answers) {
    user_api x(test::small_config(300));
    user_api y(test::small_config(300));
    for (std::string env : {"", "env-b"}) {
        BOOST_TEST(test::get(x, "/oserve/v2.2/miniapp/user_profile/?limit=1000", env).body ==
                   test::get(y, "/oserve/v2.2/miniapp/user_profile/?limit=1000", env).body);
    }
    BOOST_TEST(test::get(x, "/oserve/v2.2/miniapp/user_profile/?limit=1000").body !=
               test::get(x, "/oserve/v2.2/miniapp/user_profile/?limit=1000", "env-b").body);
}

BOOST_AUTO_TEST_CASE(records_hold_the_documented_shapes) {
    auto s = seeded(2000, 7);
    BOOST_REQUIRE(s.size() == 2000U);
    BOOST_TEST(s.created_at_follows_id());
    std::set<std::string> usernames, emails, phones;
    std::size_t null_unionid = 0, chinese = 0, latin = 0, unset_score = 0, with_location = 0,
                with_tags = 0, ties = 0, gaps = 0;
    std::int64_t previous_id = 0, previous_created = 0;
    std::set<std::int64_t> genders;
    record_reader reader(s);
    for (const auto& r : s.records()) {
        const auto& u = reader.read(r);
        const auto id = u.at("id").as_int64();
        BOOST_TEST(id == r.id);
        BOOST_TEST(id > (std::int64_t{1} << 32));
        BOOST_TEST(id > previous_id);
        gaps += id > previous_id + 1 ? 1 : 0;
        BOOST_TEST(u.at("created_by").as_int64() == id);
        const auto created = u.at("created_at").as_int64();
        BOOST_TEST(created >= previous_created);
        ties += created == previous_created ? 1 : 0;
        BOOST_TEST(u.at("updated_at").as_int64() >= created);
        previous_id = id;
        previous_created = created;
        genders.insert(u.at("gender").as_int64());
        BOOST_TEST(u.at("openid").as_string().size() == 28U);
        BOOST_TEST(u.at("is_authorized").is_bool());
        BOOST_TEST(u.at("_group").is_array());
        BOOST_TEST(u.at("avatar").as_string().starts_with("https://"));
        null_unionid += u.at("unionid").is_null() ? 1 : 0;
        const std::string nickname(u.at("nickname").as_string());
        (static_cast<unsigned char>(nickname[0]) >= 0x80 ? chinese : latin) += 1;
        for (auto key : {"_username", "_email", "_phone"}) {
            const auto& v = u.at(key);
            BOOST_TEST((v.is_null() || v.is_string()));
        }
        if (u.at("_username").is_string()) {
            BOOST_TEST(usernames.insert(ascii_lower(u.at("_username").as_string())).second);
        }
        if (u.at("_email").is_string()) {
            const std::string email(u.at("_email").as_string());
            BOOST_TEST(email == ascii_lower(email));
            BOOST_TEST(emails.insert(email).second);
        } else {
            BOOST_TEST(u.at("_email_verified") == false);
        }
        if (u.at("_phone").is_string()) {
            BOOST_TEST(phones.insert(std::string(u.at("_phone").as_string())).second);
        } else {
            BOOST_TEST(u.at("_phone_verified") == false);
        }
        unset_score += u.contains("score") ? 0 : 1;
        BOOST_TEST((!u.contains("score") || u.at("score").is_int64()));
        if (const auto* loc = u.if_contains("location")) {
            ++with_location;
            BOOST_TEST(loc->at("type") == "Point");
            BOOST_TEST(loc->at("coordinates").as_array().size() == 2U);
        }
        if (const auto* tags = u.if_contains("tags")) {
            ++with_tags;
            BOOST_TEST(tags->is_array());
        }
        if (const auto* birthday = u.if_contains("birthday")) {
            BOOST_TEST(birthday->as_string().size() == 32U);
        }
        if (const auto* balance = u.if_contains("balance")) {
            BOOST_TEST(balance->is_double());
        }
    }
    BOOST_TEST(genders == (std::set<std::int64_t>{0, 1, 2}));
    BOOST_TEST(null_unionid > 0U);
    BOOST_TEST(chinese > 0U);
    BOOST_TEST(latin > 0U);
    BOOST_TEST(unset_score > 0U);
    BOOST_TEST(unset_score < s.size());
    BOOST_TEST(with_location > 0U);
    BOOST_TEST(with_tags > 0U);
    BOOST_TEST(ties > 0U);
    BOOST_TEST(gaps > s.size() / 2); // ids are not contiguous
    BOOST_TEST(usernames.size() > 0U);
    BOOST_TEST(emails.size() > 0U);
    BOOST_TEST(phones.size() > 0U);
}

BOOST_AUTO_TEST_CASE(seeded_text_is_what_encode_would_store) {
    auto s = seeded(300, 3);
    for (const auto& r : s.records()) {
        const auto user = load_user(s, r);
        auto [text, unset] = s.encode(user);
        BOOST_TEST(unset == r.unset);
        BOOST_TEST(boost::json::parse(text) == boost::json::parse(r.json));
    }
}

BOOST_AUTO_TEST_SUITE_END()
