// The current user-profile endpoints U4-U7 (and the /oserve/v1/user/info/ aliases, which share
// their behaviour).
#pragma once

#include "endpoint_context.hpp"
#include "user_store.hpp"

#include <minapp/emulator/api.hpp>

namespace minapp::emulator::detail {

/// U4: list users with where / order_by / limit / offset / return_total_count / keys.
api_response list_profiles(const user_store& store, const endpoint_context& ctx);

/// U5: one user by id (keys supported).
api_response get_profile(const user_store& store, const endpoint_context& ctx);

/// U6: apply an update document to one user's custom fields; replies with the whole user.
api_response update_profile(user_store& store, const endpoint_context& ctx);

/// U7: apply an update document to one page of the users a `where` selects; replies with the
/// per-record operation_result list.
api_response batch_update_profiles(user_store& store, const endpoint_context& ctx);

} // namespace minapp::emulator::detail
