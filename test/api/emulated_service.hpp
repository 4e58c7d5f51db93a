// An in-process emulator (HTTPS, loopback) and a client pointed at it, recording every request
// the emulator saw so tests can check the exact wire form.
#pragma once

#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/io_context.hpp>

#include <functional>
#include <mutex>
#include <vector>

namespace minapp::test {

struct emulated_service {
    explicit emulated_service(std::size_t users = 200, client_options extra = {})
        : api(config(users))
        , server(ioc, server_options(), [this](const emulator::api_request& r) {
            std::size_t count = 0;
            {
                std::lock_guard lock(mutex);
                seen.push_back(r);
                count = seen.size();
            }
            if (on_request) {
                on_request(count);
            }
            return api.handle(r);
        }) {
        server.start();
        extra.base_url(server.url());
        extra.access_token(token);
        extra.pool().tls().use_system_ca(false);
        extra.pool().tls().ca_pem(server.ca_pem());
        client.emplace(ioc.get_executor(), std::move(extra));
    }

    static emulator::user_api_config config(std::size_t users) {
        emulator::user_api_config c;
        c.users_per_environment = users;
        c.tokens = {token};
        c.environments = {"env-test"};
        return c;
    }

    static emulator::server_options server_options() {
        emulator::server_options o;
        o.tls = true;
        return o;
    }

    /// Requests seen so far (copy).
    std::vector<emulator::api_request> requests() {
        std::lock_guard lock(mutex);
        return seen;
    }

    /// The last request the emulator saw.
    emulator::api_request last() {
        std::lock_guard lock(mutex);
        return seen.empty() ? emulator::api_request{} : seen.back();
    }

    /// Ends the test: no connection, listener or timer left on the io_context.
    void finish() {
        client->shutdown();
        server.stop();
    }

    static constexpr const char* token = "tok-3f9a2c";

    boost::asio::io_context ioc;
    emulator::user_api api;
    std::mutex mutex;
    std::vector<emulator::api_request> seen;
    /// Called with the number of requests seen so far, on the server's thread, before handling.
    std::function<void(std::size_t)> on_request;
    emulator::server server;
    std::optional<minapp::client> client;
};

} // namespace minapp::test
