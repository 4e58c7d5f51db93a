#include "command_line.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace minapp::emulator::detail {
namespace {

[[noreturn]] void fail(std::string_view option, const std::string& message) {
    throw std::invalid_argument(std::string(option) + ": " + message);
}

template <class Integer>
Integer to_integer(std::string_view option, std::string_view text) {
    Integer value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        fail(option, "expected a non-negative integer, got '" + std::string(text) + "'");
    }
    return value;
}

double to_double(std::string_view option, std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 0) {
        fail(option, "expected a non-negative number, got '" + std::string(text) + "'");
    }
    return value;
}

std::chrono::milliseconds seconds_option(std::string_view option, std::string_view text) {
    return std::chrono::milliseconds(std::llround(to_double(option, text) * 1000));
}

/// Splits "KIND=VALUE" and resolves the kind.
std::pair<fault_kind, std::string_view> fault_assignment(std::string_view option,
                                                         std::string_view text) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
        fail(option, "expected KIND=VALUE, got '" + std::string(text) + "'");
    }
    const auto kind = parse_fault_kind(text.substr(0, equals));
    if (!kind) {
        fail(option, "unknown fault kind '" + std::string(text.substr(0, equals)) + "'");
    }
    return {*kind, text.substr(equals + 1)};
}

void split_tokens(std::string_view list, std::vector<std::string>& out) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            out.emplace_back(item);
        }
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
}

/// Reads a client secret from its file: secrets stay out of the command line, where `ps` and
/// shell histories would show them. One trailing line break is the file's, not the secret's.
std::string read_secret(std::string_view option, const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        fail(option, "cannot read the secret file '" + path + "'");
    }
    std::string secret;
    try {
        secret.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure&) {
        // libstdc++'s filebuf throws on a read error (a directory, say) whatever the mask.
        file.setstate(std::ios::badbit);
    }
    if (file.bad()) {
        fail(option, "cannot read the secret file '" + path + "'");
    }
    if (secret.ends_with('\n')) {
        secret.pop_back();
        if (secret.ends_with('\r')) {
            secret.pop_back();
        }
    }
    if (secret.empty()) {
        fail(option, "the secret file '" + path + "' is empty");
    }
    if (secret.find_first_of("\r\n") != std::string::npos) {
        fail(option, "the secret file '" + path + "' holds more than one line");
    }
    return secret;
}

/// Parses "ID:SECRET_FILE" (the id cannot contain ':', the path may).
oauth_client client_option(std::string_view option, std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
        fail(option, "expected ID:SECRET_FILE, got '" + std::string(text) + "'");
    }
    return oauth_client(std::string(text.substr(0, colon)),
                        read_secret(option, std::string(text.substr(colon + 1))));
}

/// Walks argv, handing out option names and their values.
class arguments {
public:
    arguments(int argc, const char* const* argv)
        : argc_(argc)
        , argv_(argv) {}

    bool next() {
        if (index_ >= argc_) {
            return false;
        }
        std::string_view arg = argv_[index_++];
        inline_value_.reset();
        if (arg.starts_with("--")) {
            if (const auto equals = arg.find('='); equals != std::string_view::npos) {
                inline_value_ = arg.substr(equals + 1);
                arg = arg.substr(0, equals);
            }
        }
        name_ = arg;
        return true;
    }

    std::string_view name() const { return name_; }

    std::string_view value() {
        if (inline_value_) {
            return *inline_value_;
        }
        if (index_ >= argc_) {
            fail(name_, "missing value");
        }
        return argv_[index_++];
    }

    void no_value() const {
        if (inline_value_) {
            fail(name_, "takes no value");
        }
    }

private:
    int argc_;
    const char* const* argv_;
    int index_ = 1;
    std::string_view name_;
    std::optional<std::string_view> inline_value_;
};

} // namespace

