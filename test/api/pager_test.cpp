// The async-generator listing against the in-process emulator: completeness at several page
// sizes, prefetch, early break, cancellation, errors with resumption, keyset under writes.
#include "emulated_service.hpp"
#include "support/async_test.hpp"
#include "support/scripted_server.hpp"

#include <minapp/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

namespace asio = boost::asio;
using minapp::error;
using minapp::test::emulated_service;
using minapp::test::run_bounded;

namespace {

// Walks the pager to its end, returning ids in delivery order.
asio::awaitable<std::vector<std::int64_t>> walk(minapp::user_pager& pager) {
    std::vector<std::int64_t> ids;
    for (;;) {
        auto u = co_await pager.next();
        BOOST_TEST_REQUIRE(u.has_value(), u.error().diagnostics.to_string());
        if (!*u) {
            break;
        }
        ids.push_back((*u)->id);
    }
    co_return ids;
}

void check_exactly_once(const std::vector<std::int64_t>& ids, std::size_t expected) {
    BOOST_TEST(ids.size() == expected);
    BOOST_TEST(std::set<std::int64_t>(ids.begin(), ids.end()).size() == expected);
}

} // namespace

BOOST_AUTO_TEST_SUITE(user_pager_behaviour)

BOOST_AUTO_TEST_CASE(visits_every_user_exactly_once_at_several_page_sizes) {
    emulated_service s(10'000);
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            for (std::int64_t size : {1000, 333, 100}) {
                BOOST_TEST_CONTEXT("page size " << size) {
                    minapp::user_query q;
                    q.order(minapp::order_by().asc("id"));
                    q.page_size(size);
                    auto pager = s.client->list_users(q);
                    const auto ids = co_await walk(pager);
                    check_exactly_once(ids, 10'000);
                    BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
                }
            }
            minapp::user_query keyset;
            keyset.keyset(true);
            keyset.page_size(1000);
            auto pager = s.client->list_users(keyset);
            check_exactly_once(co_await walk(pager), 10'000);
            BOOST_TEST(s.client->pool_stats().in_use == 0u);
            s.finish();
        }(),
        std::chrono::seconds(120));
}

BOOST_AUTO_TEST_CASE(page_size_and_item_cap_are_separate) {
    emulated_service s(500);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.page_size(40);
        q.max_items(95);
        q.filter(minapp::where::gte("created_at", 0));
        auto pager = s.client->list_users(q);
        check_exactly_once(co_await walk(pager), 95);
        // Three pages: 40 + 40 + 15 (the last request asks only for what the cap leaves).
        const auto seen = s.requests();
        BOOST_TEST(seen.size() == 3u);
        BOOST_TEST(seen.back().target.find("limit=15&offset=80") != std::string::npos);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(next_page_yields_whole_pages_with_meta) {
    emulated_service s(250);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.page_size(100);
        q.return_total_count(true);
        auto pager = s.client->list_users(q);
        std::vector<std::size_t> sizes;
        for (;;) {
            auto page = (co_await pager.next_page()).value();
            if (!page) {
                break;
            }
            BOOST_TEST(page->meta.total_count.value() == 250);
            sizes.push_back(page->objects.size());
        }
        BOOST_TEST((sizes == std::vector<std::size_t>{100, 100, 50}));
        BOOST_TEST(pager.cursor().offset == 300);
        BOOST_TEST(pager.cursor().delivered == 250);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(prefetches_one_page_ahead) {
    emulated_service s(1000);
    minapp::test::async_event second_request(s.ioc.get_executor());
    s.on_request = [&](std::size_t n) {
        if (n == 2) {
            second_request.set();
        }
    };
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.page_size(100);
        auto pager = s.client->list_users(q);
        auto first = (co_await pager.next_page()).value();
        BOOST_TEST_REQUIRE(first.has_value());
        // While the caller holds page 1, the pager fetches page 2 without being asked...
        co_await second_request.wait();
        BOOST_TEST(s.requests().back().target.find("offset=100") != std::string::npos);
        // ...and only page 2: a later round trip finds no request for page 3 before it.
        BOOST_TEST_REQUIRE((co_await s.client->count_users()).has_value());
        const auto seen = s.requests();
        BOOST_TEST_REQUIRE(seen.size() == 3u);
        BOOST_TEST(seen[2].target.find("return_total_count=1") != std::string::npos);
        auto second = (co_await pager.next_page()).value();
        BOOST_TEST_REQUIRE(second.has_value());
        BOOST_TEST(second->objects.size() == 100u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(early_break_cancels_cleanly) {
    emulated_service s(2000);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        {
            minapp::user_query q;
            q.page_size(100);
            auto pager = s.client->list_users(q);
            for (int i = 0; i < 150; ++i) {
                BOOST_TEST_REQUIRE((co_await pager.next()).value().has_value());
            }
        } // the pager is destroyed with page 3 possibly in flight
        auto after = co_await s.client->count_users();
        BOOST_TEST_REQUIRE(after.has_value());
        s.finish();
    }());
    // run_bounded also asserted that the io_context ran out of work: no producer left behind.
    const auto st = s.client->pool_stats();
    BOOST_TEST(st.in_use == 0u);
    BOOST_TEST(st.idle == 0u);
    BOOST_TEST(st.connections_opened == st.connections_closed);
}

BOOST_AUTO_TEST_CASE(cancelling_the_consumer_mid_page) {
    emulated_service s(500);
    // Page 2 is slow, so the cancellation lands while its request is in flight.
    minapp::emulator::fault_config faults;
    minapp::emulator::fault_rule slow;
    slow.kind = minapp::emulator::fault_kind::latency;
    slow.latency = std::chrono::milliseconds(5000);
    slow.on_requests = {2};
    faults.rules.push_back(slow);
    s.server.faults().configure(faults);
    minapp::test::async_event page_two_requested(s.ioc.get_executor());
    s.on_request = [&](std::size_t n) {
        if (n == 2) {
            page_two_requested.set();
        }
    };
    asio::cancellation_signal cancel;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        minapp::user_query q;
        q.page_size(100);
        auto pager = s.client->list_users(q);
        BOOST_TEST_REQUIRE((co_await pager.next_page()).value().has_value());
        minapp::test::async_event done(ex);
        minapp::result<std::optional<minapp::user_page>> second =
            std::optional<minapp::user_page>();
        asio::co_spawn(
            ex, pager.next_page(),
            asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, auto r) {
                BOOST_TEST(!e);
                second = std::move(r);
                done.set();
            }));
        co_await page_two_requested.wait();
        const auto started = std::chrono::steady_clock::now();
        cancel.emit(asio::cancellation_type::terminal);
        co_await done.wait();
        BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(4)));
        BOOST_TEST_REQUIRE(!second.has_value());
        BOOST_TEST((second.error().code == error::cancelled));
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(error_on_page_k_and_resume_from_the_cursor) {
    minapp::client_options o;
    o.retry().max_attempts = 1; // let the injected 500 reach the caller
    emulated_service s(1000, o);
    minapp::emulator::fault_config faults;
    minapp::emulator::fault_rule fail;
    fail.kind = minapp::emulator::fault_kind::http_500;
    fail.on_requests = {4};
    faults.rules.push_back(fail);
    s.server.faults().configure(faults);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.order(minapp::order_by().asc("id"));
        q.page_size(100);
        std::vector<std::int64_t> ids;
        auto pager = s.client->list_users(q);
        minapp::failure failed;
        for (;;) {
            auto u = co_await pager.next();
            if (!u) {
                failed = u.error();
                break;
            }
            BOOST_TEST_REQUIRE(u->has_value());
            ids.push_back((*u)->id);
        }
        BOOST_TEST((failed.code == error::server_error));
        BOOST_TEST(failed.diagnostics.http_status == 500u);
        BOOST_TEST(ids.size() == 300u);
        BOOST_TEST(pager.cursor().offset == 300);
        // The error is sticky on this pager.
        BOOST_TEST(!(co_await pager.next()).has_value());

        auto resumed = s.client->list_users(q.resume(pager.cursor()));
        const auto rest = co_await walk(resumed);
        ids.insert(ids.end(), rest.begin(), rest.end());
        check_exactly_once(ids, 1000);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(keyset_mode_is_exact_while_others_insert_and_update) {
    emulated_service s(3000);
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            std::set<std::int64_t> original;
            {
                minapp::user_query all;
                all.keyset(true);
                all.page_size(1000);
                auto p = s.client->list_users(all);
                for (auto id : co_await walk(p)) {
                    original.insert(id);
                }
            }
            BOOST_TEST_REQUIRE(original.size() == 3000u);

            // Another coroutine writes while the walk goes on: brand-new users, and updates of
            // users behind and ahead of the walk (what makes offset paging skip or repeat).
            auto ex = co_await asio::this_coro::executor;
            bool walking = true;
            int writes = 0;
            minapp::test::async_event writer_done(ex);
            auto writer = [&]() -> asio::awaitable<void> {
                const auto bump = minapp::update().incr_by("score", 1);
                const auto first_id = *original.begin();
                const auto last_id = *std::prev(original.end());
                while (walking) {
                    s.api.upsert_user("", R"({"nickname":"late arrival"})");
                    auto behind = co_await s.client->update_user(first_id, bump);
                    auto ahead = co_await s.client->update_user(last_id, bump);
                    BOOST_TEST((behind.has_value() && ahead.has_value()));
                    ++writes;
                }
            };
            asio::co_spawn(ex, writer(), [&](std::exception_ptr) { writer_done.set(); });

            minapp::user_query q;
            q.keyset(true);
            q.page_size(100);
            auto pager = s.client->list_users(q);
            std::vector<std::int64_t> ids;
            for (;;) {
                auto u = co_await pager.next();
                BOOST_TEST_REQUIRE(u.has_value(), u.error().diagnostics.to_string());
                if (!*u) {
                    break;
                }
                ids.push_back((*u)->id);
            }
            walking = false;
            co_await writer_done.wait();

            std::set<std::int64_t> seen(ids.begin(), ids.end());
            BOOST_TEST(seen.size() == ids.size()); // nothing repeated
            for (auto id : original) {
                BOOST_TEST_REQUIRE(seen.count(id) == 1u); // nothing skipped
            }
            BOOST_TEST(writes > 5);
            BOOST_TEST(ids.size() > original.size()); // users inserted meanwhile were reached
            BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
            s.finish();
        }(),
        std::chrono::seconds(120));
}

BOOST_AUTO_TEST_CASE(empty_page_with_next_does_not_end_iteration) {
    asio::io_context ioc;
    using minapp::test::reply;
    using minapp::test::seen_request;
    minapp::test::scripted_server server(ioc.get_executor(), [](const seen_request& req) {
        reply r;
        if (req.target.find("offset=0") != std::string::npos) {
            r.body = R"({"meta":{"limit":2,"offset":0,"previous":null,
                "next":"/dserve/v2.1/miniapp/user_profile/?limit=2&offset=2"},"objects":[]})";
        } else {
            r.body = R"({"meta":{"limit":2,"offset":2,"next":null,"previous":null},
                "objects":[{"id":7},{"id":8}]})";
        }
        return r;
    });
    minapp::client_options o;
    o.base_url("http://127.0.0.1:" + std::to_string(server.port()));
    o.access_token("t");
    minapp::client c(ioc.get_executor(), o);
    run_bounded(ioc, [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.page_size(2);
        auto pager = c.list_users(q);
        const auto ids = co_await walk(pager);
        BOOST_TEST((ids == std::vector<std::int64_t>{7, 8}));
        BOOST_TEST(server.requests() == 2u);
        c.shutdown();
        server.stop();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
