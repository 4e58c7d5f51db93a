// The deprecated v1 list (U3, and U2 which is U3 filtered by user_id):
// GET /oserve/v1/miniapp/user-profile/ with Django-style filters and the v1 user shape.
#pragma once

#include "endpoint_context.hpp"
#include "user_store.hpp"

#include <minapp/emulator/api.hpp>

namespace minapp::emulator::detail {

/// Filters nickname, nickname__contains, gender, created_at[__gte|__lte|__gt|__lt], group__in,
/// openid, unionid and user_id; orders by created_at only; always reports total_count. Users
/// come in the v1 shape: `id` is the legacy profile id, `user_id` the real id, `_group` is
/// `user_group`, and custom fields are left out.
api_response list_legacy_profiles(const user_store& store, const endpoint_context& ctx);

} // namespace minapp::emulator::detail
