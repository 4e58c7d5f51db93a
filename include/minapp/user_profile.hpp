// A user of the _userprofile table as the v2.x endpoints return it.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minapp {

/// A user record (v2.2 get/list, v2.6 update replies). Conversion is lenient: a missing or null
/// built-in keeps its default; every key that is not a typed built-in (custom fields, `_group`,
/// `user_id`, keys added by the server later) is kept in `custom_fields`, never dropped.
struct user_profile {
    user_profile() = default;

    std::int64_t id = 0; ///< _userprofile.id (int64: real ids exceed 2^32).
    std::string nickname;
    std::string avatar;
    int gender = 0; ///< 0 unknown, 1 male, 2 female.
    std::string country;
    std::string province;
    std::string city;
    std::string language;
    std::string openid;
    std::optional<std::string> unionid; ///< null for users without a WeChat union id.
    bool is_authorized = false;
    std::int64_t created_at = 0; ///< Unix seconds.
    std::int64_t updated_at = 0; ///< Unix seconds.
    std::int64_t created_by = 0;
    /// Every other key, as the server sent it. In a parsed profile the object's storage is one
    /// arena holding what was parsed (one allocation per user instead of one per key), shared by
    /// copies and freed with the last of them; edits allocate and free normally. To keep one
    /// field beyond the profile without keeping its arena, copy it into storage of your own:
    /// `boost::json::value v(p.custom_fields.at("k"), boost::json::storage_ptr())`.
    boost::json::object custom_fields;

    friend bool operator==(const user_profile&, const user_profile&) = default;
};

/// Whether `name` is a built-in field of _userprofile (id, nickname, gender, created_at, ...) or
/// starts with '_' (`_username`, `_group`, ...): the Open API's update endpoints refuse them
/// (notes §6.4), and so does the client unless `allow_builtin_field_updates` is set.
bool is_builtin_user_field(std::string_view name) noexcept;

} // namespace minapp
