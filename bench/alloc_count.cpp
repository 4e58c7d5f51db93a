// Counts heap allocations of the whole minapp-bench process by replacing malloc and its siblings
// (glibc supports this: its own calls, libstdc++'s operator new, OpenSSL and libcurl all reach
// these definitions through the dynamic linker) and forwarding to glibc's allocator, so that every
// implementation is counted the same way whatever allocates on its behalf.
#include "measure.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>

// The sanitizers bring their own allocator: replacing it under them would mix the two heaps.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MINAPP_BENCH_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define MINAPP_BENCH_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef MINAPP_BENCH_COUNT_ALLOCATIONS
#define MINAPP_BENCH_COUNT_ALLOCATIONS 1
#endif

namespace minapp::bench {

namespace {

// Constant-initialised: malloc runs before any dynamic initialiser does.
constinit std::atomic<std::uint64_t> allocations{0};

} // namespace

std::uint64_t allocation_count() noexcept {
    return allocations.load(std::memory_order_relaxed);
}

bool allocations_counted() noexcept {
    return MINAPP_BENCH_COUNT_ALLOCATIONS != 0;
}

} // namespace minapp::bench

#if MINAPP_BENCH_COUNT_ALLOCATIONS

// glibc's allocator under the names it exports for exactly this kind of wrapper.
extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t count, std::size_t size) noexcept;
void* __libc_realloc(void* p, std::size_t size) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void __libc_free(void* p) noexcept;
}

namespace {

void* counted(void* p) noexcept {
    if (p != nullptr) {
        minapp::bench::allocations.fetch_add(1, std::memory_order_relaxed);
    }
    return p;
}

} // namespace

extern "C" {

void* malloc(std::size_t size) noexcept {
    return counted(__libc_malloc(size));
}

void* calloc(std::size_t count, std::size_t size) noexcept {
    return counted(__libc_calloc(count, size));
}

// A realloc may move the block, which costs what an allocation does: each successful one counts.
void* realloc(void* p, std::size_t size) noexcept {
    return counted(__libc_realloc(p, size));
}

void free(void* p) noexcept {
    __libc_free(p);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
    return counted(__libc_memalign(alignment, size));
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    return counted(__libc_memalign(alignment, size));
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
    // The checks glibc's own posix_memalign makes, which memalign does not.
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
        return EINVAL;
    }
    void* p = counted(__libc_memalign(alignment, size));
    if (p == nullptr) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

} // extern "C"

#endif
