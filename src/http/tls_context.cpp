#include "tls_context.hpp"

#include <minapp/error.hpp>
#include <minapp/result.hpp>

#include <boost/asio/buffer.hpp>

#include <openssl/ssl.h>

namespace minapp::http::detail {

namespace ssl = boost::asio::ssl;

ssl::context make_tls_context(const tls_options& options) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // Client-side sessions, so a reconnect can resume (about half the handshake cost). The pool
    // keeps the one session it offers; OpenSSL's internal cache would store every ticket of
    // every connection (20480 by default, expired only after 300 s), a heap that grows with
    // reconnects and is never read on the client side.
    SSL_CTX_set_session_cache_mode(ctx.native_handle(),
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    if (options.insecure_disable_verification()) {
        ctx.set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx.set_verify_mode(ssl::verify_peer);
    if (options.use_system_ca()) {
        ctx.set_default_verify_paths();
    }
    // A CA that cannot be loaded is a configuration error of the caller, reported like the
    // others (api_error, error::invalid_argument), not as an OpenSSL exception.
    auto refuse = [](std::string_view what, const boost::system::error_code& ec) {
        failure f{error::invalid_argument, {}};
        f.diagnostics.detail = "cannot set up TLS: " + std::string(what) + ": " + ec.message();
        throw api_error(std::move(f));
    };
    boost::system::error_code ec;
    if (!options.ca_file().empty()) {
        ctx.load_verify_file(options.ca_file(), ec);
        if (ec) {
            refuse("cannot load tls.ca_file '" + options.ca_file() + "'", ec);
        }
    }
    if (!options.ca_pem().empty()) {
        ctx.add_certificate_authority(boost::asio::buffer(options.ca_pem()), ec);
        if (ec) {
            refuse("cannot load tls.ca_pem", ec);
        }
    }
    return ctx;
}

} // namespace minapp::http::detail
