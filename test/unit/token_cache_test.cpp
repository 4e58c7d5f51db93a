// The token cache on its own: single-flight fetches, the soft and hard windows, invalidation by
// generation, failures shared by the waiters of one fetch, cancellation and shutdown. The
// fetcher is scripted and completes when the test says so.
#include "api/token_cache.hpp"
#include "support/async_test.hpp"

#include <minapp/error.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using minapp::error;
using minapp::detail::issued_token;
using minapp::detail::token_cache;
using minapp::detail::token_wait;
using minapp::test::async_event;
using minapp::test::run_bounded;
using clock_type = std::chrono::steady_clock;

namespace {

// A fetcher whose every call waits for `release` and then answers the next scripted grant.
struct scripted_fetcher {
    explicit scripted_fetcher(asio::io_context& io)
        : release(io.get_executor()) {}

    minapp::token_fetcher fetcher() {
        return [this]() -> asio::awaitable<minapp::result<minapp::token_grant>> {
            ++calls;
            if (gated) {
                co_await release.wait();
            }
            if (throw_next) {
                throw std::runtime_error("fetcher broke");
            }
            if (fail_next) {
                fail_next = false;
                minapp::failure f(error::unauthorized);
                f.diagnostics.server_message = "invalid_client";
                co_return f;
            }
            co_return minapp::token_grant("token-" + std::to_string(calls), lifetime);
        };
    }

