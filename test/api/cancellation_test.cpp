// Cancellation landing at every place a call waits: each ends the call with error::cancelled,
// or error::outcome_unknown for a write that may have reached the server, and never throws;
// terminal and partial, emitted from the io_context's thread or from another thread.
#include "support/async_test.hpp"
#include "suspension_rig.hpp"

#include "emulated_service.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

namespace asio = boost::asio;
using minapp::error;
using minapp::update;
using minapp::test::suspension;
using minapp::test::suspension_rig;
using minapp::test::wait_until;

namespace {

enum class call_kind { get, put_set, put_incr };
enum class emitter { same_thread, other_thread };

const char* to_string(call_kind k) {
    return k == call_kind::get ? "GET" : k == call_kind::put_set ? "PUT $set" : "PUT $incr_by";
}

struct cell {
    suspension where;
    call_kind call;
    error expected;
};

// The table: a GET is cancelled wherever it waits; a write is cancelled until it may have
// reached the server (write, read), and outcome_unknown from then on. After a 503 (backoff)
// the write was refused, so it is cancelled, not unknown.
const cell table[] = {
    {suspension::limiter, call_kind::get, error::cancelled},
    {suspension::limiter, call_kind::put_incr, error::cancelled},
    {suspension::pool_wait, call_kind::get, error::cancelled},
    {suspension::pool_wait, call_kind::put_set, error::cancelled},
    {suspension::connect, call_kind::get, error::cancelled},
    {suspension::connect, call_kind::put_incr, error::cancelled},
    {suspension::write, call_kind::put_set, error::outcome_unknown},
    {suspension::write, call_kind::put_incr, error::outcome_unknown},
    {suspension::read, call_kind::get, error::cancelled},
    {suspension::read, call_kind::put_set, error::outcome_unknown},
    {suspension::read, call_kind::put_incr, error::outcome_unknown},
    {suspension::backoff, call_kind::get, error::cancelled},
    {suspension::backoff, call_kind::put_set, error::cancelled},
};

asio::awaitable<minapp::result<minapp::user_profile>> make_call(minapp::client& c, call_kind k,
                                                                suspension where) {
    if (k == call_kind::get) {
        return c.get_user(42);
    }
    auto change =
        k == call_kind::put_set ? update().set("test", "x") : update().incr_by("score", 1);
    if (where == suspension::write) {
        // Far more than the loopback socket buffers hold: the write cannot finish.
        change.set("test", std::string(std::size_t{64} << 20, 'w'));
    }
    return c.update_user(42, std::move(change));
}

// The user's coroutine: accepts partial cancellation as well as terminal, awaits the call once.
asio::awaitable<void> caller(asio::awaitable<minapp::result<minapp::user_profile>> call,
                             std::optional<minapp::result<minapp::user_profile>>& out) {
    co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
    out.emplace(co_await std::move(call));
}

void run_cell(const cell& c, asio::cancellation_type type, emitter from) {
    asio::io_context ioc;
    suspension_rig rig(ioc, c.where);
    asio::cancellation_signal signal;
    std::optional<minapp::result<minapp::user_profile>> result;
    std::exception_ptr thrown;
    bool completed = false;
    std::promise<void> reached;

    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            co_await rig.prime();
            asio::co_spawn(ioc, caller(make_call(*rig.client, c.call, c.where), result),
                           asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                               thrown = e;
                               completed = true;
                           }));
            co_await wait_until([&] { return rig.reached(1); });
            if (from == emitter::same_thread) {
                signal.emit(type);
            } else {
                reached.set_value();
            }
            co_await wait_until([&] { return completed; });
            rig.finish();
        },
        asio::detached);

    if (from == emitter::same_thread) {
        ioc.run_for(std::chrono::seconds(30));
    } else {
        std::thread io([&] { ioc.run_for(std::chrono::seconds(30)); });
        const bool ok =
            reached.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready;
        if (ok) {
            signal.emit(type); // from this thread, while the call waits on the io thread
        }
        io.join();
        BOOST_TEST_REQUIRE(ok, "the call never reached the waiting point");
    }
    BOOST_TEST_REQUIRE(completed, "the call did not complete");
    BOOST_TEST(!thrown, "the call threw instead of returning an error");
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST_REQUIRE(!result->has_value());
    BOOST_TEST(result->error().code == minapp::make_error_code(c.expected),
               result->error().code.message() << ": " << result->error().diagnostics.detail);
    BOOST_TEST(ioc.stopped(), "work was left on the io_context");
}

} // namespace

