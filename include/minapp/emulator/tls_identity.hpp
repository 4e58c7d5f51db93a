// A TLS server identity (certificate + private key, PEM) for the emulator and for tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace minapp::emulator {

/// A certificate chain and its private key, both PEM-encoded.
struct tls_identity {
    tls_identity() = default;
    tls_identity(std::string certificate, std::string private_key)
        : certificate_pem(std::move(certificate))
        , private_key_pem(std::move(private_key)) {}

    std::string certificate_pem; ///< The (self-signed) certificate; also usable as the CA file.
    std::string private_key_pem; ///< The matching private key.
};

/// Generates a self-signed certificate (ECDSA P-256, valid from yesterday for 30 days) whose
/// subject alternative names are `dns_names` plus the IP addresses in `ip_addresses`. The
/// certificate is its own CA: a client trusts it by loading `certificate_pem` as a CA file. Throws
/// std::runtime_error if OpenSSL fails.
tls_identity make_self_signed_identity(const std::vector<std::string>& dns_names,
                                       const std::vector<std::string>& ip_addresses = {
                                           "127.0.0.1"});

/// Reads a certificate chain and key from PEM files. Throws std::runtime_error on I/O errors.
tls_identity load_identity(const std::string& certificate_path, const std::string& key_path);

} // namespace minapp::emulator
