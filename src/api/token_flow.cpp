#include "token_flow.hpp"

#include "json_reply.hpp"

#include <minapp/error.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>

namespace minapp::detail {

namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view authorize_path = "/api/oauth2/hydrogen/openapi/authorize/";
constexpr std::string_view token_path = "/api/oauth2/access_token/";
constexpr int max_redirects = 5;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_redirect(unsigned status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Failures worth running the flow again for: the server or the network, not the credentials.
bool retriable(const failure& f) {
    static constexpr error codes[] = {
        error::resolve_failed,   error::connect_failed,      error::tls_handshake_failed,
        error::request_timeout,  error::pool_wait_timeout,   error::connection_closed,
        error::connection_reset, error::protocol_error,      error::server_error,
        error::rate_limited,     error::body_limit_exceeded, error::header_limit_exceeded,
    };
    return std::ranges::any_of(codes, [&](error e) { return f.code == e; });
}

http::request post_json(std::string_view path, const json::object& fields) {
    http::request req(http::method::post, std::string(path), json::serialize(fields));
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    // Running a step twice is harmless (a second code, a refused reused code): the pool may
    // re-send it on a fresh connection after a stale one failed.
    req.idempotent = true;
    return req;
}

} // namespace

// ---- cookie_jar --------------------------------------------------------------------------

void cookie_jar::take(std::string_view set_cookie) {
    // name=value, then attributes, each after a ';'.
    std::string_view rest = set_cookie;
    const auto next = [&rest] {
        const auto end = rest.find(';');
        const auto part = trim(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        return part;
    };
    const auto pair = next();
    const auto eq = pair.find('=');
    const auto name = trim(pair.substr(0, eq));
    if (eq == std::string_view::npos || name.empty()) {
        return;
    }
    const auto value = trim(pair.substr(eq + 1));
    bool expired = value.empty();
    while (!rest.empty()) {
        const auto attr = next();
        if (attr.size() > 8 && boost::beast::iequals(attr.substr(0, 8), "max-age=")) {
            expired = expired || attr.substr(8) == "0" || attr[8] == '-';
        }
    }
    if (expired) {
        if (const auto it = cookies_.find(name); it != cookies_.end()) {
            cookies_.erase(it);
        }
        return;
    }
    cookies_.insert_or_assign(std::string(name), std::string(value));
}

std::string cookie_jar::header() const {
    std::string out;
    for (const auto& [name, value] : cookies_) {
        if (!out.empty()) {
            out.append("; ");
        }
        out.append(name).append("=").append(value);
    }
    return out;
}

// ---- redirects ---------------------------------------------------------------------------

std::optional<std::string> redirect_target(const http::origin& origin, std::string_view current,
                                           std::string_view location, std::string& why) {
    if (location.empty()) {
        why = "a redirect without a Location";
        return std::nullopt;
    }
    const auto ref = boost::urls::parse_uri_reference(location);
    if (!ref) {
        why = "a redirect to an unparsable Location";
        return std::nullopt;
    }
    const std::string from = origin.to_string() + std::string(current); // base views it
    const auto base = boost::urls::parse_uri(from);
    if (!base) {
        why = "a redirect from an unparsable target";
        return std::nullopt;
    }
    boost::urls::url resolved;
    if (!boost::urls::resolve(*base, *ref, resolved)) {
        why = "a redirect to an unresolvable Location";
        return std::nullopt;
    }
    const bool https = origin.scheme == http::scheme::https;
    const auto port = resolved.has_port() ? resolved.port_number() : (https ? 443 : 80);
    if (!boost::beast::iequals(resolved.scheme(), https ? "https" : "http") ||
        !boost::beast::iequals(resolved.host_address(), origin.host) || port != origin.port) {
        why = "a redirect to another origin, refused";
        return std::nullopt;
    }
    resolved.remove_fragment();
    std::string target(resolved.encoded_target());
    return target.empty() ? std::string("/") : target;
}

// ---- the flow ----------------------------------------------------------------------------

credentials_flow::credentials_flow(std::shared_ptr<http::connection_pool> pool,
                                   client_credentials credentials)
    : pool_(std::move(pool))
    , credentials_(std::move(credentials)) {}

asio::awaitable<result<token_grant>> credentials_flow::fetch() {
    const auto deadline = clock::now() + credentials_.flow_timeout();
    const int attempts = std::max(1, credentials_.max_attempts());
    std::chrono::milliseconds backoff{200};
    for (int attempt = 1;; ++attempt) {
        result<token_grant> r{failure{error::token_flow_failed}};
        if (credentials_.use_refresh_token() && !refresh_token_.empty()) {
            r = co_await refresh(deadline);
            if (!r && !retriable(r.error())) {
                // Revoked or expired (another holder of the client id refreshed): start over.
                refresh_token_.clear();
                r = co_await code_flow(deadline);
            }
        } else {
            r = co_await code_flow(deadline);
        }
        if (r || !retriable(r.error()) || attempt >= attempts ||
            clock::now() + backoff >= deadline) {
            co_return r;
        }
        asio::steady_timer timer(co_await asio::this_coro::executor, backoff);
        co_await timer.async_wait(asio::use_awaitable);
        backoff *= 2;
    }
}

asio::awaitable<result<token_grant>> credentials_flow::code_flow(clock::time_point deadline) {
    http::request req =
        post_json(authorize_path, {{"client_id", credentials_.client_id()},
                                   {"client_secret", credentials_.client_secret()}});
    cookie_jar jar;
    std::string code;
    for (int redirects = 0;; ++redirects) {
        auto r = co_await pool_->send(req, deadline);
        if (r.ec) {
            co_return transport(req, r);
        }
        const http::response& res = r.response;
        for (const auto& f : res.headers) {
            if (boost::beast::iequals(f.name, "Set-Cookie")) {
                jar.take(f.value);
            }
        }
        if (is_redirect(res.status)) {
            std::string why;
            auto next = redirects < max_redirects ? redirect_target(pool_->target(), req.target,
                                                                    res.header("Location"), why)
                                                  : std::nullopt;
            if (!next) {
                failure f = refused(req, res);
                f.code = error::token_flow_failed;
                f.diagnostics.detail = why.empty() ? "more than 5 redirects" : why;
                co_return f;
            }
            req.target = std::move(*next);
            req.headers = {{"Accept", "application/json"}};
            if (res.status != 307 && res.status != 308) {
                // As browsers and libcurl do: the redirected request is a GET without a body.
                req.method = http::method::get;
                req.body.clear();
            } else {
                req.headers.push_back({"Content-Type", "application/json"});
            }
            if (!jar.empty()) {
                req.headers.push_back({"Cookie", jar.header()});
            }
            continue;
        }
        if (res.status != 200) {
            co_return refused(req, res);
        }
        boost::system::error_code ec;
        const json::value v = json::parse(res.body, ec);
        const json::value* c = ec || !v.is_object() ? nullptr : v.as_object().if_contains("code");
        if (c == nullptr || !c->is_string() || c->as_string().empty()) {
            failure f = refused(req, res);
            f.code = error::token_flow_failed;
            f.diagnostics.server_message.clear();
            f.diagnostics.detail = "the authorize reply has no code";
            co_return f;
        }
        code = c->as_string();
        break;
    }
    last_code_ = code;
    // Built before the co_await: g++ 12 mishandles an initializer list inside one (PR 103871).
    std::string body = json::serialize(json::object{
        {"client_id", credentials_.client_id()},
        {"client_secret", credentials_.client_secret()},
        {"code", code},
        {"grant_type", "authorization_code"},
    });
    co_return co_await exchange(std::move(body), deadline);
}

asio::awaitable<result<token_grant>> credentials_flow::refresh(clock::time_point deadline) {
    std::string body = json::serialize(json::object{
        {"client_id", credentials_.client_id()},
        {"client_secret", credentials_.client_secret()},
        {"refresh_token", refresh_token_},
        {"grant_type", "refresh_token"},
    });
    co_return co_await exchange(std::move(body), deadline);
}

asio::awaitable<result<token_grant>> credentials_flow::exchange(std::string body,
                                                                clock::time_point deadline) {
    http::request req(http::method::post, std::string(token_path), std::move(body));
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    req.idempotent = true;
    auto r = co_await pool_->send(req, deadline);
    if (r.ec) {
        co_return transport(req, r);
    }
    if (r.response.status != 200) {
        co_return refused(req, r.response);
    }
    boost::system::error_code ec;
    const json::value v = json::parse(r.response.body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::value* token = o != nullptr ? o->if_contains("access_token") : nullptr;
    const json::value* expires = o != nullptr ? o->if_contains("expires_in") : nullptr;
    if (token == nullptr || !token->is_string() || token->as_string().empty() ||
        (expires != nullptr && !expires->is_number())) {
        failure f = refused(req, r.response);
        f.code = error::token_flow_failed;
        f.diagnostics.server_message.clear();
        f.diagnostics.detail = "the token reply has no access_token";
        co_return f;
    }
    // The docs show expires_in with every reply; an hour is a cautious guess without it.
    std::int64_t seconds = 3600;
    if (expires != nullptr) {
        seconds = expires->is_int64()    ? expires->as_int64()
                  : expires->is_uint64() ? static_cast<std::int64_t>(expires->as_uint64())
                                         : static_cast<std::int64_t>(expires->as_double());
    }
    if (credentials_.use_refresh_token()) {
        const json::value* refresh = o->if_contains("refresh_token");
        refresh_token_ = refresh != nullptr && refresh->is_string()
                             ? std::string(refresh->as_string())
                             : std::string();
    }
    co_return token_grant(std::string(token->as_string()),
                          std::chrono::seconds(std::max<std::int64_t>(seconds, 0)));
}

failure credentials_flow::refused(const http::request& req, const http::response& res) const {
    failure f;
    const unsigned s = res.status;
    std::string error_field;
    boost::system::error_code ec;
    const json::value v = json::parse(res.body, ec);
    if (!ec && v.is_object()) {
        if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_string()) {
            error_field = e->as_string();
        }
    }
    f.code = s == 401 || error_field == "invalid_client" ? error::unauthorized
             : s == 429                                  ? error::rate_limited
             : s >= 500                                  ? error::server_error
                                                         : error::token_flow_failed;
    f.diagnostics.http_status = s;
    f.diagnostics.server_message =
        redact(error_field.empty() ? res.body.substr(0, 512) : std::move(error_field));
    f.diagnostics.method = req.method == http::method::get ? "GET" : "POST";
    // The path only: a redirect's query may carry the flow's identifiers.
    f.diagnostics.path = req.target.substr(0, req.target.find('?'));
    f.diagnostics.request_sent = true;
    f.diagnostics.attempts = 1;
    f.diagnostics.detail = "token flow";
    return f;
}

failure credentials_flow::transport(const http::request& req, const http::send_result& r) const {
    failure f(r.ec);
    f.diagnostics.method = req.method == http::method::get ? "GET" : "POST";
    f.diagnostics.path = req.target.substr(0, req.target.find('?'));
    f.diagnostics.request_sent = r.info.request_sent;
    f.diagnostics.attempts = std::max(r.info.attempts, 1);
    f.diagnostics.detail = "token flow: " + r.info.detail;
    return f;
}

std::string credentials_flow::redact(std::string text) const {
    for (const std::string* secret :
         {&credentials_.client_secret(), &last_code_, &refresh_token_}) {
        text = redacted(std::move(text), *secret);
    }
    return text;
}

} // namespace minapp::detail
