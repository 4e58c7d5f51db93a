// The quick-start demo: starts the emulator in-process (HTTPS on an ephemeral loopback port, seeded
// users), then uses the client as a service would: count, walk every user with the async
// generator, update users, and print what it cost.
//
//   demo [users]      (default 10000)
#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

asio::awaitable<int> run(minapp::client& client) {
    const auto total = (co_await client.count_users()).value();
    const auto filter = minapp::where::eq("gender", 2);
    const auto women = (co_await client.count_users(filter)).value();
    std::cout << "users: " << total << " (gender 2: " << women << ")\n";

    // Walk everything with the async generator: one page of 1000 is fetched while the previous
    // one is being processed.
    minapp::user_query query;
    query.keyset = true;
    query.page_size = 1000;
    auto start = clock_type::now();
    auto pager = client.list_users(query);
    std::int64_t seen = 0;
    std::int64_t with_score = 0;
    std::int64_t first_ids[5] = {};
    for (;;) {
        auto user = (co_await pager.next()).value();
        if (!user) {
            break;
        }
        if (seen < 5) {
            first_ids[seen] = user->id;
        }
        ++seen;
        with_score += user->custom_fields.contains("score") ? 1 : 0;
    }
    const double walk = seconds_since(start);
    std::cout << "walked " << seen << " users in " << walk << " s (" << seen / walk
              << " users/s); " << with_score << " have a score\n";

    // Updates: an atomic increment (never retried once sent) and a plain set (retried safely).
    const auto bump = minapp::update().incr_by("score", 10);
    const auto tag = minapp::update().set("test", "demo");
    for (auto id : first_ids) {
        auto bumped = (co_await client.update_user(id, bump)).value();
        (void)(co_await client.update_user(id, tag)).value();
        std::cout << "user " << id << " score -> "
                  << boost::json::serialize(bumped.custom_fields.at("score")) << "\n";
    }
    const auto stats = client.pool_stats();
    std::cout << "requests: " << stats.requests << ", connections opened: "
              << stats.connections_opened << ", TLS handshakes: " << stats.tls_handshakes
              << ", reused exchanges: " << stats.connections_reused << "\n";
    client.shutdown();
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
    asio::io_context ioc;

    minapp::emulator::user_api_config api_config;
    api_config.users_per_environment = users;
    api_config.tokens = {"demo-token"};
    minapp::emulator::user_api api(api_config);
    minapp::emulator::server server(ioc, {}, [&api](const minapp::emulator::api_request& r) {
        return api.handle(r);
    });
    server.start();
    std::cout << "emulator listening on " << server.url() << " with " << users << " users\n";

    minapp::client_options options;
    options.base_url = server.url();
    options.access_token = "demo-token";
    options.pool.tls.ca_pem = server.ca_pem(); // trust the emulator's self-signed certificate
    minapp::client client(ioc.get_executor(), options);

    int status = 1;
    asio::co_spawn(ioc, run(client), [&](std::exception_ptr e, int rc) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::cerr << "demo failed: " << ex.what() << "\n";
            }
        } else {
            status = rc;
        }
        server.stop();
    });
    ioc.run();
    return status;
}
