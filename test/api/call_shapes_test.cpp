// Every natural way of writing a call, inline inside `co_await`, as a user of g++ 12 or clang
// writes it: temporaries of every public parameter type, builders fed with what callers hold,
// options built with chainable setters, calls spawned before the io_context runs. Each case
// checks the request that reached the emulator, so a miscompiled temporary shows as a wrong
// request (or as an ASan report in the sanitizer pass), not only as a crash.
#include "emulated_service.hpp"
#include "support/async_test.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/co_await_safe.hpp>
#include <minapp/error.hpp>
#include <minapp/where_update.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url/decode_view.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using minapp::error;
using minapp::update;
using minapp::where;
using minapp::test::emulated_service;
using minapp::test::run_bounded;

namespace {

std::string decoded_query(const std::string& target) {
    const auto q = target.find('?');
    std::string out;
    if (q != std::string::npos) {
        for (char c : boost::urls::decode_view(std::string_view(target).substr(q + 1))) {
            out += c;
        }
    }
    return out;
}

json::object stored(emulated_service& s, std::int64_t id) {
    return json::parse(s.api.stored_user_json("", id).value()).as_object();
}

asio::awaitable<std::vector<std::int64_t>> first_ids(minapp::client& c, std::int64_t n) {
    auto page = (co_await c.list_users_page(
                     minapp::user_query().order(minapp::order_by().asc("id")).page_size(n)))
                    .value();
    std::vector<std::int64_t> ids;
    for (const auto& u : page.objects) {
        ids.push_back(u.id);
    }
    co_return ids;
}

// A user-side aggregate, for the documented workaround: name it before the co_await.
struct my_settings {
    std::string city = std::string(40, 'c');
    std::vector<std::string> tags{std::string(30, 't')};
};

static_assert(!minapp::co_await_safe<my_settings>, "an aggregate with a std::string member");
static_assert(minapp::co_await_safe<minapp::user_query>);
static_assert(minapp::co_await_safe<minapp::client_options>);

} // namespace

BOOST_AUTO_TEST_SUITE(call_shapes)

// Issue row 1: a braced, designated query inline. Fixed form: chainable setters.
BOOST_AUTO_TEST_CASE(query_with_setters_inline) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto page = co_await s.client->list_users_page(
            minapp::user_query().filter(where::eq("gender", 2)).page_size(5));
        BOOST_TEST_REQUIRE(page.has_value(), page.error().diagnostics.to_string());
        BOOST_TEST(page->objects.size() <= 5u);
        for (const auto& u : page->objects) {
            BOOST_TEST(u.gender == 2);
        }
        const auto q = decoded_query(s.last().target);
        BOOST_TEST(q.find(R"(where={"gender":{"$eq":2}})") != std::string::npos);
        BOOST_TEST(q.find("limit=5") != std::string::npos);
        s.finish();
    }());
}

// Issue row 2: a value-initialised query temporary.
BOOST_AUTO_TEST_CASE(default_query_temporary_inline) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto page = co_await s.client->list_users_page(minapp::user_query{});
        BOOST_TEST_REQUIRE(page.has_value(), page.error().diagnostics.to_string());
        BOOST_TEST(page->objects.size() == 100u);
        auto count = co_await s.client->count_users(where{});
        BOOST_TEST_REQUIRE(count.has_value());
        BOOST_TEST(*count == 200);
        s.finish();
    }());
}

// Issue rows 3 and 4: update_where with inline options (the callback named first: a capturing
// lambda written inside co_await is the g++ 12 bug itself), and with the default options.
BOOST_AUTO_TEST_CASE(update_where_with_inline_and_default_options) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        std::size_t calls = 0;
        auto on_progress = [&calls, tag = std::string(40, 'x')](const minapp::bulk_progress&) {
            calls += tag.size() == 40 ? 1 : 0;
        };
        auto vip_women = co_await s.client->count_users(where::eq("gender", 2));
        BOOST_TEST_REQUIRE(vip_women.has_value());
        auto report = co_await minapp::update_where(
            *s.client, where::eq("gender", 2), update().set("vip", true),
            minapp::where_update_options().concurrency(2).slice_size(7).on_progress(on_progress));
        BOOST_TEST_REQUIRE(report.has_value(), report.error().diagnostics.to_string());
        BOOST_TEST(report->succeeded == static_cast<std::size_t>(*vip_women));
        BOOST_TEST(calls >= 1u);
        auto again = co_await minapp::update_where(*s.client, where::eq("gender", 2),
                                                   update().set("test", "again"));
        BOOST_TEST_REQUIRE(again.has_value(), again.error().diagnostics.to_string());
        BOOST_TEST(again->succeeded == static_cast<std::size_t>(*vip_women));
        auto left =
            co_await s.client->count_users(where::eq("gender", 2) && where::ne("test", "again"));
        BOOST_TEST_REQUIRE(left.has_value());
        BOOST_TEST(*left == 0);
        s.finish();
    }());
}

