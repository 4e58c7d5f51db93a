// A real redis-server for the tests, started in a fresh temporary directory and stopped at the
// end: persistence off, on a Unix socket there (no TCP) or on a loopback TCP port.
#pragma once

#include "fleet/redis_connection.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace minapp::test {

/// Owns one redis-server process. The constructor returns once the server answers PING (or
/// throws std::runtime_error after a bounded wait); the destructor stops it with SIGTERM and
/// reaps it, then removes the directory. Should the test process die without running its
/// destructors, the kernel sends the server SIGTERM (PR_SET_PDEATHSIG): no server outlives it.
class redis_server {
public:
    enum class transport { unix_socket, tcp };

    /// `extra` is appended to the command line (e.g. {"--requirepass", "secret"}); `password`
    /// is what the readiness check authenticates with.
    explicit redis_server(transport t = transport::unix_socket, std::vector<std::string> extra = {},
                          const std::string& password = {});
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    /// Where the server listens.
    fleet::redis_address address() const;

    /// Kills the server with SIGKILL (a crash: no goodbye to its clients) and reaps it.
    void kill() noexcept;

    /// Starts it again on the same address, with the same arguments and an empty dataset;
    /// throws std::runtime_error when it does not answer PING in time.
    void restart();

private:
    // Starts the process and waits for PING; false when it exited first (a TCP port taken).
    bool start(const std::vector<std::string>& args, const std::string& password);
    void stop() noexcept;

    std::vector<std::string> args_;
    std::string password_;
    std::filesystem::path dir_;
    transport transport_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

/// A loopback TCP port that was free a moment ago (bound to 127.0.0.1:0, then closed).
std::uint16_t unused_loopback_port();

} // namespace minapp::test