    async_event release;
    bool gated = false;
    bool fail_next = false;
    bool throw_next = false;
    std::chrono::seconds lifetime{3600};
    int calls = 0;
};

asio::awaitable<minapp::result<std::shared_ptr<const issued_token>>> get(token_cache& cache) {
    if (auto t = cache.current()) {
        co_return t;
    }
    token_wait waiter(cache);
    co_return co_await cache.wait(waiter, {});
}

clock_type::time_point fake_now;
clock_type::time_point read_fake_now() {
    return fake_now;
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_cache_behaviour)

BOOST_AUTO_TEST_CASE(windows_are_capped_by_the_lifetime) {
    const auto t0 = clock_type::time_point{} + 1000s;
    const minapp::token_renewal renewal; // 300 s soft, 30 s hard
    auto w = minapp::detail::windows_for(t0, 7200s, renewal);
    BOOST_TEST((w.renew_at == t0 + 6900s));
    BOOST_TEST((w.wait_at == t0 + 7170s));
    // A 2-second token: renewal starts after 1 s, calls wait after 1.8 s.
    w = minapp::detail::windows_for(t0, 2s, renewal);
    BOOST_TEST((w.renew_at == t0 + 1s));
    BOOST_TEST((w.wait_at == t0 + 1800ms));
    // A token that is already expired is renewed at once.
    w = minapp::detail::windows_for(t0, 0s, renewal);
    BOOST_TEST((w.wait_at == t0));
}

BOOST_AUTO_TEST_CASE(fifty_waiters_share_one_fetch) {
    asio::io_context io;
    scripted_fetcher f(io);
    f.gated = true;
    auto cache =
        std::make_shared<token_cache>(io.get_executor(), f.fetcher(), minapp::token_renewal{});
    BOOST_TEST(!cache->current());
    int served = 0;
    for (int i = 0; i < 50; ++i) {
        asio::co_spawn(io, get(*cache), [&](std::exception_ptr e, auto r) {
            BOOST_TEST(!e);
            BOOST_TEST_REQUIRE(r.has_value());
            BOOST_TEST((*r)->value == "token-1");
            BOOST_TEST((*r)->generation == 1u);
            ++served;
        });
    }
    run_bounded(io, [&]() -> asio::awaitable<void> {
        // Every waiter is queued before the fetch is let go.
        while (cache->stats().waits < 50) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
        f.release.set();
    }());
    BOOST_TEST(served == 50);
    BOOST_TEST(f.calls == 1);
    BOOST_TEST(cache->stats().flights == 1u);
    BOOST_TEST(cache->current()->value == "token-1");
}

BOOST_AUTO_TEST_CASE(a_failed_fetch_reaches_every_waiter_and_the_next_call_tries_again) {
    asio::io_context io;
    scripted_fetcher f(io);
    f.fail_next = true;
    auto cache =
        std::make_shared<token_cache>(io.get_executor(), f.fetcher(), minapp::token_renewal{});
    int failed = 0;
    for (int i = 0; i < 3; ++i) {
        asio::co_spawn(io, get(*cache), [&](std::exception_ptr, auto r) {
            BOOST_TEST_REQUIRE(!r.has_value());
            BOOST_TEST((r.error().code == error::unauthorized));
            BOOST_TEST(r.error().diagnostics.server_message == "invalid_client");
            ++failed;
        });
    }
    io.run_for(10s);
    BOOST_TEST(failed == 3);
    BOOST_TEST(f.calls == 1);
    io.restart();
    run_bounded(io, [&]() -> asio::awaitable<void> {
        auto r = co_await get(*cache);
        BOOST_TEST_REQUIRE(r.has_value());
        BOOST_TEST((*r)->value == "token-2");
    }());
    BOOST_TEST(cache->stats().failures == 1u);
}

BOOST_AUTO_TEST_CASE(a_throwing_fetcher_is_a_token_flow_failure) {
    asio::io_context io;
    scripted_fetcher f(io);
    f.throw_next = true;
    auto cache =
        std::make_shared<token_cache>(io.get_executor(), f.fetcher(), minapp::token_renewal{});
    run_bounded(io, [&]() -> asio::awaitable<void> {
        auto r = co_await get(*cache);
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST((r.error().code == error::token_flow_failed));
        BOOST_TEST(r.error().diagnostics.detail.find("fetcher broke") != std::string::npos);
    }());
}

BOOST_AUTO_TEST_CASE(invalidation_renews_once_per_generation) {
    asio::io_context io;
    scripted_fetcher f(io);
    auto cache =
        std::make_shared<token_cache>(io.get_executor(), f.fetcher(), minapp::token_renewal{});
    run_bounded(io, [&]() -> asio::awaitable<void> {
        auto first = co_await get(*cache);
        BOOST_TEST_REQUIRE(first.has_value());
        // Fifty 401s of generation 1: one invalidation, one renewal.
        for (int i = 0; i < 50; ++i) {
            cache->invalidate((*first)->generation);
        }
        BOOST_TEST(!cache->current());
        auto second = co_await get(*cache);
        BOOST_TEST_REQUIRE(second.has_value());
        BOOST_TEST((*second)->generation == 2u);
        // A late 401 of generation 1 leaves generation 2 alone.
        cache->invalidate(1);
        BOOST_TEST(cache->current() == *second);
    }());
    BOOST_TEST(f.calls == 2);
    BOOST_TEST(cache->stats().invalidations == 1u);
}

BOOST_AUTO_TEST_CASE(the_soft_window_renews_in_the_background_once) {
    asio::io_context io;
    scripted_fetcher f(io);
    f.lifetime = 100s; // soft window after 50 s (capped at half), hard after 90 s
    fake_now = clock_type::time_point{} + 1000s;
    auto cache = std::make_shared<token_cache>(io.get_executor(), f.fetcher(),
                                               minapp::token_renewal{}, &read_fake_now);
    std::shared_ptr<const issued_token> first;
    run_bounded(io, [&]() -> asio::awaitable<void> {
        auto r = co_await get(*cache);
        BOOST_TEST_REQUIRE(r.has_value());
        first = *r;
    }());
    fake_now += 49s;
    BOOST_TEST(cache->current() == first);
    BOOST_TEST(cache->stats().flights == 1u);
    // In the soft window: the current token is still handed out, one renewal starts however
    // often it is asked.
    fake_now += 2s;
    f.gated = true;
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(cache->current() == first);
    }
    BOOST_TEST(cache->stats().flights == 2u);
    io.restart();
    run_bounded(io, [&]() -> asio::awaitable<void> {
        f.release.set();
        co_return;
    }());
    BOOST_TEST_REQUIRE(cache->current());
    BOOST_TEST(cache->current()->generation == 2u);
    BOOST_TEST(cache->stats().waits == 1u); // only the very first call waited
    // In the hard window nothing is handed out.
    fake_now += 91s;
    BOOST_TEST(!cache->current());
}

BOOST_AUTO_TEST_CASE(a_waiter_can_be_stopped_and_shutdown_ends_every_wait) {
    asio::io_context io;
    scripted_fetcher f(io);
    f.gated = true;
    auto cache =
        std::make_shared<token_cache>(io.get_executor(), f.fetcher(), minapp::token_renewal{});
    token_wait stopped_waiter(*cache);
    std::optional<minapp::failure> first, second;
    asio::co_spawn(io, cache->wait(stopped_waiter, {}), [&](std::exception_ptr, auto r) {
        BOOST_TEST_REQUIRE(!r.has_value());
        first = r.error();
    });
    asio::co_spawn(io, get(*cache), [&](std::exception_ptr, auto r) {
        BOOST_TEST_REQUIRE(!r.has_value());
        second = r.error();
    });
    run_bounded(io, [&]() -> asio::awaitable<void> {
        while (cache->stats().waits < 2) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
        stopped_waiter.stop();
        while (!first) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
        BOOST_TEST((first->code == error::cancelled));
        cache->shutdown();
        while (!second) {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
        BOOST_TEST((second->code == error::pool_shut_down));
        // The fetch itself is still parked on its gate: let it end.
        f.release.set();
    }());
}

BOOST_AUTO_TEST_SUITE_END()