command_line parse_command_line(int argc, const char* const* argv, const char* env_tokens) {
    command_line out;
    out.server.inspection = true;
    std::vector<fault_rule> rules;
    std::optional<std::chrono::milliseconds> latency;
    std::optional<std::chrono::seconds> retry_after;
    fault_filter filter;

    arguments args(argc, argv);
    while (args.next()) {
        const std::string_view name = args.name();
        if (name == "--help" || name == "-h") {
            args.no_value();
            out.help = true;
        } else if (name == "--host") {
            out.server.address = std::string(args.value());
        } else if (name == "--port") {
            out.server.port = to_integer<std::uint16_t>(name, args.value());
        } else if (name == "--plain-http") {
            args.no_value();
            out.server.tls = false;
        } else if (name == "--cert") {
            out.cert_file = std::string(args.value());
        } else if (name == "--key") {
            out.key_file = std::string(args.value());
        } else if (name == "--ca-out") {
            out.server.ca_out_path = std::string(args.value());
        } else if (name == "--users") {
            out.users = to_integer<std::size_t>(name, args.value());
        } else if (name == "--seed") {
            out.seed = to_integer<std::uint64_t>(name, args.value());
        } else if (name == "--token") {
            out.tokens.emplace_back(args.value());
        } else if (name == "--env-id") {
            out.environments.emplace_back(args.value());
        } else if (name == "--client") {
            oauth_client client = client_option(name, args.value());
            for (const oauth_client& known : out.clients) {
                if (known.id == client.id) {
                    fail(name, "client '" + client.id + "' given twice");
                }
            }
            out.clients.push_back(std::move(client));
        } else if (name == "--token-ttl") {
            const auto seconds = to_integer<std::uint64_t>(name, args.value());
            if (seconds == 0 || seconds > static_cast<std::uint64_t>(max_token_ttl.count())) {
                fail(name, "expected 1 to " + std::to_string(max_token_ttl.count()) + " seconds");
            }
            out.token_ttl = std::chrono::seconds(seconds);
        } else if (name == "--rpm") {
            out.server.requests_per_minute = to_integer<std::uint64_t>(name, args.value());
        } else if (name == "--fault-rate") {
            const auto [kind, value] = fault_assignment(name, args.value());
            fault_rule rule;
            rule.kind = kind;
            rule.probability = to_double(name, value);
            if (rule.probability > 1) {
                fail(name, "a probability must be in [0, 1]");
            }
            rules.push_back(rule);
        } else if (name == "--fault-every") {
            const auto [kind, value] = fault_assignment(name, args.value());
            fault_rule rule;
            rule.kind = kind;
            rule.every = to_integer<std::uint64_t>(name, value);
            rules.push_back(rule);
        } else if (name == "--fault-on") {
            const auto [kind, value] = fault_assignment(name, args.value());
            fault_rule rule;
            rule.kind = kind;
            std::vector<std::string> numbers;
            split_tokens(value, numbers);
            for (const std::string& number : numbers) {
                rule.on_requests.push_back(to_integer<std::uint64_t>(name, number));
            }
            rules.push_back(rule);
        } else if (name == "--fault-seed") {
            out.server.faults.seed = to_integer<std::uint64_t>(name, args.value());
        } else if (name == "--fault-latency") {
            latency = std::chrono::milliseconds(to_integer<std::uint64_t>(name, args.value()));
        } else if (name == "--fault-retry-after") {
            retry_after = std::chrono::seconds(to_integer<std::uint64_t>(name, args.value()));
        } else if (name == "--fault-method") {
            filter.method = std::string(args.value());
        } else if (name == "--fault-path") {
            filter.path_prefix = std::string(args.value());
        } else if (name == "--keepalive-timeout") {
            out.server.idle_timeout = seconds_option(name, args.value());
        } else if (name == "--abrupt-idle-close") {
            args.no_value();
            out.server.close_notify_on_idle = false;
        } else if (name == "--max-requests-per-connection") {
            out.server.max_requests_per_connection = to_integer<std::uint64_t>(name, args.value());
        } else if (name == "--threads") {
            out.server.threads = to_integer<std::size_t>(name, args.value());
            if (out.server.threads == 0) {
                fail(name, "at least one thread is needed");
            }
        } else if (name == "--no-inspection") {
            args.no_value();
            out.server.inspection = false;
        } else {
            fail(name, "unknown option");
        }
    }
    if (out.cert_file.empty() != out.key_file.empty()) {
        fail("--cert/--key", "give both or neither");
    }
    for (fault_rule& rule : rules) {
        rule.filter = filter;
        if (latency) {
            rule.latency = *latency;
        }
        if (retry_after) {
            rule.retry_after = *retry_after;
        }
    }
    out.server.faults.rules = std::move(rules);
    if (env_tokens) {
        split_tokens(env_tokens, out.tokens);
    }
    return out;
}

