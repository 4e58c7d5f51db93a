// U4: GET /oserve/v2.2/miniapp/user_profile/ — windows, ordering, totals, links, where, keys.
#include "api_test_support.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using namespace minapp::emulator;
using namespace minapp::emulator::test;

namespace {

boost::json::object meta_of(const api_response& r) {
    return body_of(r).at("meta").as_object();
}

boost::json::array objects_of(const api_response& r) {
    return body_of(r).at("objects").as_array();
}

/// Follows `next` links from `first` to the end; returns every id in delivery order.
std::vector<std::int64_t> walk(user_api& api, std::string first, std::size_t* pages = nullptr) {
    std::vector<std::int64_t> ids;
    std::string target = std::move(first);
    std::size_t count = 0;
    while (true) {
        auto r = get(api, target);
        BOOST_REQUIRE_EQUAL(r.status, 200U);
        auto body = body_of(r);
        for (const auto& u : body.at("objects").as_array()) {
            ids.push_back(u.at("id").as_int64());
        }
        ++count;
        const auto& next = body.at("meta").at("next");
        if (next.is_null()) {
            break;
        }
        target = std::string(next.as_string());
        BOOST_REQUIRE(count < 100000U);
    }
    if (pages != nullptr) {
        *pages = count;
    }
    return ids;
}

double haversine_m(double lon1, double lat1, double lon2, double lat2) {
    constexpr double pi = 3.14159265358979323846;
    constexpr double earth_radius_m = 6371008.8;
    auto rad = [](double deg) {
        return deg * pi / 180.0;
    };
    const double dlat = rad(lat2 - lat1);
    const double dlon = rad(lon2 - lon1);
    const double a =
        std::sin(dlat / 2) * std::sin(dlat / 2) +
        std::cos(rad(lat1)) * std::cos(rad(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
    return 2 * earth_radius_m * std::asin(std::sqrt(a));
}

std::vector<std::int64_t> all_ids(user_api& api) {
    return walk(api, std::string(list_path) + "?order_by=id&limit=1000");
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_list)

BOOST_AUTO_TEST_CASE(default_page_and_meta) {
    user_api api(small_config(50));
    auto r = get(api, std::string(list_path));
    BOOST_TEST(r.status == 200U);
    BOOST_TEST(r.content_type == "application/json");
    auto meta = meta_of(r);
    BOOST_TEST(meta.at("limit").as_int64() == 20);
    BOOST_TEST(meta.at("offset").as_int64() == 0);
    BOOST_TEST(meta.at("previous").is_null());
    BOOST_TEST(text(meta.at("next")) == "/oserve/v2.2/miniapp/user_profile/?limit=20&offset=20");
    BOOST_TEST(!meta.contains("total_count"));
    BOOST_TEST(objects_of(r).size() == 20U);
}

BOOST_AUTO_TEST_CASE(default_order_is_newest_first_then_id_descending) {
    user_api api(small_config(300));
    auto objects = objects_of(get(api, std::string(list_path) + "?limit=300"));
    BOOST_REQUIRE(objects.size() == 300U);
    bool saw_tie = false;
    for (std::size_t i = 1; i < objects.size(); ++i) {
        const auto prev_created = objects[i - 1].at("created_at").as_int64();
        const auto created = objects[i].at("created_at").as_int64();
        BOOST_TEST(prev_created >= created);
        if (prev_created == created) {
            saw_tie = true;
            BOOST_TEST(objects[i - 1].at("id").as_int64() > objects[i].at("id").as_int64());
        }
    }
    BOOST_TEST(saw_tie); // the seed makes some users share a creation time
}

BOOST_AUTO_TEST_CASE(limit_is_clamped_and_validated) {
    user_api api(small_config(30));
    auto big = get(api, std::string(list_path) + "?limit=5000");
    BOOST_TEST(big.status == 200U);
    BOOST_TEST(meta_of(big).at("limit").as_int64() == 1000);
    BOOST_TEST(objects_of(big).size() == 30U);
    BOOST_TEST(meta_of(big).at("next").is_null());
    for (std::string bad : {"0", "-1", "abc", "1.5", "", "10x", "99999999999999999999"}) {
        auto r = get(api, std::string(list_path) + "?limit=" + bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(offset_is_validated) {
    user_api api(small_config(30));
    for (std::string bad : {"-1", "x", "2.0", ""}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(get(api, std::string(list_path) + "?offset=" + bad).status == 400U);
        }
    }
    auto past = get(api, std::string(list_path) + "?offset=1000");
    BOOST_TEST(past.status == 200U);
    BOOST_TEST(objects_of(past).empty());
    BOOST_TEST(meta_of(past).at("next").is_null());
    BOOST_TEST(text(meta_of(past).at("previous")) ==
               "/oserve/v2.2/miniapp/user_profile/?offset=980&limit=20");
}

BOOST_AUTO_TEST_CASE(total_count_only_when_asked) {
    user_api api(small_config(40));
    for (std::string yes : {"1", "true"}) {
        auto meta = meta_of(get(api, std::string(list_path) + "?return_total_count=" + yes));
        BOOST_TEST(meta.at("total_count").as_int64() == 40);
    }
    for (std::string no : {"0", "false", "yes", ""}) {
        auto meta = meta_of(get(api, std::string(list_path) + "?return_total_count=" + no));
        BOOST_TEST(!meta.contains("total_count"));
    }
}

BOOST_AUTO_TEST_CASE(count_idiom) {
    user_api api(small_config(120));
    auto r = get(api, std::string(list_path) + "?limit=1&return_total_count=1");
    auto meta = meta_of(r);
    BOOST_TEST(meta.at("total_count").as_int64() == 120);
    BOOST_TEST(objects_of(r).size() == 1U);

    const std::string where = encode(R"({"gender":{"$eq":1}})");
    auto filtered = meta_of(
        get(api, std::string(list_path) + "?where=" + where + "&limit=1&return_total_count=1"));
    const auto expected =
        objects_of(get(api, std::string(list_path) + "?where=" + where + "&limit=1000")).size();
    BOOST_TEST(filtered.at("total_count").as_int64() == static_cast<std::int64_t>(expected));
    BOOST_TEST(expected > 0U);
    BOOST_TEST(expected < 120U);
}

BOOST_AUTO_TEST_CASE(walking_next_visits_every_user_once) {
    user_api api(small_config(250));
    const auto everyone = all_ids(api);
    BOOST_REQUIRE(everyone.size() == 250U);
    BOOST_TEST(std::is_sorted(everyone.begin(), everyone.end()));
    for (int size : {1, 7, 20, 249, 250, 1000}) {
        for (std::string order : {"id", "-id", "-created_at", "created_at,id", "-score",
                                  "updated_at,-id", "nickname"}) {
            std::size_t pages = 0;
            auto ids = walk(api,
                            std::string(list_path) + "?order_by=" + order +
                                "&limit=" + std::to_string(size),
                            &pages);
            BOOST_TEST_CONTEXT("limit " << size << " order_by " << order) {
                BOOST_TEST(pages == (250U + size - 1) / size);
                std::sort(ids.begin(), ids.end());
                BOOST_TEST(ids == everyone, boost::test_tools::per_element());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(default_order_holds_when_creation_times_stop_following_ids) {
    user_api api(small_config(120));
    const auto everyone = all_ids(api);
    // An old id with the newest creation time: (created_at, id) order is no longer id order.
    auto id = api.upsert_user("", R"({"id":)" + std::to_string(everyone.front() - 1) +
                                      R"(,"created_at":2000000000})");
    BOOST_REQUIRE(id.has_value());
    auto objects = objects_of(get(api, std::string(list_path) + "?limit=1000"));
    BOOST_REQUIRE(objects.size() == 121U);
    BOOST_TEST(objects[0].at("id").as_int64() == *id);
    for (std::size_t i = 1; i < objects.size(); ++i) {
        const auto a = objects[i - 1].at("created_at").as_int64();
        const auto b = objects[i].at("created_at").as_int64();
        BOOST_TEST((a > b || (a == b && objects[i - 1].at("id").as_int64() >
                                            objects[i].at("id").as_int64())));
    }
    auto ids = walk(api, std::string(list_path) + "?order_by=created_at&limit=7");
    BOOST_TEST(ids.size() == 121U);
    BOOST_TEST(ids.back() == *id);
}

BOOST_AUTO_TEST_CASE(walking_offsets_matches_next_links) {
    user_api api(small_config(95));
    const std::string where = encode(R"({"vip":{"$exists":true}})");
    auto linked = walk(api, std::string(list_path) + "?where=" + where + "&order_by=id&limit=10");
    std::vector<std::int64_t> by_offset;
    for (int offset = 0;; offset += 10) {
        auto r = get(api, std::string(list_path) + "?where=" + where +
                              "&order_by=id&limit=10&offset=" + std::to_string(offset));
        auto objects = objects_of(r);
        for (const auto& u : objects) {
            by_offset.push_back(u.at("id").as_int64());
        }
        if (meta_of(r).at("next").is_null()) {
            BOOST_TEST(objects.size() <= 10U);
            break;
        }
        BOOST_TEST(objects.size() == 10U);
    }
    BOOST_TEST(linked == by_offset, boost::test_tools::per_element());
    BOOST_TEST(!linked.empty());
}

BOOST_AUTO_TEST_CASE(links_keep_parameters_and_replace_the_window) {
    user_api api(small_config(60));
    const std::string where = encode(R"({"gender":{"$in":[0,1,2]}})");
    auto r = get(api, std::string(list_path) + "?where=" + where +
                          "&offset=10&order_by=-id&limit=10&return_total_count=1");
    auto meta = meta_of(r);
    BOOST_TEST(text(meta.at("next")) ==
               "/oserve/v2.2/miniapp/user_profile/?where=" + where +
                   "&offset=20&order_by=-id&limit=10&return_total_count=1");
    BOOST_TEST(text(meta.at("previous")) ==
               "/oserve/v2.2/miniapp/user_profile/?where=" + where +
                   "&offset=0&order_by=-id&limit=10&return_total_count=1");
    BOOST_TEST(meta.at("total_count").as_int64() == 60);

    auto small_offset = meta_of(get(api, std::string(list_path) + "?limit=10&offset=4"));
    BOOST_TEST(text(small_offset.at("previous")) ==
               "/oserve/v2.2/miniapp/user_profile/?limit=10&offset=0");

    auto last = meta_of(get(api, std::string(list_path) + "?limit=10&offset=50"));
    BOOST_TEST(last.at("next").is_null());
    auto exact_end = meta_of(get(api, std::string(list_path) + "?limit=30&offset=30"));
    BOOST_TEST(exact_end.at("next").is_null());
}

BOOST_AUTO_TEST_CASE(order_by_validation) {
    user_api api(small_config(20));
    for (std::string bad : {"gender", "-country", "province", "city", "language", "id,city",
                            "no_such_field", "", "-", "id,,created_at"}) {
        auto r = get(api, std::string(list_path) + "?order_by=" + bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == 400U);
            BOOST_TEST(!error_message(r).empty());
        }
    }
    for (std::string good : {"score", "-balance", "nickname,-id", "updated_at", "birthday",
                             "-created_at,id", "created_by"}) {
        BOOST_TEST_CONTEXT(good) {
            BOOST_TEST(get(api, std::string(list_path) + "?order_by=" + good).status == 200U);
        }
    }
}

BOOST_AUTO_TEST_CASE(custom_field_order_puts_unset_first_ascending) {
    user_api api(small_config(200));
    auto objects = objects_of(get(api, std::string(list_path) + "?order_by=score&limit=200"));
    BOOST_REQUIRE(objects.size() == 200U);
    bool seen_value = false;
    std::int64_t previous_score = -1;
    std::int64_t previous_id = 0;
    for (const auto& u : objects) {
        const auto& score = u.at("score");
        if (score.is_null()) {
            BOOST_TEST(!seen_value);
            BOOST_TEST(u.at("id").as_int64() > previous_id);
            previous_id = u.at("id").as_int64();
            continue;
        }
        seen_value = true;
        BOOST_TEST(score.as_int64() >= previous_score);
        previous_score = score.as_int64();
    }
    BOOST_TEST(seen_value);

    auto desc = objects_of(get(api, std::string(list_path) + "?order_by=-score&limit=1"));
    BOOST_TEST(desc.at(0).at("score").as_int64() == previous_score);
}

BOOST_AUTO_TEST_CASE(where_filters_and_rejects_bad_documents) {
    user_api api(small_config(150));
    auto r = get(api, std::string(list_path) + "?limit=1000&where=" +
                          encode(R"({"$and":[{"gender":{"$eq":2}},{"score":{"$gte":500}}]})"));
    BOOST_TEST(r.status == 200U);
    auto objects = objects_of(r);
    BOOST_TEST(!objects.empty());
    for (const auto& u : objects) {
        BOOST_TEST(u.at("gender").as_int64() == 2);
        BOOST_TEST(u.at("score").as_int64() >= 500);
    }
    BOOST_TEST(get(api, std::string(list_path) + "?where=" + encode("{}")).status == 200U);
    for (std::string bad :
         {"{", "not json", R"({"score":{"$bogus":1}})", R"({"score":{"$gt":"x"}})"}) {
        auto e = get(api, std::string(list_path) + "?where=" + encode(bad));
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(e.status == 400U);
            BOOST_TEST(!error_message(e).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(plus_in_a_query_value_reads_as_space) {
    user_api api(small_config(20));
    auto id = api.upsert_user("", R"({"nickname":"Ada Lovelace"})");
    BOOST_REQUIRE(id.has_value());
    auto r = get(api, std::string(list_path) + "?where=" +
                          "%7B%22nickname%22%3A%7B%22%24eq%22%3A%22Ada+Lovelace%22%7D%7D");
    auto objects = objects_of(r);
    BOOST_REQUIRE(objects.size() == 1U);
    BOOST_TEST(objects[0].at("id").as_int64() == *id);
}

BOOST_AUTO_TEST_CASE(keys_apply_to_every_listed_user) {
    user_api api(small_config(20));
    auto objects = objects_of(get(api, std::string(list_path) + "?keys=id,created_at&limit=5"));
    BOOST_REQUIRE(objects.size() == 5U);
    for (const auto& u : objects) {
        BOOST_TEST(u.as_object().size() == 2U);
    }
    BOOST_TEST(get(api, std::string(list_path) + "?keys=bogus").status == 400U);
}

BOOST_AUTO_TEST_CASE(keyset_pager_sees_every_user_while_others_insert) {
    user_api api(small_config(300));
    const auto before = all_ids(api);
    std::set<std::int64_t> seen;
    std::vector<std::int64_t> inserted_ahead;
    std::int64_t last = 0;
    int page = 0;
    while (true) {
        const std::string where = encode(R"({"id":{"$gt":)" + std::to_string(last) + "}}");
        auto r = get(api, std::string(list_path) + "?where=" + where + "&order_by=id&limit=25");
        BOOST_REQUIRE(r.status == 200U);
        auto objects = objects_of(r);
        if (objects.empty()) {
            break;
        }
        for (const auto& u : objects) {
            const auto id = u.at("id").as_int64();
            BOOST_TEST(id > last);
            BOOST_TEST(seen.insert(id).second);
            last = id;
        }
        // Another writer inserts between pages: one new user behind the cursor (never seen, by
        // design of a keyset pager) and one ahead of it (seen later).
        if (++page <= 5) {
            auto behind = api.upsert_user("", R"({"id":)" + std::to_string(before.front() - page) +
                                                  R"(,"nickname":"b"})");
            BOOST_REQUIRE(behind.has_value());
            auto ahead = api.upsert_user("", R"({"nickname":"ahead"})");
            BOOST_REQUIRE(ahead.has_value());
            inserted_ahead.push_back(*ahead);
        }
    }
    for (auto id : before) {
        BOOST_TEST(seen.count(id) == 1U);
    }
    for (auto id : inserted_ahead) {
        BOOST_TEST(seen.count(id) == 1U);
    }
    BOOST_TEST(seen.size() == before.size() + inserted_ahead.size());
    BOOST_TEST(api.user_count("") == before.size() + 10U);
}

BOOST_AUTO_TEST_CASE(id_bounds_combine_with_other_conditions) {
    user_api api(small_config(200));
    const auto everyone = all_ids(api);
    const auto lo = everyone[50];
    const auto hi = everyone[120];
    const std::string where =
        encode(R"({"$and":[{"id":{"$gte":)" + std::to_string(lo) + R"(}},{"id":{"$lt":)" +
               std::to_string(hi) + R"(}},{"$or":[{"gender":{"$eq":0}},{"gender":{"$ne":0}}]}]})");
    for (std::string order : {"id", "-id", "score"}) {
        auto r = get(api, std::string(list_path) + "?where=" + where + "&order_by=" + order +
                              "&limit=1000&return_total_count=1");
        BOOST_TEST(meta_of(r).at("total_count").as_int64() == 70);
        auto ids = objects_of(r);
        BOOST_TEST(ids.size() == 70U);
    }
    auto in = get(api, std::string(list_path) + "?where=" +
                           encode(R"({"id":{"$in":[)" + std::to_string(lo) + "," +
                                  std::to_string(hi) + "]}}") +
                           "&return_total_count=1");
    BOOST_TEST(meta_of(in).at("total_count").as_int64() == 2);
    auto eq = get(api, std::string(list_path) +
                           "?where=" + encode(R"({"id":)" + std::to_string(lo) + "}") +
                           "&return_total_count=1");
    BOOST_TEST(meta_of(eq).at("total_count").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(nearsphere_results_come_nearest_first) {
    user_api api(small_config(300));
    const std::string where = encode(
        R"({"location":{"$nearsphere":{"geometry":{"type":"Point","coordinates":[113.264,23.129]},"max_distance":100000}}})");
    auto r = get(api, std::string(list_path) + "?where=" + where + "&limit=1000");
    BOOST_REQUIRE(r.status == 200U);
    auto objects = objects_of(r);
    BOOST_TEST(!objects.empty());
    double previous = -1;
    for (const auto& u : objects) {
        const auto& c = u.at("location").at("coordinates").as_array();
        const double d =
            haversine_m(c[0].to_number<double>(), c[1].to_number<double>(), 113.264, 23.129);
        BOOST_TEST(d <= 100000.0 + 1.0);
        BOOST_TEST(d >= previous - 1.0); // metres; allows a different earth radius
        previous = d;
    }
}

BOOST_AUTO_TEST_SUITE_END()
