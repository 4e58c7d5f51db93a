// The Open API client-credentials flow (notes §1.3) over a client's connection pool: authorize
// (following its redirects with a cookie jar), exchange the code, optionally refresh. The only
// place where the library follows a redirect.
#pragma once

#include <minapp/http/connection_pool.hpp>
#include <minapp/http/origin.hpp>
#include <minapp/result.hpp>
#include <minapp/token_source.hpp>

#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace minapp::detail {

/// The cookies one flow collects: `name=value` pairs from Set-Cookie, sent back as one Cookie
/// header. The flow only ever talks to its own origin, so attributes (Domain, Path, Secure) need
/// no interpretation; a cookie set with an empty value or Max-Age=0 is dropped.
class cookie_jar {
public:
    /// Takes one Set-Cookie header value; ignores one without a name.
    void take(std::string_view set_cookie);
    /// "a=1; b=2", or empty when the jar is.
    std::string header() const;
    bool empty() const noexcept { return cookies_.empty(); }

private:
    std::map<std::string, std::string, std::less<>> cookies_;
};

/// Where a redirect leads: the origin-form target of `location` resolved against `current` (an
/// origin-form target on `origin`), or nullopt with `why` set when it must not be followed (no
/// Location, unparsable, another origin).
std::optional<std::string> redirect_target(const http::origin& origin, std::string_view current,
                                           std::string_view location, std::string& why);

/// Runs the flow; the fetch a token_cache calls. Safe to call again after it completes; not
/// concurrently (the cache never does).
class credentials_flow {
public:
    credentials_flow(std::shared_ptr<http::connection_pool> pool, client_credentials credentials);

    /// One renewal: the refresh grant when enabled and a refresh token is held (falling back to
    /// the code flow if it is refused), else authorize + code exchange; retried on 5xx and
    /// transport failures with backoff, within `flow_timeout`.
    boost::asio::awaitable<result<token_grant>> fetch();

private:
    boost::asio::awaitable<result<token_grant>> code_flow(std::chrono::steady_clock::time_point d);
    boost::asio::awaitable<result<token_grant>> refresh(std::chrono::steady_clock::time_point d);
    boost::asio::awaitable<result<token_grant>> exchange(std::string body,
                                                         std::chrono::steady_clock::time_point d);
    /// The server's reply as a failure: status, the `error` field, secrets redacted.
    failure refused(const http::request& req, const http::response& res) const;
    failure transport(const http::request& req, const http::send_result& r) const;
    std::string redact(std::string text) const;

    std::shared_ptr<http::connection_pool> pool_;
    client_credentials credentials_;
    std::string refresh_token_; // only with use_refresh_token
    std::string last_code_;     // for redaction of the code's echo
};

} // namespace minapp::detail
