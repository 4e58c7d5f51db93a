// The curl reference: libcurl's multi interface, one easy handle per concurrent connection in one
// multi handle, `json::parse` of each body. What a widely used C client costs per request, beside
// the floor's hand-written loop.
#pragma once

#include "floor_client.hpp"

#include <cstddef>
#include <string>

namespace minapp::bench {

/// The floor's run (same arguments, same meaning) with libcurl: HTTP/1.1 keep-alive over TLS to
/// `url` (e.g. https://127.0.0.1:PORT), verified against `ca_file`.
reference_result run_curl(const std::string& url, const std::string& ca_file,
                          const std::string& token, const reference_request& request,
                          std::size_t concurrency, std::size_t warmup, std::size_t requests,
                          void (*timed_start)(void*), void* context);

} // namespace minapp::bench
