// minapp-emulator: the emulated MinApp user API (user_api) behind the emulator's HTTP server.
#include "command_line.hpp"

#include <minapp/emulator/server.hpp>
#include <minapp/emulator/tls_identity.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace minapp::emulator;

/// GET /_emulator/users/ID/ (trailing slash optional): the stored record of one user in the
/// environment named by X-Hydrogen-Env-ID.
std::optional<api_response> stored_user(const user_api& api, const api_request& request) {
    constexpr std::string_view prefix = "/_emulator/users/";
    std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
    if (!path.starts_with(prefix)) {
        return std::nullopt;
    }
    path.remove_prefix(prefix.size());
    if (path.ends_with('/')) {
        path.remove_suffix(1);
    }
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), id);
    if (ec != std::errc() || end != path.data() + path.size() || path.empty()) {
        return std::nullopt;
    }
    auto json = api.stored_user_json(request.env_id, id);
    if (!json) {
        return std::nullopt;
    }
    api_response response;
    response.body = std::move(*json);
    return response;
}

int run(const detail::command_line& options) {
    user_api_config config;
    if (options.users) {
        config.users_per_environment = *options.users;
    }
    if (options.seed) {
        config.seed = *options.seed;
    }
    if (!options.tokens.empty()) {
        config.tokens = options.tokens;
    }
    config.environments = options.environments;
    config.clients = options.clients;
    if (options.token_ttl) {
        config.token_ttl = *options.token_ttl;
    }
    user_api api(config);

    server_options server_config = options.server;
    if (!options.cert_file.empty()) {
        server_config.identity = load_identity(options.cert_file, options.key_file);
    }
    server_config.inspect = [&api](const api_request& request) {
        return stored_user(api, request);
    };
    const std::size_t threads = server_config.threads;
    boost::asio::io_context io(static_cast<int>(threads));
    server srv(io, std::move(server_config),
               [&api](const api_request& request) { return api.handle(request); });

    // The first line is the contract with scripts that start the emulator on port 0.
    std::cout << "listening on " << srv.url() << std::endl;
    if (!options.server.ca_out_path.empty()) {
        std::cout << "CA certificate written to " << options.server.ca_out_path << std::endl;
    } else if (options.server.tls) {
        // A client can only trust the generated certificate from a file: always leave one.
        const auto path = std::filesystem::temp_directory_path() /
                          ("minapp-emulator-" + std::to_string(srv.port()) + "-ca.pem");
        std::ofstream(path) << srv.ca_pem();
        std::cout << "CA certificate written to " << path.string() << std::endl;
    }

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&srv](const boost::system::error_code& ec, int) {
        if (!ec) {
            srv.stop();
        }
    });
    srv.start();

    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i) {
        pool.emplace_back([&io] { io.run(); });
    }
    io.run();
    for (std::thread& t : pool) {
        t.join();
    }
    return EXIT_SUCCESS;
}

} // namespace

int main(int argc, char** argv) {
    try {
        // Read once, before any thread starts.
        const detail::command_line options = detail::parse_command_line(
            argc, argv, std::getenv("MINAPP_EMULATOR_TOKENS")); // NOLINT(concurrency-mt-unsafe)
        if (options.help) {
            std::cout << detail::usage();
            return EXIT_SUCCESS;
        }
        return run(options);
    } catch (const std::invalid_argument& e) {
        std::cerr << "minapp-emulator: " << e.what() << " (see --help)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "minapp-emulator: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
}
