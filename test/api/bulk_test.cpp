// Bulk updates against the in-process emulator with fault injection: every item accounted for,
// and the emulator's stored counters proving what was applied how many times.
#include "emulated_service.hpp"
#include "support/async_test.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/error.hpp>
#include <minapp/where_update.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

namespace minapp {
// Lets Boost.Test print a status.
std::ostream& operator<<(std::ostream& os, outcome_status s) {
    return os << to_string(s);
}
} // namespace minapp

namespace asio = boost::asio;
namespace emu = minapp::emulator;
using minapp::error;
using minapp::outcome_status;
using minapp::test::emulated_service;
using minapp::test::run_bounded;

namespace {

// The stored integer `field` of a user, 0 when unset (what $incr_by starts from).
std::int64_t stored_int(emulated_service& s, std::int64_t id, const char* field) {
    auto user = boost::json::parse(s.api.stored_user_json("", id).value()).as_object();
    const auto* v = user.if_contains(field);
    return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}

// Every user id, in id order.
asio::awaitable<std::vector<std::int64_t>> all_ids(minapp::client& c) {
    minapp::user_query q;
    q.keyset(true);
    q.page_size(1000);
    auto pager = c.list_users(q);
    std::vector<std::int64_t> ids;
    for (;;) {
        auto user = (co_await pager.next()).value();
        if (!user) {
            break;
        }
        ids.push_back(user->id);
    }
    co_return ids;
}

// Fast retries: these tests check what is retried, not how long the backoff is.
minapp::client_options quick_retries() {
    minapp::client_options o;
    o.retry().initial_backoff = std::chrono::milliseconds(1);
    o.retry().max_backoff = std::chrono::milliseconds(8);
    o.retry().throttle_floor = std::chrono::milliseconds(5);
    return o;
}

emu::fault_rule rule(emu::fault_kind kind, double probability) {
    emu::fault_rule r;
    r.kind = kind;
    r.probability = probability;
    r.filter.method = "PUT";
    return r;
}

// The fault mix of issue 5: 5% 500s, 2% resets before and 2% after the handler, and two bursts
// of 429s (the first matching rule wins, so the bursts come first).
emu::fault_config fault_mix() {
    emu::fault_config c;
    c.seed = 20261129;
    auto bursts = rule(emu::fault_kind::http_429, 0);
    for (std::uint64_t n = 2000; n < 2040; ++n) {
        bursts.on_requests.push_back(n);
    }
    for (std::uint64_t n = 7000; n < 7040; ++n) {
        bursts.on_requests.push_back(n);
    }
    c.rules.push_back(bursts);
    c.rules.push_back(rule(emu::fault_kind::http_500, 0.05));
    c.rules.push_back(rule(emu::fault_kind::reset_before_handler, 0.02));
    c.rules.push_back(rule(emu::fault_kind::reset_after_handler, 0.02));
    return c;
}

struct tally {
    std::map<outcome_status, std::size_t> by_status;
    void count(outcome_status s) { ++by_status[s]; }
    std::size_t operator[](outcome_status s) const {
        auto it = by_status.find(s);
        return it == by_status.end() ? 0 : it->second;
    }
};

// Checks that the report accounts for every item exactly once, in input order.
void check_complete(const minapp::bulk_report& report, std::size_t items) {
    BOOST_TEST_REQUIRE(report.outcomes.size() == items);
    for (std::size_t i = 0; i < items; ++i) {
        BOOST_TEST_REQUIRE(report.outcomes[i].index == i);
    }
    const auto& t = report.totals;
    BOOST_TEST(t.done == items);
    BOOST_TEST(t.succeeded + t.failed + t.unknown + t.not_attempted == items);
}

} // namespace

BOOST_AUTO_TEST_SUITE(bulk_update_users)

