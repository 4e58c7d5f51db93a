// The coroutine frames of a call fit Asio's per-thread frame cache (at most 1,020 bytes), so that
// a warm call reuses them instead of allocating: the call's own frame for every reply type, and
// the pool's attempt beneath it. The frames are made outside io_context::run, where Asio takes
// them straight from aligned_alloc, which this executable records.
//
// Frame sizes depend on the compiler: with g++ 12 and clang 14, at -O0 as at -O3, the largest
// is attempt's (about 925 and 990 bytes). The sanitizer builds replace the allocator, so the case
// is skipped there.
#include "api/client_impl.hpp"
#include "http/pool_access.hpp"
#include "http/pool_core.hpp"

#include <minapp/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MINAPP_RECORD_FRAMES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MINAPP_RECORD_FRAMES 0
#endif
#endif
#ifndef MINAPP_RECORD_FRAMES
#define MINAPP_RECORD_FRAMES 1
#endif

namespace {

// Asio's frame cache keeps blocks of up to 255 chunks of 4 bytes; it asks aligned_alloc for
// chunks * 4 + 1 bytes, rounded up to the alignment (16). A request of at most 1,024 bytes is a
// frame the cache keeps.
constexpr std::size_t cached_frame_limit = 1024;

struct recorder {
    bool on = false;
    std::size_t count = 0;
    std::array<std::size_t, 8> sizes{};
};
constinit recorder frames;

} // namespace

#if MINAPP_RECORD_FRAMES
extern "C" {
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;

// Replaces glibc's for this executable; Asio's aligned_new calls it.
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    if (frames.on && frames.count < frames.sizes.size()) {
        frames.sizes[frames.count++] = size;
    }
    return __libc_memalign(alignment, size);
}
}
#endif

namespace {

namespace asio = boost::asio;

// The sizes of what `make` allocates through aligned_alloc.
template <class Make>
recorder record(Make make) {
    frames = recorder{};
    frames.on = true;
    {
        auto made = make();
        frames.on = false;
    }
    return frames;
}

minapp::client_options options() {
    minapp::client_options o;
    o.base_url("https://127.0.0.1:1").access_token("token");
    return o;
}

boost::test_tools::assertion_result recording_frames(boost::unit_test::test_unit_id /*unused*/) {
    boost::test_tools::assertion_result recording(MINAPP_RECORD_FRAMES != 0);
    recording.message() << "the sanitizers replace the allocator: frames are not recorded";
    return recording;
}

void check_one_cached_frame(const recorder& r, const std::string& what) {
    BOOST_TEST_CONTEXT(what) {
        BOOST_TEST(r.count == 1u);
        BOOST_TEST(r.sizes[0] <= cached_frame_limit);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(hot_path_frames)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
BOOST_AUTO_TEST_CASE(a_call_and_its_attempt_fit_the_frame_cache,
                     *boost::unit_test::precondition(recording_frames)) {
    asio::io_context io;
    minapp::client c(io.get_executor(), options());
    using minapp::update;
    using minapp::where;
    check_one_cached_frame(record([&] { return c.get_user(1); }), "get_user");
    check_one_cached_frame(record([&] { return c.list_users_page({}); }), "list_users_page");
    check_one_cached_frame(record([&] { return c.count_users(); }), "count_users");
    check_one_cached_frame(record([&] { return c.update_user(1, update().set("score", 1)); }),
                           "update_user");
    check_one_cached_frame(record([&] {
                               return c.update_users_batch(where::eq("score", 1),
                                                           update().set("score", 2));
                           }),
                           "update_users_batch");
    check_one_cached_frame(
        record([&] { return c.update_account(1, minapp::account_update().username("someone")); }),
        "update_account");
    check_one_cached_frame(record([&] { return c.get_user_v1(1); }), "get_user_v1");
    check_one_cached_frame(record([&] { return c.list_users_v1({}); }), "list_users_v1");

    auto& pool =
        *minapp::http::detail::pool_access::core(minapp::detail::client_access::impl(c)->pool());
    minapp::http::detail::call_ticket ticket;
    std::shared_ptr<minapp::http::detail::connection> used;
    check_one_cached_frame(
        record([&] { return pool.attempt(ticket, {}, {}, true, std::nullopt, nullptr, used, {}); }),
        "pool attempt");
}
#pragma GCC diagnostic pop

BOOST_AUTO_TEST_SUITE_END()
