// user_store: encoding, reading back, replacing, indices.
#include "emulator/core/user_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace minapp::emulator::detail;

namespace {

boost::json::object object_of(std::string_view text) {
    return boost::json::parse(text).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(encode_appends_null_for_unset_custom_columns) {
    user_store s(schema::seeded());
    auto [text, unset] = s.encode(object_of(R"({"id":5,"score":1,"tags":[]})"));
    auto response = object_of(text);
    BOOST_TEST(response.at("score").as_int64() == 1);
    BOOST_TEST(response.at("vip").is_null());
    BOOST_TEST(response.size() == 1U + s.custom_names().size());
    const auto& names = s.custom_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        const bool set = names[i] == "score" || names[i] == "tags";
        BOOST_TEST(((unset >> i) & 1U) == (set ? 0U : 1U), names[i]);
    }
}

BOOST_AUTO_TEST_CASE(put_and_read_round_trip_the_stored_form) {
    user_store s(schema::seeded());
    const auto user = object_of(R"({"id":10,"created_at":7,"score":null,"nickname":"n"})");
    s.put(user);
    BOOST_REQUIRE(s.find(10).has_value());
    BOOST_TEST(load_user(s, s.records()[0]) == user);
    record_reader reader(s);
    BOOST_TEST(reader.read(s.records()[0]) == user);
    BOOST_TEST(reader.read(s.records()[0]) == user); // reusable
    BOOST_TEST(s.records()[0].created_at == 7);
}

BOOST_AUTO_TEST_CASE(reader_handles_records_larger_than_its_buffer) {
    user_store s(schema::seeded());
    boost::json::object user = object_of(R"({"id":1})");
    boost::json::array tags;
    for (int i = 0; i < 5000; ++i) {
        tags.push_back(boost::json::value("tag-" + std::to_string(i)));
    }
    user["tags"] = tags;
    s.put(user);
    record_reader reader(s);
    BOOST_TEST(reader.read(s.records()[0]) == user);
}

BOOST_AUTO_TEST_CASE(records_stay_in_id_order) {
    user_store s(schema::seeded());
    for (std::int64_t id : {50, 10, 30, 20, 40}) {
        s.put(object_of(R"({"id":)" + std::to_string(id) + R"(,"created_at":)" +
                        std::to_string(id) + "}"));
    }
    std::vector<std::int64_t> ids;
    for (const auto& r : s.records()) {
        ids.push_back(r.id);
    }
    BOOST_TEST(ids == (std::vector<std::int64_t>{10, 20, 30, 40, 50}),
               boost::test_tools::per_element());
    BOOST_TEST(s.lower_bound(25) == 2U);
    BOOST_TEST(s.lower_bound(60) == 5U);
    BOOST_TEST(!s.find(25).has_value());
    BOOST_TEST(s.created_at_follows_id());
    BOOST_TEST(s.next_id() > (std::int64_t{1} << 32));
}

BOOST_AUTO_TEST_CASE(replacing_keeps_the_legacy_id) {
    user_store s(schema::seeded());
    s.put(object_of(R"({"id":1,"score":1})"));
    s.put(object_of(R"({"id":2})"));
    const auto legacy = s.records()[0].legacy_id;
    BOOST_TEST(legacy != s.records()[1].legacy_id);
    s.put(object_of(R"({"id":1,"score":2})"));
    BOOST_TEST(s.size() == 2U);
    BOOST_TEST(s.records()[0].legacy_id == legacy);
    BOOST_TEST(load_user(s, s.records()[0]).at("score").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(out_of_order_creation_disables_the_fast_path) {
    user_store s(schema::seeded());
    s.put(object_of(R"({"id":1,"created_at":100})"));
    s.put(object_of(R"({"id":2,"created_at":100})"));
    BOOST_TEST(s.created_at_follows_id());
    s.put(object_of(R"({"id":3,"created_at":50})"));
    BOOST_TEST(!s.created_at_follows_id());
}

BOOST_AUTO_TEST_CASE(account_indices_follow_updates) {
    user_store s(schema::seeded());
    s.put(object_of(R"({"id":1,"_username":"Alice","_email":"A@X.io","_phone":"1"})"));
    BOOST_TEST((s.owner_of_username("ALICE") == std::optional<std::int64_t>(1)));
    BOOST_TEST((s.owner_of_email("a@x.IO") == std::optional<std::int64_t>(1)));
    BOOST_TEST((s.owner_of_phone("1") == std::optional<std::int64_t>(1)));
    s.put(object_of(R"({"id":1,"_username":"Alicia","_email":null})"));
    BOOST_TEST(!s.owner_of_username("alice").has_value());
    BOOST_TEST((s.owner_of_username("alicia") == std::optional<std::int64_t>(1)));
    BOOST_TEST(!s.owner_of_email("a@x.io").has_value());
    BOOST_TEST(!s.owner_of_phone("1").has_value());
}

BOOST_AUTO_TEST_CASE(passwords) {
    user_store s(schema::seeded());
    BOOST_TEST(s.password(1) == nullptr);
    s.set_password(1, "pw");
    BOOST_REQUIRE(s.password(1) != nullptr);
    BOOST_TEST(*s.password(1) == "pw");
}

BOOST_AUTO_TEST_CASE(ascii_lower_keeps_other_bytes) {
    BOOST_TEST(ascii_lower("AbC-中文-Z") == "abc-中文-z");
}

BOOST_AUTO_TEST_SUITE_END()
