#include "api/pager_state.hpp"

#include <boost/test/unit_test.hpp>
#include <boost/url/decode_view.hpp>

using minapp::list_cursor;
using minapp::user_page;
using minapp::user_query;
using minapp::detail::advance_cursor;
using minapp::detail::page_request;

namespace {

user_page page_of(std::vector<std::int64_t> ids, bool has_next) {
    user_page p;
    for (auto id : ids) {
        minapp::user_profile u;
        u.id = id;
        p.objects.push_back(u);
    }
    if (has_next) {
        p.meta.next = "/oserve/v2.2/miniapp/user_profile/?offset=x";
    }
    return p;
}

std::string decoded(const std::string& query) {
    std::string out;
    for (char c : boost::urls::decode_view(query)) {
        out += c;
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pager_cursor)

BOOST_AUTO_TEST_CASE(advances_offsets_ids_and_counts) {
    user_query offset_q;
    offset_q.page_size(100);
    user_query keyset_q = offset_q;
    keyset_q.keyset(true);
    user_query capped_q = offset_q;
    capped_q.max_items(150);
    struct row {
        const char* what;
        const user_query& q;
        list_cursor at;
        user_page page;
        list_cursor expected;
        bool last;
    };
    const row rows[] = {
        {"offset: full page with next",
         offset_q,
         {0, {}, 0},
         page_of({5, 6}, true),
         {100, {}, 2},
         false},
        {"offset: last page", offset_q, {200, {}, 200}, page_of({9}, false), {300, {}, 201}, true},
        {"offset: empty page with next goes on",
         offset_q,
         {100, {}, 100},
         page_of({}, true),
         {200, {}, 100},
         false},
        {"keyset: continues after the last id",
         keyset_q,
         {0, 40, 10},
         page_of({41, 57}, true),
         {0, 57, 12},
         false},
        {"keyset: empty page keeps the position",
         keyset_q,
         {0, 57, 12},
         page_of({}, true),
         {0, 57, 12},
         false},
        {"cap reached ends the walk",
         capped_q,
         {100, {}, 100},
         page_of(std::vector<std::int64_t>(50, 1), true),
         {200, {}, 150},
         true},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            const auto [next, last] = advance_cursor(r.q, r.at, r.page);
            BOOST_TEST((next == r.expected));
            BOOST_TEST(last == r.last);
        }
    }
}

BOOST_AUTO_TEST_CASE(builds_page_requests) {
    user_query q;
    q.page_size(50);
    q.order(minapp::order_by().desc("created_at"));
    q.filter(minapp::where::eq("city", "广州"));
    q.return_total_count(true);
    auto offset_spec = page_request(q, {100, {}, 100});
    BOOST_TEST_REQUIRE(offset_spec.has_value());
    BOOST_TEST(offset_spec->path == "/oserve/v2.2/miniapp/user_profile/");
    BOOST_TEST(
        decoded(offset_spec->query) ==
        R"(where={"city":{"$eq":"广州"}}&order_by=-created_at&limit=50&offset=100&return_total_count=1)");

    user_query k;
    k.keyset(true);
    k.page_size(10);
    k.max_items(25);
    auto first = page_request(k, {});
    BOOST_TEST(decoded(first->query) == "order_by=id&limit=10&offset=0");
    auto later = page_request(k, {0, 77, 20});
    BOOST_TEST(decoded(later->query) == R"(where={"id":{"$gt":77}}&order_by=id&limit=5&offset=0)");

    user_query bad = q;
    bad.page_size(0);
    BOOST_TEST(!page_request(bad, {}).has_value());
    BOOST_TEST(!page_request(q, {-1, {}, 0}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
