#include "custom_fields_arena.hpp"

#include <boost/json/storage_ptr.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <new>

namespace minapp::detail {

namespace {

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
        return default_resource().allocate(n, align);
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
    if (!owns(p)) {
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
