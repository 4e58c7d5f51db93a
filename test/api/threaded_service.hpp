// An emulator with threads of its own (standalone) and the options of a client for it, plus a
// runner of an io_context on several threads: for the tests of a client shared by threads.
#pragma once

#include <minapp/client_options.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace minapp::test {

/// The emulator, serving `users` users to the token `token`.
struct threaded_service {
    static constexpr const char* token = "tok-threads";

    explicit threaded_service(std::size_t users)
        : api(config(users))
        , server(server_options(),
                 [this](const emulator::api_request& r) { return api.handle(r); }) {
        server.start();
    }

    static emulator::user_api_config config(std::size_t users) {
        emulator::user_api_config c;
        c.users_per_environment = users;
        c.tokens = {token};
        return c;
    }

    static emulator::server_options server_options() {
        emulator::server_options o;
        o.threads = 2; // standalone: the server runs two threads of its own
        return o;
    }

    minapp::client_options client_options(std::size_t connections) const {
        minapp::client_options o;
        o.base_url(server.url());
        o.access_token(token);
        o.pool().tls().use_system_ca(false);
        o.pool().tls().ca_pem(server.ca_pem());
        o.pool().max_connections(connections);
        o.rate_limit(minapp::rate_limit{20000, 64}); // exercised, never the bottleneck
        return o;
    }

    std::int64_t stored_score(std::int64_t id) const {
        auto user = boost::json::parse(api.stored_user_json("", id).value()).as_object();
        const auto* v = user.if_contains("score");
        return v != nullptr && v->is_int64() ? v->as_int64() : 0;
    }

    emulator::user_api api;
    emulator::server server;
};

/// Runs `ioc` on `n` threads until it runs out of work or `limit` passes.
inline bool run_on_threads(boost::asio::io_context& ioc, std::size_t n,
                           std::chrono::seconds limit) {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i) {
        threads.emplace_back([&ioc, limit] { ioc.run_for(limit); });
    }
    for (auto& t : threads) {
        t.join();
    }
    return ioc.stopped();
}

} // namespace minapp::test
