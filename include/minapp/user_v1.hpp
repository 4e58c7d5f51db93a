// The user shape of the deprecated v1 endpoints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace minapp {

/// A user as `/oserve/v1/miniapp/user-profile/` returns it. Here `id` is a legacy profile id and
/// `user_id` is the real _userprofile.id (notes §2.2). Custom fields are not part of v1.
struct user_v1 {
    user_v1() = default;

    std::int64_t id = 0;      ///< Legacy profile id.
    std::int64_t user_id = 0; ///< The _userprofile.id used by every v2 endpoint.
    std::string nickname;
    std::string avatar;
    int gender = 0;
    std::string country;
    std::string province;
    std::string city;
    std::string openid;
    std::optional<std::string> unionid;
    std::int64_t created_at = 0;
    std::vector<std::int64_t> user_group;

    friend bool operator==(const user_v1&, const user_v1&) = default;
};

} // namespace minapp
