// The per-thread cache a call's state is recycled from: blocks come back to the thread that
// frees them, up to a bound, and a thread's blocks are freed when it exits (LeakSanitizer, in
// the sanitizer build, fails this test otherwise).
#include "detail/thread_block_cache.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

struct reuse_tag {};
struct bound_tag {};
struct threads_tag {};

} // namespace

using minapp::detail::thread_block_cache;

BOOST_AUTO_TEST_SUITE(thread_block_cache_test)

BOOST_AUTO_TEST_CASE(a_freed_block_is_taken_again_last_in_first_out) {
    using cache = thread_block_cache<reuse_tag, 96, 2>;
    void* a = cache::allocate();
    void* b = cache::allocate();
    BOOST_TEST(a != b);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(a) % alignof(std::max_align_t) == 0u);
    BOOST_TEST(cache::kept() == 0u);
    cache::deallocate(a);
    cache::deallocate(b);
    BOOST_TEST(cache::kept() == 2u);
    BOOST_TEST(cache::allocate() == b);
    BOOST_TEST(cache::allocate() == a);
    BOOST_TEST(cache::kept() == 0u);
    cache::deallocate(a);
    cache::deallocate(b);
}

BOOST_AUTO_TEST_CASE(beyond_its_bound_a_block_goes_back_to_the_heap) {
    using cache = thread_block_cache<bound_tag, 64, 3>;
    std::vector<void*> blocks;
    for (int i = 0; i < 5; ++i) {
        blocks.push_back(cache::allocate());
    }
    for (void* p : blocks) {
        cache::deallocate(p);
    }
    BOOST_TEST(cache::kept() == 3u);
    // The three kept are the first three freed; the last two went to the heap.
    BOOST_TEST(cache::allocate() == blocks[2]);
    BOOST_TEST(cache::allocate() == blocks[1]);
    BOOST_TEST(cache::allocate() == blocks[0]);
    BOOST_TEST(cache::kept() == 0u);
    for (int i = 0; i < 3; ++i) {
        cache::deallocate(blocks[static_cast<std::size_t>(i)]);
    }
}

BOOST_AUTO_TEST_CASE(each_thread_keeps_its_own_blocks_and_frees_them_when_it_exits) {
    using cache = thread_block_cache<threads_tag, 128>;
    void* mine = cache::allocate();
    void* made_there = nullptr;
    std::size_t kept_there = 0;
    std::thread other([&] {
        // A block taken here and one taken on the main thread, both freed here: this thread
        // keeps both, and frees them when it exits.
        made_there = cache::allocate();
        cache::deallocate(made_there);
        cache::deallocate(mine);
        kept_there = cache::kept();
    });
    other.join();
    BOOST_TEST(kept_there == 2u);
    BOOST_TEST(cache::kept() == 0u);
    void* again = cache::allocate();
    BOOST_TEST(cache::kept() == 0u);
    cache::deallocate(again);
    BOOST_TEST(cache::kept() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
