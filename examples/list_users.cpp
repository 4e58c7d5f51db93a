// Lists users with the async generator: every user whose city is Guangzhou (广州), newest first,
// at most 50 of them, 20 per request.
//
//   MINAPP_TOKEN=... [MINAPP_BASE_URL=https://127.0.0.1:8443] [MINAPP_CA_FILE=ca.pem] list_users
//
// Point it at `minapp-emulator` to try it offline (see README.md).
#include <minapp/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdlib>
#include <iostream>

namespace asio = boost::asio;

// The client lives in the coroutine: when the coroutine returns, the client shuts down and
// io_context::run() returns with it.
asio::awaitable<int> list(minapp::client_options options) {
    minapp::client client(co_await asio::this_coro::executor, std::move(options));
    auto pager = client.list_users(minapp::user_query()
                                       .filter(minapp::where::eq("city", "广州"))
                                       .order(minapp::order_by().desc("created_at"))
                                       .page_size(20)
                                       .max_items(50));
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
    co_return 0;
}

int main() {
    const char* token = std::getenv("MINAPP_TOKEN");
    if (token == nullptr) {
        std::cerr << "set MINAPP_TOKEN (and MINAPP_BASE_URL for a local emulator)\n";
        return 2;
    }
    auto options = minapp::client_options().access_token(token);
    if (const char* url = std::getenv("MINAPP_BASE_URL")) {
        options.base_url(url);
    }
    if (const char* ca = std::getenv("MINAPP_CA_FILE")) {
        options.pool().tls().ca_file(ca);
    }

    asio::io_context ioc;
    int status = 1;
    asio::co_spawn(ioc, list(std::move(options)),
                   [&](std::exception_ptr e, int rc) { status = e ? 1 : rc; });
    ioc.run();
    return status;
}
