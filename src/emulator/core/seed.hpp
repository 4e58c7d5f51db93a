// Deterministic seeded users for the emulator (a fixed seed always yields the same store).
#pragma once

#include "user_store.hpp"

#include <cstddef>
#include <cstdint>

namespace minapp::emulator::detail {

/// Appends `count` generated users to an empty `store`. The data depends only on `seed`: ids are
/// large (> 2^32), increasing with creation time and not contiguous; `created_at` never
/// decreases along id order and sometimes repeats (so order ties occur); names and places are a
/// mix of Chinese and Latin; optional built-ins (unionid, account fields) are sometimes null and
/// custom columns of `schema::seeded()` are sometimes unset. Usernames, emails and phones are
/// unique. Writes each user's JSON text directly, without a DOM, so a million users take seconds.
void seed_users(user_store& store, std::size_t count, std::uint64_t seed);

} // namespace minapp::emulator::detail
