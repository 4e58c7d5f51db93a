// fleet::parse_redis_url and fleet::read_password_file: tables of accepted and refused locations
// with the exact fields and messages, password files of every shape (whose contents never appear
// in a message), and one URL taken all the way to a real redis-server with a password file and
// a database.
#include "fleet/redis_connection.hpp"
#include "fleet/redis_url.hpp"

#include "redis_server.hpp"
#include "run_sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using minapp::fleet::parse_redis_url;
using minapp::fleet::read_password_file;
using minapp::fleet::redis_connection;
using minapp::fleet::redis_options;
using minapp::test::redis_server;
using minapp::test::run_sync;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A fresh temporary directory, removed with everything in it at the end.
class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "minapp-url-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    /// Writes `contents` (bytes as given) to `name` in the directory and returns its path.
    std::string write(const std::string& name, const std::string& contents) const {
        const auto file = path_ / name;
        std::ofstream out(file, std::ios::binary);
        out << contents;
        BOOST_REQUIRE(out.good());
        return file.string();
    }
    const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

/// `path` with every '/' percent-encoded, as it is written in a URL's userinfo (the temporary
/// paths of these tests hold no other reserved character).
std::string encoded(const std::string& path) {
    std::string out;
    for (const char c : path) {
        out += c == '/' ? std::string("%2F") : std::string(1, c);
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_url_test)

BOOST_AUTO_TEST_CASE(accepted_locations_and_their_fields) {
    struct row {
        const char* url;
        bool unix_socket;
        const char* host_or_path;
        std::uint16_t port;
        std::optional<std::string> password_file;
        int database;
    };
    const std::optional<std::string> none;
    const row rows[] = {
        {"redis://cache.internal:6380", false, "cache.internal", 6380, none, 0},
        {"redis://cache.internal", false, "cache.internal", 6379, none, 0},
        {"redis://127.0.0.1:7000/3", false, "127.0.0.1", 7000, none, 3},
        {"redis://h/0", false, "h", 6379, none, 0},
        {"redis://h/", false, "h", 6379, none, 0},
        {"redis://h:1/15", false, "h", 1, none, 15},
        {"redis://h:65535", false, "h", 65535, none, 0},
        {"redis://h:06379/007", false, "h", 6379, none, 7},
        {"redis://h/2147483647", false, "h", 6379, none, 2147483647},
        {"redis://h/%33", false, "h", 6379, none, 3},
        {"redis://[::1]:6380/2", false, "::1", 6380, none, 2},
        {"redis://[::1]", false, "::1", 6379, none, 0},
        {"redis://[2001:db8::7]:1", false, "2001:db8::7", 1, none, 0},
        {"redis://my%2Dhost", false, "my-host", 6379, none, 0},
        {"REDIS://Cache.Internal", false, "Cache.Internal", 6379, none, 0},
        {"redis://:%2Frun%2Fsecrets%2Fredis@h:6380/4", false, "h", 6380, "/run/secrets/redis", 4},
        {"redis://:%2frun%2fsecrets%2fredis@h", false, "h", 6379, "/run/secrets/redis", 0},
        {"redis://:%2Fsecrets%2Fredis.pw@[::1]:7/1", false, "::1", 7, "/secrets/redis.pw", 1},
        {"redis://:%2Fa:b@h", false, "h", 6379, "/a:b", 0},
        {"redis://@h", false, "h", 6379, none, 0},
        {"unix:///var/run/redis/redis.sock", true, "/var/run/redis/redis.sock", 0, none, 0},
        {"unix:///tmp/r.sock?db=3", true, "/tmp/r.sock", 0, none, 3},
        {"unix:///tmp/r.sock?db=0", true, "/tmp/r.sock", 0, none, 0},
        {"unix:///tmp/with%20space.sock", true, "/tmp/with space.sock", 0, none, 0},
        {"unix:/tmp/r.sock", true, "/tmp/r.sock", 0, none, 0},
        {"UNIX:///tmp/r.sock", true, "/tmp/r.sock", 0, none, 0},
        {"unix://:%2Frun%2Fpw@/tmp/r.sock?db=2", true, "/tmp/r.sock", 0, "/run/pw", 2},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.url) {
            const auto parsed = parse_redis_url(r.url);
            BOOST_TEST_REQUIRE(parsed.has_value(), parsed.error().message);
            BOOST_TEST(parsed->address.is_unix_socket() == r.unix_socket);
            BOOST_TEST(parsed->address.host_or_path() == r.host_or_path);
            BOOST_TEST(parsed->address.port() == r.port);
            BOOST_TEST((parsed->password_file == r.password_file));
            BOOST_TEST(parsed->database == r.database);
        }
    }
}