// Issue row 5: JSON arrays and objects inline, in the form g++ 12 compiles inside co_await.
BOOST_AUTO_TEST_CASE(json_arrays_and_objects_inline) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 1);
        const std::string tag(32, 'z');
        auto u = co_await s.client->update_user(
            ids[0], update()
                        .set("tags", minapp::json_array("a", "b", tag))
                        .patch("profile", minapp::json_object("city", "Paris", "level", 3)));
        BOOST_TEST_REQUIRE(u.has_value(), u.error().diagnostics.to_string());
        const auto raw = stored(s, ids[0]);
        BOOST_TEST(json::serialize(raw.at("tags")) == R"(["a","b",")" + tag + R"("])");
        BOOST_TEST(raw.at("profile").as_object().at("city") == "Paris");
        BOOST_TEST(raw.at("profile").as_object().at("level") == 3);
        auto found = co_await s.client->count_users(
            where::contains_all("tags", minapp::json_array("a", tag)) &&
            where::in("id", minapp::json_array(ids[0], 1)));
        BOOST_TEST_REQUIRE(found.has_value());
        BOOST_TEST(*found == 1);
        s.finish();
    }());
}

// Issue row 6: builders take what users hold (std::string, vectors, maps, optionals).
BOOST_AUTO_TEST_CASE(builders_take_standard_types) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 3);
        const std::string text = "hello from a std::string";
        const std::string_view view = "a view";
        const std::vector<std::string> tags = {"x", "y"};
        const std::map<std::string, int> profile = {{"age", 30}, {"rank", 2}};
        const std::optional<bool> vip = true;
        auto u = co_await s.client->update_user(
            ids[0],
            update().set("test", text).set("vip", vip).set("tags", tags).patch("profile", profile));
        BOOST_TEST_REQUIRE(u.has_value(), u.error().diagnostics.to_string());
        auto raw = stored(s, ids[0]);
        BOOST_TEST(raw.at("test").as_string() == text);
        BOOST_TEST(raw.at("vip") == true);
        BOOST_TEST(json::serialize(raw.at("tags")) == R"(["x","y"])");
        BOOST_TEST(raw.at("profile").as_object().at("rank") == 2);
        auto appended = co_await s.client->update_user(
            ids[0], update().append("tags", std::vector<std::string>(1, "z")).set("test", view));
        BOOST_TEST_REQUIRE(appended.has_value(), appended.error().diagnostics.to_string());
        raw = stored(s, ids[0]);
        BOOST_TEST(json::serialize(raw.at("tags")) == R"(["x","y","z"])");
        BOOST_TEST(raw.at("test") == "a view");

        const std::string city = std::string(raw.at("city").as_string());
        const std::vector<std::int64_t> some = {ids[0], ids[1], ids[2]};
        auto n = co_await s.client->count_users(where::eq("city", city) && where::in("id", some));
        BOOST_TEST_REQUIRE(n.has_value());
        BOOST_TEST(*n >= 1);
        BOOST_TEST(decoded_query(s.last().target).find(R"({"city":{"$eq":")" + city + "\"}}") !=
                   std::string::npos);
        auto none = co_await s.client->count_users(
            where::nin("id", some) &&
            where::in("id", std::vector<std::int64_t>(some.begin(), some.begin() + 2)));
        BOOST_TEST_REQUIRE(none.has_value());
        BOOST_TEST(*none == 0);
        s.finish();
    }());
}

