// Deterministic fault injection for the emulator's HTTP server: which requests misbehave, and how.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minapp::emulator {

/// A way the server can misbehave on one request.
enum class fault_kind {
    http_500,             ///< 500 with a JSON error body; the handler does not run.
    http_502,             ///< 502 with a JSON error body; the handler does not run.
    http_503,             ///< 503 with a JSON error body; the handler does not run.
    http_429,             ///< 429 without Retry-After; the handler does not run.
    http_429_retry_after, ///< 429 with `Retry-After: <fault_rule::retry_after>`; no handler.
    latency,              ///< The response is held back by `fault_rule::latency` (a timer), after
                          ///< the handler ran. Combines with any other fault.
    connection_close,     ///< The handler's response carries `Connection: close`, then the server
                          ///< closes the connection.
    reset_before_handler, ///< The connection is reset (RST) before the handler sees the request.
    reset_after_handler,  ///< The handler applies the request, then the connection is reset
                          ///< instead of answering: the client cannot know it was applied.
    truncated_body,       ///< The handler runs; Content-Length announces the full body, half of it
                          ///< is sent, then the connection is closed.
    malformed_json,       ///< The handler runs; its status is kept but the body is cut in half and
                          ///< suffixed so that it is never valid JSON.
};

/// Every fault kind, in declaration order.
inline constexpr fault_kind all_fault_kinds[] = {
    fault_kind::http_500,
    fault_kind::http_502,
    fault_kind::http_503,
    fault_kind::http_429,
    fault_kind::http_429_retry_after,
    fault_kind::latency,
    fault_kind::connection_close,
    fault_kind::reset_before_handler,
    fault_kind::reset_after_handler,
    fault_kind::truncated_body,
    fault_kind::malformed_json,
};

/// The command-line and JSON name of a kind: "500", "502", "503", "429", "429-retry-after",
/// "latency", "close", "reset-before", "reset-after", "truncate", "malformed-json".
std::string_view to_string(fault_kind kind) noexcept;

/// The kind named `name` (see to_string), or nullopt.
std::optional<fault_kind> parse_fault_kind(std::string_view name) noexcept;

/// Restricts a rule to some requests. Empty members match everything.
struct fault_filter {
    fault_filter() = default;

    std::string method;      ///< Exact method, e.g. "PUT".
    std::string path_prefix; ///< Prefix of the request target, e.g. "/oserve/v2.6/".
};

/// One kind of fault and when it fires. Each rule numbers the requests its filter matches 1, 2,
/// 3, ... (the request number); the rule fires when any of its triggers does.
struct fault_rule {
    fault_rule() = default;

    fault_kind kind = fault_kind::http_500;
    /// Probability per matching request, in [0, 1]. The draw is a pure function of the seed, the
    /// rule's position and the request number, so concurrency cannot change the sequence.
    double probability = 0.0;
    /// Fires on request numbers every, 2*every, ...; 0 = never.
    std::uint64_t every = 0;
    /// Explicit request numbers (1-based) that fire.
    std::vector<std::uint64_t> on_requests;
    /// Which requests the rule considers.
    fault_filter filter;
    /// Delay added by fault_kind::latency.
    std::chrono::milliseconds latency{200};
    /// Retry-After value sent by fault_kind::http_429_retry_after.
    std::chrono::seconds retry_after{1};
};

/// The seed used when none is given, so that runs are reproducible by default.
inline constexpr std::uint64_t default_fault_seed = 0x6d696e617070; // "minapp"

/// A set of rules plus the seed of their probability draws.
struct fault_config {
    fault_config() = default;
    fault_config(std::uint64_t draw_seed, std::vector<fault_rule> fault_rules)
        : seed(draw_seed)
        , rules(std::move(fault_rules)) {}

    std::uint64_t seed = default_fault_seed;
    std::vector<fault_rule> rules;
};

/// What happens to one request. `action` is the first firing non-latency rule (in rule order);
/// `delay` is the sum of the firing latency rules.
struct fault_decision {
    fault_decision() = default;

    std::optional<fault_kind> action;
    std::chrono::milliseconds delay{0};
    std::chrono::seconds retry_after{0}; ///< For fault_kind::http_429_retry_after.

    /// True when the request is served normally.
    bool none() const noexcept { return !action && delay.count() == 0; }
};

/// Decides, request by request, which faults fire.
///
/// Thread safety: all member functions may be called concurrently; decide() calls are
/// serialised, so request numbers follow the order in which decide() is entered.
class fault_injector {
public:
    /// Starts with `config` and request numbers at zero.
    explicit fault_injector(fault_config config = {});

    /// Replaces the rules and seed and restarts every rule's request numbering.
    void configure(fault_config config);

    /// The current configuration.
    fault_config config() const;

    /// Advances the request number of every rule whose filter matches `method` and `target` and
    /// returns the resulting decision.
    fault_decision decide(std::string_view method, std::string_view target);

private:
    mutable std::mutex mutex_;
    fault_config config_;
    std::vector<std::uint64_t> counters_; ///< Matching requests seen, per rule.
};

} // namespace minapp::emulator
