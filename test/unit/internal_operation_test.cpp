// How the hot path awaits its reads and writes: internal_operation (errors as values, outside the
// caller's cancellation slot, with the allocator it is given) and a connection's exchange_memory.
#include "detail/tokens.hpp"
#include "http/exchange_memory.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

namespace asio = boost::asio;
using boost::system::error_code;
using minapp::detail::internal_operation_of;
using minapp::http::detail::exchange_allocator;
using minapp::http::detail::exchange_memory;

namespace {

// Counts what the operation allocates through it.
template <class T>
struct counting_allocator {
    using value_type = T;
    explicit counting_allocator(int* count) noexcept
        : count(count) {}
    template <class U>
    counting_allocator(const counting_allocator<U>& other) noexcept // NOLINT: rebinding
        : count(other.count) {}
    T* allocate(std::size_t n) {
        ++*count;
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const counting_allocator<U>& other) const noexcept {
        return count == other.count;
    }
    int* count;
};

// Runs the context until nothing is left, or fails the test after a bound.
void run_bounded(asio::io_context& io) {
    io.run_for(std::chrono::seconds(10));
    BOOST_TEST_REQUIRE(io.stopped());
}

asio::awaitable<void> wait_outside_the_slot(asio::steady_timer& timer,
                                            asio::cancellation_signal& caller, int* allocations,
                                            std::optional<error_code>& got) {
    timer.expires_after(std::chrono::milliseconds(20));
    const auto launch = [&timer, &caller](auto handler) {
        timer.async_wait(std::move(handler));
        // Emitted while the wait is pending: an operation bound to the caller's slot would end
        // now.
        asio::post(timer.get_executor(),
                   [&caller] { caller.emit(asio::cancellation_type::terminal); });
    };
    auto [ec] = co_await internal_operation_of<void(error_code)>(
        launch, counting_allocator<void>(allocations));
    got = ec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(internal_operation_test)

BOOST_AUTO_TEST_CASE(an_error_comes_back_as_a_value) {
    asio::io_context io;
    asio::steady_timer timer(io, std::chrono::hours(1));
    std::optional<error_code> got;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const auto launch = [&timer](auto handler) {
                timer.async_wait(std::move(handler));
                timer.cancel();
            };
            // use_awaitable would throw here.
            auto [ec] = co_await internal_operation_of<void(error_code)>(launch);
            got = ec;
        },
        asio::detached);
    run_bounded(io);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(*got == asio::error::operation_aborted);
}

BOOST_AUTO_TEST_CASE(the_callers_cancellation_does_not_reach_it_and_its_allocator_is_used) {
    asio::io_context io;
    asio::steady_timer timer(io);
    asio::cancellation_signal caller;
    int allocations = 0;
    std::optional<error_code> got;
    asio::co_spawn(io, wait_outside_the_slot(timer, caller, &allocations, got),
                   asio::bind_cancellation_slot(caller.slot(), asio::detached));
    run_bounded(io);
    BOOST_TEST_REQUIRE(got.has_value());
    BOOST_TEST(!*got); // the timer expired
    BOOST_TEST(allocations >= 1);
}

BOOST_AUTO_TEST_CASE(exchange_memory_reuses_two_slots_and_falls_back_to_the_heap) {
    exchange_memory memory;
    exchange_allocator<std::max_align_t> alloc(memory);
    auto* a = alloc.allocate(1);
    auto* b = alloc.allocate(1);
    auto* c = alloc.allocate(1); // both slots taken: the heap
    BOOST_TEST(a != b);
    for (auto* p : {a, b, c}) {
        BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t) == 0u);
        std::memset(p, 0xab, sizeof(std::max_align_t));
    }
    alloc.deallocate(b, 1);
    BOOST_TEST(alloc.allocate(1) == b); // the freed slot again
    alloc.deallocate(c, 1);             // a heap block: freed (LeakSanitizer would tell)

    exchange_allocator<char> bytes(memory);
    char* big = bytes.allocate(4096); // larger than a slot: the heap
    BOOST_TEST(static_cast<void*>(big) != static_cast<void*>(a));
    std::memset(big, 0, 4096);
    bytes.deallocate(big, 4096);
    alloc.deallocate(a, 1);
    alloc.deallocate(b, 1);
    BOOST_TEST((exchange_allocator<int>(alloc) == alloc));
}

BOOST_AUTO_TEST_SUITE_END()
