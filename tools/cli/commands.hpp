// Running one parsed `minapp` command against a client.
#pragma once

#include "command_line.hpp"

#include <minapp/client.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <ostream>
#include <string>

namespace minapp::cli {

/// Exit statuses of the tool.
enum exit_status : int {
    exit_ok = 0,
    exit_usage = 2,        ///< bad arguments or input, found before anything was sent
    exit_rejected = 3,     ///< the API answered 4xx
    exit_failed = 4,       ///< network or server failure after retries
    exit_bulk_partial = 5, ///< a bulk run with items not applied
};

/// The contents of a file holding a secret (a token, a password) without its trailing line
/// end, or nullopt when it cannot be read.
std::optional<std::string> read_secret_file(const std::string& path);

/// The exit status for a failed call.
int exit_status_for(const failure& f);

/// Where a command writes: results to `out`, messages and progress to `err`.
struct command_io {
    std::ostream& out;
    std::ostream& err;
    bool progress = false;       ///< draw a progress bar on `err`
    std::size_t concurrency = 0; ///< --concurrency; 0 for the command's default
    /// --allow-builtin-field-updates (the client must be built with the same setting).
    bool allow_builtin_field_updates = false;
};

/// Checks the command's own arguments (ids, JSON documents, input files) before anything is
/// sent, then runs it; returns the exit status. Errors are reported on `io.err` in one line.
boost::asio::awaitable<int> run_command(client& c, const command& cmd, command_io io);

} // namespace minapp::cli
