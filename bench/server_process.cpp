#include "server_process.hpp"

#include "measure.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace minapp::bench {

server_process::server_process(const std::string& executable, std::vector<std::string> args,
                               int cpu) {
    ca_file_ = "/tmp/minapp-bench-ca-" + std::to_string(getpid()) + ".pem";
    args.insert(args.begin(), {executable, "--port", "0", "--ca-out", ca_file_});
    int out[2];
    if (pipe(out) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_ = fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        if (cpu >= 0) {
            pin_to_cpu(cpu);
        }
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        execv(executable.c_str(), argv.data());
        std::_Exit(127);
    }
    close(out[1]);
    // The first line is "listening on URL"; seeding a million users takes a few seconds.
    FILE* in = fdopen(out[0], "r");
    char line[512] = {};
    if (in == nullptr || std::fgets(line, sizeof line, in) == nullptr) {
        throw std::runtime_error("minapp-emulator did not start (" + executable + ")");
    }
    std::string first(line);
    const std::string prefix = "listening on ";
    if (first.rfind(prefix, 0) != 0) {
        throw std::runtime_error("unexpected first line from minapp-emulator: " + first);
    }
    url_ = first.substr(prefix.size());
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) {
        url_.pop_back();
    }
    const auto scheme_end = url_.find("://");
    const auto colon = url_.rfind(':');
    host_ = url_.substr(scheme_end + 3, colon - scheme_end - 3);
    port_ = static_cast<unsigned short>(std::stoi(url_.substr(colon + 1)));
    // The emulator prints only its start-up lines: the pipe stays open until it exits.
    output_ = in;
}

server_process::~server_process() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    if (output_ != nullptr) {
        std::fclose(output_);
    }
    std::remove(ca_file_.c_str());
}

} // namespace minapp::bench
