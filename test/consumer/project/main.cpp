// A program built against an installed minapp: parses an origin and runs a pool to shutdown.
#include <minapp/http/connection_pool.hpp>

#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
    auto origin = minapp::http::parse_origin("https://cloud.minapp.com");
    if (!origin) {
        return 1;
    }
    boost::asio::io_context ioc;
    minapp::http::connection_pool pool(ioc.get_executor(), *origin);
    pool.shutdown();
    ioc.run();
    std::cout << "consumer: " << pool.target().to_string() << " max_connections "
              << pool.options().max_connections() << "\n";
    return pool.stats().requests == 0 ? 0 : 1;
}
