// A small service built against an installed minapp, as the README writes one: the in-process
// emulator (the emulator component), a client built inside the coroutine with inline options,
// a count, a pager loop and a walk left early, a rate-limited bulk update with inline options,
// diagnostics of a failed call, and a client on a fleet budget (the fleet component) whose Redis
// is not there, so its `open` fallback lets calls through. The clients live in the coroutine, so
// run() returns when the work is done.
#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/user_api.hpp>
#include <minapp/fleet/redis_budget.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;

asio::awaitable<int> service(std::string url, std::string ca) {
    minapp::client client(co_await asio::this_coro::executor,
                          minapp::client_options()
                              .base_url(url)
                              .access_token("consumer-token")
                              .rate_limit({.per_second = 400, .burst = 20})
                              .pool(minapp::http::pool_options().tls(
                                  minapp::http::tls_options().use_system_ca(false).ca_pem(ca))));

    const auto women = (co_await client.count_users(minapp::where::eq("gender", 2))).value();

    auto pager = client.list_users(
        minapp::user_query().filter(minapp::where::eq("gender", 2)).page_size(50));
    std::vector<minapp::user_update> items;
    while (auto user = co_await pager.next_or_throw()) {
        items.emplace_back(user->id, minapp::update().incr_by("score", 1));
    }

    auto early = client.list_users(minapp::user_query().page_size(10));
    for (int i = 0; i < 3; ++i) {
        (void)co_await early.next_or_throw(); // then leave: the pager cancels its prefetch
    }

    std::size_t progress_calls = 0;
    auto on_progress = [&progress_calls](const minapp::bulk_progress&) {
        ++progress_calls;
    };
    const auto report =
        (co_await minapp::update_users(
             client, items, minapp::bulk_options().concurrency(8).on_progress(on_progress)))
            .value();

    auto budget = minapp::fleet::redis_budget::create(
        co_await asio::this_coro::executor,
        minapp::fleet::redis_budget_options()
            .unix_socket("/nonexistent/minapp-consumer/redis.sock")
            .key(minapp::fleet::default_budget_key(url, ""))
            .limit({.per_second = 400, .burst = 20})
            .fallback(minapp::fleet::fallback_policy::open));
    minapp::client fleet_client(
        co_await asio::this_coro::executor,
        minapp::client_options()
            .base_url(url)
            .access_token("consumer-token")
            .shared_rate_limiter(
                std::make_shared<minapp::rate_limiter>(budget->options().limit(), budget))
            .pool(minapp::http::pool_options().tls(
                minapp::http::tls_options().use_system_ca(false).ca_pem(ca))));
    const auto through_fallback = (co_await fleet_client.count_users()).value();
    const auto fleet = budget->stats();

    auto missing = co_await client.get_user(1);
    std::cout << "consumer: " << women << " women, " << report.totals.succeeded
              << " updated, progress " << progress_calls << ", missing user: "
              << (missing ? "found?" : missing.error().diagnostics.to_string())
              << "; through the open fallback: " << through_fallback << " users, "
              << fleet.fallbacks << " fallback\n";
    const bool ok = static_cast<std::size_t>(women) == items.size() &&
                    report.totals.succeeded == items.size() && !missing &&
                    missing.error().code == minapp::error::not_found && through_fallback == 300 &&
                    fleet.fallbacks == 1 && fleet.fallback_tokens >= 1;
    co_return ok ? 0 : 1;
}

int main() {
    asio::io_context ioc;
    minapp::emulator::user_api_config config;
    config.users_per_environment = 300;
    config.tokens = {"consumer-token"};
    minapp::emulator::user_api api(config);
    minapp::emulator::server server(ioc, minapp::emulator::server_options(),
                                    [&api](const auto& request) { return api.handle(request); });
    server.start();
    int status = 1;
    asio::co_spawn(ioc, service(server.url(), server.ca_pem()), [&](std::exception_ptr e, int rc) {
        status = e ? 2 : rc;
        server.stop();
    });
    ioc.run();
    return status;
}