BOOST_AUTO_TEST_CASE(applies_each_item_and_reports_in_input_order) {
    emulated_service s(60);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        std::vector<minapp::user_update> items;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            minapp::user_update u;
            u.id = ids[i];
            u.change.set("score", static_cast<std::int64_t>(100000 + i));
            items.push_back(std::move(u));
        }
        std::vector<minapp::bulk_progress> progress;
        minapp::bulk_options options;
        options.concurrency(5);
        options.progress_interval(std::chrono::milliseconds(0));
        options.on_progress([&](const minapp::bulk_progress& p) { progress.push_back(p); });
        const auto report = (co_await minapp::update_users(*s.client, items, options)).value();
        check_complete(report, items.size());
        BOOST_TEST(report.totals.succeeded == items.size());
        BOOST_TEST(!report.cancelled);
        for (std::size_t i = 0; i < items.size(); ++i) {
            const auto& o = report.outcomes[i];
            BOOST_TEST(o.id == ids[i]);
            BOOST_TEST(o.status == outcome_status::succeeded);
            BOOST_TEST_REQUIRE(o.user.has_value());
            BOOST_TEST(o.user->custom_fields.at("score").as_int64() ==
                       static_cast<std::int64_t>(100000 + i));
            BOOST_TEST(stored_int(s, ids[i], "score") == static_cast<std::int64_t>(100000 + i));
        }
        BOOST_TEST_REQUIRE(!progress.empty());
        BOOST_TEST(progress.back().done == items.size());
        BOOST_TEST(progress.back().total.value_or(0) == items.size());
        BOOST_TEST(std::is_sorted(progress.begin(), progress.end(),
                                  [](const auto& a, const auto& b) { return a.done < b.done; }));
        // Never more than `concurrency` connections were needed.
        BOOST_TEST(s.client->pool_stats().connections_opened <= 5u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(an_invalid_item_fails_alone_and_invalid_options_send_nothing) {
    emulated_service s(10);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        const auto listed = s.requests().size();
        std::vector<minapp::user_update> items(4);
        items[0].id = ids[0];
        items[0].change.set("score", 1);
        items[1].id = 0; // not a user id
        items[1].change.set("score", 1);
        items[2].id = ids[2];
        items[2].change.set("nickname", "x"); // a built-in field
        items[3].id = ids[3];
        items[3].change.incr_by("score", 1);

        minapp::bulk_options bad;
        bad.concurrency(0);
        auto refused = co_await minapp::update_users(*s.client, items, bad);
        BOOST_TEST_REQUIRE(!refused.has_value());
        BOOST_TEST((refused.error().code == error::invalid_argument));
        BOOST_TEST(s.requests().size() == listed);

        const auto report = (co_await minapp::update_users(*s.client, items)).value();
        check_complete(report, items.size());
        BOOST_TEST(report.outcomes[0].status == outcome_status::succeeded);
        BOOST_TEST(report.outcomes[1].status == outcome_status::failed);
        BOOST_TEST((report.outcomes[1].error->code == error::invalid_argument));
        BOOST_TEST(report.outcomes[2].status == outcome_status::failed);
        BOOST_TEST((report.outcomes[2].error->code == error::invalid_argument));
        BOOST_TEST(report.outcomes[3].status == outcome_status::succeeded);
        BOOST_TEST(s.requests().size() == listed + 2); // the invalid items were never sent
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(ten_thousand_atomic_increments_under_faults_are_applied_at_most_once) {
    emulated_service s(10000, quick_retries());
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            const auto ids = co_await all_ids(*s.client);
            BOOST_TEST_REQUIRE(ids.size() == 10000u);
            std::vector<std::int64_t> before;
            std::vector<minapp::user_update> items;
            for (auto id : ids) {
                before.push_back(stored_int(s, id, "score"));
                minapp::user_update u;
                u.id = id;
                u.change.incr_by("score", 1);
                items.push_back(std::move(u));
            }
            s.server.faults().configure(fault_mix());

            const auto report = (co_await minapp::update_users(*s.client, items)).value();
            check_complete(report, items.size());
            tally t;
            for (std::size_t i = 0; i < items.size(); ++i) {
                const auto& o = report.outcomes[i];
                t.count(o.status);
                const auto delta = stored_int(s, ids[i], "score") - before[i];
                switch (o.status) {
                case outcome_status::succeeded:
                    BOOST_TEST_REQUIRE(delta == 1);
                    break;
                case outcome_status::failed:
                case outcome_status::not_attempted:
                    BOOST_TEST_REQUIRE(delta == 0);
                    BOOST_TEST_REQUIRE(o.error.has_value());
                    break;
                case outcome_status::unknown:
                    BOOST_TEST_REQUIRE((delta == 0 || delta == 1));
                    BOOST_TEST_REQUIRE((o.error->code == error::outcome_unknown));
                    break;
                }
            }
            BOOST_TEST_MESSAGE("incr_by under faults: succeeded "
                               << t[outcome_status::succeeded] << ", failed "
                               << t[outcome_status::failed] << ", unknown "
                               << t[outcome_status::unknown] << ", not attempted "
                               << t[outcome_status::not_attempted]);
            // 500s are not retried; resets of an atomic update may have been applied: unknown.
            BOOST_TEST(t[outcome_status::failed] > 300u);
            BOOST_TEST(t[outcome_status::unknown] > 200u);
            BOOST_TEST(t[outcome_status::not_attempted] == 0u);
            BOOST_TEST(t[outcome_status::succeeded] > 8500u);
            s.finish();
        }(),
        std::chrono::seconds(240));
}

