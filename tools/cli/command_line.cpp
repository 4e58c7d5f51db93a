#include "command_line.hpp"

#include <charconv>
#include <cmath>
#include <utility>

namespace minapp::cli {

namespace {

/// The grammar of one command.
struct command_spec {
    const char* name;
    std::size_t positionals;        ///< exact count
    const char* positional_name;    ///< for messages
    std::set<std::string> values;   ///< options taking a value
    std::set<std::string> flags;    ///< options without one
    std::set<std::string> required; ///< value options that must be given
    const char* summary;
};

const std::vector<command_spec>& specs() {
    static const std::vector<command_spec> all = {
        {"users get", 1, "ID", {}, {}, {}, "users get ID"},
        {"users list",
         0,
         "",
         {"where", "order-by", "page-size", "max", "offset"},
         {"keyset"},
         {},
         "users list [--where JSON] [--order-by FIELDS] [--page-size N] [--max N] [--offset N] "
         "[--keyset]"},
        {"users count", 0, "", {"where"}, {}, {}, "users count [--where JSON]"},
        {"auth token",
         0,
         "",
         {},
         {},
         {},
         "auth token   (prints {\"access_token\", \"expires_in\", \"token_type\"}; needs "
         "client credentials)"},
        {"users update", 1, "ID", {"data"}, {}, {"data"}, "users update ID --data JSON"},
        {"users update-where",
         0,
         "",
         {"where", "data"},
         {},
         {"where", "data"},
         "users update-where --where JSON --data JSON"},
        {"users update-many",
         0,
         "",
         {"input"},
         {"stop-on-error", "ordered"},
         {"input"},
         "users update-many --input FILE|- [--stop-on-error] [--ordered]   (outcomes in "
         "completion order; --ordered: input order)"},
        {"account update",
         1,
         "ID",
         {"username", "email", "phone", "password-file"},
         {"clear-username", "clear-email", "clear-phone"},
         {},
         "account update ID [--username U | --clear-username] [--email E | --clear-email] "
         "[--phone P | --clear-phone] [--password-file PATH]"},
        {"users list-v1",
         0,
         "",
         {"nickname", "nickname-contains", "gender", "created-at-gte", "created-at-lte",
          "created-at-gt", "created-at-lt", "group-in", "openid", "unionid", "user-id", "limit",
          "offset", "order-by"},
         {},
         {},
         "users list-v1 [--nickname S] [--nickname-contains S] [--gender 1|2] "
         "[--created-at-gte|--created-at-lte|--created-at-gt|--created-at-lt UNIX] "
         "[--group-in ID,ID] [--openid S] [--unionid S] [--user-id ID] [--limit N] [--offset N] "
         "[--order-by created_at|-created_at]   (deprecated v1 route)"},
    };
    return all;
}

bool parse_double(const std::string& text, double& out) {
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && std::isfinite(out);
}

bool parse_size(const std::string& text, std::size_t& out) {
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && !text.empty();
}

} // namespace

std::string usage_text() {
    std::string text =
        "usage: minapp [GLOBAL OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "The MinApp (知晓云) user API from the command line. Output is JSON; lists are JSON "
        "lines,\n"
        "one object per line, streamed as pages arrive.\n"
        "\n"
        "Global options (before or after the command):\n"
        "  --base-url URL       API origin (default https://cloud.minapp.com)\n"
        "  --token-file PATH    read the access token from PATH (else MINAPP_TOKEN); a token\n"
        "                       on the command line is refused: it would show in process lists\n"
        "  --client-id ID       obtain tokens with the client-credentials flow (renewed as\n"
        "                       they expire), with the secret read from\n"
        "  --client-secret-file PATH\n"
        "                       (a secret on the command line is refused); a token given with\n"
        "                       MINAPP_TOKEN or --token-file takes precedence\n"
        "  --env-id ID          X-Hydrogen-Env-ID of a test environment\n"
        "  --ca-file PATH       also trust the CA certificates in PATH (PEM)\n"
        "  --insecure           do not verify the server's certificate (warned; never in "
        "production)\n"
        "  --allow-builtin-field-updates\n"
        "                       send update documents that name built-in fields (nickname,\n"
        "                       gender, _username, ...) instead of refusing them before sending;\n"
        "                       the Open API updates only custom fields\n"
        "  --timeout SECONDS    deadline of one request attempt (default 30)\n"
        "  --rate N             at most N requests per second (listing and updates together)\n"
        "  --rate-redis URL     share that rate with every process using the same Redis and\n"
        "                       --rate-key (each gives the same --rate): a URL\n"
        "                       redis://[:PASSWORD_FILE@]HOST[:PORT][/DB] or unix:///PATH[?db=N];\n"
        "                       the password is read from PASSWORD_FILE, an absolute path written\n"
        "                       percent-encoded (%2Frun%2Fsecrets%2Fredis)\n"
        "  --rate-key NAME      the budget's key in Redis: processes with the same key share it\n"
        "                       (default minapp:rate:BASE_URL, plus :ENV_ID with --env-id)\n"
        "  --rate-fallback local|open|closed\n"
        "                       while Redis cannot be reached: limit each process to its share,\n"
        "                       --rate / --expected-replicas (local, the default), send without a\n"
        "                       limit (open), or send nothing and fail (closed)\n"
        "  --expected-replicas N\n"
        "                       processes sharing the budget, for the local fallback (default 1);\n"
        "                       --rate-key, --rate-fallback and --expected-replicas need "
        "--rate-redis\n"
        "  --concurrency N      requests in flight for bulk commands (default 16; update-where 4)\n"
        "  --emulator           run against an embedded emulator (ephemeral port, seeded users);\n"
        "                       every run starts a fresh, seeded dataset, so a multi-step trial\n"
        "                       (update, then get) needs a standalone minapp-emulator and\n"
        "                       --base-url/--ca-file\n"
        "  --emulator-users N   users seeded into the embedded emulator (default 2000)\n"
        "  --progress, --no-progress\n"
        "                       force the progress bar on stderr on or off (default: on when\n"
        "                       stderr is a terminal)\n"
        "  --help, --version\n"
        "\n"
        "Environment (an option on the command line wins over its variable):\n"
        "  MINAPP_BASE_URL      API origin, as --base-url\n"
        "  MINAPP_TOKEN         the access token (--token-file wins)\n"
        "  MINAPP_CLIENT_ID, MINAPP_CLIENT_SECRET_FILE\n"
        "                       client credentials, as --client-id and --client-secret-file\n"
        "  MINAPP_ENV_ID        test environment, as --env-id\n"
        "  MINAPP_CA_FILE       extra CA certificates (PEM), as --ca-file\n"
        "  MINAPP_RATE_REDIS    the Redis of a fleet-wide rate budget, as --rate-redis\n"
        "\n"
        "Commands:\n";
    for (const auto& spec : specs()) {
        text += "  ";
        text += spec.summary;
        text += '\n';
    }
    text += "\n"
            "users update-many reads JSON lines {\"id\": ID, \"data\": {...}} and prints one line "
            "per item:\n"
            "{\"id\": ID, \"status\": \"succeeded\"|\"failed\"|\"unknown\"|\"not_attempted\", "
            "...}; a summary goes to stderr.\n"
            "The lines come in completion order; --ordered prints them in input order (an item "
            "that\n"
            "finishes early is held until every item before it is printed).\n"
            "\n"
            "Exit status: 0 success, 2 usage error, 3 rejected by the API (4xx), 4 network or "
            "server\n"
            "failure after retries, 5 bulk run with failed or unknown items.\n";
    return text;
}

namespace {

/// args[i] is not a global option: the caller decides what it is.
struct not_global {};

/// What reading one global option gave: monostate when it was read into the options.
using global_read = std::variant<std::monostate, not_global, help_request, usage_error>;

/// Reads the global option args[i] into `g`, and its value too (advancing `i`), and records
/// the option in `given` (for the checks between options, made once all are read). The same
/// checks apply before and after the command.
global_read read_global_option(const std::vector<std::string>& args, std::size_t& i,
                               global_options& g, std::set<std::string>& given) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
        return help_request{usage_text()};
    }
    if (a == "--version") {
        return help_request{"minapp 0.1.0\n"};
    }
    if (a == "--token" || a.rfind("--token=", 0) == 0) {
        return usage_error{"refusing --token: a token on the command line shows in process "
                           "lists; set MINAPP_TOKEN or use --token-file PATH"};
    }
    if (a == "--client-secret" || a.rfind("--client-secret=", 0) == 0) {
        return usage_error{"refusing --client-secret: a secret on the command line shows in "
                           "process lists; use --client-secret-file PATH or "
                           "MINAPP_CLIENT_SECRET_FILE"};
    }
    if (a == "--insecure") {
        g.insecure = true;
        return {};
    }
    if (a == "--allow-builtin-field-updates") {
        g.allow_builtin_field_updates = true;
        return {};
    }
    if (a == "--emulator") {
        g.emulator = true;
        return {};
    }
    if (a == "--progress" || a == "--no-progress") {
        g.progress = a == "--progress";
        return {};
    }
    static const std::set<std::string> valued = {
        "--base-url",    "--token-file",    "--client-id",     "--client-secret-file",
        "--env-id",      "--ca-file",       "--timeout",       "--rate",
        "--rate-redis",  "--rate-key",      "--rate-fallback", "--expected-replicas",
        "--concurrency", "--emulator-users"};
    if (valued.count(a) == 0) {
        return not_global{};
    }
    if (i + 1 >= args.size()) {
        return usage_error{a + " needs a value"};
    }
    given.insert(a);
    const std::string& v = args[++i];
    if (a == "--base-url") {
        g.base_url = v;
    } else if (a == "--token-file") {
        g.token_file = v;
    } else if (a == "--client-id") {
        g.client_id = v;
    } else if (a == "--client-secret-file") {
        g.client_secret_file = v;
    } else if (a == "--env-id") {
        g.env_id = v;
    } else if (a == "--ca-file") {
        g.ca_file = v;
    } else if (a == "--timeout") {
        double s = 0;
        if (!parse_double(v, s) || s <= 0) {
            return usage_error{"--timeout needs a positive number of seconds, got '" + v + "'"};
        }
        g.timeout_seconds = s;
    } else if (a == "--rate") {
        double r = 0;
        if (!parse_double(v, r) || r <= 0) {
            return usage_error{"--rate needs a positive number of requests per second, got '" + v +
                               "'"};
        }
        g.rate = r;
    } else if (a == "--rate-redis") {
        // Only its presence is checked here: the URL is parsed where it is used.
        if (v.empty()) {
            return usage_error{"--rate-redis needs a URL (redis://HOST[:PORT][/DB] or "
                               "unix:///PATH)"};
        }
        g.rate_redis = v;
    } else if (a == "--rate-key") {
        if (v.empty()) {
            return usage_error{"--rate-key needs a non-empty name"};
        }
        g.rate_key = v;
    } else if (a == "--rate-fallback") {
        if (v == "local") {
            g.rate_fallback = rate_fallback_mode::local;
        } else if (v == "open") {
            g.rate_fallback = rate_fallback_mode::open;
        } else if (v == "closed") {
            g.rate_fallback = rate_fallback_mode::closed;
        } else {
            return usage_error{"--rate-fallback needs local, open or closed, got '" + v + "'"};
        }
    } else {
        // --concurrency, --emulator-users, --expected-replicas: whole numbers from 1.
        const std::size_t max = a == "--concurrency"         ? 1024
                                : a == "--expected-replicas" ? 10000
                                                             : 10000000;
        std::size_t n = 0;
        if (!parse_size(v, n) || n == 0 || n > max) {
            return usage_error{a + " needs a whole number in 1.." + std::to_string(max) +
                               ", got '" + v + "'"};
        }
        if (a == "--concurrency") {
            g.concurrency = n;
        } else if (a == "--expected-replicas") {
            g.expected_replicas = n;
        } else {
            g.emulator_users = n;
        }
    }
    return {};
}

