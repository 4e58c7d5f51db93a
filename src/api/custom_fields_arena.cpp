#include "custom_fields_arena.hpp"

#include <boost/json/storage_ptr.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <new>

// The arena's reference count lives in Boost.JSON's storage_ptr, whose release runs inside
// libboost_json.so (in `~object`, for one), which ThreadSanitizer does not instrument: it cannot
// see that a thread's last use of the arena happens before another thread, dropping the last
// reference, destroys it. Each use ends with a release on the arena's address and the destructor
// starts with an acquire of it, which states that order to TSan (and costs nothing elsewhere).
#if defined(__SANITIZE_THREAD__)
#define MINAPP_TSAN_ANNOTATE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MINAPP_TSAN_ANNOTATE 1
#endif
#endif

#ifdef MINAPP_TSAN_ANNOTATE
#include <sanitizer/tsan_interface.h>
#endif

namespace minapp::detail {

namespace {

void used(void* arena) noexcept {
#ifdef MINAPP_TSAN_ANNOTATE
    __tsan_release(arena);
#else
    (void)arena;
#endif
}

void about_to_destroy(void* arena) noexcept {
#ifdef MINAPP_TSAN_ANNOTATE
    __tsan_acquire(arena);
#else
    (void)arena;
#endif
}

boost::json::memory_resource& default_resource() {
    return *boost::json::storage_ptr().get();
}

bool within(const void* p, const unsigned char* first, std::size_t size) noexcept {
    // Compared as addresses: std::less gives a total order over unrelated pointers.
    const std::less<const void*> less;
    return !less(p, first) && less(p, first + size);
}

} // namespace

custom_fields_arena::~custom_fields_arena() {
    about_to_destroy(this);
    for (block* b = overflow_; b != nullptr;) {
        block* next = b->next;
        ::operator delete (b, std::align_val_t{alignof(std::max_align_t)});
        b = next;
    }
}

void* custom_fields_arena::bump(std::size_t n, std::size_t align) noexcept {
    void* p = cursor_;
    auto room = static_cast<std::size_t>(end_ - cursor_);
    if (std::align(align, n, p, room) == nullptr) {
        return nullptr;
    }
    cursor_ = static_cast<unsigned char*>(p) + n;
    return p;
}

void* custom_fields_arena::do_allocate(std::size_t n, std::size_t align) {
    if (sealed_) {
        void* p = default_resource().allocate(n, align);
        used(this);
        return p;
    }
    // A zero-byte block at the very end would lie outside every range `owns` checks.
    n = std::max<std::size_t>(n, 1);
    if (void* p = bump(n, align)) {
        return p;
    }
    // A block of its own for the rest of the user: at least twice the last, and room for this.
    const std::size_t last = overflow_ != nullptr ? overflow_->size : inline_size;
    const std::size_t size = std::max(2 * last, n + align);
    void* raw = ::operator new (sizeof(block) + size, std::align_val_t{alignof(std::max_align_t)});
    auto* b = ::new (raw) block{overflow_, size};
    overflow_ = b;
    cursor_ = reinterpret_cast<unsigned char*>(b + 1);
    end_ = cursor_ + size;
    return bump(n, align); // fits: the block has n + align bytes
}

void custom_fields_arena::do_deallocate(void* p, std::size_t n, std::size_t align) {
    const bool parsed = owns(p);
    used(this);
    if (!parsed) {
        default_resource().deallocate(p, n, align);
    }
}

bool custom_fields_arena::owns(const void* p) const noexcept {
    if (within(p, inline_, inline_size)) {
        return true;
    }
    for (const block* b = overflow_; b != nullptr; b = b->next) {
        if (within(p, reinterpret_cast<const unsigned char*>(b + 1), b->size)) {
            return true;
        }
    }
    return false;
}

} // namespace minapp::detail
