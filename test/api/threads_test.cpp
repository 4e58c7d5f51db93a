// One client shared by coroutines on an io_context run by several threads, against an emulator
// with threads of its own: every call's result is right, the shared state stays consistent, and
// (under ThreadSanitizer, in CI) nothing races. Cancellation comes from another thread.
#include "support/async_test.hpp"
#include "threaded_service.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>
#include <minapp/error.hpp>
#include <minapp/where_update.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace emu = minapp::emulator;
using minapp::error;

namespace {

using minapp::test::run_on_threads;
using minapp::test::threaded_service;

} // namespace

BOOST_AUTO_TEST_SUITE(client_on_several_threads)

BOOST_AUTO_TEST_CASE(mixed_calls_from_four_threads_all_succeed_and_count_once) {
    threaded_service s(600);
    asio::io_context ioc(4);
    minapp::client c(ioc.get_executor(), s.client_options(8));

    std::vector<std::int64_t> ids;
    std::atomic<int> finished{0};
    std::atomic<int> failures{0};
    std::vector<std::int64_t> before;
    // The ids first, single-threaded.
    {
        asio::io_context setup;
        minapp::client one(setup.get_executor(), s.client_options(1));
        minapp::test::run_bounded(setup, [&]() -> asio::awaitable<void> {
            minapp::user_query q;
            q.keyset(true);
            q.page_size(1000);
            auto pager = one.list_users(q);
            for (;;) {
                auto user = (co_await pager.next()).value();
                if (!user) {
                    break;
                }
                ids.push_back(user->id);
            }
            one.shutdown();
        }());
    }
    for (auto id : ids) {
        before.push_back(s.stored_score(id));
    }

    // Eight coroutines, each on a strand of its own over the 4-thread io_context: gets, a pager
    // walk, single atomic updates of its own slice of users, and a bulk update.
    const std::size_t workers = 8;
    const std::size_t slice = ids.size() / workers;
    // The closure outlives its coroutines (a coroutine lambda reads its captures through the
    // closure object), so it is declared once, outside the loop.
    auto body = [&](std::size_t w) -> asio::awaitable<void> {
        for (std::size_t i = 0; i < 20; ++i) {
            const auto id = ids[(w * 31 + i) % ids.size()];
            auto user = co_await c.get_user(id);
            if (!user || user->id != id) {
                ++failures;
            }
        }
        minapp::user_query q;
        q.keyset(true);
        q.page_size(100);
        auto pager = c.list_users(q);
        std::size_t seen = 0;
        for (;;) {
            auto user = co_await pager.next();
            if (!user) {
                ++failures;
                break;
            }
            if (!*user) {
                break;
            }
            ++seen;
        }
        if (seen != ids.size()) {
            ++failures;
        }
        const auto bump = minapp::update().incr_by("score", 1);
        for (std::size_t i = w * slice; i < (w + 1) * slice; i += 2) {
            auto updated = co_await c.update_user(ids[i], bump);
            if (!updated) {
                ++failures;
            }
        }
        std::vector<minapp::user_update> items;
        for (std::size_t i = w * slice + 1; i < (w + 1) * slice; i += 2) {
            minapp::user_update u;
            u.id = ids[i];
            u.change.incr_by("score", 1);
            items.push_back(std::move(u));
        }
        minapp::bulk_options options;
        options.concurrency(4);
        auto report = co_await minapp::update_users(c, items, options);
        if (!report || report->totals.succeeded != items.size()) {
            ++failures;
        }
        if (++finished == static_cast<int>(workers)) {
            c.shutdown();
        }
    };
    for (std::size_t w = 0; w < workers; ++w) {
        asio::co_spawn(asio::make_strand(ioc), body(w), [&](std::exception_ptr e) {
            if (e) {
                ++failures;
            }
        });
    }
    BOOST_TEST_REQUIRE(run_on_threads(ioc, 4, std::chrono::seconds(120)));
    BOOST_TEST(finished.load() == static_cast<int>(workers));
    BOOST_TEST(failures.load() == 0);
    for (std::size_t i = 0; i < workers * slice; ++i) {
        BOOST_TEST_REQUIRE(s.stored_score(ids[i]) == before[i] + 1, "user #" << i);
    }
    const auto stats = c.pool_stats();
    BOOST_TEST(stats.in_use == 0u);
    BOOST_TEST(stats.connections_opened <= 8u + stats.stale_discarded + stats.stale_resends);
    s.server.stop();
}

