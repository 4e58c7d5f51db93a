#include "fleet_budget.hpp"

#include "fleet/redis_url.hpp"

#include <algorithm>

namespace minapp::cli {

rate_limit cli_rate_limit(double per_second) {
    return rate_limit{per_second, std::max(1.0, per_second / 10)};
}

std::variant<fleet::redis_budget_options, std::string>
fleet_budget_options(const global_options& g, const std::string& base_url) {
    const auto where = fleet::parse_redis_url(g.rate_redis.value_or(""));
    if (!where) {
        return "--rate-redis: " + where.error().message;
    }
    fleet::redis_budget_options o;
    const auto& a = where->address;
    if (a.is_unix_socket()) {
        o.unix_socket(a.host_or_path());
    } else {
        o.tcp(a.host_or_path(), a.port());
    }
    if (where->password_file) {
        auto password = fleet::read_password_file(*where->password_file);
        if (!password) {
            return "--rate-redis: " + password.error().message;
        }
        o.password(std::move(*password));
    }
    const fleet::fallback_policy policies[] = {fleet::fallback_policy::local,
                                               fleet::fallback_policy::open,
                                               fleet::fallback_policy::closed};
    o.database(where->database)
        .key(g.rate_key.value_or(fleet::default_budget_key(base_url, g.env_id)))
        .limit(cli_rate_limit(g.rate.value_or(1)))
        .fallback(policies[static_cast<int>(g.rate_fallback)])
        .expected_replicas(static_cast<unsigned>(g.expected_replicas));
    return o;
}

} // namespace minapp::cli
