// Configuration of the connection layer.
//
// Options are classes with chainable setters (`pool_options().max_connections(32)`), not
// aggregates: g++ 12 destroys an aggregate temporary built inside a `co_await` expression twice
// (GCC PR 99576), and these are built inline by callers (see README, "Compilers").
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

namespace minapp::http {

/// TLS settings of a pool. Verification is on by default: the peer's chain must lead to a trusted
/// CA and the certificate must name the host (SNI is sent for host names). TLS 1.2 is the minimum.
class tls_options {
public:
    tls_options() = default;

    /// Trust the system's CA store (OpenSSL default paths). Default true.
    tls_options& use_system_ca(bool v) {
        use_system_ca_ = v;
        return *this;
    }
    bool use_system_ca() const noexcept { return use_system_ca_; }

    /// An extra PEM file of trusted CAs (for example the emulator's self-signed certificate).
    tls_options& ca_file(std::string v) {
        ca_file_ = std::move(v);
        return *this;
    }
    const std::string& ca_file() const noexcept { return ca_file_; }

    /// Extra trusted CAs given in memory, PEM-encoded (for an in-process emulator).
    tls_options& ca_pem(std::string v) {
        ca_pem_ = std::move(v);
        return *this;
    }
    const std::string& ca_pem() const noexcept { return ca_pem_; }

    /// Disables certificate and host-name verification. Anyone on the network path can then read
    /// the access token: use only against a local test server. The pool logs this once.
    tls_options& insecure_disable_verification(bool v) {
        insecure_disable_verification_ = v;
        return *this;
    }
    bool insecure_disable_verification() const noexcept { return insecure_disable_verification_; }

private:
    bool use_system_ca_ = true;
    std::string ca_file_;
    std::string ca_pem_;
    bool insecure_disable_verification_ = false;
};

/// Limits and timeouts of a connection pool.
class pool_options {
public:
    pool_options() = default;

    /// Connections open at once (idle + in use); callers beyond it wait in FIFO order. Default
    /// 16; 0 is read as 1.
    pool_options& max_connections(std::size_t v) {
        max_connections_ = v;
        return *this;
    }
    std::size_t max_connections() const noexcept { return max_connections_; }

    /// Idle connections are closed after this long (default 30 s); kept below common server
    /// keep-alive timeouts (nginx: 75 s) so the pool rarely picks a connection the server is
    /// about to close.
    pool_options& idle_timeout(std::chrono::milliseconds v) {
        idle_timeout_ = v;
        return *this;
    }
    std::chrono::milliseconds idle_timeout() const noexcept { return idle_timeout_; }

    /// Requests served by one connection before it is retired; 0 (default) = unlimited.
    pool_options& max_requests_per_connection(std::size_t v) {
        max_requests_per_connection_ = v;
        return *this;
    }
    std::size_t max_requests_per_connection() const noexcept {
        return max_requests_per_connection_;
    }

    /// Age after which a connection is retired when it comes back; 0 (default) = unlimited.
    pool_options& max_connection_lifetime(std::chrono::milliseconds v) {
        max_connection_lifetime_ = v;
        return *this;
    }
    std::chrono::milliseconds max_connection_lifetime() const noexcept {
        return max_connection_lifetime_;
    }

    /// Deadline of a `connection_pool::send` called without one (default 30 s). A
    /// `minapp::client` ignores it: each of its attempts gets `client_options::request_timeout`.
    pool_options& request_timeout(std::chrono::milliseconds v) {
        request_timeout_ = v;
        return *this;
    }
    std::chrono::milliseconds request_timeout() const noexcept { return request_timeout_; }

    /// Largest accepted response body (default 16 MiB). A 1000-user page is a few hundred KiB;
    /// custom fields can make it larger, hence the margin.
    pool_options& body_limit(std::size_t v) {
        body_limit_ = v;
        return *this;
    }
    std::size_t body_limit() const noexcept { return body_limit_; }

    /// Largest accepted response header block (default 64 KiB).
    pool_options& header_limit(std::size_t v) {
        header_limit_ = v;
        return *this;
    }
    std::size_t header_limit() const noexcept { return header_limit_; }

    /// Value of the User-Agent header (default "minapp-cpp/0.1").
    pool_options& user_agent(std::string v) {
        user_agent_ = std::move(v);
        return *this;
    }
    const std::string& user_agent() const noexcept { return user_agent_; }

    /// TLS settings (https origins only).
    pool_options& tls(tls_options v) {
        tls_ = std::move(v);
        return *this;
    }
    const tls_options& tls() const noexcept { return tls_; }
    tls_options& tls() noexcept { return tls_; }

private:
    std::size_t max_connections_ = 16;
    std::chrono::milliseconds idle_timeout_{30'000};
    std::size_t max_requests_per_connection_ = 0;
    std::chrono::milliseconds max_connection_lifetime_{0};
    std::chrono::milliseconds request_timeout_{30'000};
    std::size_t body_limit_ = std::size_t{16} * 1024 * 1024;
    std::size_t header_limit_ = std::size_t{64} * 1024;
    std::string user_agent_ = "minapp-cpp/0.1";
    tls_options tls_;
};

} // namespace minapp::http
