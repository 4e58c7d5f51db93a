#include <minapp/emulator/tls_identity.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace minapp::emulator {
namespace {

template <auto Free>
struct deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free>>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("make_self_signed_identity: ") + what + " failed");
    }
}

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

void add_extension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    const int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(ok == 1, "X509_add_ext");
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace

tls_identity make_self_signed_identity(const std::vector<std::string>& dns_names,
                                       const std::vector<std::string>& ip_addresses) {
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");

    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");

    // A random serial: two identities made in one run must not look like the same certificate.
    unsigned char serial[16];
    check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
          "serial");
    BN_free(bn);

    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    const std::string cn = dns_names.empty() ? std::string("minapp-emulator") : dns_names.front();
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("minapp-emulator"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");

    std::string san;
    for (const auto& dns : dns_names) {
        san += (san.empty() ? "DNS:" : ",DNS:") + dns;
    }
    for (const auto& ip : ip_addresses) {
        san += (san.empty() ? "IP:" : ",IP:") + ip;
    }
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert.get(), NID_subject_key_identifier, "hash");
    if (!san.empty()) {
        add_extension(cert.get(), NID_subject_alt_name, san);
    }
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

    tls_identity out;
    bio_ptr cert_bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
    out.certificate_pem = bio_to_string(cert_bio.get());
    bio_ptr key_bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    out.private_key_pem = bio_to_string(key_bio.get());
    return out;
}

tls_identity load_identity(const std::string& certificate_path, const std::string& key_path) {
    return {read_file(certificate_path), read_file(key_path)};
}

} // namespace minapp::emulator
