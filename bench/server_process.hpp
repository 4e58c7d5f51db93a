// The server under load, in a process of its own: minapp-emulator started with the options a
// scenario needs, pinned to its own CPU, stopped with SIGTERM.
#pragma once

#include <cstdio>
#include <string>
#include <sys/types.h>
#include <vector>

namespace minapp::bench {

/// A running minapp-emulator child process.
class server_process {
public:
    /// Starts `executable` with `args` (plus --port 0 and --ca-out), pinned to `cpu` when >= 0,
    /// and waits for its "listening on URL" line. Throws std::runtime_error on failure.
    server_process(const std::string& executable, std::vector<std::string> args, int cpu);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    const std::string& url() const noexcept { return url_; }
    const std::string& ca_file() const noexcept { return ca_file_; }
    /// "127.0.0.1" and the port, split from the URL.
    const std::string& host() const noexcept { return host_; }
    unsigned short port() const noexcept { return port_; }
    /// The emulator's process id (for its CPU time, `process_cpu_time`).
    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    std::FILE* output_ = nullptr;
    std::string url_;
    std::string ca_file_;
    std::string host_;
    unsigned short port_ = 0;
};

} // namespace minapp::bench
