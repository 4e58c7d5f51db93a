// Configuration of the connection layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace minapp::http {

/// TLS settings of a pool. Verification is on by default: the peer's chain must lead to a trusted
/// CA and the certificate must name the host (SNI is sent for host names). TLS 1.2 is the minimum.
struct tls_options {
    /// Trust the system's CA store (OpenSSL default paths).
    bool use_system_ca = true;
    /// An extra PEM file of trusted CAs (for example the emulator's self-signed certificate).
    std::string ca_file;
    /// Extra trusted CAs given in memory, PEM-encoded (for an in-process emulator).
    std::string ca_pem;
    /// Disables certificate and host-name verification. Anyone on the network path can then read
    /// the access token: use only against a local test server. The pool logs this once.
    bool insecure_disable_verification = false;
};

/// Limits and timeouts of a connection pool.
struct pool_options {
    /// Connections open at once (idle + in use). Callers beyond it wait in FIFO order.
    std::size_t max_connections = 16;
    /// Idle connections are closed after this long; kept below common server keep-alive timeouts
    /// (nginx: 75 s) so the pool rarely picks a connection the server is about to close.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Requests served by one connection before it is retired; 0 = unlimited.
    std::size_t max_requests_per_connection = 0;
    /// Age after which a connection is retired when it comes back; 0 = unlimited.
    std::chrono::milliseconds max_connection_lifetime{0};
    /// Deadline of a request sent without an explicit one: connect, handshake, write and read.
    std::chrono::milliseconds request_timeout{30'000};
    /// Largest accepted response body. A 1000-user page is a few hundred KiB; custom fields can
    /// make it larger, hence the margin.
    std::size_t body_limit = std::size_t{16} * 1024 * 1024;
    /// Largest accepted response header block.
    std::size_t header_limit = std::size_t{64} * 1024;
    /// Value of the User-Agent header.
    std::string user_agent = "minapp-cpp/0.1";
    /// TLS settings (https origins only).
    tls_options tls;
};

} // namespace minapp::http
