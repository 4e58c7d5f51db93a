// The minapp-emulator executable end to end: start on port 0, read the URL from the first line,
// talk to it, stop it with SIGTERM.
#include "test_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace asio = boost::asio;
using namespace minapp::emulator::test;

namespace {

/// A child process whose stdout is a pipe.
class child_process {
public:
    explicit child_process(const std::vector<std::string>& args) {
        int fds[2];
        if (pipe(fds) != 0) {
            throw std::runtime_error("pipe failed");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        std::vector<char*> argv;
        for (const std::string& arg : args) {
            argv.push_back(const_cast<char*>(arg.c_str()));
        }
        argv.push_back(nullptr);
        const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        out_ = fds[0];
        if (rc != 0) {
            close(out_);
            throw std::runtime_error("posix_spawn failed");
        }
    }

    ~child_process() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        close(out_);
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// One line of stdout (without the newline); throws after 60 s without one.
    std::string read_line() {
        std::string line;
        char c = 0;
        for (;;) {
            pollfd p{out_, POLLIN, 0};
            if (poll(&p, 1, 60'000) != 1 || read(out_, &c, 1) != 1) {
                throw std::runtime_error("no line from the emulator");
            }
            if (c == '\n') {
                return line;
            }
            line += c;
        }
    }

    /// Sends `signal` and returns the exit status (-1 unless it exited normally).
    int stop(int signal) {
        kill(pid_, signal);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
};

std::uint16_t port_of(const std::string& url) {
    return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

std::string read_file(const std::string& path) {
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_executable)

BOOST_AUTO_TEST_CASE(serves_the_user_api_with_faults_and_inspection_then_exits_cleanly) {
    const std::string ca_path = "emulator_executable_test_ca.pem";
    std::remove(ca_path.c_str());
    child_process emulator({MINAPP_EMULATOR_PATH, "--port", "0", "--users", "30", "--token", "tok",
                            "--fault-every", "503=3", "--ca-out", ca_path});
    const std::string first = emulator.read_line();
    BOOST_TEST_REQUIRE(first.starts_with("listening on https://127.0.0.1:"));
    BOOST_TEST(emulator.read_line() == "CA certificate written to " + ca_path);
    const std::string ca = read_file(ca_path);
    BOOST_TEST_REQUIRE(!ca.empty());
    const std::uint16_t port = port_of(first);

    asio::io_context io;
    run_bounded(io,
                [&]() -> asio::awaitable<void> {
                    auto c = co_await test_connection::connect(port, ca);
                    http_request list;
                    list.target = "/oserve/v2.2/miniapp/user_profile/?limit=5";
                    list.headers = {{"Authorization", "Bearer tok"}};
                    const http_result r1 = co_await c->send(list);
                    BOOST_TEST(r1.status == 200u);
                    const auto page = boost::json::parse(r1.body).as_object();
                    BOOST_TEST(page.at("objects").as_array().size() == 5u);
                    BOOST_TEST((co_await c->send(list)).status == 200u);
                    BOOST_TEST((co_await c->send(list)).status == 503u);

                    const auto id = page.at("objects").as_array().at(0).at("id").as_int64();
                    http_request stored;
                    stored.target = "/_emulator/users/" + std::to_string(id) + "/";
                    const http_result user = co_await c->send(stored);
                    BOOST_TEST(user.status == 200u);
                    BOOST_TEST(boost::json::parse(user.body).at("id").as_int64() == id);

                    http_request stats;
                    stats.target = "/_emulator/stats";
                    const http_result s = co_await c->send(stats);
                    const auto counters = boost::json::parse(s.body).as_object();
                    BOOST_TEST(counters.at("requests_total").as_int64() == 3);
                    BOOST_TEST(counters.at("faults").at("503").as_int64() == 1);
                },
                {});
    BOOST_TEST(emulator.stop(SIGTERM) == 0);
    std::remove(ca_path.c_str());
}

BOOST_AUTO_TEST_CASE(registers_clients_from_secret_files) {
    const std::string secret_path = "emulator_executable_test_secret";
    std::ofstream(secret_path) << "exe-s3cret\n";
    child_process emulator({MINAPP_EMULATOR_PATH, "--port", "0", "--users", "3", "--plain-http",
                            "--client", "exe-client:" + secret_path, "--token-ttl", "30"});
    const std::uint16_t port = port_of(emulator.read_line());
    asio::io_context io;
    run_bounded(io,
                [&]() -> asio::awaitable<void> {
                    auto c = co_await test_connection::connect(port, "");
                    http_request authorize;
                    authorize.method = "POST";
                    authorize.target = "/api/oauth2/hydrogen/openapi/authorize/";
                    authorize.headers = {{"Content-Type", "application/json"}};
                    authorize.body = R"({"client_id":"exe-client","client_secret":"exe-s3cret"})";
                    const http_result started = co_await c->send(authorize);
                    BOOST_TEST(started.status == 302u);
                    BOOST_TEST(started.header_values("Set-Cookie").size() == 1u);
                    authorize.body = R"({"client_id":"exe-client","client_secret":"exe-s3cret\n"})";
                    BOOST_TEST((co_await c->send(authorize)).status == 401u);

                    http_request stats;
                    stats.target = "/_emulator/stats";
                    const http_result s = co_await c->send(stats);
                    const auto counters = boost::json::parse(s.body).as_object();
                    BOOST_TEST(counters.at("auth").at("flows_started").as_int64() == 1);
                },
                {});
    BOOST_TEST(emulator.stop(SIGTERM) == 0);
    std::remove(secret_path.c_str());

    // An unreadable secret file is a usage error: exit status 2, nothing on stdout.
    child_process bad({MINAPP_EMULATOR_PATH, "--client", "x:emulator_executable_test_missing"});
    BOOST_CHECK_THROW(bad.read_line(), std::runtime_error);
    BOOST_TEST(bad.stop(0) == 2);
}

BOOST_AUTO_TEST_CASE(rejects_an_unknown_option) {
    child_process emulator({MINAPP_EMULATOR_PATH, "--no-such-option"});
    BOOST_CHECK_THROW(emulator.read_line(), std::runtime_error); // nothing on stdout
    BOOST_TEST(emulator.stop(0) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
