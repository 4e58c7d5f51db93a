// The CLI's fleet budget: --rate-redis and its companions turned into the options of a
// minapp::fleet::redis_budget, every mistake found before anything is sent.
#pragma once

#include "command_line.hpp"

#include <minapp/fleet/redis_budget.hpp>

#include <string>
#include <variant>

namespace minapp::cli {

/// The budget `g` asks for (`g.rate_redis` set): its Redis location from the URL, the password
/// read from the file the URL names, the key (`--rate-key`, or the default of `base_url` and the
/// environment), the fleet's rate `--rate` with the CLI's burst (a tenth of it), the fallback and
/// the expected replicas. A string is a usage error: one line, without the password.
std::variant<fleet::redis_budget_options, std::string>
fleet_budget_options(const global_options& g, const std::string& base_url);

/// The burst the CLI gives a rate of `per_second` (a tenth of a second's worth, at least 1).
rate_limit cli_rate_limit(double per_second);

} // namespace minapp::cli