BOOST_AUTO_TEST_CASE(refused_locations_say_what_is_wrong) {
    struct row {
        std::string url;
        std::string message;
    };
    const std::string forms = "(expected redis://[:PASSWORD_FILE@]HOST[:PORT][/DB] or "
                              "unix:///PATH[?db=N])";
    const std::string relative =
        "redis URL: the password file must be an absolute path (write :PASSWORD_FILE@, "
        "percent-encoded: %2Frun%2Fsecrets%2Fredis); a password itself is never accepted in "
        "the URL";
    const row rows[] = {
        {"http://h:6379", "redis URL: unsupported scheme 'http' (use redis:// or unix://)"},
        {"rediss://h", "redis URL: unsupported scheme 'rediss' (use redis:// or unix://)"},
        {"localhost:6379", "redis URL: unsupported scheme 'localhost' (use redis:// or unix://)"},
        {"", "redis URL: empty " + forms},
        {"127.0.0.1:6379", "redis URL: not a valid URL " + forms},
        {"redis://h/%zz", "redis URL: not a valid URL " + forms},
        {"redis://[fe80::1%25eth0]", "redis URL: not a valid URL " + forms},
        {"redis://", "redis URL: missing host " + forms},
        {"redis:h", "redis URL: missing host " + forms},
        {"redis://:6379", "redis URL: missing host " + forms},
        {"redis://:/run/secrets/redis@h:6379",
         "redis URL: missing host (a password file path must be percent-encoded: %2F for '/')"},
        {"redis://h:0", "redis URL: port must be 1..65535"},
        {"redis://h:65536", "redis URL: port must be 1..65535"},
        {"redis://h:99999999999999999999", "redis URL: port must be 1..65535"},
        {"redis://h:", "redis URL: port must be 1..65535"},
        {"redis://h:abc", "redis URL: port must be 1..65535"},
        {"redis://h:6379:1", "redis URL: port must be 1..65535"},
        {"redis://h/x", "redis URL: database must be an integer 0..2147483647, got 'x'"},
        {"redis://h/-1", "redis URL: database must be an integer 0..2147483647, got '-1'"},
        {"redis://h/+1", "redis URL: database must be an integer 0..2147483647, got '+1'"},
        {"redis://h/-0", "redis URL: database must be an integer 0..2147483647, got '-0'"},
        {"redis://h/%201", "redis URL: database must be an integer 0..2147483647, got ' 1'"},
        {"redis://h/1.5", "redis URL: database must be an integer 0..2147483647, got '1.5'"},
        {"redis://h/2147483648",
         "redis URL: database must be an integer 0..2147483647, got '2147483648'"},
        {"redis://h/1/2", "redis URL: unexpected path after the database " + forms},
        {"redis://h//", "redis URL: unexpected path after the database " + forms},
        {"redis://h?db=1", "redis URL: redis:// takes no query (the database goes in the path: "
                           "redis://HOST:PORT/DB)"},
        {"redis://h#x", "redis URL: unexpected fragment ('#...')"},
        {"redis://admin:%2Frun%2Fpw@h",
         "redis URL: a user name is not supported (only :PASSWORD_FILE@, the path of a file "
         "holding the password)"},
        {"redis://admin@h", "redis URL: a user name is not supported (only :PASSWORD_FILE@, the "
                            "path of a file holding the password)"},
        {"redis://:@h", "redis URL: empty password file path after ':' (write :PASSWORD_FILE@, "
                        "percent-encoded: %2Frun%2Fsecrets%2Fredis)"},
        {"redis://:a%00b@h", "redis URL: NUL byte in the password file path"},
        {"redis://:redis.pw@h", relative},
        {"redis://:secrets%2Fredis.pw@h", relative},
        {"redis://a%00b", "redis URL: NUL byte in the host"},
        {"redis://[v1.x]",
         "redis URL: unsupported host (a name, an IPv4 address or [an IPv6 address])"},
        {"unix://", "redis URL: unix socket path is empty (write unix:///path/to/socket)"},
        {"unix:///", "redis URL: unix socket path is empty (write unix:///path/to/socket)"},
        {"unix:", "redis URL: unix socket path is empty (write unix:///path/to/socket)"},
        {"unix:///?db=1", "redis URL: unix socket path is empty (write unix:///path/to/socket)"},
        {"unix:tmp/r.sock",
         "redis URL: unix socket path must be absolute (write unix:///path/to/socket)"},
        {"unix://localhost/tmp/r.sock",
         "redis URL: unix:// takes no host (write unix:///path/to/socket)"},
        {"unix://%2Ftmp%2Fr.sock",
         "redis URL: unix:// takes no host (write unix:///path/to/socket)"},
        {"unix:///tmp/a%00b", "redis URL: NUL byte in the unix socket path"},
        {"unix:///" + std::string(107, 's'), "redis URL: unix socket path longer than 107 bytes"},
        {"unix:///tmp/r.sock?db=x",
         "redis URL: database must be an integer 0..2147483647, got 'x'"},
        {"unix:///tmp/r.sock?db=", "redis URL: database must be an integer 0..2147483647, got ''"},
        {"unix:///tmp/r.sock?db", "redis URL: database must be an integer 0..2147483647, got ''"},
        {"unix:///tmp/r.sock?db=1&db=2", "redis URL: db given twice"},
        {"unix:///tmp/r.sock?timeout=1",
         "redis URL: unknown query parameter 'timeout' (unix:// takes only db)"},
        {"unix:///tmp/r.sock#x", "redis URL: unexpected fragment ('#...')"},
        {"unix://user@/tmp/r.sock", "redis URL: a user name is not supported (only "
                                    ":PASSWORD_FILE@, the path of a file holding the password)"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.url) {
            const auto parsed = parse_redis_url(r.url);
            BOOST_TEST_REQUIRE(parsed.has_error());
            BOOST_TEST(parsed.error().message == r.message);
        }
    }
    // The longest path a socket address holds is accepted.
    const auto longest = parse_redis_url("unix:///" + std::string(106, 's'));
    BOOST_TEST_REQUIRE(longest.has_value());
    BOOST_TEST(longest->address.host_or_path().size() == 107u);
}

