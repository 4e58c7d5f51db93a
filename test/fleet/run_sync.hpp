// Runs one awaitable operation to completion on an io_context, so that a test reads as a
// sequence of steps; bounded, so a hang fails the test instead of CI.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace minapp::test {

/// The result of `op`, run on `ioc` until it and everything it left behind completed (at most
/// `limit`). Rethrows its exception.
template <class T>
T run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> op,
           std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, std::move(op), [&](std::exception_ptr e, T value) {
        failure = e;
        out.emplace(std::move(value));
    });
    ioc.restart();
    ioc.run_for(limit);
    if (failure) {
        std::rethrow_exception(failure);
    }
    BOOST_REQUIRE_MESSAGE(out && ioc.stopped(), "operation did not finish within the time limit");
    return std::move(*out);
}

} // namespace minapp::test
