// Unit tests of the `minapp` tool's pure parts: the command line (options, environment fallbacks
// and every usage error), JSON arguments with the position of their first error, the progress
// line and the exit status of a failure. No sockets.
#include "bulk_output.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "fleet_budget.hpp"
#include "json_io.hpp"

#include "progress_bar.hpp"
#include <boost/json/parse.hpp>

#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace cli = minapp::cli;
using args_t = std::vector<std::string>;

namespace {

/// An environment holding exactly `vars` (the functor keeps its own copy).
cli::environment env_of(std::map<std::string, std::string> vars = {}) {
    auto held = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
    return [held](const char* name) -> const char* {
        auto it = held->find(name);
        return it == held->end() ? nullptr : it->second.c_str();
    };
}

std::string describe(const args_t& args) {
    std::string out;
    for (const auto& a : args) {
        out += out.empty() ? "" : " ";
        out += a;
    }
    return "minapp " + out;
}

/// The invocation `args` parses into; fails the test on help or a usage error.
cli::invocation parsed(const args_t& args, const cli::environment& env = env_of()) {
    auto outcome = cli::parse_command_line(args, env);
    if (const auto* bad = std::get_if<cli::usage_error>(&outcome)) {
        BOOST_FAIL(describe(args) << ": unexpected usage error: " << bad->message);
    }
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<cli::invocation>(outcome),
                          describe(args) << ": expected an invocation");
    return std::get<cli::invocation>(outcome);
}

