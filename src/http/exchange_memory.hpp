// Memory for the asynchronous operations of one connection's exchange.
#pragma once

#include <cstddef>
#include <new>

namespace minapp::http::detail {

/// A connection performs one exchange at a time, and an exchange has at most one read or write
/// (and the operations composed inside it) in flight, so the memory of its asynchronous
/// operations can live in the connection, reused exchange after exchange, instead of coming
/// from the heap (or from Asio's per-thread cache of two blocks, which sixteen connections
/// sharing a thread keep evicting). Anything larger than a slot, or any request while both slots
/// are taken, goes to the heap: this is a cache, never a limit.
///
/// Not thread-safe: operations on one connection follow one another.
class exchange_memory {
public:
    exchange_memory() = default;
    exchange_memory(const exchange_memory&) = delete;
    exchange_memory& operator=(const exchange_memory&) = delete;

    void* allocate(std::size_t size, std::size_t align) {
        if (size <= slot_size && align <= alignof(std::max_align_t)) {
            for (auto& s : slots_) {
                if (!s.used) {
                    s.used = true;
                    return s.bytes;
                }
            }
        }
        return ::operator new(size, std::align_val_t(align));
    }

    void deallocate(void* p, std::size_t align) noexcept {
        for (auto& s : slots_) {
            if (p == s.bytes) {
                s.used = false;
                return;
            }
        }
        ::operator delete(p, std::align_val_t(align));
    }

private:
    // Enough for a TLS read or write with the coroutine handler behind it (550 bytes with g++
    // 12 and Boost 1.81).
    static constexpr std::size_t slot_size = 768;
    struct slot {
        alignas(std::max_align_t) unsigned char bytes[slot_size];
        bool used = false;
    };
    slot slots_[2];
};

/// The allocator that makes an operation use a connection's exchange_memory (bound to its
/// completion token with `boost::asio::bind_allocator`).
template <class T>
class exchange_allocator {
public:
    using value_type = T;

    explicit exchange_allocator(exchange_memory& memory) noexcept
        : memory_(&memory) {}
    template <class U>
    exchange_allocator(const exchange_allocator<U>& other) noexcept // NOLINT: rebinding
        : memory_(other.memory_) {}

    T* allocate(std::size_t n) {
        return static_cast<T*>(memory_->allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, std::size_t /*n*/) noexcept { memory_->deallocate(p, alignof(T)); }

    template <class U>
    bool operator==(const exchange_allocator<U>& other) const noexcept {
        return memory_ == other.memory_;
    }

private:
    template <class U>
    friend class exchange_allocator;
    exchange_memory* memory_;
};

} // namespace minapp::http::detail
