#include <minapp/emulator/faults.hpp>

#include <algorithm>
#include <utility>

namespace minapp::emulator {
namespace {

constexpr std::pair<fault_kind, std::string_view> kind_names[] = {
    {fault_kind::http_500, "500"},
    {fault_kind::http_502, "502"},
    {fault_kind::http_503, "503"},
    {fault_kind::http_429, "429"},
    {fault_kind::http_429_retry_after, "429-retry-after"},
    {fault_kind::latency, "latency"},
    {fault_kind::connection_close, "close"},
    {fault_kind::reset_before_handler, "reset-before"},
    {fault_kind::reset_after_handler, "reset-after"},
    {fault_kind::truncated_body, "truncate"},
    {fault_kind::malformed_json, "malformed-json"},
};

// SplitMix64: a counter-based generator, so a draw depends only on its inputs and not on how
// many draws other threads made before it.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double uniform_draw(std::uint64_t seed, std::size_t rule, std::uint64_t number) noexcept {
    const std::uint64_t bits = mix(mix(seed ^ mix(rule)) ^ number);
    return static_cast<double>(bits >> 11) * 0x1.0p-53; // 53 random bits in [0, 1)
}

bool matches(const fault_filter& filter, std::string_view method, std::string_view target) {
    return (filter.method.empty() || filter.method == method) &&
           target.starts_with(filter.path_prefix);
}

bool fires(const fault_rule& rule, std::uint64_t seed, std::size_t index, std::uint64_t number) {
    if (rule.every != 0 && number % rule.every == 0) {
        return true;
    }
    if (std::find(rule.on_requests.begin(), rule.on_requests.end(), number) !=
        rule.on_requests.end()) {
        return true;
    }
    return rule.probability > 0.0 && uniform_draw(seed, index, number) < rule.probability;
}

} // namespace

std::string_view to_string(fault_kind kind) noexcept {
    for (const auto& [k, name] : kind_names) {
        if (k == kind) {
            return name;
        }
    }
    return "unknown";
}

std::optional<fault_kind> parse_fault_kind(std::string_view name) noexcept {
    for (const auto& [k, n] : kind_names) {
        if (n == name) {
            return k;
        }
    }
    return std::nullopt;
}

fault_injector::fault_injector(fault_config config)
    : config_(std::move(config))
    , counters_(config_.rules.size(), 0) {}

void fault_injector::configure(fault_config config) {
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
    counters_.assign(config_.rules.size(), 0);
}

fault_config fault_injector::config() const {
    std::lock_guard lock(mutex_);
    return config_;
}

fault_decision fault_injector::decide(std::string_view method, std::string_view target) {
    fault_decision decision;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < config_.rules.size(); ++i) {
        const fault_rule& rule = config_.rules[i];
        if (!matches(rule.filter, method, target)) {
            continue;
        }
        const std::uint64_t number = ++counters_[i];
        if (!fires(rule, config_.seed, i, number)) {
            continue;
        }
        if (rule.kind == fault_kind::latency) {
            decision.delay += rule.latency;
        } else if (!decision.action) {
            decision.action = rule.kind;
            decision.retry_after = rule.retry_after;
        }
    }
    return decision;
}

} // namespace minapp::emulator
