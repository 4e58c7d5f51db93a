// minapp: the MinApp user API from the command line (see `minapp --help` and README.md).
#include "command_line.hpp"
#include "commands.hpp"
#include "fleet_budget.hpp"

#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace asio = boost::asio;
namespace cli = minapp::cli;

namespace {

constexpr const char* emulator_token = "emulator-token";

int run(const cli::invocation& inv) {
    const auto& g = inv.global;
    minapp::client_options options;
    options.base_url(g.base_url);
    options.env_id(g.env_id);
    options.allow_builtin_field_updates(g.allow_builtin_field_updates);

    // Client credentials, when they are the way in (a token, if given, takes precedence).
    std::optional<minapp::client_credentials> credentials;
    if (!g.token_file && !g.token && (g.client_id || g.client_secret_file)) {
        if (!g.client_id || !g.client_secret_file) {
            std::cerr << "minapp: client credentials need both a client id (--client-id or "
                         "MINAPP_CLIENT_ID) and a secret file (--client-secret-file or "
                         "MINAPP_CLIENT_SECRET_FILE)\n";
            return cli::exit_usage;
        }
        auto secret = cli::read_secret_file(*g.client_secret_file);
        if (!secret || secret->empty()) {
            std::cerr << "minapp: cannot read a client secret from " << *g.client_secret_file
                      << "\n";
            return cli::exit_usage;
        }
        credentials.emplace(*g.client_id, *secret);
    }

    // --rate-redis: --rate is the fleet's, shared through Redis by every process with the key.
    // Checked before anything starts.
    std::optional<minapp::fleet::redis_budget_options> budget;
    if (g.rate_redis) {
        auto checked = cli::fleet_budget_options(g, g.base_url);
        if (const auto* bad = std::get_if<std::string>(&checked)) {
            std::cerr << "minapp: " << *bad << "\n";
            return cli::exit_usage;
        }
        budget = std::get<minapp::fleet::redis_budget_options>(std::move(checked));
    }

    // --emulator: an embedded emulator on its own thread, seeded with demo users. It accepts
    // its own token, and the client credentials given, if any (then the flow runs against it).
    std::unique_ptr<minapp::emulator::user_api> api;
    std::unique_ptr<minapp::emulator::server> emulator;
    if (g.emulator) {
        minapp::emulator::user_api_config config;
        config.users_per_environment = g.emulator_users;
        config.tokens = {emulator_token};
        if (credentials) {
            config.clients = {{credentials->client_id(), credentials->client_secret()}};
        }
        api = std::make_unique<minapp::emulator::user_api>(config);
        minapp::emulator::server_options so;
        so.tls = true;
        emulator = std::make_unique<minapp::emulator::server>(
            so, [&api = *api](const minapp::emulator::api_request& r) { return api.handle(r); });
        emulator->start();
        options.base_url(emulator->url());
        options.pool().tls().ca_pem(emulator->ca_pem());
        if (credentials) {
            options.client_credentials(*credentials);
        } else {
            options.access_token(emulator_token);
        }
        std::cerr << "minapp: embedded emulator at " << emulator->url() << " with "
                  << g.emulator_users << " users\n";
    } else if (g.token_file) {
        auto token = cli::read_secret_file(*g.token_file);
        if (!token || token->empty()) {
            std::cerr << "minapp: cannot read a token from " << *g.token_file << "\n";
            return cli::exit_usage;
        }
        options.access_token(*token);
    } else if (g.token) {
        options.access_token(*g.token);
    } else if (credentials) {
        options.client_credentials(*credentials);
    } else {
        std::cerr << "minapp: no credentials: set MINAPP_TOKEN (or --token-file PATH) for an "
                     "access token, or MINAPP_CLIENT_ID and MINAPP_CLIENT_SECRET_FILE (or "
                     "--client-id ID and --client-secret-file PATH) for the client-credentials "
                     "flow\n";
        return cli::exit_usage;
    }
    if (!g.ca_file.empty()) {
        options.pool().tls().ca_file(g.ca_file);
    }
    if (g.insecure) {
        std::cerr << "minapp: WARNING: --insecure: the server's certificate is not verified; "
                     "anyone on the path can read the token\n";
        options.pool().tls().insecure_disable_verification(true);
    }
    if (g.timeout_seconds) {
        options.request_timeout(
            std::chrono::milliseconds(static_cast<std::int64_t>(*g.timeout_seconds * 1000)));
    }
    asio::io_context ioc;
    if (budget) {
        if (!g.rate_key) {
            budget->key(minapp::fleet::default_budget_key(options.base_url(), g.env_id));
        }
        options.shared_rate_limiter(
            minapp::fleet::make_redis_rate_limiter(ioc.get_executor(), std::move(*budget)));
    } else if (g.rate) {
        options.rate_limit(cli::cli_rate_limit(*g.rate));
    }
    if (g.concurrency) {
        options.pool().max_connections(
            std::max<std::size_t>(options.pool().max_connections(), *g.concurrency));
    }

    std::optional<minapp::client> client;
    try {
        // Moved: the options hold the limiter, which must go with the client for run() to end.
        client.emplace(ioc.get_executor(), std::move(options));
    } catch (const minapp::api_error& e) {
        // A configuration error: no request, so only the detail says anything.
        const auto& d = e.diagnostics();
        std::cerr << "minapp: " << (d.method.empty() ? d.detail : d.to_string()) << "\n";
        return cli::exit_usage;
    } catch (const boost::system::system_error& e) {
        // The TLS context could not be set up, e.g. an unreadable or invalid --ca-file.
        std::cerr << "minapp: cannot set up TLS: " << e.what() << "\n";
        return cli::exit_usage;
    }

    cli::command_io io{std::cout, std::cerr, g.progress.value_or(isatty(STDERR_FILENO) == 1),
                       g.concurrency.value_or(0), g.allow_builtin_field_updates};
    // Ctrl-C cancels the command (a bulk run still reports every item); a second one exits.
    asio::cancellation_signal cancel;
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    int interrupts = 0;
    std::function<void(boost::system::error_code, int)> on_signal =
        [&](boost::system::error_code ec, int) {
            if (ec) {
                return;
            }
            if (++interrupts > 1) {
                std::_Exit(130);
            }
            std::cerr << "\nminapp: interrupted; finishing the report (Ctrl-C again to quit)\n";
            cancel.emit(asio::cancellation_type::terminal);
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);

    int status = cli::exit_failed;
    asio::co_spawn(ioc, cli::run_command(*client, inv.cmd, io),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, int rc) {
                       status = rc;
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               std::cerr << "minapp: " << ex.what() << "\n";
                           }
                           status = cli::exit_failed;
                       }
                       signals.cancel();
                       client->shutdown();
                       // The client owns the limiter and a fleet budget's loop: both end with it,
                       // and run() returns.
                       asio::post(ioc, [&client] { client.reset(); });
                   }));
    ioc.run();
    std::cout.flush();
    if (emulator) {
        emulator->stop();
    }
    return status;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const auto parsed =
        cli::parse_command_line(args, [](const char* name) { return std::getenv(name); });
    if (const auto* help = std::get_if<cli::help_request>(&parsed)) {
        std::cout << help->text;
        return cli::exit_ok;
    }
    if (const auto* bad = std::get_if<cli::usage_error>(&parsed)) {
        std::cerr << "minapp: " << bad->message << "\n";
        return cli::exit_usage;
    }
    return run(std::get<cli::invocation>(parsed));
}
