// Where the fleet budget's Redis is, as the CLI and the library accept it: a `redis://` or
// `unix://` URL (parsed by Boost.URL), and the file holding the password it names. Kept apart
// from redis_connection so that a caller can check a configuration before opening anything.
#pragma once

#include "redis_connection.hpp"

#include <minapp/co_await_safe.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace minapp::fleet {

/// A Redis location that cannot be used: a malformed URL or an unreadable password file. The
/// message is one line, starts with what was being read ("redis URL: ", "redis password file
/// 'PATH': ") and never contains a password.
struct redis_config_error {
    redis_config_error() = default;
    explicit redis_config_error(std::string m)
        : message(std::move(m)) {}

    std::string message;
};
static_assert(co_await_safe<redis_config_error>);

/// Lets `result<T, redis_config_error>::value()` throw: std::invalid_argument with the message.
[[noreturn]] void throw_exception_from_error(const redis_config_error& e,
                                             const boost::source_location& loc);

/// What a Redis URL says: where to connect, the file holding the password (when the URL names
/// one), and the logical database to SELECT.
class redis_location {
public:
    explicit redis_location(redis_address a, std::optional<std::string> file = std::nullopt,
                            int db = 0)
        : address(std::move(a))
        , password_file(std::move(file))
        , database(db) {}

    redis_address address;
    /// The path of the file holding the password (see `read_password_file`), percent-decoded;
    /// relative paths are relative to the working directory.
    std::optional<std::string> password_file;
    /// 0 unless the URL names another database (`redis_options::database`).
    int database = 0;
};
static_assert(co_await_safe<redis_location>);

/// The default TCP port of Redis, used when a `redis://` URL names none.
inline constexpr std::uint16_t default_redis_port = 6379;

/// Parses a Redis location. Accepted forms (the scheme is case-insensitive):
///
///     redis://HOST[:PORT][/DB]                 HOST a name, an IPv4 address or [IPv6]
///     redis://:PASSWORD_FILE@HOST[:PORT][/DB]  PASSWORD_FILE percent-encoded: %2Frun%2Fsecret
///     unix:///PATH/TO/SOCKET[?db=DB]           also unix://:PASSWORD_FILE@/PATH/TO/SOCKET
///
/// PORT defaults to 6379 and DB to 0. The userinfo holds the *path* of a password file, never
/// the password: a password in a URL shows in process lists and logs. For the same reason no
/// error message repeats the URL or its userinfo. Errors (`redis_config_error`, one line each):
/// not a URL, another scheme, a user name, an empty password file path, a missing host, a port
/// outside 1..65535, a database outside 0..2147483647, a path after the database, a query on
/// `redis://` or a query parameter other than `db` on `unix://`, a fragment, a host on
/// `unix://`, an empty or relative socket path or one longer than a Unix socket address holds.
boost::system::result<redis_location, redis_config_error> parse_redis_url(std::string_view text);

/// The password held in the file at `path`: its first line without the line break ("\n" or
/// "\r\n"). Secrets are kept in files so that they show neither in process lists nor in shell
/// history. Errors name the file and the reason (cannot be opened, cannot be read, empty first
/// line, first line longer than 64 KiB) but never its contents.
boost::system::result<std::string, redis_config_error> read_password_file(const std::string& path);

} // namespace minapp::fleet
