// The minapp-emulator command line.
#include "test_print.hpp"

#include "emulator/server/command_line.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <vector>

using namespace minapp::emulator;
using minapp::emulator::detail::command_line;

namespace {

command_line parse(std::initializer_list<const char*> args, const char* env_tokens = nullptr) {
    std::vector<const char*> argv = {"minapp-emulator"};
    argv.insert(argv.end(), args.begin(), args.end());
    return detail::parse_command_line(static_cast<int>(argv.size()), argv.data(), env_tokens);
}

/// A file in the working directory that exists for one test.
class temp_file {
public:
    temp_file(std::string name, const std::string& content)
        : path_(std::move(name)) {
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~temp_file() { std::remove(path_.c_str()); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// The message parse_command_line throws for `args`, or "<accepted>".
std::string error_of(std::initializer_list<const char*> args) {
    try {
        parse(args);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "<accepted>";
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_command_line)

BOOST_AUTO_TEST_CASE(defaults) {
    const command_line c = parse({});
    BOOST_TEST(!c.help);
    BOOST_TEST(c.server.address == "127.0.0.1");
    BOOST_TEST(c.server.port == 0u);
    BOOST_TEST(c.server.tls);
    BOOST_TEST(c.server.inspection);
    BOOST_TEST(c.server.idle_timeout.count() == 75'000);
    BOOST_TEST(c.server.faults.rules.empty());
    BOOST_TEST(c.tokens.empty());
    BOOST_TEST(!c.users.has_value());
}

BOOST_AUTO_TEST_CASE(every_option) {
    const command_line c = parse({"--host",
                                  "0.0.0.0",
                                  "--port=8443",
                                  "--plain-http",
                                  "--cert",
                                  "c.pem",
                                  "--key",
                                  "k.pem",
                                  "--ca-out",
                                  "ca.pem",
                                  "--users",
                                  "50",
                                  "--seed",
                                  "9",
                                  "--token",
                                  "a",
                                  "--token=b",
                                  "--env-id",
                                  "e1",
                                  "--env-id",
                                  "e2",
                                  "--rpm",
                                  "120",
                                  "--fault-rate",
                                  "503=0.25",
                                  "--fault-every",
                                  "reset-after=4",
                                  "--fault-on",
                                  "latency=1,3",
                                  "--fault-seed",
                                  "77",
                                  "--fault-latency",
                                  "30",
                                  "--fault-retry-after",
                                  "5",
                                  "--fault-method",
                                  "PUT",
                                  "--fault-path",
                                  "/oserve/v2.6/",
                                  "--keepalive-timeout",
                                  "1.5",
                                  "--abrupt-idle-close",
                                  "--max-requests-per-connection",
                                  "100",
                                  "--threads",
                                  "3",
                                  "--no-inspection"},
                                 "c, d");
    BOOST_TEST(c.server.address == "0.0.0.0");
    BOOST_TEST(c.server.port == 8443u);
    BOOST_TEST(!c.server.tls);
    BOOST_TEST(c.cert_file == "c.pem");
    BOOST_TEST(c.key_file == "k.pem");
    BOOST_TEST(c.server.ca_out_path == "ca.pem");
    BOOST_TEST(*c.users == 50u);
    BOOST_TEST(*c.seed == 9u);
    BOOST_TEST(c.tokens == (std::vector<std::string>{"a", "b", "c", "d"}),
               boost::test_tools::per_element());
    BOOST_TEST(c.environments == (std::vector<std::string>{"e1", "e2"}),
               boost::test_tools::per_element());
    BOOST_TEST(c.server.requests_per_minute == 120u);
    BOOST_TEST(c.server.faults.seed == 77u);
    BOOST_REQUIRE_EQUAL(c.server.faults.rules.size(), 3u);
    const auto& rules = c.server.faults.rules;
    BOOST_TEST(rules[0].kind == fault_kind::http_503);
    BOOST_TEST(rules[0].probability == 0.25);
    BOOST_TEST(rules[1].kind == fault_kind::reset_after_handler);
    BOOST_TEST(rules[1].every == 4u);
    BOOST_TEST(rules[2].kind == fault_kind::latency);
    BOOST_TEST(rules[2].on_requests == (std::vector<std::uint64_t>{1, 3}),
               boost::test_tools::per_element());
    for (const fault_rule& rule : rules) {
        BOOST_TEST(rule.latency.count() == 30);
        BOOST_TEST(rule.retry_after.count() == 5);
        BOOST_TEST(rule.filter.method == "PUT");
        BOOST_TEST(rule.filter.path_prefix == "/oserve/v2.6/");
    }
    BOOST_TEST(c.server.idle_timeout.count() == 1500);
    BOOST_TEST(!c.server.close_notify_on_idle);
    BOOST_TEST(c.server.max_requests_per_connection == 100u);
    BOOST_TEST(c.server.threads == 3u);
    BOOST_TEST(!c.server.inspection);
}

BOOST_AUTO_TEST_CASE(clients_read_their_secrets_from_files) {
    const temp_file lf("command_line_test_secret_lf", "s3cret-lf\n");
    const temp_file crlf("command_line_test_secret_crlf", "s3cret-crlf\r\n");
    const temp_file bare("command_line_test:secret", "s3cret bare"); // a ':' in the path
    const std::string a = "a:" + lf.path();
    const std::string b = "b:" + crlf.path();
    const std::string c_arg = "--client=c:" + bare.path();
    const command_line c =
        parse({"--client", a.c_str(), "--client", b.c_str(), c_arg.c_str(), "--token-ttl", "90"});
    BOOST_REQUIRE_EQUAL(c.clients.size(), 3u);
    BOOST_TEST(c.clients[0].id == "a");
    BOOST_TEST(c.clients[0].secret == "s3cret-lf");
    BOOST_TEST(c.clients[1].id == "b");
    BOOST_TEST(c.clients[1].secret == "s3cret-crlf");
    BOOST_TEST(c.clients[2].id == "c");
    BOOST_TEST(c.clients[2].secret == "s3cret bare");
    BOOST_TEST(c.token_ttl->count() == 90);

    const command_line defaults = parse({});
    BOOST_TEST(defaults.clients.empty());
    BOOST_TEST(!defaults.token_ttl.has_value());
}

BOOST_AUTO_TEST_CASE(client_and_token_ttl_errors) {
    const temp_file empty("command_line_test_secret_empty", "");
    const temp_file newline("command_line_test_secret_newline", "\n");
    const temp_file two_lines("command_line_test_secret_two", "top-secret\nmore\n");
    const temp_file good("command_line_test_secret_good", "top-secret\n");
    const std::string missing = "a:command_line_test_no_such_file";
    const std::string to_empty = "a:" + empty.path();
    const std::string to_newline = "a:" + newline.path();
    const std::string to_two_lines = "a:" + two_lines.path();
    const std::string no_id = ":" + good.path();
    const std::string to_good = "a:" + good.path();
    const std::string directory = "a:.";
    for (const auto& [arg, expected] :
         std::vector<std::pair<std::string, std::string>>{{missing, "cannot read"},
                                                          {to_empty, "is empty"},
                                                          {to_newline, "is empty"},
                                                          {to_two_lines, "more than one line"},
                                                          {no_id, "ID:SECRET_FILE"},
                                                          {"a", "ID:SECRET_FILE"},
                                                          {"a:", "ID:SECRET_FILE"},
                                                          {directory, "secret file"}}) {
        const std::string message = error_of({"--client", arg.c_str()});
        BOOST_TEST_CONTEXT(arg) {
            BOOST_TEST(message.starts_with("--client: "), message);
            BOOST_TEST(message.find(expected) != std::string::npos, message);
            BOOST_TEST(message.find("top-secret") == std::string::npos); // never quoted
        }
    }
    BOOST_TEST(
        error_of({"--client", to_good.c_str(), "--client", to_good.c_str()}).find("given twice") !=
        std::string::npos);
    BOOST_TEST(error_of({"--client"}).find("missing value") != std::string::npos);
    for (const char* ttl : {"0", "-5", "ten", "1.5", "3153600001"}) {
        BOOST_TEST(error_of({"--token-ttl", ttl}).starts_with("--token-ttl: "), ttl);
    }
    BOOST_TEST(error_of({"--token-ttl", "3153600000"}) == "<accepted>");
}

BOOST_AUTO_TEST_CASE(help) {
    BOOST_TEST(parse({"--help"}).help);
    BOOST_TEST(parse({"-h"}).help);
    const std::string text = detail::usage();
    for (const char* option : {"--host",
                               "--port",
                               "--plain-http",
                               "--cert",
                               "--key",
                               "--ca-out",
                               "--users",
                               "--seed",
                               "--token",
                               "--env-id",
                               "--rpm",
                               "--fault-rate",
                               "--fault-every",
                               "--fault-on",
                               "--fault-seed",
                               "--fault-latency",
                               "--fault-retry-after",
                               "--fault-method",
                               "--fault-path",
                               "--keepalive-timeout",
                               "--abrupt-idle-close",
                               "--max-requests-per-connection",
                               "--threads",
                               "--no-inspection",
                               "--client ID:SECRET_FILE",
                               "--token-ttl SECONDS",
                               "MINAPP_EMULATOR_TOKENS"}) {
        BOOST_TEST(text.find(option) != std::string::npos, option);
    }
}

BOOST_AUTO_TEST_CASE(errors_name_the_option) {
    const std::vector<std::vector<const char*>> bad = {
        {"--port", "http"},
        {"--port", "70000"},
        {"--port"},
        {"--bogus"},
        {"--fault-rate", "503"},
        {"--fault-rate", "404=0.5"},
        {"--fault-rate", "503=2"},
        {"--threads", "0"},
        {"--cert", "c.pem"},
        {"--plain-http=yes"},
        {"--keepalive-timeout", "-1"},
    };
    for (const auto& args : bad) {
        std::vector<const char*> argv = {"minapp-emulator"};
        argv.insert(argv.end(), args.begin(), args.end());
        BOOST_CHECK_THROW(
            detail::parse_command_line(static_cast<int>(argv.size()), argv.data(), nullptr),
            std::invalid_argument);
    }
}

BOOST_AUTO_TEST_SUITE_END()
