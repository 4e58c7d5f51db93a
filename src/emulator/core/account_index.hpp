// A compact unique-key index for account fields (username, email, phone) of many users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minapp::emulator::detail {

/// Maps a key (already normalised by the caller) to the id of the user holding it.
///
/// Only a 64-bit hash of each key is kept, in an open-addressing table: a million keys cost
/// about 16 MB instead of the ~100 MB of a node-based map of strings, and seeding avoids a
/// million small allocations. Because hashes can collide, `find` confirms a candidate through
/// `key_of`, which reads the key the candidate user really holds.
class account_index {
public:
    /// Reads the normalised key a user currently holds (nullopt when it has none).
    using key_reader = std::function<std::optional<std::string>(std::int64_t id)>;

    void insert(std::string_view key, std::int64_t id);
    /// Removes the entry of `id` under `key`, if present.
    void erase(std::string_view key, std::int64_t id);
    /// The user holding `key`, confirmed through `key_of`.
    std::optional<std::int64_t> find(std::string_view key, const key_reader& key_of) const;

    std::size_t size() const noexcept { return size_; }

private:
    struct slot {
        std::uint64_t hash = 0;
        std::int64_t id = empty; ///< `empty`, `erased`, or a user id (always positive)
    };
    static constexpr std::int64_t empty = 0;
    static constexpr std::int64_t erased = -1;

    static std::uint64_t hash_of(std::string_view key) noexcept;
    void grow();

    std::vector<slot> slots_;
    std::size_t size_ = 0;
    std::size_t used_ = 0; ///< live entries plus tombstones
};

} // namespace minapp::emulator::detail
