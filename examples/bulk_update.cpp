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

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<int> run(minapp::client& client) {
    // The items come from the pager as the workers ask for them: memory stays bounded.
    minapp::user_query vips;
    vips.filter(minapp::where::eq("vip", true));
    vips.keyset(true);
    vips.page_size(1000);
    auto pager = client.list_users(vips);
    auto source = minapp::update_source::from_async(
        [&pager]() -> asio::awaitable<std::optional<minapp::user_update>> {
            auto user = (co_await pager.next()).value();
            if (!user) {
                co_return std::nullopt;
            }
            minapp::user_update item;
            item.id = user->id;
            item.change.incr_by("score", 10);
            co_return item;
        });

    minapp::bulk_options options;
    options.concurrency(16);
    options.on_progress([](const minapp::bulk_progress& p) {
        std::cerr << "\r" << p.done << " done, " << p.failed + p.unknown << " not applied, "
                  << static_cast<int>(p.rate()) << "/s" << std::flush;
    });
    // Outcomes stream out as they are known, instead of piling up in the report.
    options.on_outcome([](minapp::update_outcome&& o) {
        if (o.status != minapp::outcome_status::succeeded) {
            std::cout << o.id << "\t" << minapp::to_string(o.status) << "\t"
                      << o.error->diagnostics.to_string() << "\n";
        }
    });
    auto report = (co_await minapp::update_users(client, std::move(source), options)).value();
    std::cerr << "\nbonus: " << report.totals.succeeded << " succeeded, " << report.totals.failed
              << " failed, " << report.totals.unknown << " unknown\n";

    minapp::update tag;
    tag.append_unique("tags", boost::json::array{"south"});
    auto tagged =
        (co_await minapp::update_where(client, minapp::where::eq("city", "广州"), tag)).value();
    std::cerr << "tagged: " << tagged.succeeded << " of " << tagged.matched << " matching, "
              << tagged.failed_slices.size() << " failed slices\n";
    client.shutdown();
    co_return report.totals.succeeded == report.totals.done&& tagged.failed_slices.empty() ? 0 : 1;
}

int main() {
    const char* token = std::getenv("MINAPP_TOKEN");
    if (token == nullptr) {
        std::cerr << "set MINAPP_TOKEN (and MINAPP_BASE_URL for a local emulator)\n";
        return 2;
    }
    minapp::client_options options;
    options.access_token(token);
    options.rate_limit(minapp::rate_limit{50, 10}); // shared by the listing and the updates
    if (const char* url = std::getenv("MINAPP_BASE_URL")) {
        options.base_url(url);
    }
    if (const char* ca = std::getenv("MINAPP_CA_FILE")) {
        options.pool().tls().ca_file(ca);
    }

    asio::io_context ioc;
    minapp::client client(ioc.get_executor(), options);
    int status = 1;
    asio::co_spawn(ioc, run(client), [&](std::exception_ptr e, int rc) { status = e ? 1 : rc; });
    ioc.run();
    return status;
}
