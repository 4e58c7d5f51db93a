// Lists users with the async generator: every user whose city is Guangzhou (广州), newest first,
// at most 50 of them, 20 per request.
//
//   MINAPP_TOKEN=... [MINAPP_BASE_URL=https://127.0.0.1:8443] [MINAPP_CA_FILE=ca.pem] list_users
//
// Point it at `minapp-emulator` to try it offline (see README.md).
#include <minapp/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<int> list(minapp::client& client) {
    minapp::user_query query;
    query.filter(minapp::where::eq("city", "广州"));
    query.order(minapp::order_by().desc("created_at"));
    query.page_size(20);
    query.max_items(50);

    auto pager = client.list_users(query);
    int count = 0;
    for (;;) {
        auto user = co_await pager.next();
        if (!user) {
            std::cerr << "listing failed: " << user.error().diagnostics.to_string() << "\n";
            co_return 1;
        }
        if (!*user) {
            break;
        }
        std::cout << (*user)->id << "\t" << (*user)->nickname << "\n";
        ++count;
    }
    std::cerr << count << " users\n";
    client.shutdown();
    co_return 0;
}

int main() {
    const char* token = std::getenv("MINAPP_TOKEN");
    if (token == nullptr) {
        std::cerr << "set MINAPP_TOKEN (and MINAPP_BASE_URL for a local emulator)\n";
        return 2;
    }
    minapp::client_options options;
    options.access_token(token);
    if (const char* url = std::getenv("MINAPP_BASE_URL")) {
        options.base_url(url);
    }
    if (const char* ca = std::getenv("MINAPP_CA_FILE")) {
        options.pool().tls().ca_file(ca);
    }

    asio::io_context ioc;
    minapp::client client(ioc.get_executor(), options);
    int status = 1;
    asio::co_spawn(ioc, list(client), [&](std::exception_ptr e, int rc) { status = e ? 1 : rc; });
    ioc.run();
    return status;
}