BOOST_AUTO_TEST_CASE(ten_thousand_plain_sets_under_faults_retry_resets_to_success) {
    emulated_service s(10000, quick_retries());
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            const auto ids = co_await all_ids(*s.client);
            std::vector<std::int64_t> before;
            std::vector<minapp::user_update> items;
            for (std::size_t i = 0; i < ids.size(); ++i) {
                before.push_back(stored_int(s, ids[i], "score"));
                minapp::user_update u;
                u.id = ids[i];
                u.change.set("score", static_cast<std::int64_t>(5000000 + i));
                items.push_back(std::move(u));
            }
            s.server.faults().configure(fault_mix());

            tally t;
            std::vector<minapp::update_outcome> streamed;
            minapp::bulk_options options;
            options.on_outcome(
                [&](minapp::update_outcome&& o) { streamed.push_back(std::move(o)); });
            const auto report = (co_await minapp::update_users(*s.client, items, options)).value();
            BOOST_TEST(report.outcomes.empty()); // streamed instead of kept
            BOOST_TEST_REQUIRE(streamed.size() == items.size());
            std::set<std::size_t> seen;
            for (const auto& o : streamed) {
                BOOST_TEST_REQUIRE(seen.insert(o.index).second);
                t.count(o.status);
                const auto value = stored_int(s, o.id, "score");
                const auto wanted = static_cast<std::int64_t>(5000000 + o.index);
                if (o.status == outcome_status::succeeded) {
                    BOOST_TEST_REQUIRE(value == wanted);
                } else if (o.status == outcome_status::unknown) {
                    // A reset after the handler, then a 500 on the retry: maybe applied.
                    BOOST_TEST_REQUIRE((o.error->code == error::outcome_unknown));
                    BOOST_TEST_REQUIRE((value == wanted || value == before[o.index]));
                } else {
                    // Otherwise only 500s end as failures: a set is retried after any reset.
                    BOOST_TEST_REQUIRE(o.status == outcome_status::failed);
                    BOOST_TEST_REQUIRE((o.error->code == error::server_error));
                    BOOST_TEST_REQUIRE(o.error->diagnostics.http_status == 500u);
                    BOOST_TEST_REQUIRE(value == before[o.index]);
                }
            }
            BOOST_TEST(report.totals.done == items.size());
            BOOST_TEST(t[outcome_status::not_attempted] == 0u);
            // Resets are retried: unknown only when the retry after a lost answer failed. A reset
            // either side of the handler is ambiguous to the client (4% of attempts) and a 500
            // ends the retry (5%): about 20 of 10,000 expected, and the count depends on which
            // request each fault lands on. 30 was a 2-sigma bound (the ASan pass of 2026-12-06
            // hit it); 60 is beyond 8 sigma.
            BOOST_TEST(t[outcome_status::unknown] < 60u);
            BOOST_TEST(t[outcome_status::succeeded] > 9000u);
            BOOST_TEST(t[outcome_status::failed] > 300u);
            BOOST_TEST_MESSAGE("set under faults: succeeded "
                               << t[outcome_status::succeeded] << ", failed "
                               << t[outcome_status::failed] << ", unknown "
                               << t[outcome_status::unknown]);
            s.finish();
        }(),
        std::chrono::seconds(240));
}

