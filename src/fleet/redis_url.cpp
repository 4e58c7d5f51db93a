#include "redis_url.hpp"

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/host_type.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <stdexcept>
#include <system_error>

namespace minapp::fleet {

namespace urls = boost::urls;

namespace {

using location_result = boost::system::result<redis_location, redis_config_error>;

constexpr std::string_view forms = "redis://[:PASSWORD_FILE@]HOST[:PORT][/DB] or "
                                   "unix:///PATH[?db=N]";

// The longest socket path a sockaddr_un holds (with its terminating NUL).
constexpr std::size_t max_socket_path = sizeof(sockaddr_un::sun_path) - 1;

// The first line of a password file may not be longer than this.
constexpr std::size_t max_password = std::size_t{64} * 1024;

redis_config_error url_error(std::string_view what) {
    return redis_config_error("redis URL: " + std::string(what));
}

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

// A database number: decimal digits only, 0..INT_MAX.
std::optional<int> parse_database(std::string_view text) {
    int db = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, db);
    if (text.find_first_not_of("0123456789") != std::string_view::npos || text.empty() ||
        ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return db;
}

redis_config_error bad_database(std::string_view text) {
    return url_error("database must be an integer 0.." + std::to_string(INT_MAX) + ", got '" +
                     std::string(text) + "'");
}

// The userinfo: nothing, or an empty user and the path of the password file.
boost::system::result<std::optional<std::string>, redis_config_error>
password_file_of(const urls::url_view& u) {
    if (!u.has_userinfo()) {
        return std::optional<std::string>();
    }
    if (!u.user().empty()) {
        // The user name is not repeated: it may be a password typed in the wrong place.
        return url_error("a user name is not supported (only :PASSWORD_FILE@, the path of a "
                         "file holding the password)");
    }
    if (!u.has_password()) {
        return std::optional<std::string>(); // "redis://@host": an empty userinfo
    }
    std::string file = u.password();
    if (file.empty()) {
        return url_error("empty password file path after ':' (write :PASSWORD_FILE@, "
                         "percent-encoded: %2Frun%2Fsecrets%2Fredis)");
    }
    if (has_nul(file)) {
        return url_error("NUL byte in the password file path");
    }
    if (file.front() != '/') {
        // Not repeated either: a relative "path" is most often the password itself, and the
        // error of opening it would show it.
        return url_error("the password file must be an absolute path (write :PASSWORD_FILE@, "
                         "percent-encoded: %2Frun%2Fsecrets%2Fredis); a password itself is never "
                         "accepted in the URL");
    }
    return std::optional<std::string>(std::move(file));
}

location_result parse_tcp(const urls::url_view& u, std::optional<std::string> password_file) {
    const std::string_view path = u.encoded_path();
    // Boost.URL 1.81 reads "redis://h:abc" as host "h", an empty port and the path "abc": a
    // path that does not start with '/' after an authority can only be a malformed port.
    const bool rootless = !path.empty() && path.front() != '/';
    if (u.encoded_host().empty()) {
        if (path.find('@') != std::string_view::npos) {
            return url_error("missing host (a password file path must be percent-encoded: "
                             "%2F for '/')");
        }
        return url_error("missing host (expected " + std::string(forms) + ")");
    }
    std::uint16_t port = default_redis_port;
    if (u.has_port() || rootless) {
        unsigned long n = 0;
        const std::string_view text = u.port();
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, n);
        if (rootless || text.empty() || ec != std::errc() || ptr != end || n < 1 || n > 65535) {
            return url_error("port must be 1..65535");
        }
        port = static_cast<std::uint16_t>(n);
    }
    std::string host;
    switch (u.host_type()) {
    case urls::host_type::name:
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
        host = u.host_address(); // an IPv6 address without its brackets
        break;
    default:
        return url_error("unsupported host (a name, an IPv4 address or [an IPv6 address])");
    }
    if (has_nul(host)) {
        return url_error("NUL byte in the host");
    }
    if (u.has_query()) {
        return url_error("redis:// takes no query (the database goes in the path: "
                         "redis://HOST:PORT/DB)");
    }
    int database = 0;
    const std::string decoded = u.path();
    if (decoded.size() > 1) {
        const std::string_view db = std::string_view(decoded).substr(1);
        if (db.find('/') != std::string_view::npos) {
            return url_error("unexpected path after the database (expected " + std::string(forms) +
                             ")");
        }
        const auto parsed = parse_database(db);
        if (!parsed) {
            return bad_database(db);
        }
        database = *parsed;
    }
    return redis_location(redis_address::tcp(std::move(host), port), std::move(password_file),
                          database);
}

location_result parse_unix(const urls::url_view& u, std::optional<std::string> password_file) {
    if (!u.encoded_host().empty() || u.has_port()) {
        return url_error("unix:// takes no host (write unix:///path/to/socket)");
    }
    std::string path = u.path();
    if (path.empty() || path == "/") {
        return url_error("unix socket path is empty (write unix:///path/to/socket)");
    }
    if (path.front() != '/') {
        return url_error("unix socket path must be absolute (write unix:///path/to/socket)");
    }
    if (has_nul(path)) {
        return url_error("NUL byte in the unix socket path");
    }
    if (path.size() > max_socket_path) {
        return url_error("unix socket path longer than " + std::to_string(max_socket_path) +
                         " bytes");
    }
    int database = 0;
    bool database_given = false;
    for (const auto& param : u.params()) {
        if (param.key != "db") {
            return url_error("unknown query parameter '" + param.key + "' (unix:// takes only db)");
        }
        if (database_given) {
            return url_error("db given twice");
        }
        const auto parsed = param.has_value ? parse_database(param.value) : std::nullopt;
        if (!parsed) {
            return bad_database(param.value);
        }
        database = *parsed;
        database_given = true;
    }
    return redis_location(redis_address::unix_socket(std::move(path)), std::move(password_file),
                          database);
}

redis_config_error file_error(const std::string& path, std::string_view what) {
    return redis_config_error("redis password file '" + path + "': " + std::string(what));
}

redis_config_error file_errno(const std::string& path, std::string_view what, int err) {
    return file_error(path, std::string(what) + ": " + std::generic_category().message(err));
}

struct fd_closer {
    int fd;
    ~fd_closer() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

} // namespace

void throw_exception_from_error(const redis_config_error& e, const boost::source_location&) {
    throw std::invalid_argument(e.message);
}

location_result parse_redis_url(std::string_view text) {
    if (text.empty()) {
        return url_error("empty (expected " + std::string(forms) + ")");
    }
    const auto parsed = urls::parse_uri(text);
    if (!parsed) {
        // Neither the text nor Boost's reason is shown: the text may hold a password typed in
        // the wrong place, and "mismatch" says less than the accepted forms do.
        return url_error("not a valid URL (expected " + std::string(forms) + ")");
    }
    const urls::url_view& u = *parsed;
    const bool tcp = urls::grammar::ci_is_equal(u.scheme(), "redis");
    const bool unix_socket = urls::grammar::ci_is_equal(u.scheme(), "unix");
    if (!tcp && !unix_socket) {
        return url_error("unsupported scheme '" + std::string(u.scheme()) +
                         "' (use redis:// or unix://)");
    }
    if (u.has_fragment()) {
        return url_error("unexpected fragment ('#...')");
    }
    auto password_file = password_file_of(u);
    if (!password_file) {
        return password_file.error();
    }
    if (tcp) {
        if (!u.has_authority()) {
            return url_error("missing host (expected " + std::string(forms) + ")");
        }
        return parse_tcp(u, std::move(*password_file));
    }
    return parse_unix(u, std::move(*password_file));
}

boost::system::result<std::string, redis_config_error> read_password_file(const std::string& path) {
    if (path.empty()) {
        return redis_config_error("redis password file: empty path");
    }
    const fd_closer file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        return file_errno(path, "cannot open", errno);
    }
    // Only the first line is read, and never more of it than a password may hold.
    std::string line;
    char chunk[4096];
    for (;;) {
        const ::ssize_t n = ::read(file.fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return file_errno(path, "cannot read", errno);
        }
        const std::string_view got(chunk, static_cast<std::size_t>(n));
        const auto newline = got.find('\n');
        line.append(got.substr(0, newline));
        if (line.size() > max_password + 1) { // + 1: a '\r' before the newline
            return file_error(path, "first line longer than 64 KiB");
        }
        if (n == 0 || newline != std::string_view::npos) {
            break;
        }
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    if (line.size() > max_password) {
        return file_error(path, "first line longer than 64 KiB");
    }
    if (line.empty()) {
        return file_error(path, "empty first line (the password is its first line)");
    }
    // In place: the error type is constructible from a string too, so the value is named as one.
    return {boost::system::in_place_value, std::move(line)};
}

} // namespace minapp::fleet
