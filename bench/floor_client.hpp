// The floor: the least a client can do per request. One TLS stream per coroutine, a request and a
// buffer reused for every exchange, `json::parse` of each body; no pool, limiter, retries or
// typed conversion. Every library must justify its cost per request against this loop.
#pragma once

#include "measure.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minapp::bench {

/// The request a reference client (the floor, curl) repeats.
struct reference_request {
    /// Connection c sends to `targets[c % targets.size()]`.
    std::vector<std::string> targets;
    bool put = false; ///< A PUT of `{"score":N}` (application/json) instead of a GET.
};

/// What one reference run did.
struct reference_result {
    std::size_t requests = 0;
    std::size_t errors = 0;
    std::size_t body_bytes = 0;
    std::uint64_t connections = 0; ///< Connections opened (whole run).
    latencies latency;
};

/// Sends `warmup` requests per connection, then `requests` in total over `concurrency`
/// connections to host:port (TLS, verified against `ca_file`); calls `timed_start` once every
/// connection has finished its share of the warm-up, so that CPU and time can be measured from
/// there. A PUT's N is the request's number on its connection.
reference_result run_floor(const std::string& host, unsigned short port, const std::string& ca_file,
                           const std::string& token, const reference_request& request,
                           std::size_t concurrency, std::size_t warmup, std::size_t requests,
                           void (*timed_start)(void*), void* context);

} // namespace minapp::bench