BOOST_AUTO_TEST_CASE(a_bulk_run_cancelled_from_another_thread_reports_every_item) {
    threaded_service s(400);
    asio::io_context ioc(4);
    auto options = s.client_options(8);
    options.rate_limit(minapp::rate_limit{400, 8}); // slow enough to be cancelled mid-run
    minapp::client c(ioc.get_executor(), options);
    std::vector<minapp::user_update> items;
    std::promise<void> started;
    std::atomic<bool> signalled{false};
    std::optional<minapp::result<minapp::bulk_report>> outcome;
    asio::cancellation_signal cancel;
    auto strand = asio::make_strand(ioc);

    auto body = [&]() -> asio::awaitable<void> {
        minapp::user_query q;
        q.keyset(true);
        q.page_size(1000);
        auto pager = c.list_users(q);
        for (;;) {
            auto user = (co_await pager.next()).value();
            if (!user) {
                break;
            }
            minapp::user_update u;
            u.id = user->id;
            u.change.set("test", "threads");
            items.push_back(std::move(u));
        }
        minapp::bulk_options bulk;
        bulk.on_progress([&](const minapp::bulk_progress& p) {
            if (p.done >= 40 && !signalled.exchange(true)) {
                started.set_value();
            }
        });
        bulk.progress_interval(std::chrono::milliseconds(0));
        auto run = minapp::update_users(c, items, bulk);
        outcome.emplace(co_await asio::co_spawn(
            strand, std::move(run),
            asio::bind_cancellation_slot(cancel.slot(), asio::use_awaitable)));
        c.shutdown();
    };
    asio::co_spawn(strand, body(), asio::detached);
    // The cancellation is emitted on the strand it is bound to, from a thread that is not
    // running the io_context: what a service's shutdown path does.
    std::thread canceller([&] {
        started.get_future().wait();
        asio::post(strand, [&] { cancel.emit(asio::cancellation_type::terminal); });
    });
    const bool drained = run_on_threads(ioc, 4, std::chrono::seconds(120));
    if (!signalled.exchange(true)) {
        started.set_value(); // the run ended early: release the canceller, the checks fail below
    }
    canceller.join();
    BOOST_TEST_REQUIRE(drained);
    BOOST_TEST_REQUIRE(outcome.has_value());
    const auto& report = outcome->value();
    BOOST_TEST(report.cancelled);
    BOOST_TEST(report.outcomes.size() == items.size());
    BOOST_TEST(report.totals.not_attempted > 0u);
    BOOST_TEST(report.totals.failed == 0u);
    s.server.stop();
}

BOOST_AUTO_TEST_CASE(fetched_tokens_renew_and_replay_under_four_threads) {
    // A fetcher whose odd fetches return a token the emulator refuses: each is cured by one
    // 401, one invalidation and one renewal, while 1-second lifetimes keep background renewals
    // going; all of it from four threads at once.
    threaded_service s(200);
    asio::io_context ioc(4);
    std::atomic<int> fetches{0};
    auto options = s.client_options(8);
    options.token_fetcher([&]() -> asio::awaitable<minapp::result<minapp::token_grant>> {
        const int n = ++fetches;
        co_return minapp::token_grant(n % 2 == 1 ? "refused-token" : threaded_service::token,
                                      std::chrono::seconds(1));
    });
    minapp::client c(ioc.get_executor(), options);
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::atomic<int> finished{0};
    const int workers = 16;
    auto body = [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 40; ++i) {
            auto n = co_await c.count_users();
            (n && *n == 200 ? ok : failed)++;
        }
        if (++finished == workers) {
            c.shutdown();
        }
    };
    for (int w = 0; w < workers; ++w) {
        asio::co_spawn(asio::make_strand(ioc), body(), asio::detached);
    }
    BOOST_TEST_REQUIRE(run_on_threads(ioc, 4, std::chrono::seconds(120)));
    BOOST_TEST(ok.load() == workers * 40);
    BOOST_TEST(failed.load() == 0);
    // Every refused token cost one renewal, not one per caller that saw the 401.
    BOOST_TEST(fetches.load() >= 2);
    BOOST_TEST(fetches.load() <= 2 * 10 + 2, "fetches: " << fetches.load());
    s.server.stop();
}

BOOST_AUTO_TEST_SUITE_END()
