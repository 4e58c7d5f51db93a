// Filters of the deprecated v1 user list (`GET /oserve/v1/miniapp/user-profile/`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace minapp {

/// Django-style filters of the v1 list; unset members are not sent.
struct v1_filter {
    std::optional<std::string> nickname;          ///< nickname=
    std::optional<std::string> nickname_contains; ///< nickname__contains=
    std::optional<int> gender;                    ///< 1 male, 2 female
    std::optional<std::int64_t> created_at_gte, created_at_lte, created_at_gt, created_at_lt;
    std::vector<std::int64_t> group_in; ///< group__in=258,360
    std::optional<std::string> openid;
    std::optional<std::string> unionid;
    std::optional<std::int64_t> user_id;
    std::int64_t limit = 20; ///< 1..1000
    std::int64_t offset = 0;
    /// The only sortable field of v1 is created_at.
    enum class order { none, created_at, created_at_desc } order_by = order::none;
};

} // namespace minapp
