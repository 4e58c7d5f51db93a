#include "account_index.hpp"

namespace minapp::emulator::detail {

std::uint64_t account_index::hash_of(std::string_view key) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a, then a mixer so linear probing spreads
    for (unsigned char c : key) {
        h = (h ^ c) * 0x100000001b3ULL;
    }
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

void account_index::grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, slot{});
    used_ = 0;
    size_ = 0;
    const std::size_t mask = slots_.size() - 1;
    for (const slot& s : old) {
        if (s.id <= 0) {
            continue;
        }
        std::size_t at = s.hash & mask;
        while (slots_[at].id != empty) {
            at = (at + 1) & mask;
        }
        slots_[at] = s;
        ++used_;
        ++size_;
    }
}

void account_index::insert(std::string_view key, std::int64_t id) {
    // Keep at most 3/4 of the slots in use so probe sequences stay short.
    if ((used_ + 1) * 4 > slots_.size() * 3) {
        grow();
    }
    const std::uint64_t h = hash_of(key);
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = h & mask;
    while (slots_[at].id != empty) {
        if (slots_[at].id == erased) {
            // Reuse the tombstone; it already counts as used.
            slots_[at] = slot{h, id};
            ++size_;
            return;
        }
        at = (at + 1) & mask;
    }
    slots_[at] = slot{h, id};
    ++used_;
    ++size_;
}

void account_index::erase(std::string_view key, std::int64_t id) {
    if (slots_.empty()) {
        return;
    }
    const std::uint64_t h = hash_of(key);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask; slots_[at].id != empty; at = (at + 1) & mask) {
        if (slots_[at].hash == h && slots_[at].id == id) {
            slots_[at].id = erased;
            --size_;
            return;
        }
    }
}

std::optional<std::int64_t> account_index::find(std::string_view key,
                                                const key_reader& key_of) const {
    if (slots_.empty()) {
        return std::nullopt;
    }
    const std::uint64_t h = hash_of(key);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask; slots_[at].id != empty; at = (at + 1) & mask) {
        const slot& s = slots_[at];
        if (s.id > 0 && s.hash == h && key_of(s.id) == key) {
            return s.id;
        }
    }
    return std::nullopt;
}

} // namespace minapp::emulator::detail
