// One request budget for a fleet of processes, kept in Redis: a rate_budget that feeds a
// process's rate_limiter with tokens taken in batches from a GCRA evaluated inside Redis.
#pragma once

#include <minapp/rate_budget.hpp>
#include <minapp/rate_limiter.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace minapp::fleet {

/// What a process does while Redis cannot be reached (refused, no answer within the command
/// timeout, an error reply).
enum class fallback_policy {
    local, ///< a local budget at rate / expected_replicas (the fleet stays near its rate)
    open,  ///< no limit at all (the server's 429s are then the only brake)
    closed ///< calls fail with error::rate_budget_unavailable
};

/// Where the budget lives and how it is shared. Chainable setters, each getter named like its
/// setter; `limit` is required (the fleet's rate, not a process's share).
class redis_budget_options {
public:
    redis_budget_options() = default;

    /// Redis on TCP (default 127.0.0.1:6379).
    redis_budget_options& tcp(std::string host, std::uint16_t port) {
        host_or_path_ = std::move(host);
        port_ = port;
        unix_socket_ = false;
        return *this;
    }
    /// Redis on a Unix socket.
    redis_budget_options& unix_socket(std::string path) {
        host_or_path_ = std::move(path);
        port_ = 0;
        unix_socket_ = true;
        return *this;
    }
    const std::string& host_or_path() const noexcept { return host_or_path_; }
    std::uint16_t port() const noexcept { return port_; }
    bool is_unix_socket() const noexcept { return unix_socket_; }

    /// Sent with AUTH after connecting when not empty. Never logged.
    redis_budget_options& password(std::string v) {
        password_ = std::move(v);
        return *this;
    }
    const std::string& password() const noexcept { return password_; }

    /// The Redis database (SELECT) holding the key; default 0.
    redis_budget_options& database(int v) {
        database_ = v;
        return *this;
    }
    int database() const noexcept { return database_; }

    /// The Redis key of the budget: every process with the same key (and the same `limit`)
    /// shares one budget. See `default_budget_key`.
    redis_budget_options& key(std::string v) {
        key_ = std::move(v);
        return *this;
    }
    const std::string& key() const noexcept { return key_; }

    /// The fleet's rate and burst (the adaptive fields of rate_limit are not used).
    redis_budget_options& limit(rate_limit v) {
        limit_ = v;
        return *this;
    }
    const rate_limit& limit() const noexcept { return limit_; }

    /// While Redis is unreachable (default local).
    redis_budget_options& fallback(fallback_policy v) {
        fallback_ = v;
        return *this;
    }
    fallback_policy fallback() const noexcept { return fallback_; }

    /// How many processes share the budget, for the `local` fallback's share of the rate and
    /// the first batch sizes (default 1: a lone process falls back to the whole rate).
    redis_budget_options& expected_replicas(unsigned v) {
        expected_replicas_ = v;
        return *this;
    }
    unsigned expected_replicas() const noexcept { return expected_replicas_; }

    /// Budget of one Redis command, including connecting (default 50 ms): a slow Redis is an
    /// unavailable one, and requests must not stall behind it.
    redis_budget_options& command_timeout(std::chrono::milliseconds v) {
        command_timeout_ = v;
        return *this;
    }
    std::chrono::milliseconds command_timeout() const noexcept { return command_timeout_; }

    /// Longest time a granted token may wait for a request before it is dropped (default and
    /// maximum 1 s; the budget may use less): unused tokens are lost rather than spent late, so
    /// the fleet errs on the slow side.
    redis_budget_options& max_lease(std::chrono::milliseconds v) {
        max_lease_ = v;
        return *this;
    }
    std::chrono::milliseconds max_lease() const noexcept { return max_lease_; }

private:
    std::string host_or_path_ = "127.0.0.1";
    std::uint16_t port_ = 6379;
    bool unix_socket_ = false;
    std::string password_;
    int database_ = 0;
    std::string key_ = "minapp:rate";
    rate_limit limit_{1};
    fallback_policy fallback_ = fallback_policy::local;
    unsigned expected_replicas_ = 1;
    std::chrono::milliseconds command_timeout_{50};
    std::chrono::milliseconds max_lease_{1000};
};

/// Counters of a budget, monotonic since its creation except `on_redis`.
struct redis_budget_stats {
    std::uint64_t acquires = 0;        ///< token requests Redis answered
    std::uint64_t tokens_granted = 0;  ///< tokens Redis granted this process
    std::uint64_t round_trips = 0;     ///< commands sent to Redis (connecting aside)
    std::uint64_t connects = 0;        ///< connection attempts
    std::uint64_t fallbacks = 0;       ///< times Redis was lost and the fallback took over
    std::uint64_t recoveries = 0;      ///< times the budget returned to Redis after a fallback
    std::uint64_t fallback_tokens = 0; ///< tokens the fallback supplied (local or open)
    std::uint64_t refusals = 0;        ///< times waiting callers were refused (closed)
    std::uint64_t pauses = 0;          ///< fleet-wide cooldowns this process set (429s)
    bool on_redis = false;             ///< tokens come from Redis now
};

/// The Redis key `minapp-cli` and the examples use for the budget of one API origin and
/// environment: "minapp:rate:" + base_url, plus ":" + env_id when there is one.
std::string default_budget_key(const std::string& base_url, const std::string& env_id);

/// A `rate_budget` in Redis (GCRA in one hash, evaluated by a Lua script on Redis's clock):
/// give it to a `rate_limiter` (or use `make_redis_rate_limiter`), then the limiter to clients
/// through `client_options::shared_rate_limiter`.
///
/// Each process keeps at most one Redis request in flight. It takes tokens in batches sized to
/// its demand (its waiting callers plus what its recent rate needs until the next request),
/// reserving the near future of the shared schedule, so that a process under load makes a few
/// requests per second per process, not one per call. A 429 (the limiter's `on_throttled`) sets
/// a cooldown in the same key: every process stops taking tokens until it ends, and drops the
/// tokens it holds when it next asks.
///
/// When Redis fails, the `fallback_policy` applies at once; the budget reconnects with backoff
/// (100 ms doubling to 2 s) while callers wait, and goes back to Redis when it answers.
///
/// Runs on a strand of the executor given to `create`; thread-safe.
class redis_budget final : public rate_budget {
public:
    /// Throws std::invalid_argument for a bad `limit` (see rate_limit), an empty key or
    /// socket path, expected_replicas 0, or timeouts/leases outside (0, 1 s].
    static std::shared_ptr<redis_budget> create(const boost::asio::any_io_executor& executor,
                                                redis_budget_options options);

    ~redis_budget() override;
    redis_budget(const redis_budget&) = delete;
    redis_budget& operator=(const redis_budget&) = delete;

    /// A snapshot of the counters.
    redis_budget_stats stats() const;
    /// The last Redis failure, as text (empty if none); never contains the password.
    std::string last_error() const;
    const redis_budget_options& options() const noexcept;

    void attach(token_sink sink) override;
    void on_demand() noexcept override;
    void on_throttled(std::chrono::steady_clock::duration retry_after) override;
    void detach() noexcept override;

    struct impl;

private:
    explicit redis_budget(std::shared_ptr<impl> i);
    std::shared_ptr<impl> impl_;
};

/// A rate_limiter on a new `redis_budget` (the limiter's `limit()` is the fleet's rate).
std::shared_ptr<rate_limiter> make_redis_rate_limiter(const boost::asio::any_io_executor& executor,
                                                      redis_budget_options options);

} // namespace minapp::fleet