// Issue row 7: builder chains with literals, and every other parameter type inline.
BOOST_AUTO_TEST_CASE(every_parameter_type_inline) {
    emulated_service s;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await first_ids(*s.client, 4);
        auto scored = co_await s.client->update_user(ids[0], update().set("score", 1));
        BOOST_TEST_REQUIRE(scored.has_value(), scored.error().diagnostics.to_string());

        auto batch = co_await s.client->update_users_batch(
            where::in("id", minapp::json_array(ids[1], ids[2])), update().incr_by("score", 5),
            minapp::batch_slice{.limit = 10});
        BOOST_TEST_REQUIRE(batch.has_value(), batch.error().diagnostics.to_string());
        BOOST_TEST(batch->succeed == 2);
        auto batch_default = co_await s.client->update_users_batch(
            where::eq("id", ids[3]), update().set("test", std::string(50, 'b')));
        BOOST_TEST_REQUIRE(batch_default.has_value());
        BOOST_TEST(batch_default->succeed == 1);

        auto account = co_await s.client->update_account(
            ids[0],
            minapp::account_update().email("shape." + std::to_string(ids[0]) + "@example.com"));
        BOOST_TEST_REQUIRE(account.has_value(), account.error().diagnostics.to_string());
        BOOST_TEST(account->email.value_or("") ==
                   "shape." + std::to_string(ids[0]) + "@example.com");

        // An initializer list is the one form g++ 12 cannot compile inside co_await: named.
        const minapp::geo_polygon area({{100, 20}, {120, 20}, {120, 40}});
        auto near = co_await s.client->count_users(where::within("location", area));
        BOOST_TEST_REQUIRE(near.has_value(), near.error().diagnostics.to_string());

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        auto v1 = co_await s.client->list_users_v1(minapp::v1_filter().gender(2).limit(5));
#pragma GCC diagnostic pop
        BOOST_TEST_REQUIRE(v1.has_value(), v1.error().diagnostics.to_string());
        BOOST_TEST(v1->objects.size() <= 5u);
        BOOST_TEST(decoded_query(s.last().target).find("gender=2") != std::string::npos);

        auto items = std::vector<minapp::user_update>{
            minapp::user_update(ids[1], update().set("test", "one")),
            minapp::user_update(ids[2], update().set("test", "two"))};
        auto bulk = co_await minapp::update_users(
            *s.client, items, minapp::bulk_options().concurrency(2).stop_on_error(true));
        BOOST_TEST_REQUIRE(bulk.has_value());
        BOOST_TEST(bulk->totals.succeeded == 2u);
        auto bulk_default = co_await minapp::update_users(*s.client, items);
        BOOST_TEST_REQUIRE(bulk_default.has_value());
        BOOST_TEST(bulk_default->totals.succeeded == 2u);

        // A user's own aggregate: named before the co_await, as the README says.
        const my_settings settings;
        auto own = co_await s.client->count_users(where::eq("city", settings.city));
        BOOST_TEST_REQUIRE(own.has_value());
        BOOST_TEST(*own == 0);
        s.finish();
    }());
}

// Issue row 8: a call spawned with temporaries before the io_context runs owns its inputs.
BOOST_AUTO_TEST_CASE(spawned_call_owns_its_temporaries) {
    emulated_service s;
    std::optional<minapp::result<std::int64_t>> count;
    std::optional<minapp::result<minapp::user_page>> page;
    asio::co_spawn(s.ioc, s.client->count_users(where::eq("city", std::string("广州"))),
                   [&](std::exception_ptr e, minapp::result<std::int64_t> r) {
                       BOOST_TEST(!e);
                       count = std::move(r);
                   });
    asio::co_spawn(
        s.ioc,
        s.client->list_users_page(minapp::user_query().filter(where::eq("gender", 1)).page_size(3)),
        [&](std::exception_ptr e, minapp::result<minapp::user_page> r) {
            BOOST_TEST(!e);
            page = std::move(r);
        });
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        while (!count || !page) {
            asio::steady_timer tick(co_await asio::this_coro::executor,
                                    std::chrono::milliseconds(1));
            co_await tick.async_wait(asio::use_awaitable);
        }
        s.finish();
    }());
    BOOST_TEST_REQUIRE(count->has_value());
    BOOST_TEST(**count >= 0);
    BOOST_TEST_REQUIRE(page->has_value());
    BOOST_TEST((*page)->objects.size() == 3u);
    for (const auto& u : (*page)->objects) {
        BOOST_TEST(u.gender == 1);
    }
}

// Issue 21: a client built inside a coroutine with inline options, the pattern of Boost.MySQL
// and Boost.Redis users; the pager loop the README shows first; the client owned by the
// coroutine, so run() returns when the work is done.
BOOST_AUTO_TEST_CASE(client_built_inside_a_coroutine) {
    emulated_service s;
    const auto url = s.server.url();
    const std::string token = emulated_service::token;
    const auto ca = s.server.ca_pem();
    s.client.reset();
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::client client(
            co_await asio::this_coro::executor,
            minapp::client_options()
                .base_url(url)
                .access_token(token)
                .rate_limit({.per_second = 1000, .burst = 50})
                .retry({.max_attempts = 2})
                .pool(minapp::http::pool_options().max_connections(4).tls(
                    minapp::http::tls_options().use_system_ca(false).ca_pem(ca))));
        auto pager = client.list_users(minapp::user_query().keyset(true).page_size(64));
        std::int64_t seen = 0;
        while (auto user = co_await pager.next_or_throw()) {
            seen += user->id > 0 ? 1 : 0;
        }
        BOOST_TEST(seen == 200);
        BOOST_TEST(client.rate_limiter()->limit().per_second == 1000);
        s.server.stop();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
