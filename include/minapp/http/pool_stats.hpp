// Counters of a connection pool.
#pragma once

#include <cstdint>

namespace minapp::http {

/// A snapshot of a pool's counters (monotonic since construction, except `idle` and `in_use`).
struct pool_stats {
    std::uint64_t requests = 0;           ///< send() calls that reached the pool.
    std::uint64_t failures = 0;           ///< send() calls that ended with an error.
    std::uint64_t connections_opened = 0; ///< TCP connections established.
    std::uint64_t connections_closed = 0; ///< Connections closed (discarded, retired or reaped).
    std::uint64_t connections_reused = 0; ///< Exchanges on a connection that served one before.
    std::uint64_t tls_handshakes = 0;     ///< Completed TLS handshakes.
    std::uint64_t tls_resumptions = 0;    ///< Handshakes that resumed an earlier TLS session.
    std::uint64_t stale_discarded = 0;    ///< Idle connections found closed by the server.
    std::uint64_t stale_resends = 0;      ///< Requests re-sent after a reused connection failed.
    std::uint64_t waits = 0;              ///< Callers that had to queue for a connection.
    std::uint64_t wait_timeouts = 0;      ///< Queued callers whose deadline expired.
    std::uint64_t idle = 0;               ///< Connections idle in the pool now.
    std::uint64_t in_use = 0;             ///< Connections checked out or connecting now.
};

} // namespace minapp::http
