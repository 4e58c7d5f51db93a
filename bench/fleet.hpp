// The fleet scenario: several client processes limited by one rate budget in Redis
// (minapp::fleet::redis_budget), or, as the reference, each by a local limit of its share, against
// one emulator. Built only with the fleet library (MINAPP_BENCH_FLEET).
#pragma once

#include "figures.hpp"
#include "scenarios.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace minapp::bench {

/// A throwaway redis-server for the fleet runs (tools/redis_fixture: a temporary directory, a
/// Unix socket, persistence off), stopped when this object goes. It inherits the caller's CPU
/// affinity (the client side's CPU in a pinned run).
class fleet_redis {
public:
    /// Throws std::runtime_error when redis-server cannot be started.
    fleet_redis();
    ~fleet_redis();
    fleet_redis(const fleet_redis&) = delete;
    fleet_redis& operator=(const fleet_redis&) = delete;

    /// The path of its Unix socket.
    std::string socket_path() const;
    /// Its user + system CPU time so far (INFO cpu); -1 µs when it cannot be read.
    std::chrono::microseconds cpu_time() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// The shape of one fleet run.
struct fleet_load {
    double rate = 0;             ///< aggregate target, requests per second
    std::size_t processes = 1;   ///< client processes
    std::size_t concurrency = 1; ///< workers (and at most as many connections) per process
    double warmup_seconds = 0;   ///< load before the timed phase (connections, rate estimates)
    double seconds = 0;          ///< the timed phase
    /// The limiter alone: each worker calls `acquire()` in a loop and sends nothing, so the
    /// figures are the limiter's own cost, free of the HTTP path's noise.
    bool limiter_only = false;
};

/// Forks `load.processes` processes, each running one minapp::client whose `load.concurrency`
/// workers call get_user(id) in a loop (with `limiter_only`, no client: the workers call the
/// limiter's `acquire()`, and a request is an acquisition; scenario "fleet-limiter@RATE"): for
/// `warmup_seconds`, then for the timed phase of `seconds`, which starts and ends at the same
/// instants (steady_clock) in every process. With `redis`, every client's limiter draws on one
/// redis_budget (rate `load.rate`, burst 1, a key of this run's own, fallback `local`,
/// expected_replicas = processes): impl "redis". Without, each client has a local limit of rate /
/// processes (burst 1): impl "local".
///
/// Requests are those completed in the timed phase; the CPU, allocations and Redis round trips
/// are those of the timed phase. The figures are sums over the processes (latencies merged, the
/// largest peak RSS), with the emulator's CPU (process `server_pid`) and redis-server's over the
/// timed phase. Throws std::runtime_error when a process fails (after reaping every one).
figures fleet_run(const target& t, std::int64_t id, const fleet_load& load,
                  const fleet_redis* redis, int server_pid);

} // namespace minapp::bench
