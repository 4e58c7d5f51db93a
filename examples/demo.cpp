// The quick-start demo: starts the emulator in-process (HTTPS on an ephemeral loopback port, seeded
// users), then uses the client as a service would: count, walk every user with the async
// generator, update every user concurrently under a rate limit while the emulator injects
// faults, batch-update by `where`, and print what it cost.
//
//   demo [users [requests-per-second]]      (default 10000 users, 1000 requests/s)
#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/emulator/faults.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>
#include <minapp/where_update.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

asio::awaitable<int> run(minapp::client& client, minapp::emulator::server& server) {
    const auto total = (co_await client.count_users()).value();
    const auto filter = minapp::where::eq("gender", 2);
    const auto women = (co_await client.count_users(filter)).value();
    std::cout << "users: " << total << " (gender 2: " << women << ")\n";

    // Walk everything with the async generator: one page of 1000 is fetched while the previous
    // one is being processed.
    minapp::user_query query;
    query.keyset(true);
    query.page_size(1000);
    auto start = clock_type::now();
    auto pager = client.list_users(query);
    std::int64_t seen = 0;
    std::int64_t with_score = 0;
    std::vector<std::int64_t> ids;
    for (;;) {
        auto user = (co_await pager.next()).value();
        if (!user) {
            break;
        }
        ids.push_back(user->id);
        ++seen;
        const auto* score = user->custom_fields.if_contains("score");
        with_score += score != nullptr && !score->is_null() ? 1 : 0;
    }
    const double walk = seconds_since(start);
    std::cout << "walked " << seen << " users in " << walk << " s (" << seen / walk << " users/s); "
              << with_score << " have a score\n";

    // A concurrent, rate-limited bulk update of every user, while the emulator injects faults:
    // 2% of updates answer 502 and 1% apply but lose their answer (a reset). The update is a
    // plain set, so both are retried safely; every item ends with an outcome.
    std::vector<minapp::user_update> items;
    items.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        minapp::user_update item;
        item.id = ids[i];
        item.change.set("score", static_cast<std::int64_t>(i % 1000));
        items.push_back(std::move(item));
    }
    minapp::emulator::fault_config faults;
    for (auto [kind, p] : {std::pair{minapp::emulator::fault_kind::http_502, 0.02},
                           std::pair{minapp::emulator::fault_kind::reset_after_handler, 0.01}}) {
        minapp::emulator::fault_rule rule;
        rule.kind = kind;
        rule.probability = p;
        rule.filter.method = "PUT";
        faults.rules.push_back(rule);
    }
    server.faults().configure(faults);
    const auto before = client.pool_stats().requests;
    minapp::bulk_options options;
    options.concurrency(16);
    const bool tty = isatty(STDERR_FILENO) == 1;
    options.on_progress([tty](const minapp::bulk_progress& p) {
        if (tty) {
            std::cerr << "\r  updating: " << p.done << "/" << p.total.value_or(0) << "  "
                      << static_cast<int>(p.rate()) << " users/s  " << p.failed + p.unknown
                      << " not applied" << std::flush;
        }
    });
    const auto report = (co_await minapp::update_users(client, items, options)).value();
    if (tty) {
        std::cerr << "\n";
    }
    const auto& t = report.totals;
    const double took = std::chrono::duration<double>(t.elapsed).count();
    const auto requests = client.pool_stats().requests - before;
    std::cout << "bulk update: " << t.done << " users in " << took << " s, " << requests
              << " requests (" << requests - t.done << " retries), " << requests / took
              << " requests/s against a limit of " << client.rate_limiter()->limit().per_second
              << "/s\n"
              << "  outcomes: " << t.succeeded << " succeeded, " << t.failed << " failed, "
              << t.unknown << " unknown, " << t.not_attempted << " not attempted\n";
    server.faults().configure({});

    // A batch update by `where` that removes its users from the match as it goes: slices of
    // ids from a keyset walk, so nobody is skipped or updated twice.
    const auto low = minapp::where::lt("score", 100);
    const auto raise = minapp::update().incr_by("score", 1000);
    const auto matching = (co_await client.count_users(low)).value();
    const auto batch = (co_await minapp::update_where(client, low, raise)).value();
    const auto left = (co_await client.count_users(low)).value();
    std::cout << "update_where: " << matching << " users had score < 100; " << batch.succeeded
              << " updated in " << batch.requests << " batch requests; " << left
              << " still match\n";

    const auto stats = client.pool_stats();
    std::cout << "requests: " << stats.requests
              << ", connections opened: " << stats.connections_opened
              << ", TLS handshakes: " << stats.tls_handshakes << " (" << stats.tls_resumptions
              << " resumed), reused exchanges: " << stats.connections_reused << "\n";
    client.shutdown();
    const bool complete = seen == total && t.succeeded + t.unknown == t.done && left == 0;
    co_return complete ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
    const double rate = argc > 2 ? std::strtod(argv[2], nullptr) : 1000;
    asio::io_context ioc;

    minapp::emulator::user_api_config api_config;
    api_config.users_per_environment = users;
    api_config.tokens = {"demo-token"};
    minapp::emulator::user_api api(api_config);
    minapp::emulator::server server(
        ioc, {}, [&api](const minapp::emulator::api_request& r) { return api.handle(r); });
    server.start();
    std::cout << "emulator listening on " << server.url() << " with " << users << " users\n";

    minapp::client_options options;
    options.base_url(server.url());
    options.access_token("demo-token");
    options.pool().tls().ca_pem(server.ca_pem()); // trust the emulator's self-signed certificate
    // One budget for everything this client sends (listing, updates, retries).
    options.rate_limit(minapp::rate_limit{rate, 50});
    minapp::client client(ioc.get_executor(), options);

    int status = 1;
    asio::co_spawn(ioc, run(client, server), [&](std::exception_ptr e, int rc) {
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
