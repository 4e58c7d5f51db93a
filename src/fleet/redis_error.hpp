// Error codes of the fleet building blocks (a Redis connection and the budget kept in Redis).
// Socket failures (connection refused, no such socket file) keep their system codes; these
// cover what only a Redis client can tell.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace minapp::fleet {

/// Failures of a Redis command that are not plain socket errors.
enum class redis_errc {
    timeout = 1,       ///< The deadline passed before the connection or the reply was complete.
    connection_closed, ///< Redis closed the connection, or it was closed after an earlier failure.
    protocol_error,    ///< The byte stream is not valid RESP (hiredis's reader gave up).
    error_reply,       ///< Redis answered with an error reply (its text is kept with the reply).
    unexpected_reply,  ///< A reply of another shape than the command documents.
};

/// The category of `redis_errc`.
const boost::system::error_category& redis_category() noexcept;

/// Makes an error_code in the Redis category (found by ADL for `ec = redis_errc::x`).
inline boost::system::error_code make_error_code(redis_errc e) noexcept {
    return {static_cast<int>(e), redis_category()};
}

} // namespace minapp::fleet

template <>
struct boost::system::is_error_code_enum<minapp::fleet::redis_errc> : std::true_type {};
