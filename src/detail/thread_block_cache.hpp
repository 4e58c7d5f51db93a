// Blocks of one size, kept per thread for reuse by a hot path's per-call state.
#pragma once

#include <array>
#include <cstddef>
#include <new>

namespace minapp::detail {

/// Up to `Keep` freed blocks of `Size` bytes, per thread. Asio recycles coroutine frames and
/// handler memory only up to 1,020 bytes, two blocks per thread, and evicts one on every miss:
/// state a call keeps beyond that comes from here instead of malloc. A block freed on another
/// thread than the one that took it joins that other thread's blocks. Blocks a thread still
/// keeps are freed when it exits; a block freed after that goes straight back to the heap.
template <class Tag, std::size_t Size, std::size_t Keep = 4>
class thread_block_cache {
public:
    static void* allocate() {
        store& s = blocks_;
        if (s.count > 0) {
            return s.blocks[--s.count];
        }
        return ::operator new(Size);
    }

    static void deallocate(void* p) noexcept {
        store& s = blocks_;
        if (s.closed || s.count == Keep) {
            ::operator delete(p);
            return;
        }
        if (!s.reaper_armed) {
            // Odr-using the reaper constructs it on this thread, which schedules its
            // destructor for the thread's exit.
            static_cast<void>(&reaper_);
            s.reaper_armed = true;
        }
        s.blocks[s.count++] = p;
    }

    /// Blocks the calling thread keeps now.
    static std::size_t kept() noexcept { return blocks_.count; }

private:
    // Trivially destructible, so that it stays usable while the thread's other thread_local
    // objects are destroyed (which may free a block).
    struct store {
        std::array<void*, Keep> blocks;
        std::size_t count;
        bool reaper_armed;
        bool closed;
    };
    struct reaper {
        reaper() noexcept = default;
        reaper(const reaper&) = delete;
        reaper& operator=(const reaper&) = delete;
        ~reaper() {
            store& s = blocks_;
            while (s.count > 0) {
                ::operator delete(s.blocks[--s.count]);
            }
            s.closed = true;
        }
    };

    static constinit inline thread_local store blocks_{};
    static inline thread_local reaper reaper_;
};

} // namespace minapp::detail
