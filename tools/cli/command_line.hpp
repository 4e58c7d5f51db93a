// The `minapp` command line: global options, the command and its options, parsed without side
// effects so that every usage error is found before anything is sent.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace minapp::cli {

/// What a process sharing a fleet budget in Redis does while Redis cannot be reached.
enum class rate_fallback_mode {
    local,  ///< Limit locally to its share of the rate (--rate / --expected-replicas).
    open,   ///< Send without a limit.
    closed, ///< Send nothing: requests fail.
};

/// Options given before or after the command (and their environment fallbacks).
struct global_options {
    std::string base_url = "https://cloud.minapp.com"; ///< --base-url, MINAPP_BASE_URL
    std::optional<std::string> token;                  ///< MINAPP_TOKEN (never from argv)
    std::optional<std::string> token_file;             ///< --token-file
    std::optional<std::string> client_id;              ///< --client-id, MINAPP_CLIENT_ID
    std::optional<std::string>
        client_secret_file;                   ///< --client-secret-file, MINAPP_CLIENT_SECRET_FILE
    std::string env_id;                       ///< --env-id, MINAPP_ENV_ID
    std::string ca_file;                      ///< --ca-file, MINAPP_CA_FILE
    bool insecure = false;                    ///< --insecure
    bool allow_builtin_field_updates = false; ///< --allow-builtin-field-updates
    std::optional<double> timeout_seconds;    ///< --timeout
    std::optional<double> rate;               ///< --rate (requests per second)
    /// --rate-redis, MINAPP_RATE_REDIS: where the fleet's budget is kept, as given (a redis:// or
    /// unix:// URL, checked when it is used). Needs `rate`.
    std::optional<std::string> rate_redis;
    /// --rate-key: the budget's key in Redis (needs rate_redis).
    std::optional<std::string> rate_key;
    /// --rate-fallback: while Redis cannot be reached (needs rate_redis).
    rate_fallback_mode rate_fallback = rate_fallback_mode::local;
    /// --expected-replicas: processes sharing the budget (needs rate_redis).
    std::size_t expected_replicas = 1;
    std::optional<std::size_t> concurrency; ///< --concurrency
    bool emulator = false;                  ///< --emulator
    std::size_t emulator_users = 2000;      ///< --emulator-users
    std::optional<bool> progress;           ///< --progress / --no-progress
};

/// A command and what followed it: "users list", "account update", ...
struct command {
    std::string name;
    std::vector<std::string> positionals;
    std::map<std::string, std::string> values; ///< --option VALUE, by option name
    std::set<std::string> flags;               ///< --flag

    const std::string* value(const std::string& option) const {
        auto it = values.find(option);
        return it == values.end() ? nullptr : &it->second;
    }
    bool flag(const std::string& option) const { return flags.count(option) != 0; }
};

/// What the user asked for.
struct invocation {
    global_options global;
    command cmd;
};

/// `--help` (with the text to print) or `--version`.
struct help_request {
    std::string text;
};

/// A usage error: the message to print before exiting with status 2.
struct usage_error {
    std::string message;
};

using parse_outcome = std::variant<invocation, help_request, usage_error>;

/// Reads the environment (MINAPP_BASE_URL, MINAPP_TOKEN, MINAPP_ENV_ID, MINAPP_CA_FILE,
/// MINAPP_RATE_REDIS, ...) through `getenv`.
using environment = std::function<const char*(const char*)>;

/// Parses `args` (without the program name). Global options may come before or after the
/// command; after it, the command's own options are matched first. A token given on the command
/// line (`--token`) is refused wherever it stands: it would show in process lists.
parse_outcome parse_command_line(const std::vector<std::string>& args, const environment& env);

/// The whole `--help` text.
std::string usage_text();

} // namespace minapp::cli
