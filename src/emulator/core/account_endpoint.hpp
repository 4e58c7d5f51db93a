// U8: PUT /oserve/v2.1/miniapp/user/account/:id/ — change a user's login data (notes §8).
#pragma once

#include "endpoint_context.hpp"
#include "user_store.hpp"

#include <minapp/emulator/api.hpp>

#include <string_view>

namespace minapp::emulator::detail {

/// Applies `username` / `email` / `phone` / `new_password` from the body, all or nothing:
/// username and email are unique case-insensitively (email stored lower-cased, basic syntax
/// check), phone is unique, `null` clears a field, a changed email or phone is no longer
/// verified, a blank password is refused. Replies with the five-key account object.
api_response update_account(user_store& store, const endpoint_context& ctx);

/// A deliberately simple address check: one '@', a non-empty local part, and a dotted domain
/// without empty labels or spaces.
bool plausible_email(std::string_view email);

} // namespace minapp::emulator::detail
