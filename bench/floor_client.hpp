// The floor: the least a client can do per request. One TLS stream per coroutine, a request and a
// buffer reused for every exchange, `json::parse` of each body; no pool, limiter, retries or
// typed conversion. Every library must justify its cost per request against this loop.
#pragma once

#include "measure.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace minapp::bench {

/// What one floor run did.
struct floor_result {
    std::size_t requests = 0;
    std::size_t errors = 0;
    std::size_t body_bytes = 0;
    latencies latency;
};

/// Sends `warmup` then `requests` GETs of `target` in total over `concurrency` connections to
/// host:port (TLS, verified against `ca_file`); calls `timed_start` once every connection has
/// finished its share of the warm-up, so that CPU and time can be measured from there.
floor_result run_floor(const std::string& host, unsigned short port, const std::string& ca_file,
                       const std::string& token, const std::string& target, std::size_t concurrency,
                       std::size_t warmup, std::size_t requests, void (*timed_start)(void*),
                       void* context);

} // namespace minapp::bench
