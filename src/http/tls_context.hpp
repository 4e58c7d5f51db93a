// Builds the one TLS context a pool shares between its connections.
#pragma once

#include <minapp/http/options.hpp>

#include <boost/asio/ssl/context.hpp>

namespace minapp::http::detail {

/// A client context: TLS >= 1.2, peer verification with the system store and/or `ca_file`
/// unless verification is explicitly disabled. Host-name checks are set per connection.
/// Throws boost::system::system_error when a CA file cannot be loaded.
boost::asio::ssl::context make_tls_context(const tls_options& options);

} // namespace minapp::http::detail
