#include "redis_server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace minapp::test {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

fs::path find_redis_server() {
    if (const char* path = std::getenv("PATH")) {
        const std::string dirs(path);
        std::size_t begin = 0;
        while (begin <= dirs.size()) {
            const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
            const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / "redis-server";
            if (end > begin && ::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
            begin = end + 1;
        }
    }
    return "/usr/bin/redis-server";
}

// One connect + PING (+ AUTH) under short deadlines.
asio::awaitable<bool> answers_ping(fleet::redis_address address, std::string password) {
    fleet::redis_options options;
    options.connect_timeout = 200ms;
    options.command_timeout = 200ms;
    options.password = std::move(password);
    fleet::redis_connection connection(co_await asio::this_coro::executor, options);
    if (co_await connection.connect(std::move(address))) {
        co_return false;
    }
    std::vector<std::string> ping{"PING"};
    const auto reply = co_await connection.command(std::move(ping));
    co_return reply && reply->is_status() && reply->as_text() == "PONG";
}

} // namespace

std::uint16_t unused_loopback_port() {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

redis_server::redis_server(transport t, std::vector<std::string> extra, const std::string& password)
    : transport_(t) {
    std::string pattern = (fs::temp_directory_path() / "minapp-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("redis_server: mkdtemp failed");
    }
    dir_ = pattern;
    // A port may be taken between choosing and binding it: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::vector<std::string> args{"--dir", dir_.string(), "--save", "", "--appendonly", "no",
                                      "--daemonize", "no", "--logfile",
                                      (dir_ / "redis.log").string(),
                                      // DEBUG SLEEP makes a slow server for the timeout tests.
                                      "--enable-debug-command", "local"};
        if (transport_ == transport::unix_socket) {
            args.insert(args.end(),
                        {"--port", "0", "--unixsocket", (dir_ / "redis.sock").string()});
        } else {
            port_ = unused_loopback_port();
            args.insert(args.end(), {"--port", std::to_string(port_), "--bind", "127.0.0.1"});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        if (start(args, password)) {
            args_ = std::move(args);
            password_ = password;
            return;
        }
        if (transport_ == transport::unix_socket) {
            break;
        }
    }
    fs::remove_all(dir_);
    throw std::runtime_error("redis_server: redis-server did not start");
}

bool redis_server::start(const std::vector<std::string>& args, const std::string& password) {
    const std::string program = find_redis_server().string();
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) {
        return false;
    }
    if (pid_ == 0) {
        // The child (only async-signal-safe calls until exec): the server must not outlive a
        // test process that dies without running its destructors (a crash, SIGPIPE, a kill).
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    // Polls until PING is answered, with a bounded deadline; an exited server ends it early.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        asio::io_context ioc;
        bool ready = false;
        asio::co_spawn(ioc, answers_ping(address(), password),
                       [&](std::exception_ptr, bool ok) { ready = ok; });
        ioc.run();
        if (ready) {
            return true;
        }
        std::this_thread::sleep_for(10ms); // polling interval, not synchronisation
    }
    stop();
    return false;
}

void redis_server::stop() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
}

void redis_server::kill() noexcept {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
}

void redis_server::restart() {
    kill();
    if (!start(args_, password_)) {
        throw std::runtime_error("redis_server: redis-server did not restart");
    }
}

redis_server::~redis_server() {
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

fleet::redis_address redis_server::address() const {
    if (transport_ == transport::unix_socket) {
        return fleet::redis_address::unix_socket((dir_ / "redis.sock").string());
    }
    return fleet::redis_address::tcp("127.0.0.1", port_);
}

} // namespace minapp::test