/// The usage error `args` gives; empty (and a failed check) when it parses.
std::string usage_error_of(const args_t& args, const cli::environment& env = env_of()) {
    auto outcome = cli::parse_command_line(args, env);
    const auto* bad = std::get_if<cli::usage_error>(&outcome);
    BOOST_TEST(bad != nullptr, describe(args) << ": expected a usage error");
    return bad != nullptr ? bad->message : std::string();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const char* const command_summaries[] = {
    "users get ID",
    "users list [--where JSON]",
    "users count [--where JSON]",
    "users update ID --data JSON",
    "users update-where --where JSON --data JSON",
    "users update-many --input FILE|- [--stop-on-error]",
    "account update ID",
    "users list-v1",
    "auth token",
};

minapp::failure failure_of(minapp::error code, unsigned http_status) {
    minapp::failure f;
    f.code = code;
    f.diagnostics.http_status = http_status;
    return f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_command_line)

BOOST_AUTO_TEST_CASE(defaults_without_options_or_environment) {
    const auto inv = parsed({"users", "count"});
    const auto& g = inv.global;
    BOOST_TEST(g.base_url == "https://cloud.minapp.com");
    BOOST_TEST(!g.token.has_value());
    BOOST_TEST(!g.token_file.has_value());
    BOOST_TEST(g.env_id == "");
    BOOST_TEST(g.ca_file == "");
    BOOST_TEST(!g.insecure);
    BOOST_TEST(!g.timeout_seconds.has_value());
    BOOST_TEST(!g.rate.has_value());
    BOOST_TEST(!g.rate_redis.has_value());
    BOOST_TEST(!g.rate_key.has_value());
    BOOST_TEST((g.rate_fallback == cli::rate_fallback_mode::local));
    BOOST_TEST(g.expected_replicas == 1u);
    BOOST_TEST(!g.concurrency.has_value());
    BOOST_TEST(!g.emulator);
    BOOST_TEST(g.emulator_users == 2000u);
    BOOST_TEST(!g.progress.has_value());
    BOOST_TEST(inv.cmd.name == "users count");
    BOOST_TEST(inv.cmd.positionals.empty());
    BOOST_TEST(inv.cmd.values.empty());
    BOOST_TEST(inv.cmd.flags.empty());
}

BOOST_AUTO_TEST_CASE(global_options_are_read_before_the_command) {
    using check = std::function<bool(const cli::global_options&)>;
    struct row {
        args_t options;
        check holds;
    };
    const row rows[] = {
        {{"--base-url", "http://127.0.0.1:8080"},
         [](const auto& g) {
             return g.base_url == "http://127.0.0.1:8080";
         }},
        {{"--token-file", "/run/secrets/minapp"},
         [](const auto& g) {
             return g.token_file == std::optional<std::string>("/run/secrets/minapp");
         }},
        {{"--env-id", "env-b"},
         [](const auto& g) {
             return g.env_id == "env-b";
         }},
        {{"--ca-file", "ca.pem"},
         [](const auto& g) {
             return g.ca_file == "ca.pem";
         }},
        {{"--insecure"},
         [](const auto& g) {
             return g.insecure;
         }},
        {{"--timeout", "2.5"},
         [](const auto& g) {
             return g.timeout_seconds == 2.5;
         }},
        {{"--timeout", "1e-3"},
         [](const auto& g) {
             return g.timeout_seconds == 0.001;
         }},
        {{"--rate", "10"},
         [](const auto& g) {
             return g.rate == 10.0;
         }},
        {{"--rate", "0.5"},
         [](const auto& g) {
             return g.rate == 0.5;
         }},
        {{"--concurrency", "1"},
         [](const auto& g) {
             return g.concurrency == std::size_t{1};
         }},
        {{"--concurrency", "1024"},
         [](const auto& g) {
             return g.concurrency == std::size_t{1024};
         }},
        {{"--emulator"},
         [](const auto& g) {
             return g.emulator;
         }},
        {{"--emulator-users", "20"},
         [](const auto& g) {
             return g.emulator_users == 20u;
         }},
        {{"--progress"},
         [](const auto& g) {
             return g.progress == std::optional<bool>(true);
         }},
        {{"--no-progress"},
         [](const auto& g) {
             return g.progress == std::optional<bool>(false);
         }},
        {{"--no-progress", "--progress"},
         [](const auto& g) {
             return g.progress == std::optional<bool>(true);
         }},
        {{"--env-id", "a", "--env-id", "b"},
         [](const auto& g) {
             return g.env_id == "b";
         }},
        {{"--emulator", "--emulator-users", "7", "--insecure", "--rate", "3"},
         [](const auto& g) {
             return g.emulator && g.emulator_users == 7u && g.insecure && g.rate == 3.0;
         }},
    };
    for (const auto& r : rows) {
        args_t args = r.options;
        args.insert(args.end(), {"users", "get", "5"});
        BOOST_TEST_CONTEXT(describe(args)) {
            const auto inv = parsed(args);
            BOOST_TEST(r.holds(inv.global));
            BOOST_TEST(inv.cmd.name == "users get");
            BOOST_TEST(inv.cmd.positionals == args_t{"5"});
        }
    }
}

BOOST_AUTO_TEST_CASE(environment_fallbacks_and_their_precedence) {
    struct row {
        const char* what;
        std::map<std::string, std::string> env;
        args_t options;
        std::string base_url;
        std::optional<std::string> token;
        std::string env_id;
    };
    const std::string def = "https://cloud.minapp.com";
    const row rows[] = {
        {"nothing set", {}, {}, def, std::nullopt, ""},
        {"base url from env",
         {{"MINAPP_BASE_URL", "http://127.0.0.1:9"}},
         {},
         "http://127.0.0.1:9",
         std::nullopt,
         ""},
        {"empty base url ignored", {{"MINAPP_BASE_URL", ""}}, {}, def, std::nullopt, ""},
        {"--base-url beats env",
         {{"MINAPP_BASE_URL", "http://127.0.0.1:9"}},
         {"--base-url", "https://example.test"},
         "https://example.test",
         std::nullopt,
         ""},
        {"token from env", {{"MINAPP_TOKEN", "tok-env"}}, {}, def, "tok-env", ""},
        {"empty token ignored", {{"MINAPP_TOKEN", ""}}, {}, def, std::nullopt, ""},
        {"env id from env", {{"MINAPP_ENV_ID", "env-x"}}, {}, def, std::nullopt, "env-x"},
        {"--env-id beats env",
         {{"MINAPP_ENV_ID", "env-x"}},
         {"--env-id", "env-y"},
         def,
         std::nullopt,
         "env-y"},
        {"all three",
         {{"MINAPP_BASE_URL", "http://h:1"}, {"MINAPP_TOKEN", "t"}, {"MINAPP_ENV_ID", "e"}},
         {},
         "http://h:1",
         "t",
         "e"},
        {"other variables ignored",
         {{"MINAPP_ACCESS_TOKEN", "x"}, {"TOKEN", "y"}},
         {},
         def,
         std::nullopt,
         ""},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            args_t args = r.options;
            args.insert(args.end(), {"users", "count"});
            const auto inv = parsed(args, env_of(r.env));
            BOOST_TEST(inv.global.base_url == r.base_url);
            BOOST_TEST((inv.global.token == r.token));
            BOOST_TEST(inv.global.env_id == r.env_id);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_token_on_the_command_line_is_refused_without_echoing_it) {
    const args_t rows[] = {
        {"--token", "sekrit-value", "users", "count"},
        {"--token=sekrit-value", "users", "count"},
        {"--token"},
        {"--base-url", "http://127.0.0.1:1", "--token", "sekrit-value", "users", "count"},
        {"--token", "sekrit-value", "--help"},
    };
    for (const auto& args : rows) {
        BOOST_TEST_CONTEXT(describe(args)) {
            const auto message = usage_error_of(args, env_of({{"MINAPP_TOKEN", "tok-env"}}));
            BOOST_TEST(contains(message, "refusing --token"));
            BOOST_TEST(contains(message, "MINAPP_TOKEN"));
            BOOST_TEST(contains(message, "--token-file"));
            BOOST_TEST(!contains(message, "sekrit-value"));
        }
    }
    // After the command, where global options are read too, it is refused the same way.
    for (const args_t& args : {args_t{"users", "count", "--token", "sekrit-value"},
                               args_t{"users", "get", "5", "--token=sekrit-value"}}) {
        BOOST_TEST_CONTEXT(describe(args)) {
            const auto after = usage_error_of(args, env_of({{"MINAPP_TOKEN", "tok-env"}}));
            BOOST_TEST(contains(after, "refusing --token"));
            BOOST_TEST(!contains(after, "sekrit-value"));
        }
    }
}

BOOST_AUTO_TEST_CASE(client_credentials_come_from_options_or_the_environment_never_a_secret) {
    {
        const auto inv =
            parsed({"--client-id", "id-1", "--client-secret-file", "/run/secret", "auth", "token"});
        BOOST_TEST(inv.global.client_id.value() == "id-1");
        BOOST_TEST(inv.global.client_secret_file.value() == "/run/secret");
        BOOST_TEST(inv.cmd.name == "auth token");
    }
    {
        const auto inv = parsed(
            {"users", "count", "--client-id", "id-opt"},
            env_of({{"MINAPP_CLIENT_ID", "id-env"}, {"MINAPP_CLIENT_SECRET_FILE", "/env/secret"}}));
        BOOST_TEST(inv.global.client_id.value() == "id-opt"); // the option wins
        BOOST_TEST(inv.global.client_secret_file.value() == "/env/secret");
        BOOST_TEST(!inv.global.token.has_value());
    }
    for (const args_t& args : {args_t{"--client-secret", "sekrit-value", "users", "count"},
                               args_t{"users", "count", "--client-secret=sekrit-value"}}) {
        BOOST_TEST_CONTEXT(describe(args)) {
            const auto message = usage_error_of(args);
            BOOST_TEST(contains(message, "refusing --client-secret"));
            BOOST_TEST(contains(message, "--client-secret-file"));
            BOOST_TEST(!contains(message, "sekrit-value"));
        }
    }
    BOOST_TEST(contains(usage_error_of({"auth", "token", "extra"}), "auth token"));
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_problem) {
    struct row {
        args_t args;
        std::string message; // a substring of the expected message
    };
    const row rows[] = {
        {{}, "no command given (see --help)"},
        {{"--insecure"}, "no command given"},
        {{"users"}, "incomplete command 'users'"},
        {{"--emulator", "account"}, "incomplete command 'account'"},
        {{"users", "frob"}, "unknown command 'users frob'"},
        {{"user", "list"}, "unknown command 'user list'"},
        {{"account", "get", "1"}, "unknown command 'account get'"},
        {{"--frob", "users", "count"}, "unknown global option --frob"},
        {{"--Insecure", "users", "count"}, "unknown global option --Insecure"},
        {{"--base-url"}, "--base-url needs a value"},
        {{"--token-file"}, "--token-file needs a value"},
        {{"--env-id"}, "--env-id needs a value"},
        {{"--ca-file"}, "--ca-file needs a value"},
        {{"--timeout"}, "--timeout needs a value"},
        {{"--emulator-users"}, "--emulator-users needs a value"},
        {{"users", "count", "--where"}, "--where needs a value"},
        {{"users", "update", "5", "--data"}, "--data needs a value"},
        {{"users", "update-many", "--input"}, "--input needs a value"},
        {{"account", "update", "5", "--email"}, "--email needs a value"},
        {{"users", "list", "--bogus"}, "'users list' has no option --bogus"},
        {{"users", "get", "5", "--where", "{}"}, "'users get' has no option --where"},
        {{"users", "count", "--keyset"}, "'users count' has no option --keyset"},
        {{"users", "count", "--frob"}, "'users count' has no option --frob"},
        {{"users", "update-where", "--ordered"}, "'users update-where' has no option --ordered"},
        {{"users", "get"}, "'users get' takes ID"},
        {{"users", "get", "1", "2"}, "'users get' takes ID"},
        {{"users", "update", "--data", "{}"}, "'users update' takes ID"},
        {{"account", "update"}, "'account update' takes ID"},
        {{"users", "count", "extra"}, "'users count' takes no arguments"},
        {{"users", "list", "x"}, "'users list' takes no arguments"},
        {{"users", "list-v1", "x"}, "'users list-v1' takes no arguments"},
        {{"users", "update", "5"}, "'users update' needs --data"},
        {{"users", "update-where", "--data", "{}"}, "'users update-where' needs --where"},
        {{"users", "update-where", "--where", "{}"}, "'users update-where' needs --data"},
        {{"users", "update-many"}, "'users update-many' needs --input"},
        {{"users", "update-many", "--stop-on-error"}, "'users update-many' needs --input"},
        {{"account", "update", "5", "--email", "a@b.c", "--clear-email"},
         "--email and --clear-email exclude each other"},
        {{"account", "update", "5", "--clear-email", "--email", "a@b.c"},
         "--email and --clear-email exclude each other"},
        {{"account", "update", "5", "--username", "u", "--clear-username"},
         "--username and --clear-username exclude each other"},
        {{"account", "update", "5", "--phone", "13800000000", "--clear-phone"},
         "--phone and --clear-phone exclude each other"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(describe(r.args)) {
            const auto message = usage_error_of(r.args);
            BOOST_TEST(contains(message, r.message), "message: " << message);
        }
    }
}

BOOST_AUTO_TEST_CASE(usage_errors_quote_the_command_summary) {
    const auto message = usage_error_of({"users", "update", "5"});
    BOOST_TEST(message ==
               "'users update' needs --data (usage: minapp users update ID --data JSON)");
    BOOST_TEST(usage_error_of({"users", "get"}) ==
               "'users get' takes ID (usage: minapp users get ID)");
    BOOST_TEST(usage_error_of({"users", "count", "x"}) ==
               "'users count' takes no arguments (usage: minapp users count [--where JSON])");
}

BOOST_AUTO_TEST_CASE(numeric_global_options_are_range_checked) {
    struct row {
        const char* option;
        const char* value;
        const char* message;
    };
    const row rows[] = {
        {"--timeout", "0", "--timeout needs a positive number of seconds, got '0'"},
        {"--timeout", "-1", "--timeout needs a positive number of seconds, got '-1'"},
        {"--timeout", "abc", "--timeout needs a positive number of seconds, got 'abc'"},
        {"--timeout", "", "--timeout needs a positive number of seconds, got ''"},
        {"--timeout", "2s", "--timeout needs a positive number of seconds, got '2s'"},
        {"--timeout", "inf", "--timeout needs a positive number of seconds, got 'inf'"},
        {"--timeout", "nan", "--timeout needs a positive number of seconds, got 'nan'"},
        {"--timeout", "1e999", "--timeout needs a positive number of seconds, got '1e999'"},
        {"--rate", "-1", "--rate needs a positive number of requests per second, got '-1'"},
        {"--rate", "0", "--rate needs a positive number of requests per second, got '0'"},
        {"--rate", "x", "--rate needs a positive number of requests per second, got 'x'"},
        {"--concurrency", "0", "--concurrency needs a whole number in 1..1024, got '0'"},
        {"--concurrency", "1025", "--concurrency needs a whole number in 1..1024, got '1025'"},
        {"--concurrency", "-1", "--concurrency needs a whole number in 1..1024, got '-1'"},
        {"--concurrency", "1.5", "--concurrency needs a whole number in 1..1024, got '1.5'"},
        {"--concurrency", "", "--concurrency needs a whole number in 1..1024, got ''"},
        {"--emulator-users", "0", "--emulator-users needs a whole number in 1..10000000, got '0'"},
        {"--emulator-users", "10000001",
         "--emulator-users needs a whole number in 1..10000000, got '10000001'"},
        {"--emulator-users", "many",
         "--emulator-users needs a whole number in 1..10000000, got 'many'"},
    };
    for (const auto& r : rows) {
        const args_t args = {r.option, r.value, "users", "count"};
        BOOST_TEST_CONTEXT(describe(args)) {
            BOOST_TEST(usage_error_of(args) == r.message);
        }
    }
    // The bounds themselves are accepted.
    BOOST_TEST(parsed({"--emulator-users", "10000000", "users", "count"}).global.emulator_users ==
               10000000u);
}

BOOST_AUTO_TEST_CASE(help_and_version) {
    const args_t help_rows[] = {
        {"--help"},
        {"-h"},
        {"--help", "users", "count"},
        {"--insecure", "--help"},
        {"--base-url", "http://127.0.0.1:1", "-h", "users", "frob"},
        {"users", "list", "--help"},
        {"users", "get", "5", "-h"},
        {"users", "update", "5", "--data", "{}", "--insecure", "--help"},
    };
    for (const auto& args : help_rows) {
        BOOST_TEST_CONTEXT(describe(args)) {
            auto outcome = cli::parse_command_line(args, env_of());
            const auto* help = std::get_if<cli::help_request>(&outcome);
            BOOST_TEST_REQUIRE(help != nullptr);
            BOOST_TEST(help->text == cli::usage_text());
        }
    }
    auto version = cli::parse_command_line({"--version"}, env_of());
    BOOST_TEST_REQUIRE(std::holds_alternative<cli::help_request>(version));
    BOOST_TEST(std::get<cli::help_request>(version).text == "minapp 0.1.0\n");

    const auto text = cli::usage_text();
    BOOST_TEST(text.starts_with("usage: minapp [GLOBAL OPTIONS] COMMAND [ARGS]\n"));
    for (const char* summary : command_summaries) {
        BOOST_TEST(contains(text, std::string("  ") + summary), summary);
    }
    for (const char* option : {"--base-url",
                               "--token-file",
                               "--env-id",
                               "--ca-file",
                               "--insecure",
                               "--allow-builtin-field-updates",
                               "--timeout",
                               "--rate",
                               "--concurrency",
                               "--emulator",
                               "--emulator-users",
                               "--progress",
                               "--no-progress",
                               "MINAPP_TOKEN",
                               "MINAPP_BASE_URL",
                               "MINAPP_ENV_ID",
                               "MINAPP_CA_FILE",
                               "--ordered",
                               "--rate-redis URL",
                               "--rate-key NAME",
                               "--rate-fallback local|open|closed",
                               "--expected-replicas N",
                               "MINAPP_RATE_REDIS"}) {
        BOOST_TEST(contains(text, option), option);
    }
    BOOST_TEST(contains(text, "Exit status: 0 success, 2 usage error, 3 rejected by the API"));
}

BOOST_AUTO_TEST_CASE(commands_collect_positionals_values_and_flags) {
    {
        const auto inv =
            parsed({"users", "list", "--where", R"({"score":{"$gt":1}})", "--order-by", "-score,id",
                    "--page-size", "5", "--max", "9", "--offset", "3", "--keyset"});
        BOOST_TEST(inv.cmd.name == "users list");
        BOOST_TEST(inv.cmd.positionals.empty());
        const std::map<std::string, std::string> values = {{"where", R"({"score":{"$gt":1}})"},
                                                           {"order-by", "-score,id"},
                                                           {"page-size", "5"},
                                                           {"max", "9"},
                                                           {"offset", "3"}};
        BOOST_TEST((inv.cmd.values == values));
        BOOST_TEST(inv.cmd.flag("keyset"));
        BOOST_TEST(inv.cmd.flags.size() == 1u);
        BOOST_TEST_REQUIRE(inv.cmd.value("max") != nullptr);
        BOOST_TEST(*inv.cmd.value("max") == "9");
        BOOST_TEST(inv.cmd.value("nope") == nullptr);
    }
    {
        // The positional may come after the options; "-" is a value like any other.
        const auto inv = parsed({"users", "update", "--data", "{}", "42"});
        BOOST_TEST(inv.cmd.positionals == args_t{"42"});
        BOOST_TEST(*inv.cmd.value("data") == "{}");
        const auto many = parsed({"users", "update-many", "--input", "-", "--stop-on-error"});
        BOOST_TEST(*many.cmd.value("input") == "-");
        BOOST_TEST(many.cmd.flag("stop-on-error"));
    }
    {
        // An option value is taken as is, even when it looks like an option.
        const auto inv = parsed({"users", "update", "7", "--data", "--where"});
        BOOST_TEST(*inv.cmd.value("data") == "--where");
        // A later value of the same option wins.
        const auto twice = parsed({"users", "count", "--where", "{}", "--where", R"({"a":1})"});
        BOOST_TEST(*twice.cmd.value("where") == R"({"a":1})");
    }
    {
        const auto inv = parsed({"account", "update", "7", "--clear-email", "--username", "bob",
                                 "--phone", "13800000000", "--password-file", "pw.txt"});
        BOOST_TEST(inv.cmd.name == "account update");
        BOOST_TEST(inv.cmd.positionals == args_t{"7"});
        BOOST_TEST(inv.cmd.flag("clear-email"));
        BOOST_TEST(!inv.cmd.flag("clear-username"));
        BOOST_TEST(*inv.cmd.value("username") == "bob");
        BOOST_TEST(*inv.cmd.value("phone") == "13800000000");
        BOOST_TEST(*inv.cmd.value("password-file") == "pw.txt");
    }
    {
        // Ids are checked by the command, not the parser: a negative one is a positional.
        const auto inv = parsed({"users", "get", "-5"});
        BOOST_TEST(inv.cmd.positionals == args_t{"-5"});
        const auto v1 = parsed({"users", "list-v1", "--gender", "1", "--limit", "5", "--order-by",
                                "-created_at", "--group-in", "137,258"});
        BOOST_TEST(v1.cmd.values.size() == 4u);
        BOOST_TEST(*v1.cmd.value("group-in") == "137,258");
    }
    // Every command of the help text parses with its required arguments.
    const args_t minimal[] = {
        {"users", "get", "1"},
        {"users", "list"},
        {"users", "count"},
        {"users", "update", "1", "--data", "{}"},
        {"users", "update-where", "--where", "{}", "--data", "{}"},
        {"users", "update-many", "--input", "f"},
        {"account", "update", "1"},
        {"users", "list-v1"},
    };
    for (const auto& args : minimal) {
        BOOST_TEST_CONTEXT(describe(args)) {
            BOOST_TEST(parsed(args).cmd.name == args[0] + " " + args[1]);
        }
    }
}

BOOST_AUTO_TEST_CASE(ca_file_comes_from_minapp_ca_file_and_the_option_wins) {
    struct row {
        const char* what;
        std::map<std::string, std::string> env;
        args_t args;
        std::string ca_file;
    };
    const row rows[] = {
        {"nothing set", {}, {"users", "count"}, ""},
        {"from the environment",
         {{"MINAPP_CA_FILE", "/etc/env-ca.pem"}},
         {"users", "count"},
         "/etc/env-ca.pem"},
        {"empty variable ignored", {{"MINAPP_CA_FILE", ""}}, {"users", "count"}, ""},
        {"--ca-file before the command wins",
         {{"MINAPP_CA_FILE", "/etc/env-ca.pem"}},
         {"--ca-file", "opt.pem", "users", "count"},
         "opt.pem"},
        {"--ca-file after the command wins",
         {{"MINAPP_CA_FILE", "/etc/env-ca.pem"}},
         {"users", "count", "--ca-file", "opt.pem"},
         "opt.pem"},
        {"--ca-file alone", {}, {"users", "count", "--ca-file", "opt.pem"}, "opt.pem"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(parsed(r.args, env_of(r.env)).global.ca_file == r.ca_file);
        }
    }
}

BOOST_AUTO_TEST_CASE(global_options_are_accepted_after_the_command) {
    // Every global option, after the command, reads as it does before it.
    const args_t options[] = {
        {"--base-url", "http://127.0.0.1:8080"},
        {"--token-file", "/run/secrets/minapp"},
        {"--env-id", "env-b"},
        {"--ca-file", "ca.pem"},
        {"--insecure"},
        {"--allow-builtin-field-updates"},
        {"--timeout", "2.5"},
        {"--rate", "0.5"},
        {"--concurrency", "1024"},
        {"--emulator"},
        {"--emulator-users", "20"},
        {"--progress"},
        {"--no-progress"},
        {"--emulator", "--emulator-users", "7", "--insecure", "--rate", "3"},
        {"--rate", "9", "--rate-redis", "redis://r/1", "--rate-key", "k", "--rate-fallback",
         "closed", "--expected-replicas", "3"},
    };
    for (const auto& o : options) {
        args_t before = o;
        before.insert(before.end(), {"users", "get", "5"});
        args_t after = {"users", "get", "5"};
        after.insert(after.end(), o.begin(), o.end());
        args_t between = {"users", "get"};
        between.insert(between.end(), o.begin(), o.end());
        between.push_back("5");
        BOOST_TEST_CONTEXT(describe(after)) {
            const auto want = parsed(before);
            for (const auto& args : {after, between}) {
                const auto got = parsed(args);
                const auto& g = got.global;
                const auto& w = want.global;
                BOOST_TEST(g.base_url == w.base_url);
                BOOST_TEST((g.token_file == w.token_file));
                BOOST_TEST(g.env_id == w.env_id);
                BOOST_TEST(g.ca_file == w.ca_file);
                BOOST_TEST(g.insecure == w.insecure);
                BOOST_TEST(g.allow_builtin_field_updates == w.allow_builtin_field_updates);
                BOOST_TEST((g.timeout_seconds == w.timeout_seconds));
                BOOST_TEST((g.rate == w.rate));
                BOOST_TEST((g.rate_redis == w.rate_redis));
                BOOST_TEST((g.rate_key == w.rate_key));
                BOOST_TEST((g.rate_fallback == w.rate_fallback));
                BOOST_TEST(g.expected_replicas == w.expected_replicas);
                BOOST_TEST((g.concurrency == w.concurrency));
                BOOST_TEST(g.emulator == w.emulator);
                BOOST_TEST(g.emulator_users == w.emulator_users);
                BOOST_TEST((g.progress == w.progress));
                BOOST_TEST(got.cmd.name == "users get");
                BOOST_TEST(got.cmd.positionals == args_t{"5"});
                BOOST_TEST(got.cmd.values.empty());
                BOOST_TEST(got.cmd.flags.empty());
            }
        }
    }
    {
        // Mixed with the command's own options, which stay the command's.
        const auto inv = parsed({"users", "list", "--rate", "5", "--where", "{}", "--ca-file", "x",
                                 "--keyset", "--timeout", "3"});
        BOOST_TEST((inv.global.rate == 5.0));
        BOOST_TEST(inv.global.ca_file == "x");
        BOOST_TEST((inv.global.timeout_seconds == 3.0));
        const std::map<std::string, std::string> values = {{"where", "{}"}};
        BOOST_TEST((inv.cmd.values == values));
        BOOST_TEST(inv.cmd.flag("keyset"));
        BOOST_TEST(inv.cmd.flags.size() == 1u);
    }
    {
        // A later value wins wherever each stands.
        const auto inv = parsed({"--env-id", "a", "users", "count", "--env-id", "b"});
        BOOST_TEST(inv.global.env_id == "b");
        // A command option's value is taken as is, even when it names a global option.
        const auto value = parsed({"users", "update", "7", "--data", "--insecure"});
        BOOST_TEST(*value.cmd.value("data") == "--insecure");
        BOOST_TEST(!value.global.insecure);
        // The command's own flags are not global ones: before the command they are unknown.
        BOOST_TEST(usage_error_of({"--ordered", "users", "update-many", "--input", "f"}) ==
                   "unknown global option --ordered (see --help)");
    }
    // The same checks, with the same messages, after the command.
    struct row {
        args_t args;
        std::string message;
    };
    const row rows[] = {
        {{"users", "count", "--timeout", "0"},
         "--timeout needs a positive number of seconds, got '0'"},
        {{"users", "count", "--rate", "-1"},
         "--rate needs a positive number of requests per second, got '-1'"},
        {{"users", "list", "--concurrency", "1025"},
         "--concurrency needs a whole number in 1..1024, got '1025'"},
        {{"users", "count", "--emulator-users", "0"},
         "--emulator-users needs a whole number in 1..10000000, got '0'"},
        {{"users", "count", "--ca-file"}, "--ca-file needs a value"},
        {{"users", "get", "5", "--base-url"}, "--base-url needs a value"},
        {{"users", "count", "--rate-fallback", "x"},
         "--rate-fallback needs local, open or closed, got 'x'"},
        {{"users", "count", "--rate-key", "k"},
         "--rate-key needs --rate-redis URL (or MINAPP_RATE_REDIS)"},
        {{"users", "count", "--rate-redis", "redis://r"},
         "--rate-redis needs --rate N: the fleet's rate must be stated (the same in every "
         "process sharing the budget)"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(describe(r.args)) {
            BOOST_TEST(usage_error_of(r.args) == r.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(fleet_rate_options_are_stored_as_given) {
    using cli::rate_fallback_mode;
    struct row {
        const char* what;
        std::map<std::string, std::string> env;
        args_t args;
        std::optional<std::string> redis;
        std::optional<std::string> key;
        rate_fallback_mode fallback;
        std::size_t replicas;
    };
    const std::optional<std::string> none;
    const auto local = rate_fallback_mode::local;
    const row rows[] = {
        {"no fleet budget", {}, {"--rate", "5", "users", "count"}, none, none, local, 1},
        {"defaults",
         {},
         {"--rate", "100", "--rate-redis", "redis://cache:6380/2", "users", "count"},
         "redis://cache:6380/2",
         none,
         local,
         1},
        {"every option",
         {},
         {"--rate", "100", "--rate-redis", "unix:///run/redis.sock?db=1", "--rate-key",
          "minapp:prod", "--rate-fallback", "open", "--expected-replicas", "4", "users", "count"},
         "unix:///run/redis.sock?db=1",
         "minapp:prod",
         rate_fallback_mode::open,
         4},
        {"closed, after the command",
         {},
         {"users", "count", "--rate-fallback", "closed", "--rate", "1", "--rate-redis",
          "redis://r"},
         "redis://r",
         none,
         rate_fallback_mode::closed,
         1},
        {"local given, and the largest fleet",
         {},
         {"--rate-redis", "redis://r", "--rate-fallback", "local", "--expected-replicas", "10000",
          "--rate", "1", "users", "count"},
         "redis://r",
         none,
         local,
         10000},
        {"the URL is kept as given, checked where it is used",
         {},
         {"--rate", "1", "--rate-redis", "not a URL", "users", "count"},
         "not a URL",
         none,
         local,
         1},
        {"from MINAPP_RATE_REDIS",
         {{"MINAPP_RATE_REDIS", "redis://env:7000"}},
         {"--rate", "2", "--rate-key", "k", "users", "count"},
         "redis://env:7000",
         "k",
         local,
         1},
        {"--rate-redis beats MINAPP_RATE_REDIS",
         {{"MINAPP_RATE_REDIS", "redis://env:7000"}},
         {"users", "count", "--rate", "2", "--rate-redis", "redis://opt"},
         "redis://opt",
         none,
         local,
         1},
        {"empty MINAPP_RATE_REDIS ignored",
         {{"MINAPP_RATE_REDIS", ""}},
         {"users", "count"},
         none,
         none,
         local,
         1},
        {"a later value wins",
         {},
         {"--rate", "2", "--rate-redis", "redis://a", "--rate-fallback", "open", "users", "count",
          "--rate-redis", "redis://b", "--rate-fallback", "local"},
         "redis://b",
         none,
         local,
         1},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            const auto g = parsed(r.args, env_of(r.env)).global;
            BOOST_TEST((g.rate_redis == r.redis));
            BOOST_TEST((g.rate_key == r.key));
            BOOST_TEST((g.rate_fallback == r.fallback));
            BOOST_TEST(g.expected_replicas == r.replicas);
        }
    }
}

BOOST_AUTO_TEST_CASE(fleet_rate_options_usage_errors) {
    struct row {
        std::map<std::string, std::string> env;
        args_t args;
        std::string message;
    };
    const std::string replicas = "--expected-replicas needs a whole number in 1..10000, got ";
    const std::string stated = " needs --rate N: the fleet's rate must be stated (the same in "
                               "every process sharing the budget)";
    const args_t fleet = {"--rate", "5", "--rate-redis", "redis://r"};
    const auto with_fleet = [&fleet](args_t args) {
        args.insert(args.begin(), fleet.begin(), fleet.end());
        args.insert(args.end(), {"users", "count"});
        return args;
    };
    const row rows[] = {
        // A value that is no value of the option.
        {{},
         with_fleet({"--rate-fallback", "sometimes"}),
         "--rate-fallback needs local, open or closed, got 'sometimes'"},
        {{},
         with_fleet({"--rate-fallback", "LOCAL"}),
         "--rate-fallback needs local, open or closed, got 'LOCAL'"},
        {{},
         with_fleet({"--rate-fallback", ""}),
         "--rate-fallback needs local, open or closed, got ''"},
        {{}, with_fleet({"--expected-replicas", "0"}), replicas + "'0'"},
        {{}, with_fleet({"--expected-replicas", "-2"}), replicas + "'-2'"},
        {{}, with_fleet({"--expected-replicas", "1.5"}), replicas + "'1.5'"},
        {{}, with_fleet({"--expected-replicas", "three"}), replicas + "'three'"},
        {{}, with_fleet({"--expected-replicas", ""}), replicas + "''"},
        {{}, with_fleet({"--expected-replicas", "10001"}), replicas + "'10001'"},
        {{}, with_fleet({"--rate-key", ""}), "--rate-key needs a non-empty name"},
        {{},
         {"--rate", "5", "--rate-redis", "", "users", "count"},
         "--rate-redis needs a URL (redis://HOST[:PORT][/DB] or unix:///PATH)"},
        {{}, {"users", "count", "--rate-redis"}, "--rate-redis needs a value"},
        {{}, {"--rate-key"}, "--rate-key needs a value"},
        {{}, {"--rate-fallback"}, "--rate-fallback needs a value"},
        {{}, {"--expected-replicas"}, "--expected-replicas needs a value"},
        // An option of the fleet budget without the budget.
        {{},
         {"--rate", "5", "--rate-key", "k", "users", "count"},
         "--rate-key needs --rate-redis URL (or MINAPP_RATE_REDIS)"},
        {{},
         {"--rate-fallback", "open", "users", "count"},
         "--rate-fallback needs --rate-redis URL (or MINAPP_RATE_REDIS)"},
        {{},
         {"users", "count", "--expected-replicas", "2", "--rate", "5"},
         "--expected-replicas needs --rate-redis URL (or MINAPP_RATE_REDIS)"},
        {{{"MINAPP_RATE_REDIS", ""}},
         {"--rate", "5", "--rate-key", "k", "users", "count"},
         "--rate-key needs --rate-redis URL (or MINAPP_RATE_REDIS)"},
        // The budget without the fleet's rate.
        {{}, {"--rate-redis", "redis://r", "users", "count"}, "--rate-redis" + stated},
        {{},
         {"users", "count", "--rate-redis", "redis://r", "--rate-key", "k"},
         "--rate-redis" + stated},
        {{{"MINAPP_RATE_REDIS", "redis://env"}}, {"users", "count"}, "MINAPP_RATE_REDIS" + stated},
        {{{"MINAPP_RATE_REDIS", "redis://env"}},
         {"--rate-redis", "redis://opt", "users", "count"},
         "--rate-redis" + stated},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(describe(r.args)) {
            BOOST_TEST(usage_error_of(r.args, env_of(r.env)) == r.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(allow_builtin_field_updates_is_an_opt_in_global_flag) {
    BOOST_TEST(
        !parsed({"users", "update", "5", "--data", "{}"}).global.allow_builtin_field_updates);
    BOOST_TEST(parsed({"--allow-builtin-field-updates", "users", "update", "5", "--data", "{}"})
                   .global.allow_builtin_field_updates);
    BOOST_TEST(parsed({"users", "update-many", "--input", "-", "--allow-builtin-field-updates"})
                   .global.allow_builtin_field_updates);
    // No environment variable turns it on.
    BOOST_TEST(!parsed({"users", "count"}, env_of({{"MINAPP_ALLOW_BUILTIN_FIELD_UPDATES", "1"}}))
                    .global.allow_builtin_field_updates);
}

BOOST_AUTO_TEST_CASE(update_many_takes_ordered) {
    const auto ordered = parsed({"users", "update-many", "--input", "-", "--ordered"});
    BOOST_TEST(ordered.cmd.flag("ordered"));
    BOOST_TEST(!parsed({"users", "update-many", "--input", "-"}).cmd.flag("ordered"));
    BOOST_TEST(contains(usage_error_of({"users", "update-many", "--ordered"}),
                        "(usage: minapp users update-many --input FILE|- [--stop-on-error] "
                        "[--ordered]   (outcomes in completion order; --ordered: input order))"));
}

BOOST_AUTO_TEST_CASE(help_documents_the_environment_in_one_place) {
    const auto text = cli::usage_text();
    const auto section = text.find("\nEnvironment (an option on the command line wins over its "
                                   "variable):\n");
    BOOST_TEST_REQUIRE(section != std::string::npos, text);
    const auto end = text.find("\n\n", section + 1);
    BOOST_TEST_REQUIRE(end != std::string::npos);
    const auto env_section = text.substr(section, end - section);
    for (const char* line :
         {"\n  MINAPP_BASE_URL      API origin, as --base-url",
          "\n  MINAPP_TOKEN         the access token (--token-file wins)",
          "\n  MINAPP_ENV_ID        test environment, as --env-id",
          "\n  MINAPP_CA_FILE       extra CA certificates (PEM), as --ca-file",
          "\n  MINAPP_RATE_REDIS    the Redis of a fleet-wide rate budget, as --rate-redis"}) {
        BOOST_TEST(contains(env_section, line), line);
    }
    // Every variable the parser reads is in that section, and nowhere else but the token's line
    // (which says why there is no --token).
    BOOST_TEST(contains(env_section, "\n  MINAPP_CLIENT_ID, MINAPP_CLIENT_SECRET_FILE\n"
                                     "                       client credentials, as --client-id "
                                     "and --client-secret-file"));
    for (const char* variable :
         {"MINAPP_BASE_URL", "MINAPP_ENV_ID", "MINAPP_CA_FILE", "MINAPP_TOKEN", "MINAPP_CLIENT_ID",
          "MINAPP_CLIENT_SECRET_FILE", "MINAPP_RATE_REDIS"}) {
        const auto first = text.find(variable);
        BOOST_TEST((first >= section || std::string(variable) == "MINAPP_TOKEN"), variable);
    }
    // And the parser reads no other MINAPP_ variable.
    std::set<std::string> asked;
    const cli::environment recording = [&asked](const char* name) -> const char* {
        asked.insert(name);
        return nullptr;
    };
    cli::parse_command_line({"users", "count"}, recording);
    BOOST_TEST((asked == std::set<std::string>{"MINAPP_BASE_URL", "MINAPP_TOKEN", "MINAPP_ENV_ID",
                                               "MINAPP_CA_FILE", "MINAPP_CLIENT_ID",
                                               "MINAPP_CLIENT_SECRET_FILE", "MINAPP_RATE_REDIS"}));
}

BOOST_AUTO_TEST_CASE(help_says_where_options_go_and_what_the_emulator_keeps) {
    const auto text = cli::usage_text();
    BOOST_TEST(contains(text, "\nGlobal options (before or after the command):\n"));
    BOOST_TEST(!contains(text, "(before the command)"));
    BOOST_TEST(contains(text, "every run starts a fresh, seeded dataset, so a multi-step trial\n"
                              "                       (update, then get) needs a standalone "
                              "minapp-emulator and\n"
                              "                       --base-url/--ca-file\n"),
               text);
    BOOST_TEST(contains(text, "  --allow-builtin-field-updates\n"
                              "                       send update documents that name built-in "
                              "fields"),
               text);
    BOOST_TEST(contains(text, "The lines come in completion order; --ordered prints them in input "
                              "order"),
               text);
    // Every line fits a terminal of 100 columns (counted in bytes: the one Chinese name is wider
    // in bytes than on screen).
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("  users list") && !line.starts_with("  account update") &&
            !line.starts_with("  users update-many")) {
            BOOST_TEST(line.size() <= 100u, line);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_json_arguments)

BOOST_AUTO_TEST_CASE(valid_documents_parse) {
    auto v = cli::parse_json(R"({"score": {"$gte": 10}, "tags": ["a", "b"]})", "--where");
    BOOST_TEST_REQUIRE(std::holds_alternative<boost::json::value>(v));
    const auto& doc = std::get<boost::json::value>(v);
    BOOST_TEST(doc.at("score").at("$gte").as_int64() == 10);
    BOOST_TEST(doc.at("tags").as_array().size() == 2u);

    auto scalar = cli::parse_json(" 42 ", "--x");
    BOOST_TEST_REQUIRE(std::holds_alternative<boost::json::value>(scalar));
    BOOST_TEST(std::get<boost::json::value>(scalar).as_int64() == 42);

    auto object = cli::parse_json_object("{\n  \"a\": 1\n}\n", "--data");
    BOOST_TEST_REQUIRE(std::holds_alternative<boost::json::object>(object));
    BOOST_TEST(std::get<boost::json::object>(object).at("a").as_int64() == 1);
}

// Numbers print the way people and jq read them, and read back as the same value.
BOOST_AUTO_TEST_CASE(numbers_print_in_plain_notation_and_round_trip) {
    struct row {
        boost::json::value v;
        std::string text;
    };
    const row rows[] = {
        {3826.05, "3826.05"},
        {144.668453, "144.668453"},
        {-0.5, "-0.5"},
        {0.042, "0.042"},
        {1000.0, "1000.0"},
        {0.0, "0.0"},
        {1e16, "10000000000000000.0"},
        {1.5e20, "1.5e+20"},
        {1e-7, "1e-07"},
        {0.1 + 0.2, "0.30000000000000004"},
        {std::int64_t{1099511926111}, "1099511926111"},
        {std::uint64_t{18446744073709551615ULL}, "18446744073709551615"},
        {-42, "-42"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.text) {
            const auto text = cli::to_text(r.v);
            BOOST_TEST(text == r.text);
            BOOST_TEST(boost::json::parse(text) == r.v); // exact, type included
        }
    }
    const boost::json::value doc = boost::json::parse(
        R"({"balance":3826.05,"loc":{"coordinates":[144.668453,-37.5]},"name":"a\"b\n广州"})");
    BOOST_TEST(
        cli::to_text(doc) ==
        R"({"balance":3826.05,"loc":{"coordinates":[144.668453,-37.5]},"name":"a\"b\n广州"})");
}

BOOST_AUTO_TEST_CASE(errors_carry_what_line_and_column) {
    struct row {
        const char* what_text;
        std::string text;
        std::size_t first_line;
        std::string prefix; // the message up to the parser's reason
    };
    const row rows[] = {
        {"bad token", R"({"score": x})", 1, "--where: line 1, column 11: "},
        {"first byte", "x", 1, "--where: line 1, column 1: "},
        {"missing colon", R"({"a" 1})", 1, "--where: line 1, column 6: "},
        {"trailing comma", R"({"a":1,})", 1, "--where: line 1, column 8: "},
        {"extra data", R"({"a":1}})", 1, "--where: line 1, column 8: "},
        {"second document", R"({"a":1} {"b":2})", 1, "--where: line 1, column 9: "},
        {"incomplete", R"({"score":{"$gte":500})", 1, "--where: line 1, column 22: "},
        {"empty", "", 1, "--where: line 1, column 1: "},
        {"blank", "   ", 1, "--where: line 1, column 4: "},
        {"third line", "{\n  \"a\": 1,\n  \"b\": ?\n}", 1, "--where: line 3, column 8: "},
        {"after a newline", "{\"a\":1}\nx", 1, "--where: line 2, column 1: "},
        {"input file line", R"({"id": 5, "data": {"score": 1})", 7, "--where: line 7, column 31: "},
        {"input file line, later line", "{\n]", 4, "--where: line 5, column 1: "},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what_text << ": " << r.text) {
            auto v = cli::parse_json(r.text, "--where", r.first_line);
            BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(v));
            const auto& message = std::get<std::string>(v);
            BOOST_TEST(message.starts_with(r.prefix), "message: " << message);
            BOOST_TEST(message.size() > r.prefix.size(), "no reason in: " << message);
            // The object form reports the same error.
            auto o = cli::parse_json_object(r.text, "--where", r.first_line);
            BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(o));
            BOOST_TEST(std::get<std::string>(o) == message);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_reason_is_the_parsers) {
    auto v = cli::parse_json(R"({"a":1}})", "--data");
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(v));
    const boost::system::error_code extra = boost::json::error::extra_data;
    BOOST_TEST(std::get<std::string>(v) == "--data: line 1, column 8: " + extra.message());

    // Nesting is bounded (64 levels).
    const std::string deep = std::string(65, '[') + std::string(65, ']');
    auto too_deep = cli::parse_json(deep, "--data");
    BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(too_deep));
    const boost::system::error_code depth = boost::json::error::too_deep;
    BOOST_TEST(std::get<std::string>(too_deep).ends_with(depth.message()));
    const std::string ok = std::string(64, '[') + std::string(64, ']');
    BOOST_TEST(std::holds_alternative<boost::json::value>(cli::parse_json(ok, "--data")));
}

BOOST_AUTO_TEST_CASE(non_objects_are_refused_where_an_object_is_needed) {
    struct row {
        std::string text;
        std::size_t first_line;
        std::string message;
    };
    const row rows[] = {
        {"[1, 2]", 1, "--data: line 1: expected a JSON object"},
        {"42", 1, "--data: line 1: expected a JSON object"},
        {"null", 1, "--data: line 1: expected a JSON object"},
        {"\"{}\"", 1, "--data: line 1: expected a JSON object"},
        {"[]", 12, "--data: line 12: expected a JSON object"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.text) {
            auto o = cli::parse_json_object(r.text, "--data", r.first_line);
            BOOST_TEST_REQUIRE(std::holds_alternative<std::string>(o));
            BOOST_TEST(std::get<std::string>(o) == r.message);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_progress)

BOOST_AUTO_TEST_CASE(progress_line_shows_counts_rate_eta_and_failures) {
    struct row {
        const char* label;
        std::size_t done;
        std::optional<std::size_t> total;
        double seconds;
        std::size_t not_applied;
        const char* line;
    };
    const row rows[] = {
        {"users", 0, std::nullopt, 0.0, 0, "users 0"},
        {"users", 120, std::nullopt, 2.0, 0, "users 120 60/s"},
        {"users", 50, 200, 5.0, 0, "users 50/200 25% 10/s ETA 15s"},
        {"users", 1234, 10000, 1.452, 0, "users 1234/10000 12% 850/s ETA 10s"},
        {"items", 10, 10, 2.0, 3, "items 10/10 100% 5/s ETA 0s 3 failed"},
        {"items", 7, std::nullopt, 7.0, 2, "items 7 1/s 2 failed"},
        {"users", 0, 0, 1.0, 0, "users 0/0 0/s"},
        {"users", 5, 10, 0.0, 0, "users 5/10 50%"},
        {"users", 0, 10, 3.0, 0, "users 0/10 0% 0/s"},
        {"users", 12, 10, 1.0, 0, "users 12/10 120% 12/s"},
        {"users", 1, 3, 3.0, 0, "users 1/3 33% 0/s ETA 6s"},
        {"", 1, 2, 1.0, 0, " 1/2 50% 1/s ETA 1s"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.line) {
            BOOST_TEST(cli::progress_line(r.label, r.done, r.total, r.seconds, r.not_applied) ==
                       r.line);
        }
    }
}

BOOST_AUTO_TEST_CASE(progress_bar_draws_only_when_enabled) {
    {
        std::ostringstream err;
        {
            cli::progress_bar bar(err, false, "users");
            bar.update(5, 10);
            bar.finish();
        }
        BOOST_TEST(err.str() == "");
    }
    {
        std::ostringstream err;
        {
            cli::progress_bar bar(err, true, "users");
            bar.update(5, 10); // within 100 ms of the start: not drawn yet
            bar.finish();      // forced: the last state, then the end of the line
            bar.finish();      // once only
        }                      // nor again on destruction
        const auto text = err.str();
        BOOST_TEST(text.starts_with("\rusers 5/10 50%"), text); // no rate yet: too early
        BOOST_TEST(text.ends_with("\33[K\n"), text);
        BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1);
        BOOST_TEST(std::count(text.begin(), text.end(), '\r') == 1);
    }
    {
        std::ostringstream err;
        {
            cli::progress_bar bar(err, true, "items");
            minapp::bulk_progress p;
            p.done = 4;
            p.total = 8;
            p.failed = 1;
            p.unknown = 2;
            bar.update(p);
        } // the destructor finishes the line
        const auto text = err.str();
        BOOST_TEST(text.starts_with("\ritems 4/8 50% "), text);
        BOOST_TEST(text.find(" 3 failed\33[K\n") != std::string::npos, text);
    }
}

BOOST_AUTO_TEST_CASE(progress_line_rates_attempted_items_once_enough_ran) {
    struct row {
        std::size_t done;
        std::optional<std::size_t> total;
        double seconds;
        std::size_t not_applied;
        std::size_t not_attempted;
        const char* line;
    };
    const row rows[] = {
        // A burst of 5 items in 10 ms is no rate, nor a basis for an ETA.
        {5, 5, 0.010, 0, 0, "items 5/5 100%"},
        {99, 1000, 0.5, 0, 0, "items 99/1000 9%"},
        // From 100 items, or from 1 s on, it is.
        {100, 1000, 0.5, 0, 0, "items 100/1000 10% 200/s ETA 5s"},
        {5, 10, 1.0, 0, 0, "items 5/10 50% 5/s ETA 1s"},
        // Items not attempted are counted as done but not in the rate.
        {10, 10, 2.0, 0, 6, "items 10/10 100% 2/s ETA 0s"},
        {250, 1000, 0.5, 1, 60, "items 250/1000 25% 380/s ETA 2s 1 failed"},
        // 150 done, but only 90 of them sent in 0.5 s: too few.
        {150, 1000, 0.5, 1, 60, "items 150/1000 15% 1 failed"},
        {10, 10, 0.5, 0, 10, "items 10/10 100%"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.line) {
            BOOST_TEST(cli::progress_line("items", r.done, r.total, r.seconds, r.not_applied,
                                          r.not_attempted) == r.line);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

minapp::bulk_progress totals_of(std::size_t succeeded, std::size_t failed, std::size_t unknown,
                                std::size_t not_attempted,
                                std::chrono::steady_clock::duration elapsed) {
    minapp::bulk_progress p;
    p.succeeded = succeeded;
    p.failed = failed;
    p.unknown = unknown;
    p.not_attempted = not_attempted;
    p.done = succeeded + failed + unknown + not_attempted;
    p.total = p.done;
    p.elapsed = elapsed;
    return p;
}

minapp::update_outcome outcome_at(std::size_t index) {
    minapp::update_outcome o;
    o.index = index;
    o.id = static_cast<std::int64_t>(1000 + index);
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli_bulk_output)

BOOST_AUTO_TEST_CASE(rate_counts_attempted_items_once_enough_ran) {
    using std::chrono::milliseconds;
    BOOST_TEST(!cli::attempted_rate(5, 0.010).has_value());
    BOOST_TEST(!cli::attempted_rate(99, 0.999).has_value());
    BOOST_TEST(!cli::attempted_rate(0, 0.0).has_value());
    BOOST_TEST(!cli::attempted_rate(500, 0.0).has_value());
    BOOST_TEST((cli::attempted_rate(100, 0.5) == std::optional<double>(200.0)));
    BOOST_TEST((cli::attempted_rate(5, 1.0) == std::optional<double>(5.0)));
    BOOST_TEST((cli::attempted_rate(0, 2.0) == std::optional<double>(0.0)));

    // A cancelled run: 1000 items accounted for, 990 of them never sent, in 2 s: 5 items/s.
    BOOST_TEST((cli::attempted_rate(totals_of(10, 0, 0, 990, milliseconds(2000))) ==
                std::optional<double>(5.0)));
    // 1000 items of which 950 not attempted in 0.5 s: 50 attempted, too few for a rate.
    BOOST_TEST(!cli::attempted_rate(totals_of(50, 0, 0, 950, milliseconds(500))).has_value());
    // Failed and unknown items were sent: they count.
    BOOST_TEST((cli::attempted_rate(totals_of(40, 30, 30, 0, milliseconds(500))) ==
                std::optional<double>(200.0)));
}

BOOST_AUTO_TEST_CASE(seconds_and_rates_print_with_sensible_precision) {
    BOOST_TEST(cli::seconds_text(0.010) == "0.010");
    BOOST_TEST(cli::seconds_text(4.2314159) == "4.231");
    BOOST_TEST(cli::seconds_text(0.0) == "0.000");
    BOOST_TEST(cli::seconds_text(61.0) == "61.000");
    BOOST_TEST(cli::rate_text(525.4) == "525");
    BOOST_TEST(cli::rate_text(10.0) == "10");
    BOOST_TEST(cli::rate_text(9.96) == "10");
    BOOST_TEST(cli::rate_text(9.94) == "9.9");
    BOOST_TEST(cli::rate_text(0.5) == "0.5");
    BOOST_TEST(cli::rate_text(0.0) == "0.0");
    BOOST_TEST(cli::rounded_to_milliseconds(0.0421377) == 0.042);
    BOOST_TEST(cli::rounded_to_milliseconds(4.2315) == 4.232);
    BOOST_TEST(cli::rounded_to_milliseconds(0.0004) == 0.0);
    BOOST_TEST(cli::to_text(cli::rounded_to_milliseconds(0.0421377)) == "0.042");
}

BOOST_AUTO_TEST_CASE(update_many_summary_reads_well) {
    using std::chrono::milliseconds;
    struct row {
        minapp::bulk_progress totals;
        bool cancelled;
        bool stopped;
        std::string line;
    };
    const row rows[] = {
        {totals_of(5, 0, 0, 0, milliseconds(10)), false, false,
         "update-many: 5 items: 5 succeeded, 0 failed, 0 unknown, 0 not attempted in 0.010 s"},
        {totals_of(4000, 200, 31, 0, milliseconds(4231)), false, false,
         "update-many: 4231 items: 4000 succeeded, 200 failed, 31 unknown, 0 not attempted in "
         "4.231 s (1000 items/s)"},
        {totals_of(150, 0, 0, 0, milliseconds(300)), false, false,
         "update-many: 150 items: 150 succeeded, 0 failed, 0 unknown, 0 not attempted in 0.300 s "
         "(500 items/s)"},
        // Ctrl-C after 2 s: the 9990 items never sent are not in the rate.
        {totals_of(8, 1, 1, 9990, milliseconds(2000)), true, false,
         "update-many: 10000 items: 8 succeeded, 1 failed, 1 unknown, 9990 not attempted in "
         "2.000 s (5.0 items/s); cancelled"},
        {totals_of(1, 1, 0, 3, milliseconds(42)), false, true,
         "update-many: 5 items: 1 succeeded, 1 failed, 0 unknown, 3 not attempted in 0.042 s; "
         "stopped"},
        {totals_of(0, 0, 0, 0, milliseconds(0)), false, false,
         "update-many: 0 items: 0 succeeded, 0 failed, 0 unknown, 0 not attempted in 0.000 s"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.line) {
            minapp::bulk_report report;
            report.totals = r.totals;
            report.cancelled = r.cancelled;
            report.stopped_on_error = r.stopped;
            BOOST_TEST(cli::update_many_summary(report) == r.line);
        }
    }
}

BOOST_AUTO_TEST_CASE(input_order_prints_contiguous_runs_and_holds_only_what_is_ahead) {
    std::vector<std::size_t> printed;
    cli::input_order order([&printed](minapp::update_outcome&& o) { printed.push_back(o.index); });

    order.push(outcome_at(2));
    order.push(outcome_at(1));
    BOOST_TEST(printed.empty());
    BOOST_TEST(order.held() == 2u);
    order.push(outcome_at(0)); // completes 0, 1, 2
    BOOST_TEST(printed == (std::vector<std::size_t>{0, 1, 2}), boost::test_tools::per_element());
    BOOST_TEST(order.held() == 0u);
    order.push(outcome_at(3)); // the next one: printed at once
    BOOST_TEST(printed.size() == 4u);
    order.push(outcome_at(5));
    order.push(outcome_at(6));
    BOOST_TEST(printed.size() == 4u);
    order.push(outcome_at(4));
    BOOST_TEST(printed == (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6}),
               boost::test_tools::per_element());
    BOOST_TEST(order.held() == 0u);

    // Whatever is left (a gap) comes out in index order at the end.
    order.push(outcome_at(9));
    order.push(outcome_at(8));
    order.flush();
    BOOST_TEST(printed == (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 8, 9}),
               boost::test_tools::per_element());
    BOOST_TEST(order.held() == 0u);
}

BOOST_AUTO_TEST_CASE(input_order_holds_at_most_the_window_not_the_input) {
    // 100000 outcomes completing out of order, each at most `window` places from its index
    // (as with `window` items in flight): the buffer never holds more than the window.
    constexpr std::size_t n = 100000;
    constexpr std::size_t window = 16;
    std::vector<std::size_t> arrival(n);
    for (std::size_t i = 0; i < n; ++i) {
        arrival[i] = i;
    }
    for (std::size_t start = 0; start < n; start += window) {
        std::reverse(arrival.begin() + static_cast<std::ptrdiff_t>(start),
                     arrival.begin() + static_cast<std::ptrdiff_t>(std::min(n, start + window)));
    }
    std::size_t next = 0;
    bool in_order = true;
    std::size_t most_held = 0;
    cli::input_order order([&](minapp::update_outcome&& o) {
        in_order = in_order && o.index == next;
        ++next;
    });
    for (auto index : arrival) {
        order.push(outcome_at(index));
        most_held = std::max(most_held, order.held());
    }
    order.flush();
    BOOST_TEST(in_order);
    BOOST_TEST(next == n);
    BOOST_TEST(most_held == window - 1);
}

BOOST_AUTO_TEST_CASE(where_update_json_rounds_seconds_and_rates_only_when_meaningful) {
    using std::chrono::microseconds;
    using std::chrono::milliseconds;
    {
        // 5 users in 42.1377 ms: seconds to the millisecond, no rate.
        minapp::where_update_report r;
        r.matched = 5;
        r.succeeded = 5;
        r.totals = totals_of(5, 0, 0, 0, microseconds(42138));
        const auto o = cli::to_json(r);
        BOOST_TEST(o.at("seconds").as_double() == 0.042);
        BOOST_TEST(!o.contains("users_per_second"));
        BOOST_TEST(contains(cli::to_text(o), "\"seconds\":0.042"), cli::to_text(o));
    }
    {
        // 2000 users in 95.773 ms: a rate, to 0.1.
        minapp::where_update_report r;
        r.totals = totals_of(2000, 0, 0, 0, microseconds(95773));
        const auto o = cli::to_json(r);
        BOOST_TEST(o.at("seconds").as_double() == 0.096);
        BOOST_TEST(o.at("users_per_second").as_double() == 20882.7); // 20882.71...
    }
    {
        // Cancelled after 2 s: 10 users sent, 990 not: 5 users/s.
        minapp::where_update_report r;
        r.cancelled = true;
        r.totals = totals_of(10, 0, 0, 990, milliseconds(2000));
        const auto o = cli::to_json(r);
        BOOST_TEST(o.at("seconds").as_double() == 2.0);
        BOOST_TEST(o.at("users_per_second").as_double() == 5.0);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_exit_status)

BOOST_AUTO_TEST_CASE(exit_status_follows_the_kind_of_failure) {
    using minapp::error;
    struct row {
        const char* what;
        minapp::failure f;
        int status;
    };
    const row rows[] = {
        {"invalid argument", failure_of(error::invalid_argument, 0), cli::exit_usage},
        {"url too long", failure_of(error::url_too_long, 0), cli::exit_usage},
        {"invalid request", failure_of(error::invalid_request, 0), cli::exit_usage},
        {"400", failure_of(error::bad_request, 400), cli::exit_rejected},
        {"401", failure_of(error::unauthorized, 401), cli::exit_rejected},
        {"402", failure_of(error::payment_required, 402), cli::exit_rejected},
        {"403", failure_of(error::forbidden, 403), cli::exit_rejected},
        {"404", failure_of(error::not_found, 404), cli::exit_rejected},
        {"429 after retries", failure_of(error::rate_limited, 429), cli::exit_rejected},
        {"other 4xx", failure_of(error::unexpected_status, 418), cli::exit_rejected},
        {"499", failure_of(error::unexpected_status, 499), cli::exit_rejected},
        {"500", failure_of(error::server_error, 500), cli::exit_failed},
        {"503", failure_of(error::server_error, 503), cli::exit_failed},
        {"redirect", failure_of(error::unexpected_status, 302), cli::exit_failed},
        {"malformed 200", failure_of(error::malformed_response, 200), cli::exit_failed},
        {"connect", failure_of(error::connect_failed, 0), cli::exit_failed},
        {"resolve", failure_of(error::resolve_failed, 0), cli::exit_failed},
        {"tls verification", failure_of(error::tls_verification_failed, 0), cli::exit_failed},
        {"timeout", failure_of(error::request_timeout, 0), cli::exit_failed},
        {"unknown outcome", failure_of(error::outcome_unknown, 0), cli::exit_failed},
        {"cancelled", failure_of(error::cancelled, 0), cli::exit_failed},
        {"not attempted", failure_of(error::not_attempted, 0), cli::exit_failed},
        // The code decides before the status: an argument error stays a usage error.
        {"invalid argument with a status", failure_of(error::invalid_argument, 400),
         cli::exit_usage},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            BOOST_TEST(cli::exit_status_for(r.f) == r.status);
        }
    }
    BOOST_TEST(cli::exit_ok == 0);
    BOOST_TEST(cli::exit_usage == 2);
    BOOST_TEST(cli::exit_rejected == 3);
    BOOST_TEST(cli::exit_failed == 4);
    BOOST_TEST(cli::exit_bulk_partial == 5);
}

BOOST_AUTO_TEST_SUITE_END()

// --rate-redis and its companions as the options of the fleet budget (the password read from the
// file the URL names, the key derived from the origin unless given), and their errors.
BOOST_AUTO_TEST_CASE(fleet_budget_options_follow_the_command_line) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("minapp-cli-unit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto password_file = (dir / "redis.pw").string();
    {
        std::ofstream out(password_file);
        out << "s3cret\n";
    }
    const auto encoded = [](const std::string& path) {
        std::string e;
        for (char c : path) {
            e += c == '/' ? std::string("%2F") : std::string(1, c);
        }
        return e;
    };

    auto g = parsed({"--rate", "200", "--rate-redis",
                     "redis://:" + encoded(password_file) + "@10.0.0.5:6380/3", "--env-id", "e1",
                     "--rate-fallback", "closed", "--expected-replicas", "4", "users", "count"})
                 .global;
    auto o = std::get<minapp::fleet::redis_budget_options>(
        cli::fleet_budget_options(g, "https://cloud.minapp.com"));
    BOOST_TEST(!o.is_unix_socket());
    BOOST_TEST(o.host_or_path() == "10.0.0.5");
    BOOST_TEST(o.port() == 6380);
    BOOST_TEST(o.database() == 3);
    BOOST_TEST(o.password() == "s3cret");
    BOOST_TEST(o.key() == "minapp:rate:https://cloud.minapp.com:e1");
    BOOST_TEST(o.limit().per_second == 200.0);
    BOOST_TEST(o.limit().burst == 20.0);
    BOOST_TEST((o.fallback() == minapp::fleet::fallback_policy::closed));
    BOOST_TEST(o.expected_replicas() == 4u);

    g = parsed({"--rate", "5", "--rate-redis", "unix:///run/redis.sock", "--rate-key", "jobs",
                "users", "count"})
            .global;
    o = std::get<minapp::fleet::redis_budget_options>(cli::fleet_budget_options(g, "x"));
    BOOST_TEST(o.is_unix_socket());
    BOOST_TEST(o.host_or_path() == "/run/redis.sock");
    BOOST_TEST(o.key() == "jobs");
    BOOST_TEST(o.limit().burst == 1.0);
    BOOST_TEST((o.fallback() == minapp::fleet::fallback_policy::local));
    BOOST_TEST(o.password().empty());

    g.rate_redis = "redis://:%2Fno%2Fsuch%2Ffile@h";
    const auto missing = std::get<std::string>(cli::fleet_budget_options(g, "x"));
    BOOST_TEST(missing.starts_with("--rate-redis: redis password file '/no/such/file'"));
    g.rate_redis = "http://h";
    BOOST_TEST(std::get<std::string>(cli::fleet_budget_options(g, "x")) ==
               "--rate-redis: redis URL: unsupported scheme 'http' (use redis:// or unix://)");
    std::filesystem::remove_all(dir);
}
