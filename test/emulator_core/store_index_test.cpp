// account_index: the hash-only unique-key index behind the account endpoint.
#include "emulator/core/account_index.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using namespace minapp::emulator::detail;

namespace {

/// Owners as the index's key reader sees them.
struct owners {
    std::map<std::int64_t, std::string> keys;
    account_index::key_reader reader() {
        return [this](std::int64_t id) -> std::optional<std::string> {
            auto it = keys.find(id);
            return it == keys.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(store_account_index)

BOOST_AUTO_TEST_CASE(insert_find_erase) {
    account_index index;
    owners o;
    BOOST_TEST(!index.find("alice", o.reader()).has_value());
    o.keys[1] = "alice";
    index.insert("alice", 1);
    BOOST_TEST(index.find("alice", o.reader()).value_or(0) == 1);
    BOOST_TEST(!index.find("bob", o.reader()).has_value());
    index.erase("alice", 2); // someone else's entry: no effect
    BOOST_TEST(index.size() == 1U);
    index.erase("alice", 1);
    BOOST_TEST(index.size() == 0U);
    BOOST_TEST(!index.find("alice", o.reader()).has_value());
}

BOOST_AUTO_TEST_CASE(a_stale_entry_is_not_trusted) {
    account_index index;
    owners o;
    index.insert("alice", 1);
    o.keys[1] = "alicia"; // the user's real key changed without reindexing
    BOOST_TEST(!index.find("alice", o.reader()).has_value());
}

BOOST_AUTO_TEST_CASE(grows_and_reuses_tombstones) {
    account_index index;
    owners o;
    for (std::int64_t id = 1; id <= 20000; ++id) {
        o.keys[id] = "user" + std::to_string(id);
        index.insert(o.keys[id], id);
    }
    BOOST_TEST(index.size() == 20000U);
    for (std::int64_t id = 1; id <= 20000; id += 2) {
        index.erase(o.keys[id], id);
        o.keys.erase(id);
    }
    BOOST_TEST(index.size() == 10000U);
    for (std::int64_t id = 1; id <= 20000; ++id) {
        const auto found = index.find("user" + std::to_string(id), o.reader());
        BOOST_TEST(found.has_value() == (id % 2 == 0), id);
    }
    for (int round = 0; round < 5; ++round) {
        for (std::int64_t id = 1; id <= 20000; id += 2) {
            index.insert("again" + std::to_string(id), id);
            index.erase("again" + std::to_string(id), id);
        }
    }
    BOOST_TEST(index.size() == 10000U);
}

BOOST_AUTO_TEST_SUITE_END()
