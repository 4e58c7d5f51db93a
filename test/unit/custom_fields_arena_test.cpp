// The arena that holds a parsed user's custom fields: one block for what the parser builds,
// the default resource once sealed (edits free what they allocate; LeakSanitizer would report
// anything lost, and AddressSanitizer any use of freed or foreign memory).
#include "api/custom_fields_arena.hpp"
#include "api/json_reply.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using minapp::detail::custom_fields_arena;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(custom_fields_arena_test)

BOOST_AUTO_TEST_CASE(blocks_are_aligned_and_grow_past_the_inline_one) {
    custom_fields_arena* arena = nullptr;
    const json::storage_ptr sp = json::make_shared_resource<custom_fields_arena>(&arena);
    BOOST_TEST_REQUIRE(arena != nullptr);
    std::vector<void*> parsed;
    for (std::size_t i = 0; i < 200; ++i) {
        const std::size_t align = std::size_t{1} << (i % 5); // 1..16
        const std::size_t n = 1 + (i * 37) % 300;
        void* p = sp->allocate(n, align);
        BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % align == 0u);
        std::memset(p, 0xab, n); // every byte is the caller's
        parsed.push_back(p);
    }
    void* big = sp->allocate(100000, 16); // larger than any block so far
    std::memset(big, 0, 100000);
    sp->deallocate(big, 100000, 16); // parsed memory: a no-op, freed with the arena
    arena->seal();
    // Sealed: the default resource, freed when given back.
    for (int i = 0; i < 1000; ++i) {
        void* p = sp->allocate(64, 8);
        std::memset(p, 1, 64);
        sp->deallocate(p, 64, 8);
    }
    for (std::size_t i = 0; i < parsed.size(); ++i) {
        sp->deallocate(parsed[i], 1 + (i * 37) % 300, std::size_t{1} << (i % 5));
    }
}

BOOST_AUTO_TEST_CASE(parsed_custom_fields_share_one_arena_and_edit_like_any_object) {
    std::string body = R"({"id":7,"nickname":"n")";
    for (int i = 0; i < 60; ++i) { // past the inline block: keys, long strings, nested values
        body += ",\"field_with_a_long_name_" + std::to_string(i) +
                R"(":{"text":"a string longer than fourteen bytes","list":[1,2,3]})";
    }
    body += "}";
    auto u = minapp::detail::parse_user(body).value();
    BOOST_TEST(u.custom_fields.size() == 60u);
    BOOST_TEST(u.custom_fields.storage().is_shared());
    const std::string before = json::serialize(u.custom_fields);

    minapp::user_profile copy = u; // shares the arena
    BOOST_TEST((*copy.custom_fields.storage() == *u.custom_fields.storage()));
    for (int round = 0; round < 200; ++round) {
        copy.custom_fields["edited"] = std::string(100, static_cast<char>('a' + round % 26));
        copy.custom_fields.erase("field_with_a_long_name_" + std::to_string(round % 60));
    }
    BOOST_TEST(copy.custom_fields.size() == 1u);
    BOOST_TEST(json::serialize(u.custom_fields) == before);

    json::object mine(u.custom_fields, json::storage_ptr()); // out of the arena
    u = minapp::user_profile{};
    BOOST_TEST(json::serialize(mine) == before);
}

BOOST_AUTO_TEST_SUITE_END()
