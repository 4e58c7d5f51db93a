// Bulk updates at a bounded rate: every VIP user gets 10 bonus points (one atomic update per
// user, 16 in flight, at most 50 requests per second), then every user in Guangzhou (广州) is
// tagged "south" by batch updates over the `where` (slices of up to 1000 users).
//
//   MINAPP_TOKEN=... [MINAPP_BASE_URL=https://127.0.0.1:8443] [MINAPP_CA_FILE=ca.pem] bulk_update
//
// Point it at `minapp-emulator` to try it offline (see README.md).
#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/where_update.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;

// The client lives in the coroutine: however the coroutine ends (an api_error thrown by a
// value() included), the client shuts down with it and io_context::run() returns.
asio::awaitable<int> run(minapp::client_options options) {
    minapp::client client(co_await asio::this_coro::executor, std::move(options));
    // The items come from the pager as the workers ask for them: memory stays bounded.
    auto pager = client.list_users(
        minapp::user_query().filter(minapp::where::eq("vip", true)).keyset(true).page_size(1000));
    auto source = minapp::update_source::from_async(
        [&pager]() -> asio::awaitable<std::optional<minapp::user_update>> {
            auto user = (co_await pager.next()).value();
            if (!user) {
                co_return std::nullopt;
            }
            co_return minapp::user_update(user->id, minapp::update().incr_by("score", 10));
        });

    // The callbacks are named before the co_await: g++ 12 destroys the captures of a lambda
    // written inside a co_await expression twice (see README, "Compilers").
    auto on_progress = [](const minapp::bulk_progress& p) {
        std::cerr << "\r" << p.done << " done, " << p.failed + p.unknown << " not applied, "
                  << static_cast<int>(p.rate()) << "/s" << std::flush;
    };
    // Outcomes stream out as they are known, instead of piling up in the report.
    auto on_outcome = [](minapp::update_outcome&& o) {
        if (o.status != minapp::outcome_status::succeeded) {
            std::cout << o.id << "\t" << minapp::to_string(o.status) << "\t"
                      << o.error->diagnostics.to_string() << "\n";
        }
    };
    auto report = (co_await minapp::update_users(client, std::move(source),
                                                 minapp::bulk_options()
                                                     .concurrency(16)
                                                     .on_progress(on_progress)
                                                     .on_outcome(on_outcome)))
                      .value();
    std::cerr << "\nbonus: " << report.totals.succeeded << " succeeded, " << report.totals.failed
              << " failed, " << report.totals.unknown << " unknown\n";

    auto tagged = (co_await minapp::update_where(
                       client, minapp::where::eq("city", "广州"),
                       minapp::update().append_unique("tags", minapp::json_array("south"))))
                      .value();
    std::cerr << "tagged: " << tagged.succeeded << " of " << tagged.matched << " matching, "
              << tagged.failed_slices.size() << " failed slices\n";
    co_return report.totals.succeeded == report.totals.done&& tagged.failed_slices.empty() ? 0 : 1;
}

int main() {
    const char* token = std::getenv("MINAPP_TOKEN");
    if (token == nullptr) {
        std::cerr << "set MINAPP_TOKEN (and MINAPP_BASE_URL for a local emulator)\n";
        return 2;
    }
    auto options = minapp::client_options().access_token(token).rate_limit(
        {.per_second = 50, .burst = 10}); // shared by the listing and the updates
    if (const char* url = std::getenv("MINAPP_BASE_URL")) {
        options.base_url(url);
    }
    if (const char* ca = std::getenv("MINAPP_CA_FILE")) {
        options.pool().tls().ca_file(ca);
    }

    asio::io_context ioc;
    int status = 1;
    asio::co_spawn(ioc, run(std::move(options)),
                   [&](std::exception_ptr e, int rc) { status = e ? 1 : rc; });
    ioc.run();
    return status;
}
