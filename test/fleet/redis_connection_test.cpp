// fleet::redis_connection against a real redis-server: replies of every kind, deadlines, a
// refused connection, a closed one, AUTH on TCP, and SELECT of a database (after AUTH).
#include "fleet/redis_connection.hpp"
#include "fleet/redis_error.hpp"

#include "redis_server.hpp"
#include "run_sync.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using minapp::fleet::redis_address;
using minapp::fleet::redis_connection;
using minapp::fleet::redis_errc;
using minapp::fleet::redis_options;
using minapp::fleet::redis_reply;
using minapp::test::redis_server;
using minapp::test::run_sync;
using kind = redis_reply::kind;

namespace {

// A server on a Unix socket and a connection to it.
struct unix_redis {
    unix_redis() { BOOST_REQUIRE(!run_sync(ioc, connection.connect(server.address()))); }

    redis_reply command(std::vector<std::string> argv) {
        auto r = run_sync(ioc, connection.command(std::move(argv)));
        BOOST_REQUIRE_MESSAGE(r, "command failed: " << r.error().message());
        return *r;
    }

    redis_server server;
    asio::io_context ioc;
    redis_connection connection{ioc.get_executor()};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(redis_connection_test, unix_redis)

BOOST_AUTO_TEST_CASE(replies_of_every_kind) {
    auto r = command({"SET", "k", "v"});
    BOOST_TEST((r.type() == kind::status));
    BOOST_TEST(r.as_text() == "OK");

    r = command({"GET", "k"});
    BOOST_TEST(r.is_string());
    BOOST_TEST(r.as_text() == "v");

    BOOST_TEST(command({"INCR", "n"}).as_integer() == 1);
    BOOST_TEST(command({"INCRBY", "n", "41"}).as_integer() == 42);
    BOOST_TEST(command({"GET", "missing"}).is_nil());

    // An error reply is an answer, not a failure: the connection stays usable.
    r = command({"INCR", "k"});
    BOOST_TEST(r.is_error());
    BOOST_TEST(r.as_text().starts_with("ERR "));
    BOOST_TEST(connection.is_open());

    // Arguments and values are binary safe.
    const std::string binary("a\0b\r\nc", 6);
    command({"RPUSH", "list", binary, "", "x"});
    r = command({"LRANGE", "list", "0", "-1"});
    BOOST_REQUIRE(r.is_array());
    BOOST_REQUIRE(r.elements().size() == 3u);
    BOOST_TEST(r.elements()[0].as_text() == binary);
    BOOST_TEST(r.elements()[1].is_string());
    BOOST_TEST(r.elements()[1].as_text().empty());
    BOOST_TEST(r.elements()[2].as_text() == "x");

    // Nested arrays and integers inside them.
    r = command({"EVAL", "return {1, {'a', false}, 'b'}", "0"});
    BOOST_REQUIRE(r.elements().size() == 3u);
    BOOST_TEST(r.elements()[0].as_integer() == 1);
    BOOST_REQUIRE(r.elements()[1].elements().size() == 2u);
    BOOST_TEST(r.elements()[1].elements()[1].is_nil());

    // A reply larger than one read.
    const std::string big(100'000, 'z');
    command({"SET", "big", big});
    BOOST_TEST(command({"GET", "big"}).as_text() == big);
}

BOOST_AUTO_TEST_CASE(empty_command_is_refused) {
    BOOST_CHECK_THROW(run_sync(ioc, connection.command({})), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(slow_reply_times_out_and_closes) {
    redis_options fast;
    fast.command_timeout = 50ms;
    redis_connection slow(ioc.get_executor(), fast);
    BOOST_REQUIRE(!run_sync(ioc, slow.connect(server.address())));
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_sync(ioc, slow.command({"DEBUG", "SLEEP", "0.3"}));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == error_code(redis_errc::timeout));
    BOOST_TEST((std::chrono::steady_clock::now() - start < 300ms));
    // Its late reply must never be taken for the answer of another command.
    BOOST_TEST(!slow.is_open());
    const auto after = run_sync(ioc, slow.command({"PING"}));
    BOOST_TEST(after.error() == error_code(redis_errc::connection_closed));
}

BOOST_AUTO_TEST_CASE(server_closing_the_connection) {
    BOOST_TEST(command({"QUIT"}).as_text() == "OK");
    const auto r = run_sync(ioc, connection.command({"PING"}));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == error_code(redis_errc::connection_closed));
    BOOST_TEST(!connection.is_open());
    // connect opens it again.
    BOOST_REQUIRE(!run_sync(ioc, connection.connect(server.address())));
    BOOST_TEST(command({"PING"}).as_text() == "PONG");
}

BOOST_AUTO_TEST_CASE(database_is_selected_when_connecting) {
    redis_options in_three;
    in_three.database = 3;
    redis_connection writer(ioc.get_executor(), in_three);
    BOOST_REQUIRE(!run_sync(ioc, writer.connect(server.address())));
    std::vector<std::string> set{"SET", "budget", "db3"};
    BOOST_REQUIRE(run_sync(ioc, writer.command(std::move(set))));

    redis_connection reader(ioc.get_executor(), in_three);
    BOOST_REQUIRE(!run_sync(ioc, reader.connect(server.address())));
    const auto three = run_sync(ioc, reader.command({"GET", "budget"}));
    BOOST_REQUIRE(three);
    BOOST_TEST(three->as_text() == "db3");

    // The fixture's connection uses database 0, which does not have it.
    BOOST_TEST(command({"GET", "budget"}).is_nil());
    BOOST_TEST(command({"DBSIZE"}).as_integer() == 0);

    // connect selects it again on a new connection.
    BOOST_REQUIRE(!run_sync(ioc, reader.connect(server.address())));
    BOOST_TEST(run_sync(ioc, reader.command({"GET", "budget"}))->as_text() == "db3");
}

BOOST_AUTO_TEST_CASE(database_the_server_does_not_have_fails_connect) {
    for (const int database : {16, -1}) { // the server has databases 0..15
        BOOST_TEST_CONTEXT("database " << database) {
            redis_options options;
            options.database = database;
            redis_connection connection(ioc.get_executor(), options);
            BOOST_TEST(run_sync(ioc, connection.connect(server.address())) ==
                       error_code(redis_errc::error_reply));
            BOOST_TEST(!connection.is_open());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(redis_connection_errors)

BOOST_AUTO_TEST_CASE(connection_refused) {
    asio::io_context ioc;
    redis_connection connection(ioc.get_executor());
    const auto port = minapp::test::unused_loopback_port();
    const auto ec = run_sync(ioc, connection.connect(redis_address::tcp("127.0.0.1", port)));
    BOOST_TEST(ec == asio::error::connection_refused);
    BOOST_TEST(!connection.is_open());

    const auto missing =
        run_sync(ioc, connection.connect(redis_address::unix_socket("/nonexistent/redis.sock")));
    BOOST_TEST((missing == boost::system::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_CASE(server_that_never_answers) {
    // The kernel completes the handshake for a listening socket nobody accepts on.
    asio::io_context ioc;
    asio::ip::tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    redis_options options;
    options.command_timeout = 50ms;
    redis_connection connection(ioc.get_executor(), options);
    const auto port = silent.local_endpoint().port();
    BOOST_REQUIRE(!run_sync(ioc, connection.connect(redis_address::tcp("127.0.0.1", port))));
    const auto r = run_sync(ioc, connection.command({"PING"}));
    BOOST_TEST(r.error() == error_code(redis_errc::timeout));
}

BOOST_AUTO_TEST_CASE(tcp_with_password) {
    const redis_server server(redis_server::transport::tcp, {"--requirepass", "s3cret"}, "s3cret");
    BOOST_TEST(!server.address().is_unix_socket());
    asio::io_context ioc;

    redis_connection anonymous(ioc.get_executor());
    BOOST_REQUIRE(!run_sync(ioc, anonymous.connect(server.address())));
    const auto refused = run_sync(ioc, anonymous.command({"PING"}));
    BOOST_REQUIRE(refused);
    BOOST_TEST(refused->is_error());
    BOOST_TEST(refused->as_text().starts_with("NOAUTH"));

    redis_options wrong;
    wrong.password = "guess";
    redis_connection intruder(ioc.get_executor(), wrong);
    BOOST_TEST(run_sync(ioc, intruder.connect(server.address())) ==
               error_code(redis_errc::error_reply));
    BOOST_TEST(!intruder.is_open());

    redis_options right;
    right.password = "s3cret";
    redis_connection client(ioc.get_executor(), right);
    BOOST_REQUIRE(!run_sync(ioc, client.connect(server.address())));
    const auto pong = run_sync(ioc, client.command({"PING"}));
    BOOST_REQUIRE(pong);
    BOOST_TEST(pong->as_text() == "PONG");
}

BOOST_AUTO_TEST_CASE(select_follows_auth) {
    // A server with a password refuses SELECT before AUTH: both succeed only in that order.
    const redis_server server(redis_server::transport::unix_socket, {"--requirepass", "s3cret"},
                              "s3cret");
    asio::io_context ioc;
    redis_options options;
    options.password = "s3cret";
    options.database = 2;
    redis_connection client(ioc.get_executor(), options);
    BOOST_REQUIRE(!run_sync(ioc, client.connect(server.address())));
    BOOST_REQUIRE(run_sync(ioc, client.command({"SET", "k", "v"})));
    const auto keys = run_sync(ioc, client.command({"INFO", "keyspace"}));
    BOOST_REQUIRE(keys);
    BOOST_TEST(keys->as_text().find("db2:keys=1") != std::string::npos, keys->as_text());

    options.password = "guess";
    redis_connection intruder(ioc.get_executor(), options);
    BOOST_TEST(run_sync(ioc, intruder.connect(server.address())) ==
               error_code(redis_errc::error_reply));
    BOOST_TEST(!intruder.is_open());
}

BOOST_AUTO_TEST_SUITE_END()
