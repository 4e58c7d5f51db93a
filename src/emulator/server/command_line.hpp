// The command line of the minapp-emulator executable, parsed by hand (Boost.Program_options is
// not a dependency of this project).
#pragma once

#include <minapp/emulator/auth.hpp>
#include <minapp/emulator/server.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace minapp::emulator::detail {

/// Everything the executable was asked to do.
struct command_line {
    bool help = false;
    /// The server's options; inspection is on unless --no-inspection was given.
    server_options server;
    std::string cert_file; ///< --cert (with key_file)
    std::string key_file;  ///< --key (with cert_file)
    std::optional<std::size_t> users;
    std::optional<std::uint64_t> seed;
    /// --token values followed by the comma-separated MINAPP_EMULATOR_TOKENS; empty = default.
    std::vector<std::string> tokens;
    std::vector<std::string> environments;
    /// --client ID:SECRET_FILE values, the secrets read from their files.
    std::vector<oauth_client> clients;
    /// --token-ttl; nullopt = user_api_config's default.
    std::optional<std::chrono::seconds> token_ttl;
};

/// Parses `argv[1..argc)`; `env_tokens` is the MINAPP_EMULATOR_TOKENS variable (may be null).
/// Options take their value as the next argument or after '='. Reads the secret files of
/// --client. Throws std::invalid_argument with a message naming the offending option (and never
/// quoting a secret).
command_line parse_command_line(int argc, const char* const* argv, const char* env_tokens);

/// The --help text.
const char* usage() noexcept;

} // namespace minapp::emulator::detail