BOOST_AUTO_TEST_CASE(stop_on_error_reports_the_rest_as_not_attempted) {
    emulated_service s(40, quick_retries());
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        auto fail_tenth = rule(emu::fault_kind::http_500, 0);
        fail_tenth.on_requests = {10};
        emu::fault_config faults;
        faults.rules.push_back(fail_tenth);
        s.server.faults().configure(faults);
        std::vector<minapp::user_update> items;
        for (auto id : ids) {
            minapp::user_update u;
            u.id = id;
            u.change.incr_by("score", 1);
            items.push_back(std::move(u));
        }
        minapp::bulk_options options;
        options.concurrency(1);
        options.stop_on_error(true);
        const auto report = (co_await minapp::update_users(*s.client, items, options)).value();
        check_complete(report, items.size());
        BOOST_TEST(report.stopped_on_error);
        BOOST_TEST(report.totals.succeeded == 9u);
        BOOST_TEST(report.outcomes[9].status == outcome_status::failed);
        for (std::size_t i = 10; i < items.size(); ++i) {
            BOOST_TEST_REQUIRE(report.outcomes[i].status == outcome_status::not_attempted);
            BOOST_TEST_REQUIRE((report.outcomes[i].error->code == error::not_attempted));
        }
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(cancellation_mid_run_returns_a_complete_report_and_leaves_no_work) {
    emulated_service s(2000, quick_retries());
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        std::vector<std::int64_t> before;
        std::vector<minapp::user_update> items;
        for (auto id : ids) {
            before.push_back(stored_int(s, id, "score"));
            minapp::user_update u;
            u.id = id;
            u.change.incr_by("score", 1);
            items.push_back(std::move(u));
        }
        // Slow answers, so that requests are on the wire when the cancellation comes.
        emu::fault_config faults;
        auto slow = rule(emu::fault_kind::latency, 1.0);
        slow.latency = std::chrono::milliseconds(20);
        faults.rules.push_back(slow);
        s.server.faults().configure(faults);

        asio::cancellation_signal cancel;
        std::vector<minapp::update_outcome> outcomes;
        minapp::bulk_options options;
        options.on_outcome([&](minapp::update_outcome&& o) {
            outcomes.push_back(std::move(o));
            if (outcomes.size() == 100) {
                cancel.emit(asio::cancellation_type::terminal);
            }
        });
        auto run = minapp::update_users(*s.client, items, options);
        auto op = asio::co_spawn(s.ioc, std::move(run),
                                 asio::bind_cancellation_slot(cancel.slot(), asio::use_awaitable));
        const auto report = (co_await std::move(op)).value();
        BOOST_TEST(report.cancelled);
        BOOST_TEST_REQUIRE(outcomes.size() == items.size());
        tally t;
        for (const auto& o : outcomes) {
            t.count(o.status);
            const auto delta = stored_int(s, o.id, "score") - before[o.index];
            if (o.status == outcome_status::succeeded) {
                BOOST_TEST_REQUIRE(delta == 1);
            } else if (o.status == outcome_status::unknown) {
                BOOST_TEST_REQUIRE((delta == 0 || delta == 1));
            } else {
                BOOST_TEST_REQUIRE(o.status == outcome_status::not_attempted);
                BOOST_TEST_REQUIRE(delta == 0);
            }
        }
        // The requests in flight (up to 16) were aborted; nothing new started.
        BOOST_TEST(t[outcome_status::succeeded] >= 100u);
        BOOST_TEST(t[outcome_status::succeeded] + t[outcome_status::unknown] <= 100u + 16u);
        BOOST_TEST(t[outcome_status::not_attempted] >= items.size() - 116);
        BOOST_TEST(t[outcome_status::failed] == 0u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(a_429_storm_pauses_every_worker_together) {
    auto o = quick_retries();
    o.rate_limit(minapp::rate_limit{1000, 16});
    emulated_service s(400, o);
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> handled;
    s.on_request = [&](std::size_t) {
        std::lock_guard lock(mutex);
        handled.push_back(std::chrono::steady_clock::now());
    };
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        // Four throttled answers in a row, each asking for one second.
        auto storm = rule(emu::fault_kind::http_429_retry_after, 0);
        storm.retry_after = std::chrono::seconds(1);
        for (std::uint64_t n = 100; n < 104; ++n) {
            storm.on_requests.push_back(n);
        }
        emu::fault_config faults;
        faults.rules.push_back(storm);
        s.server.faults().configure(faults);
        {
            std::lock_guard lock(mutex);
            handled.clear();
        }
        std::vector<minapp::user_update> items;
        for (auto id : ids) {
            minapp::user_update u;
            u.id = id;
            u.change.incr_by("score", 1);
            items.push_back(std::move(u));
        }
        const auto report = (co_await minapp::update_users(*s.client, items)).value();
        check_complete(report, items.size());
        BOOST_TEST(report.totals.succeeded == items.size()); // a 429 is never applied: retried
        const auto st = s.client->rate_limiter()->stats();
        BOOST_TEST(st.throttled == 4u);
        // Answers to requests sent before the first pause count as one episode; a 429 to a
        // request sent after it (the storm outlived the pause) halves the rate again.
        BOOST_TEST(st.throttle_episodes >= 1u);
        BOOST_TEST(st.throttle_episodes <= 4u);
        // Every request sent after the first 429 reached the client waited for the pause, so
        // the requests the handler saw have a gap of at least the Retry-After second. (A lower
        // bound: a slow machine can only make the gap longer.)
        std::lock_guard lock(mutex);
        std::chrono::steady_clock::duration widest{};
        for (std::size_t i = 1; i < handled.size(); ++i) {
            widest = std::max(widest, handled[i] - handled[i - 1]);
        }
        BOOST_TEST(handled.size() == items.size());
        BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(widest).count() >= 990);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(retry_budget_stops_retries_during_an_outage) {
    auto o = quick_retries();
    o.retry().max_attempts = 4;
    emulated_service s(20, o);
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto ids = co_await all_ids(*s.client);
        emu::fault_config outage;
        auto down = rule(emu::fault_kind::http_502, 1.0);
        down.filter.method.clear();
        outage.rules.push_back(down);
        s.server.faults().configure(outage);
        const auto before = s.server.stats().requests_total;
        int exhausted = 0;
        for (int i = 0; i < 100; ++i) {
            auto r = co_await s.client->get_user(ids[0]);
            BOOST_TEST_REQUIRE(!r.has_value());
            BOOST_TEST_REQUIRE(r.error().diagnostics.http_status == 502u);
            exhausted += r.error().diagnostics.detail.find("retry budget") != std::string::npos;
        }
        const auto sent = s.server.stats().requests_total - before;
        // Without a budget: 400 requests. With it: retries stop once half the 100 tokens are
        // gone (about 50 failed attempts), then one attempt per call.
        BOOST_TEST(sent >= 100u);
        BOOST_TEST(sent <= 160u);
        BOOST_TEST(exhausted > 80);
        s.server.faults().configure({});
        auto healed = co_await s.client->get_user(ids[0]);
        BOOST_TEST(healed.has_value());
        s.finish();
    }());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bulk_update_where)

BOOST_AUTO_TEST_CASE(updates_each_matching_user_once_while_the_match_shrinks) {
    emulated_service s(7200, quick_retries());
    run_bounded(
        s.ioc,
        [&]() -> asio::awaitable<void> {
            const auto ids = co_await all_ids(*s.client);
            std::map<std::int64_t, std::int64_t> before;
            std::set<std::int64_t> matching;
            for (auto id : ids) {
                auto user = boost::json::parse(s.api.stored_user_json("", id).value()).as_object();
                const auto* score = user.if_contains("score");
                before[id] = score != nullptr && score->is_int64() ? score->as_int64() : 0;
                if (score != nullptr && score->is_int64() && score->as_int64() < 2000) {
                    matching.insert(id);
                }
            }
            BOOST_TEST_REQUIRE(matching.size() >= 5000u);
            // Slow answers so that several slices are in flight together.
            emu::fault_config faults;
            auto slow = rule(emu::fault_kind::latency, 1.0);
            slow.latency = std::chrono::milliseconds(30);
            faults.rules.push_back(slow);
            s.server.faults().configure(faults);

            const auto filter = minapp::where::lt("score", 2000);
            minapp::update change;
            change.incr_by("score", 10000); // takes the user out of the match
            minapp::where_update_options options;
            std::size_t last_done = 0;
            options.on_progress([&](const minapp::bulk_progress& p) { last_done = p.done; });
            const auto report =
                (co_await minapp::update_where(*s.client, filter, change, options)).value();

            BOOST_TEST(report.matched == matching.size());
            BOOST_TEST(report.succeeded == matching.size());
            BOOST_TEST(report.no_longer_matching == 0u);
            BOOST_TEST(report.item_errors.empty());
            BOOST_TEST(report.failed_slices.empty());
            BOOST_TEST(!report.listing_error.has_value());
            BOOST_TEST(last_done == matching.size());
            for (auto id : ids) {
                const auto wanted = before[id] + (matching.count(id) != 0 ? 10000 : 0);
                BOOST_TEST_REQUIRE(stored_int(s, id, "score") == wanted);
            }
            // Slices stay within the URL limit (13-digit ids: fewer than 1000 per slice) and
            // always use offset 0, never the offset the shrinking match would shift.
            std::size_t batches = 0;
            for (const auto& r : s.requests()) {
                if (r.method == "PUT") {
                    ++batches;
                    BOOST_TEST_REQUIRE(r.target.size() <= 16386u);
                    BOOST_TEST_REQUIRE(r.target.find("offset=0") != std::string::npos);
                }
            }
            BOOST_TEST(batches == report.requests);
            BOOST_TEST(batches > matching.size() / 1000);
            const auto left = (co_await s.client->count_users(filter)).value();
            BOOST_TEST(left == 0);
            s.finish();
        }(),
        std::chrono::seconds(240));
}

BOOST_AUTO_TEST_CASE(failed_slices_and_invalid_arguments_are_reported) {
    emulated_service s(3000, quick_retries());
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        minapp::update builtin;
        builtin.set("nickname", "x");
        const auto sent_before = s.requests().size();
        auto refused = co_await minapp::update_where(*s.client, minapp::where::all(), builtin);
        BOOST_TEST_REQUIRE(!refused.has_value());
        BOOST_TEST((refused.error().code == error::invalid_argument));
        BOOST_TEST(s.requests().size() == sent_before);

        // The second batch request fails with a 500; the others go through.
        emu::fault_config faults;
        auto fail_second = rule(emu::fault_kind::http_500, 0);
        fail_second.on_requests = {2};
        faults.rules.push_back(fail_second);
        s.server.faults().configure(faults);
        minapp::update change;
        change.set("test", "bulk");
        minapp::where_update_options options;
        options.concurrency(1);
        const auto report =
            (co_await minapp::update_where(*s.client, minapp::where::all(), change, options))
                .value();
        BOOST_TEST(report.matched == 3000u);
        BOOST_TEST_REQUIRE(report.failed_slices.size() == 1u);
        const auto& failed = report.failed_slices.front();
        BOOST_TEST(failed.status == outcome_status::failed);
        BOOST_TEST(failed.error.diagnostics.http_status == 500u);
        BOOST_TEST(report.succeeded + failed.ids.size() == 3000u);
        BOOST_TEST(report.totals.failed == failed.ids.size());
        for (auto id : failed.ids) {
            auto user = boost::json::parse(s.api.stored_user_json("", id).value()).as_object();
            BOOST_TEST_REQUIRE((!user.contains("test") || user.at("test").as_string() != "bulk"));
        }
        s.finish();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
