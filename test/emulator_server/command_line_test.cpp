// The minapp-emulator command line.
#include "test_print.hpp"

#include "emulator/server/command_line.hpp"

#include <boost/test/unit_test.hpp>

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