BOOST_AUTO_TEST_CASE(a_password_typed_into_the_url_is_never_repeated) {
    // Whoever writes the password itself where its file belongs must not find it in a log.
    for (const char* url : {"redis://admin:hunter2@h", "redis://hunter2@h", "redis://:hunter2@",
                            "redis://:hunter2@h:0", "redis://:hunter2@h/x", "redis://:hunter2@h#f",
                            "ftp://:hunter2@h", "redis://:hunter2@h?q", "redis://:hunter2@h:1%",
                            "redis://:hunter2@h"}) {
        BOOST_TEST_CONTEXT(url) {
            const auto parsed = parse_redis_url(url);
            BOOST_TEST_REQUIRE(parsed.has_error());
            BOOST_TEST(!contains(parsed.error().message, "hunter2"), parsed.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(value_throws_invalid_argument_with_the_message) {
    BOOST_CHECK_EXCEPTION(parse_redis_url("http://h").value(), std::invalid_argument,
                          [](const std::invalid_argument& e) {
                              return std::string(e.what()) ==
                                     "redis URL: unsupported scheme 'http' (use redis:// or "
                                     "unix://)";
                          });
}

BOOST_AUTO_TEST_CASE(password_file_first_line_without_its_line_break) {
    const temp_dir dir;
    struct row {
        const char* contents;
        std::size_t size; // the contents may hold a NUL byte
        const char* password;
    };
    const row rows[] = {
        {"s3cret\n", 7, "s3cret"},
        {"s3cret", 6, "s3cret"},
        {"s3cret\r\n", 8, "s3cret"},
        {"s3cret\r", 7, "s3cret"},
        {"s3cret\nsecond line\n", 19, "s3cret"},
        {" spaced  pass \n", 15, " spaced  pass "},
        {"tab\there\n", 9, "tab\there"},
        {"p\xc3\xa4ss\n", 6, "p\xc3\xa4ss"},
    };
    int n = 0;
    for (const auto& r : rows) {
        const std::string contents(r.contents, r.size);
        BOOST_TEST_CONTEXT(contents) {
            const auto path = dir.write("pw" + std::to_string(n++), contents);
            const auto password = read_password_file(path);
            BOOST_TEST_REQUIRE(password.has_value(), password.error().message);
            BOOST_TEST(*password == r.password);
        }
    }
    // A first line longer than one read, and the longest accepted.
    const std::string longest(64 * 1024, 'x');
    const auto big = read_password_file(dir.write("big", longest + "\r\nrest"));
    BOOST_TEST_REQUIRE(big.has_value());
    BOOST_TEST(*big == longest);
}

BOOST_AUTO_TEST_CASE(password_file_errors_name_the_file_never_its_contents) {
    const temp_dir dir;
    const std::string missing = (dir.path() / "missing").string();
    struct row {
        std::string path;
        std::string message;
    };
    const std::string too_long = dir.write("long", std::string(64 * 1024 + 1, 'k') + "\n");
    const std::string empty = dir.write("empty", "");
    const std::string blank = dir.write("blank", "\nhunter2\n");
    const std::string crlf = dir.write("crlf", "\r\nhunter2\n");
    const row rows[] = {
        {missing, "redis password file '" + missing + "': cannot open: No such file or directory"},
        {too_long, "redis password file '" + too_long + "': first line longer than 64 KiB"},
        {empty,
         "redis password file '" + empty + "': empty first line (the password is its first line)"},
        {blank,
         "redis password file '" + blank + "': empty first line (the password is its first line)"},
        {crlf,
         "redis password file '" + crlf + "': empty first line (the password is its first line)"},
        {dir.path().string(),
         "redis password file '" + dir.path().string() + "': cannot read: Is a directory"},
        {"", "redis password file: empty path"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.path) {
            const auto password = read_password_file(r.path);
            BOOST_TEST_REQUIRE(password.has_error());
            BOOST_TEST(password.error().message == r.message);
            BOOST_TEST(!contains(password.error().message, "hunter2"));
            BOOST_TEST(!contains(password.error().message, "kkkk"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_url_with_password_file_and_database_reaches_redis) {
    const temp_dir dir;
    const std::string password_file = dir.write("redis.pw", "pa ss:w@rd/\r\n");
    const redis_server server(redis_server::transport::tcp, {"--requirepass", "pa ss:w@rd/"},
                              "pa ss:w@rd/");
    const auto url = "redis://:" + encoded(password_file) +
                     "@127.0.0.1:" + std::to_string(server.address().port()) + "/5";
    const auto location = parse_redis_url(url);
    BOOST_TEST_REQUIRE(location.has_value(), location.error().message);
    BOOST_TEST((location->password_file == password_file));
    const auto password = read_password_file(*location->password_file);
    BOOST_TEST_REQUIRE(password.has_value(), password.error().message);

    asio::io_context ioc;
    redis_options options;
    options.password = *password;
    options.database = location->database;
    redis_connection in_five(ioc.get_executor(), options);
    BOOST_REQUIRE(!run_sync(ioc, in_five.connect(location->address)));
    std::vector<std::string> set{"SET", "where", "five"};
    BOOST_REQUIRE(run_sync(ioc, in_five.command(std::move(set))));

    options.database = 0;
    redis_connection in_zero(ioc.get_executor(), options);
    BOOST_REQUIRE(!run_sync(ioc, in_zero.connect(location->address)));
    std::vector<std::string> get{"GET", "where"};
    const auto zero = run_sync(ioc, in_zero.command(get));
    BOOST_REQUIRE(zero);
    BOOST_TEST(zero->is_nil());
    std::vector<std::string> select{"SELECT", "5"};
    BOOST_REQUIRE(run_sync(ioc, in_zero.command(std::move(select))));
    const auto five = run_sync(ioc, in_zero.command(get));
    BOOST_REQUIRE(five);
    BOOST_TEST(five->as_text() == "five");
}

BOOST_AUTO_TEST_SUITE_END()
