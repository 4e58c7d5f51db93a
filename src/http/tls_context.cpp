#include "tls_context.hpp"

#include <boost/asio/buffer.hpp>

#include <openssl/ssl.h>

namespace minapp::http::detail {

namespace ssl = boost::asio::ssl;

ssl::context make_tls_context(const tls_options& options) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // Client-side session cache, so a reconnect can resume (about half the handshake cost).
    SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_CLIENT);
    if (options.insecure_disable_verification) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    if (options.use_system_ca) {
        ctx.set_default_verify_paths();
    }
    if (!options.ca_file.empty()) {
        ctx.load_verify_file(options.ca_file);
    }
    if (!options.ca_pem.empty()) {
        ctx.add_certificate_authority(boost::asio::buffer(options.ca_pem));
    }
    return ctx;
}

} // namespace minapp::http::detail
