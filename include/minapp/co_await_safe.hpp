// Which types may be built inline inside a `co_await` expression on g++ 12.
#pragma once

#include <type_traits>

namespace minapp {

/// True for a type g++ 12 handles correctly as a temporary inside a `co_await` expression: one
/// that is trivially destructible, or not an aggregate. g++ 12 (GCC PR 99576, 100611, 101367)
/// destroys the members of an aggregate temporary built there twice. Every public type of
/// minapp-cpp satisfies it (checked in the library's build); use it on your own types:
///
///     static_assert(minapp::co_await_safe<my_options>);
template <class T>
concept co_await_safe = std::is_trivially_destructible_v<T> || !std::is_aggregate_v<T>;

} // namespace minapp
