// Running coroutines in tests: a bounded io_context run, and a one-shot event to await.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>

namespace minapp::test {

/// Runs `body` on `ioc` until it completes and the io_context runs out of work, failing the test
/// (instead of hanging CI) when that takes longer than `limit`. Rethrows the body's exception.
template <class Awaitable>
void run_bounded(boost::asio::io_context& ioc, Awaitable body,
                 std::chrono::seconds limit = std::chrono::seconds(30)) {
    bool done = false;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, std::move(body), [&](std::exception_ptr e) {
        done = true;
        failure = e;
    });
    ioc.run_for(limit);
    BOOST_REQUIRE_MESSAGE(done, "test coroutine did not finish within the time limit");
    BOOST_CHECK_MESSAGE(ioc.stopped(), "work was left on the io_context after the test");
    if (failure) {
        std::rethrow_exception(failure);
    }
}

/// A one-shot event: `wait()` suspends until `set()` (a timer used as a condition variable).
class async_event {
public:
    explicit async_event(boost::asio::any_io_executor ex)
        : timer_(std::move(ex), boost::asio::steady_timer::time_point::max()) {}

    void set() {
        set_ = true;
        timer_.cancel();
    }

    boost::asio::awaitable<void> wait() {
        if (!set_) {
            co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
    }

    bool is_set() const noexcept { return set_; }

private:
    boost::asio::steady_timer timer_;
    bool set_ = false;
};

} // namespace minapp::test