/// The options of a fleet budget depend on each other wherever they stood: a usage error when
/// one is given without the option that gives it a meaning.
std::optional<usage_error> check_rate_options(const global_options& g,
                                              const std::set<std::string>& given) {
    if (!g.rate_redis) {
        for (const char* option : {"--rate-key", "--rate-fallback", "--expected-replicas"}) {
            if (given.count(option) != 0) {
                return usage_error{std::string(option) +
                                   " needs --rate-redis URL (or MINAPP_RATE_REDIS)"};
            }
        }
        return std::nullopt;
    }
    if (!g.rate) {
        // A fleet budget without a stated rate would leave each process unlimited while its
        // operator believes it shared.
        return usage_error{
            std::string(given.count("--rate-redis") != 0 ? "--rate-redis" : "MINAPP_RATE_REDIS") +
            " needs --rate N: the fleet's rate must be stated (the same in every "
            "process sharing the budget)"};
    }
    return std::nullopt;
}

} // namespace

parse_outcome parse_command_line(const std::vector<std::string>& args, const environment& env) {
    invocation inv;
    auto& g = inv.global;
    if (const char* url = env("MINAPP_BASE_URL"); url != nullptr && *url != '\0') {
        g.base_url = url;
    }
    if (const char* token = env("MINAPP_TOKEN"); token != nullptr && *token != '\0') {
        g.token = token;
    }
    if (const char* id = env("MINAPP_CLIENT_ID"); id != nullptr && *id != '\0') {
        g.client_id = id;
    }
    if (const char* file = env("MINAPP_CLIENT_SECRET_FILE"); file != nullptr && *file != '\0') {
        g.client_secret_file = file;
    }
    if (const char* env_id = env("MINAPP_ENV_ID"); env_id != nullptr) {
        g.env_id = env_id;
    }
    if (const char* ca_file = env("MINAPP_CA_FILE"); ca_file != nullptr && *ca_file != '\0') {
        g.ca_file = ca_file;
    }
    if (const char* redis = env("MINAPP_RATE_REDIS"); redis != nullptr && *redis != '\0') {
        g.rate_redis = redis;
    }
    std::set<std::string> given; // the valued global options on the command line

    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a != "-h" && a.rfind("--", 0) != 0) {
            break;
        }
        auto read = read_global_option(args, i, g, given);
        if (std::holds_alternative<not_global>(read)) {
            return usage_error{"unknown global option " + a + " (see --help)"};
        }
        if (auto* help = std::get_if<help_request>(&read)) {
            return std::move(*help);
        }
        if (auto* bad = std::get_if<usage_error>(&read)) {
            return std::move(*bad);
        }
    }

    if (i + 1 >= args.size()) {
        return usage_error{i < args.size() ? "incomplete command '" + args[i] + "' (see --help)"
                                           : "no command given (see --help)"};
    }
    const std::string name = args[i] + " " + args[i + 1];
    const command_spec* spec = nullptr;
    for (const auto& s : specs()) {
        if (name == s.name) {
            spec = &s;
        }
    }
    if (spec == nullptr) {
        return usage_error{"unknown command '" + name + "' (see --help)"};
    }
    inv.cmd.name = name;
    for (i += 2; i < args.size(); ++i) {
        const std::string& a = args[i];
        if ((a.size() > 2 && a.rfind("--", 0) == 0) || a == "-h") {
            const std::string option = a.substr(2);
            // The command's own options first, so that a global option never shadows one.
            if (spec->flags.count(option) != 0) {
                inv.cmd.flags.insert(option);
                continue;
            }
            if (spec->values.count(option) != 0) {
                if (i + 1 >= args.size()) {
                    return usage_error{a + " needs a value"};
                }
                inv.cmd.values[option] = args[++i];
                continue;
            }
            auto read = read_global_option(args, i, g, given);
            if (std::holds_alternative<not_global>(read)) {
                return usage_error{"'" + name + "' has no option " + a + " (usage: minapp " +
                                   spec->summary + ")"};
            }
            if (auto* help = std::get_if<help_request>(&read)) {
                return std::move(*help);
            }
            if (auto* bad = std::get_if<usage_error>(&read)) {
                return std::move(*bad);
            }
            continue;
        }
        inv.cmd.positionals.push_back(a);
    }
    if (inv.cmd.positionals.size() != spec->positionals) {
        return usage_error{"'" + name + "' takes " +
                           (spec->positionals == 0 ? std::string("no arguments")
                                                   : std::string(spec->positional_name)) +
                           " (usage: minapp " + spec->summary + ")"};
    }
    for (const auto& option : spec->required) {
        if (inv.cmd.values.count(option) == 0) {
            return usage_error{"'" + name + "' needs --" + option + " (usage: minapp " +
                               spec->summary + ")"};
        }
    }
    for (const char* field : {"username", "email", "phone"}) {
        const std::string f = field;
        if (inv.cmd.values.count(f) != 0 && inv.cmd.flags.count("clear-" + f) != 0) {
            return usage_error{"--" + f + " and --clear-" + f + " exclude each other"};
        }
    }
    if (auto bad = check_rate_options(g, given)) {
        return std::move(*bad);
    }
    return inv;
}

} // namespace minapp::cli
