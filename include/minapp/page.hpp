// One page of a list reply: `meta` plus the objects.
#pragma once

#include <minapp/user_profile.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace minapp {

/// The `meta` object of a list reply (notes §5.5).
struct page_meta {
    page_meta() = default;

    std::int64_t limit = 0;
    std::int64_t offset = 0;
    std::optional<std::string> next; ///< Root-relative link; only its presence is used.
    std::optional<std::string> previous;
    std::optional<std::int64_t> total_count; ///< Present when return_total_count=1 was sent.
};

/// One page of users.
template <class User>
struct basic_page {
    basic_page() = default;

    page_meta meta;
    std::vector<User> objects;
};

/// A page of the v2.2 list.
using user_page = basic_page<user_profile>;

} // namespace minapp
