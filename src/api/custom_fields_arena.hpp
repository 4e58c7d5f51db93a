// The memory of one parsed user's custom fields.
#pragma once

#include <boost/json/memory_resource.hpp>

#include <cstddef>

namespace minapp::detail {

/// What the reply parser builds for one user's `custom_fields` (the object's table, its keys,
/// long strings, nested values) goes into this arena: usually its inline block, so a user costs
/// one allocation instead of one per key, and it is all freed at once when the last value using
/// the arena goes (the object holds it through its `storage_ptr`; copies share it).
///
/// Once sealed (at the end of the user), the arena forwards to the default resource: editing the
/// fields allocates and frees as usual instead of growing the arena, and freeing what the parser
/// placed here is a no-op. What the arena holds is therefore bounded by what was parsed.
///
/// Not thread-safe until sealed; afterwards only `deallocate` of parsed memory (a no-op) and the
/// default resource are involved, so copies may be used from any thread.
class custom_fields_arena final : public boost::json::memory_resource {
public:
    /// Stores `this` in `*self`: made by `boost::json::make_shared_resource`, the arena lives
    /// inside a wrapper whose `storage_ptr::get()` is not the arena, and the parser must still
    /// reach it to `seal` it.
    explicit custom_fields_arena(custom_fields_arena** self) noexcept { *self = this; }
    ~custom_fields_arena() override;
    custom_fields_arena(const custom_fields_arena&) = delete;
    custom_fields_arena& operator=(const custom_fields_arena&) = delete;

    /// From now on, allocations go to the default resource.
    void seal() noexcept { sealed_ = true; }

private:
    struct block {
        block* next;
        std::size_t size; // bytes after the header
    };

    void* do_allocate(std::size_t n, std::size_t align) override;
    void do_deallocate(void* p, std::size_t n, std::size_t align) override;
    bool do_is_equal(const boost::json::memory_resource& other) const noexcept override {
        return this == &other;
    }
    bool owns(const void* p) const noexcept;
    void* bump(std::size_t n, std::size_t align) noexcept;

    // Room for a typical user's custom fields (two dozen keys with their table).
    static constexpr std::size_t inline_size = 1024;

    alignas(std::max_align_t) unsigned char inline_[inline_size];
    unsigned char* cursor_ = inline_;
    unsigned char* end_ = inline_ + inline_size;
    block* overflow_ = nullptr; // most recent first
    bool sealed_ = false;
};

} // namespace minapp::detail