BOOST_AUTO_TEST_SUITE(cancellation)

BOOST_AUTO_TEST_CASE(at_every_suspension_point) {
    for (const auto& c : table) {
        for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial}) {
            for (auto from : {emitter::same_thread, emitter::other_thread}) {
                BOOST_TEST_CONTEXT(
                    to_string(c.where)
                    << ", " << to_string(c.call) << ", "
                    << (type == asio::cancellation_type::terminal ? "terminal" : "partial") << ", "
                    << (from == emitter::same_thread ? "same thread" : "other thread")) {
                    run_cell(c, type, from);
                }
            }
        }
    }
}

// The pager: a cancellation while next() waits for the page being fetched ahead ends that
// next() with error::cancelled; the pager keeps the error, and destroying it leaves nothing.
BOOST_AUTO_TEST_CASE(pager_prefetch) {
    for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial}) {
        BOOST_TEST_CONTEXT((type == asio::cancellation_type::terminal ? "terminal" : "partial")) {
            asio::io_context ioc;
            suspension_rig rig(ioc, suspension::read);
            asio::cancellation_signal signal;
            std::optional<minapp::result<std::optional<minapp::user_profile>>> first, second;
            bool completed = false;
            std::exception_ptr thrown;
            std::optional<minapp::user_pager> pager(rig.client->list_users(minapp::user_query()));
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    asio::co_spawn(
                        ioc,
                        [&]() -> asio::awaitable<void> {
                            co_await asio::this_coro::reset_cancellation_state(
                                asio::enable_partial_cancellation());
                            first.emplace(co_await pager->next());
                        },
                        asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                            thrown = e;
                            completed = true;
                        }));
                    co_await wait_until([&] { return rig.reached(1); });
                    signal.emit(type);
                    co_await wait_until([&] { return completed; });
                    second.emplace(co_await pager->next());
                    auto moved = std::move(*pager);
                    auto third = co_await pager->next(); // moved from
                    BOOST_TEST_REQUIRE(!third.has_value());
                    BOOST_TEST((third.error().code == error::invalid_argument));
                    BOOST_TEST((pager->cursor() == minapp::list_cursor{}));
                    pager.reset();
                    rig.finish();
                },
                asio::detached);
            ioc.run_for(std::chrono::seconds(30));
            BOOST_TEST_REQUIRE(completed);
            BOOST_TEST(!thrown);
            BOOST_TEST_REQUIRE(first.has_value());
            BOOST_TEST_REQUIRE(!first->has_value());
            BOOST_TEST((first->error().code == error::cancelled));
            BOOST_TEST_REQUIRE(second.has_value());
            BOOST_TEST((second->error().code == error::cancelled)); // kept
            BOOST_TEST(ioc.stopped());
        }
    }
}

// A bulk run: cancelled while its items are on the wire, it completes with the full report.
BOOST_AUTO_TEST_CASE(bulk_items) {
    asio::io_context ioc;
    suspension_rig rig(ioc, suspension::read);
    asio::cancellation_signal signal;
    std::optional<minapp::result<minapp::bulk_report>> report;
    std::vector<minapp::user_update> items;
    for (std::int64_t id = 1; id <= 10; ++id) {
        items.emplace_back(id, update().incr_by("score", 1));
    }
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                    report.emplace(co_await minapp::update_users(
                        *rig.client, items, minapp::bulk_options().concurrency(4)));
                },
                asio::bind_cancellation_slot(signal.slot(), asio::detached));
            co_await wait_until([&] { return rig.reached(4); });
            signal.emit(asio::cancellation_type::terminal);
            co_await wait_until([&] { return report.has_value(); });
            rig.finish();
        },
        asio::detached);
    ioc.run_for(std::chrono::seconds(30));
    BOOST_TEST_REQUIRE(report.has_value());
    BOOST_TEST_REQUIRE(report->has_value());
    const auto& r = **report;
    BOOST_TEST(r.cancelled);
    BOOST_TEST(r.outcomes.size() == 10u);
    BOOST_TEST(r.totals.unknown == 4u);       // on the wire: atomic updates may have applied
    BOOST_TEST(r.totals.not_attempted == 6u); // never sent
    BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_SUITE_END()