const char* usage() noexcept {
    return R"(Usage: minapp-emulator [OPTIONS]

A local emulator of the MinApp (知晓云) user API over HTTP/1.1. The first line printed on
stdout is "listening on URL". SIGINT or SIGTERM stops it cleanly.

Network:
  --host ADDRESS                 address to bind (default 127.0.0.1)
  --port N                       port to bind; 0 picks a free port (default 0)
  --plain-http                   serve http:// instead of https://
  --cert FILE --key FILE         TLS certificate chain and key (PEM); default: a self-signed
                                 certificate for localhost and 127.0.0.1, made at startup
  --ca-out FILE                  write the certificate to trust (PEM) to FILE (default for a
                                 generated certificate: $TMPDIR/minapp-emulator-PORT-ca.pem);
                                 the path is printed on the second line
  --keepalive-timeout SECONDS    close idle keep-alive connections after this long (default 75)
  --abrupt-idle-close            on idle timeout close the socket without TLS close_notify
  --max-requests-per-connection N  the N-th response carries "Connection: close" (default 0:
                                 unlimited)
  --threads N                    I/O threads (default 1)

Data:
  --users N                      users seeded per environment (default 10000)
  --seed N                       seed of the generated users (default 42)
  --token TOKEN                  accepted bearer token (repeatable; default "test-token");
                                 MINAPP_EMULATOR_TOKENS adds a comma-separated list
  --env-id ID                    a non-production environment (X-Hydrogen-Env-ID), repeatable

Access tokens (the Open API's client-credentials flow: POST /api/oauth2/hydrogen/openapi/
authorize/ with two redirects, then POST /api/oauth2/access_token/):
  --client ID:SECRET_FILE        register a client whose secret is the first line of
                                 SECRET_FILE (never given on the command line); repeatable
  --token-ttl SECONDS            lifetime of issued access tokens (default 7200); tokens are
                                 accepted like --token until they expire or a refresh revokes
                                 them

Throttling and faults (deterministic: the same seed gives the same sequence):
  --rpm N                        requests per minute before 429 + Retry-After (default 0: off)
  --fault-rate KIND=P            inject KIND with probability P per request
  --fault-every KIND=N           inject KIND on every N-th request
  --fault-on KIND=N[,N...]       inject KIND on the listed request numbers (1-based)
  --fault-seed N                 seed of the probability draws
  --fault-latency MS             delay added by the latency fault (default 200)
  --fault-retry-after SECONDS    Retry-After of the 429-retry-after fault (default 1)
  --fault-method METHOD          faults apply only to this method (e.g. PUT)
  --fault-path PREFIX            faults apply only to targets starting with PREFIX
  Fault kinds: 500, 502, 503, 429, 429-retry-after, latency, close, reset-before,
  reset-after, truncate, malformed-json.

Inspection (no authentication):
  GET /_emulator/stats           counters as JSON (the token flow's under "auth")
  GET /_emulator/users/ID/       a stored user (environment from X-Hydrogen-Env-ID)
  --no-inspection                do not serve /_emulator/

  -h, --help                     show this text
)";
}

} // namespace minapp::emulator::detail
