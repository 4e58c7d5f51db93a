// The fault matrix: every way a server or the network can misbehave (one row of `matrix` each)
// against every operation of the client (one data-driven test body per operation), each cell
// ending in its documented outcome, and the pool healthy afterwards. Then security checks: the
// token never appears in any failure, header injection is refused before anything is sent,
// redirects are never followed, and hostile response bodies are bounded.
//
// Three kinds of server play the rows, all answering healthy requests from one
// emulator::user_api, so updates are really applied and the store shows what each bulk outcome
// means (succeeded: applied; failed: not applied; unknown: either):
//   - the emulator's HTTPS server with its own fault injection (statuses, resets, truncation,
//     malformed JSON, Connection: close, keep-alive limits);
//   - support/scripted_server, for whole-response misbehaviour (silence, truncation with
//     Content-Length, oversized bodies and headers, JSON of the wrong shape, 401/404);
//   - raw_server (below), for byte-level misbehaviour scripted_server cannot express: silence
//     before the TLS handshake, plain HTTP on a TLS port, a body trickled byte by byte, a
//     close-delimited body cut short, a chunk cut in the middle.
//
#include "support/async_test.hpp"
#include "support/scripted_server.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/emulator/server.hpp>
#include <minapp/emulator/tls_identity.hpp>
#include <minapp/emulator/user_api.hpp>
#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace minapp {
// Lets Boost.Test print a status.
std::ostream& operator<<(std::ostream& os, outcome_status s) {
    return os << to_string(s);
}
} // namespace minapp

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace bdata = boost::unit_test::data;
namespace emu = minapp::emulator;
namespace json = boost::json;
namespace utf = boost::unit_test;
using namespace std::chrono_literals;
using minapp::error;
using minapp::outcome_status;
using minapp::test::reply;
using minapp::test::run_bounded;
using minapp::test::scripted_server;
using minapp::test::seen_request;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// ---------------------------------------------------------------------------------------------
// Settings shared by every client of this file.

constexpr const char* secret_token = "tok-SECRET-9f3c"; // must never appear in a failure
constexpr std::size_t seeded_users = 5;                 // listed as pages of 2, 2 and 1
constexpr std::int64_t page_size = 2;
constexpr std::size_t bulk_items = 3;
constexpr std::size_t body_limit = 64 * 1024; // a 1000-user page of short users fits
constexpr std::size_t header_limit = 8 * 1024;
constexpr auto request_timeout = 400ms;
constexpr int max_attempts = 3;

constexpr const char* v22_profiles = "/oserve/v2.2/miniapp/user_profile/";
constexpr const char* v26_profiles = "/oserve/v2.6/miniapp/user_profile/";

// Trusted by the clients: names localhost and 127.0.0.1.
const emu::tls_identity& trusted_identity() {
    static const auto id = emu::make_self_signed_identity({"localhost"});
    return id;
}
// The same names, but no client trusts it.
const emu::tls_identity& stranger_identity() {
    static const auto id = emu::make_self_signed_identity({"localhost"});
    return id;
}
// Trusted by the wrong-host row's client, but names only other.example (no IP address).
const emu::tls_identity& other_name_identity() {
    static const auto id = emu::make_self_signed_identity({"other.example"}, {});
    return id;
}

minapp::client_options client_options_for(std::string base_url, const std::string& ca_pem) {
    minapp::client_options o;
    o.base_url(std::move(base_url));
    o.access_token(secret_token);
    o.request_timeout(request_timeout);
    o.retry().max_attempts = max_attempts;
    o.retry().initial_backoff = 1ms;
    o.retry().max_backoff = 5ms;
    o.retry().throttle_floor = 5ms;
    o.pool().body_limit(body_limit);
    o.pool().header_limit(header_limit);
    o.pool().tls().use_system_ca(false);
    o.pool().tls().ca_pem(ca_pem);
    return o;
}

std::string local_url(std::uint16_t port, const char* host = "127.0.0.1") {
    return std::string("https://") + host + ":" + std::to_string(port);
}

std::string user_path(const char* collection, std::int64_t id) {
    return collection + std::to_string(id) + "/";
}

std::string page_target(std::int64_t offset) {
    return std::string(v22_profiles) + "?limit=" + std::to_string(page_size) +
           "&offset=" + std::to_string(offset);
}

bool is_list(const seen_request& r) {
    return r.method == "GET" && r.target.starts_with(std::string(v22_profiles) + "?");
}

std::int64_t set_value(std::size_t item) {
    return 7000 + static_cast<std::int64_t>(item);
}

// ---------------------------------------------------------------------------------------------
// Every failure produced anywhere in this file, as text, for the final token scan.

std::vector<std::string>& leak_corpus() {
    static std::vector<std::string> corpus;
    return corpus;
}

void collect(const minapp::failure& f) {
    const minapp::api_error thrown(f);
    const std::string texts[] = {f.diagnostics.to_string(), f.diagnostics.detail,
                                 f.diagnostics.server_message, thrown.what()};
    for (const auto& t : texts) {
        BOOST_TEST(t.find(secret_token) == std::string::npos, "token leaked into: " << t);
        leak_corpus().push_back(t);
    }
}

// ---------------------------------------------------------------------------------------------
// The healthy API behind every server: a few seeded users.

struct backend {
    backend()
        : api(config()) {
        emu::api_request r;
        r.method = "GET";
        r.target = std::string(v22_profiles) + "?order_by=id&limit=1000";
        r.authorization = std::string("Bearer ") + secret_token;
        const auto listed = api.handle(r);
        const auto page = json::parse(listed.body);
        for (const auto& u : page.at("objects").as_array()) {
            ids.push_back(u.at("id").to_number<std::int64_t>());
        }
    }

    static emu::user_api_config config() {
        emu::user_api_config c;
        c.users_per_environment = seeded_users;
        c.tokens = {secret_token};
        c.environments = {"env-test"};
        return c;
    }

    emu::api_response answer(const seen_request& s) {
        emu::api_request r;
        r.method = s.method;
        r.target = s.target;
        r.authorization = s.header("Authorization");
        r.env_id = s.header("X-Hydrogen-Env-ID");
        r.content_type = s.header("Content-Type");
        r.body = s.body;
        return api.handle(r);
    }

    // The stored "score" of a user; nullopt when unset.
    std::optional<double> score(std::int64_t id) const {
        const auto text = api.stored_user_json("", id);
        if (!text) {
            return std::nullopt;
        }
        const auto user = json::parse(*text);
        const auto* v = user.as_object().if_contains("score");
        if (v == nullptr || !v->is_number()) {
            return std::nullopt;
        }
        return v->to_number<double>();
    }

    emu::user_api api;
    std::vector<std::int64_t> ids; // in id order
};

// ---------------------------------------------------------------------------------------------
// Body rewriting for the scripted rows.

// `body`, a JSON object, with a leading "pad" member that makes it exactly `size` bytes long.
std::string pad_to(const std::string& body, std::size_t size) {
    const std::string head = R"({"pad":")";
    const std::string tail = R"(",)";
    const std::size_t fixed = body.size() - 1 + head.size() + tail.size();
    if (body.size() < 3 || body.front() != '{' || fixed > size) {
        return body; // the row's expectations then fail loudly
    }
    return head + std::string(size - fixed, 'p') + tail + body.substr(1);
}

// A list reply of 1000 short users and no next page, padded to exactly `size` bytes.
std::string thousand_user_page(std::size_t size) {
    json::array objects;
    for (std::int64_t i = 1; i <= 1000; ++i) {
        json::object u;
        u["id"] = i;
        std::string nickname = "u"; // not "u" + to_string(i): a g++ 12 -Wrestrict false positive
        nickname += std::to_string(i);
        u["nickname"] = nickname;
        objects.push_back(std::move(u));
    }
    json::object meta;
    meta["limit"] = 1000;
    meta["offset"] = 0;
    meta["next"] = nullptr;
    meta["previous"] = nullptr;
    meta["total_count"] = 1000;
    json::object page;
    page["meta"] = std::move(meta);
    page["objects"] = std::move(objects);
    return pad_to(json::serialize(page), size);
}

// Rewrites the "id" of the user (or of every user of a list reply) with `rewrite`.
template <class Rewrite>
std::string with_ids(const std::string& body, Rewrite rewrite) {
    auto v = json::parse(body);
    auto fix = [&](json::value& user) {
        if (auto* o = user.if_object()) {
            if (auto* id = o->if_contains("id"); id != nullptr && id->is_int64()) {
                *id = rewrite(id->get_int64());
            }
        }
    };
    auto& o = v.as_object();
    if (auto* objects = o.if_contains("objects"); objects != nullptr && objects->is_array()) {
        for (auto& u : objects->get_array()) {
            fix(u);
        }
    } else {
        fix(v);
    }
    return json::serialize(v);
}

// ---------------------------------------------------------------------------------------------
// Misbehaviours played by support/scripted_server. Those that answer run the API handler first
// (the request is applied, as a real server would before its answer goes wrong).

using scripted_fault = reply (*)(const seen_request&, backend&);

reply healthy(const seen_request& q, backend& b) {
    const auto a = b.answer(q);
    reply r;
    r.status = a.status;
    r.body = a.body;
    r.headers = a.headers;
    return r;
}

reply silent_after_request(const seen_request&, backend&) {
    reply r; // the handler does not run
    r.what = reply::action::silent;
    return r;
}

reply silent_after_headers(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.what = reply::action::headers_only;
    return r;
}

reply truncated_with_length(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.what = reply::action::truncated; // half the body, then close_notify and FIN
    return r;
}

reply body_at_limit(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.body = is_list(q) ? thousand_user_page(body_limit) : pad_to(r.body, body_limit);
    return r;
}

reply body_over_limit(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.body = is_list(q) ? thousand_user_page(body_limit + 1) : pad_to(r.body, body_limit + 1);
    return r;
}

reply headers_over_limit(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.headers.emplace_back("X-Padding", std::string(header_limit, 'h'));
    return r;
}

reply array_for_object(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.body = "[]";
    return r;
}

reply decimal_string_ids(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.body = with_ids(r.body, [](std::int64_t id) { return json::value(std::to_string(id)); });
    return r;
}

reply non_numeric_ids(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    r.body = with_ids(r.body, [](std::int64_t) { return json::value("abc"); });
    return r;
}

reply objects_missing(const seen_request& q, backend& b) {
    auto r = healthy(q, b);
    if (is_list(q)) {
        auto v = json::parse(r.body);
        v.as_object().erase("objects");
        r.body = json::serialize(v);
    }
    return r;
}

reply http_401(const seen_request&, backend&) {
    reply r; // the handler does not run
    r.status = 401;
    r.body = R"({"status":"error","error_msg":"invalid access token"})";
    return r;
}

reply http_404(const seen_request&, backend&) {
    reply r; // the handler does not run
    r.status = 404;
    r.body = R"({"status":"error","error_msg":"user not exist"})";
    return r;
}

// ---------------------------------------------------------------------------------------------
// raw_server: a loopback TLS server whose answers are scripted as bytes, pauses and closes.

struct raw_step {
    enum class kind { write, pause, close_abrupt, close_notify };
    kind what = kind::write;
    std::string bytes;
    std::chrono::milliseconds wait{0};
};

raw_step write_step(std::string bytes) {
    return {raw_step::kind::write, std::move(bytes), {}};
}
raw_step pause_step(std::chrono::milliseconds wait) {
    return {raw_step::kind::pause, {}, wait};
}
raw_step close_abrupt() { // TCP FIN, no TLS close_notify
    return {raw_step::kind::close_abrupt, {}, {}};
}
raw_step close_notify() { // TLS close_notify, then FIN
    return {raw_step::kind::close_notify, {}, {}};
}

class raw_server {
public:
    /// What a new connection gets before any request is read.
    enum class prelude {
        tls,        ///< A normal TLS handshake, then the request loop.
        silent,     ///< Nothing: the TLS ClientHello is never answered.
        plain_http, ///< The ClientHello is answered with a plain-text HTTP/1.1 400.
    };
    using accept_fn = std::function<prelude()>;
    using request_fn = std::function<std::vector<raw_step>(const seen_request&)>;

    raw_server(asio::io_context& ioc, const emu::tls_identity& identity, accept_fn on_accept,
               request_fn on_request)
        : state_(
              std::make_shared<state>(ioc, identity, std::move(on_accept), std::move(on_request))) {
        asio::co_spawn(ioc, accept_loop(state_), asio::detached);
    }
    ~raw_server() { stop(); }
    raw_server(const raw_server&) = delete;
    raw_server& operator=(const raw_server&) = delete;

    std::uint16_t port() const noexcept { return state_->port; }
    std::size_t requests() const noexcept { return state_->received; }
    /// Stops accepting and closes every connection (call on the io_context's thread).
    void stop() { state_->stop(); }

private:
    using tls_stream = asio::ssl::stream<beast::tcp_stream>;

    struct state {
        state(asio::io_context& ioc, const emu::tls_identity& identity, accept_fn a, request_fn r)
            : acceptor(ioc)
            , tls(asio::ssl::context::tls_server)
            , on_accept(std::move(a))
            , on_request(std::move(r)) {
            tls.use_certificate_chain(asio::buffer(identity.certificate_pem));
            tls.use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
            const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
            acceptor.open(ep.protocol());
            acceptor.bind(ep);
            acceptor.listen();
            port = acceptor.local_endpoint().port();
        }

        void stop() {
            boost::system::error_code ignored;
            acceptor.close(ignored);
            for (auto& weak : live) {
                if (auto s = weak.lock()) {
                    s->socket().close(ignored);
                }
            }
            live.clear();
        }

        tcp::acceptor acceptor;
        asio::ssl::context tls;
        accept_fn on_accept;
        request_fn on_request;
        std::uint16_t port = 0;
        std::size_t received = 0;
        std::vector<std::weak_ptr<beast::tcp_stream>> live;
    };

    static asio::awaitable<void> accept_loop(std::shared_ptr<state> self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor.async_accept(tuple_awaitable);
            if (ec) {
                co_return;
            }
            auto stream = std::make_shared<tls_stream>(std::move(socket), self->tls);
            self->live.push_back(std::shared_ptr<beast::tcp_stream>(stream, &stream->next_layer()));
            asio::co_spawn(self->acceptor.get_executor(), serve(self, stream), asio::detached);
        }
    }

    static void close(beast::tcp_stream& tcp) {
        boost::system::error_code ignored;
        tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
        tcp.socket().close(ignored);
    }

    static asio::awaitable<void> drain(beast::tcp_stream& tcp) {
        char scratch[512];
        for (;;) {
            auto [ec, n] = co_await tcp.async_read_some(asio::buffer(scratch), tuple_awaitable);
            if (ec) {
                co_return;
            }
        }
    }

    static asio::awaitable<void> serve(std::shared_ptr<state> self,
                                       std::shared_ptr<tls_stream> stream) {
        auto& tcp = stream->next_layer();
        const prelude mode = self->on_accept();
        if (mode == prelude::silent) {
            co_await drain(tcp);
        } else if (mode == prelude::plain_http) {
            char hello[2048];
            auto [rec, n] = co_await tcp.async_read_some(asio::buffer(hello), tuple_awaitable);
            if (!rec) {
                static const std::string refusal =
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 11\r\nConnection: close\r\n\r\nBad Request";
                auto [wec, w] =
                    co_await asio::async_write(tcp, asio::buffer(refusal), tuple_awaitable);
                static_cast<void>(wec);
            }
        } else {
            tcp.expires_after(5s);
            auto [hec] =
                co_await stream->async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
            tcp.expires_never();
            if (!hec) {
                co_await session(self, *stream);
            }
        }
        close(tcp);
    }

    static asio::awaitable<void> session(std::shared_ptr<state> self, tls_stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, tuple_awaitable);
            if (ec) {
                co_return;
            }
            seen_request seen;
            seen.method = std::string(req.method_string());
            seen.target = std::string(req.target());
            seen.body = req.body();
            for (const auto& f : req) {
                seen.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            }
            seen.total = ++self->received;
            const auto steps = self->on_request(seen);
            for (const auto& step : steps) {
                if (step.what == raw_step::kind::write) {
                    auto [wec, w] = co_await asio::async_write(stream, asio::buffer(step.bytes),
                                                               tuple_awaitable);
                    if (wec) {
                        co_return;
                    }
                } else if (step.what == raw_step::kind::pause) {
                    asio::steady_timer t(stream.get_executor(), step.wait);
                    auto [tec] = co_await t.async_wait(tuple_awaitable);
                    static_cast<void>(tec);
                } else if (step.what == raw_step::kind::close_abrupt) {
                    co_return; // serve() closes the socket without close_notify
                } else {
                    stream.next_layer().expires_after(200ms);
                    auto [sec] = co_await stream.async_shutdown(tuple_awaitable);
                    static_cast<void>(sec);
                    co_return;
                }
            }
        }
    }

    std::shared_ptr<state> state_;
};

// Misbehaviours played by raw_server, given the API's (applied) answer.
using raw_fault = std::vector<raw_step> (*)(const emu::api_response&);

std::string response_head(const emu::api_response& a, const std::string& framing) {
    std::string h = "HTTP/1.1 " + std::to_string(a.status) + (a.status < 300 ? " OK" : " Error") +
                    "\r\nContent-Type: application/json\r\n";
    for (const auto& [name, value] : a.headers) {
        h += name + ": " + value + "\r\n";
    }
    return h + framing + "\r\n";
}

std::string content_length(const emu::api_response& a) {
    return "Content-Length: " + std::to_string(a.body.size()) + "\r\n";
}

std::vector<raw_step> answer_normally(const emu::api_response& a) {
    return {write_step(response_head(a, content_length(a)) + a.body)};
}

std::vector<raw_step> trickle(const emu::api_response& a) {
    std::vector<raw_step> steps{write_step(response_head(a, content_length(a)))};
    for (char c : a.body) {
        steps.push_back(pause_step(40ms));
        steps.push_back(write_step(std::string(1, c)));
    }
    return steps;
}

std::vector<raw_step> cut_close_delimited(const emu::api_response& a) {
    return {
        write_step(response_head(a, "Connection: close\r\n") + a.body.substr(0, a.body.size() / 2)),
        close_abrupt()};
}

std::vector<raw_step> cut_close_delimited_with_notify(const emu::api_response& a) {
    return {
        write_step(response_head(a, "Connection: close\r\n") + a.body.substr(0, a.body.size() / 2)),
        close_notify()};
}

std::vector<raw_step> cut_mid_chunk(const emu::api_response& a) {
    std::ostringstream size;
    size << std::hex << a.body.size();
    return {write_step(response_head(a, "Transfer-Encoding: chunked\r\n") + size.str() + "\r\n" +
                       a.body.substr(0, a.body.size() / 2)),
            close_notify()};
}

// ---------------------------------------------------------------------------------------------
// The table.

enum class op { get_user, list_users, bulk_set, bulk_incr };

const char* name(op o) {
    switch (o) {
    case op::get_user:
        return "get_user";
    case op::list_users:
        return "list_users+next";
    case op::bulk_set:
        return "update_users($set)";
    case op::bulk_incr:
        return "update_users($incr_by)";
    }
    return "?";
}

enum class venue {
    emulator,     ///< The emulator's HTTPS server; `emulated` is its injected fault.
    scripted,     ///< support/scripted_server playing `scripted`.
    raw,          ///< raw_server playing `prelude` on each connection and `raw` on each request.
    refused,      ///< Nothing listens: a port was bound, then closed.
    unresolvable, ///< https://nonexistent.invalid:443
    untrusted_ca, ///< The emulator with a certificate the client does not trust.
    wrong_host,   ///< The emulator with a trusted certificate for other.example, as localhost.
};

enum class fires {
    always,       ///< Every request while the row is active.
    once_per_url, ///< The first request of each method + target, then normal answers.
};

// Diagnostics a failure must carry (exactly: the others must be empty / false).
enum diag : unsigned {
    msg = 1,  ///< server_message (the server's error_msg)
    det = 2,  ///< detail (transport, TLS or parse detail)
    sent = 4, ///< request_sent
};

struct expect {
    outcome_status status = outcome_status::succeeded; ///< get/list: succeeded or failed
    error code = error::invalid_argument;              ///< unless succeeded
    unsigned http = 0;
    unsigned diag = 0;
    int attempts = 0;
};

constexpr expect ok() {
    return {};
}
constexpr expect fail(error code, unsigned http, unsigned diag, int attempts) {
    return {outcome_status::failed, code, http, diag, attempts};
}
/// A bulk item that may or may not have been applied.
constexpr expect unknown(int attempts) {
    return {outcome_status::unknown, error::outcome_unknown, 0, det | sent, attempts};
}
// A 2xx reply that does not parse: answered (request_sent, its status, one attempt), so an
// update behind it was applied and a bulk run reports it as unknown, never as failed.
constexpr expect malformed = fail(error::malformed_response, 200, det | sent, 1);
constexpr expect malformed_page = malformed;
constexpr expect malformed_update{outcome_status::unknown, error::malformed_response, 200,
                                  det | sent, 1};

struct fault_row {
    const char* name;
    const char* misbehaviour;
    venue where;
    std::optional<emu::fault_kind> emulated = std::nullopt; // venue::emulator
    scripted_fault scripted = nullptr;                      // venue::scripted
    raw_server::prelude prelude = raw_server::prelude::tls; // venue::raw
    raw_fault raw = nullptr;                                // venue::raw
    fires when = fires::always;
    std::size_t parallel = 1;                      ///< copies of the operation run concurrently
    std::size_t repeat = 1;                        ///< times each copy runs it
    std::uint64_t max_requests_per_connection = 0; ///< emulator option
    std::chrono::milliseconds min_elapsed{0};
    std::size_t listed = seeded_users; ///< users the pager delivers when it succeeds
    expect get, list, set, incr;
};

std::ostream& operator<<(std::ostream& os, const fault_row& row) {
    return os << row.name;
}

using fk = emu::fault_kind;
constexpr unsigned transport = det;          // failed before the request was written
constexpr unsigned on_the_wire = det | sent; // failed after it was written
constexpr unsigned answered = msg | sent;    // an HTTP error status with the server's message

// One row per misbehaviour: its name, what the server does, which server plays it, and the
// expected outcome of each operation (get_user, the pager, a bulk $set, a bulk $incr_by):
//   ok()                                   success, possibly after transparent retries;
//   fail(code, http_status, diag, attempts) a typed error with exactly these diagnostics
//                                          (for bulk items: status failed, not applied);
//   unknown(attempts)                      a bulk item that may have been applied
//                                          (error::outcome_unknown).
// Every cell also requires: no crash or hang, no connection left in use, the server's next good
// answer served on the same client, and each bulk item's status matching the store.
// clang-format off
const fault_row matrix[] = {
    // ---- Nothing was written: every operation, the atomic update included, may be retried.
    {.name = "connection-refused", .misbehaviour = "nothing listens on the port (bound, then closed)",
     .where = venue::refused,
     .get = fail(error::connect_failed, 0, transport, 3), .list = fail(error::connect_failed, 0, transport, 3),
     .set = fail(error::connect_failed, 0, transport, 3), .incr = fail(error::connect_failed, 0, transport, 3)},
    {.name = "dns-failure", .misbehaviour = "the host name does not resolve (nonexistent.invalid)",
     .where = venue::unresolvable,
     .get = fail(error::resolve_failed, 0, transport, 3), .list = fail(error::resolve_failed, 0, transport, 3),
     .set = fail(error::resolve_failed, 0, transport, 3), .incr = fail(error::resolve_failed, 0, transport, 3)},
    {.name = "tls-untrusted-ca", .misbehaviour = "certificate from a CA the client does not trust",
     .where = venue::untrusted_ca,
     .get = fail(error::tls_verification_failed, 0, transport, 1), .list = fail(error::tls_verification_failed, 0, transport, 1),
     .set = fail(error::tls_verification_failed, 0, transport, 1), .incr = fail(error::tls_verification_failed, 0, transport, 1)},
    {.name = "tls-wrong-host", .misbehaviour = "trusted certificate for other.example, reached as localhost",
     .where = venue::wrong_host,
     .get = fail(error::tls_verification_failed, 0, transport, 1), .list = fail(error::tls_verification_failed, 0, transport, 1),
     .set = fail(error::tls_verification_failed, 0, transport, 1), .incr = fail(error::tls_verification_failed, 0, transport, 1)},
    {.name = "tls-plain-http", .misbehaviour = "the ClientHello is answered with a plain-text HTTP/1.1 400",
     .where = venue::raw, .prelude = raw_server::prelude::plain_http,
     .get = fail(error::tls_handshake_failed, 0, transport, 3), .list = fail(error::tls_handshake_failed, 0, transport, 3),
     .set = fail(error::tls_handshake_failed, 0, transport, 3), .incr = fail(error::tls_handshake_failed, 0, transport, 3)},
    {.name = "silent-after-accept", .misbehaviour = "TCP accepted, the TLS handshake is never answered",
     .where = venue::raw, .prelude = raw_server::prelude::silent,
     .get = fail(error::request_timeout, 0, transport, 3), .list = fail(error::request_timeout, 0, transport, 3),
     .set = fail(error::request_timeout, 0, transport, 3), .incr = fail(error::request_timeout, 0, transport, 3)},

    // ---- Written, then the answer is lost: reads are retried; a $set that may have been applied
    // and then fails again is unknown; an $incr_by is never re-sent and is unknown at once.
    {.name = "silent-after-request", .misbehaviour = "the request is read, nothing is ever answered",
     .where = venue::scripted, .scripted = silent_after_request,
     .get = fail(error::request_timeout, 0, on_the_wire, 3), .list = fail(error::request_timeout, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},
    {.name = "silent-after-headers", .misbehaviour = "the header (Content-Length) is sent, the body never",
     .where = venue::scripted, .scripted = silent_after_headers,
     .get = fail(error::request_timeout, 0, on_the_wire, 3), .list = fail(error::request_timeout, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},
    {.name = "body-trickled", .misbehaviour = "the body arrives one byte every 40 ms, past the 400 ms deadline",
     .where = venue::raw, .raw = trickle,
     .get = fail(error::request_timeout, 0, on_the_wire, 3), .list = fail(error::request_timeout, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},
    {.name = "truncated-with-length", .misbehaviour = "Content-Length announced, half the body, close_notify + FIN",
     .where = venue::scripted, .scripted = truncated_with_length,
     .get = fail(error::connection_closed, 0, on_the_wire, 3), .list = fail(error::connection_closed, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},
    {.name = "truncated-without-length", .misbehaviour = "close-delimited body cut in half, FIN without close_notify",
     .where = venue::raw, .raw = cut_close_delimited,
     .get = fail(error::connection_closed, 0, on_the_wire, 3), .list = fail(error::connection_closed, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},
    // Cut cleanly (close_notify), a close-delimited body is complete as far as HTTP can tell: the
    // half JSON document is what fails.
    {.name = "truncated-without-length-close-notify", .misbehaviour = "close-delimited body cut in half, close_notify + FIN",
     .where = venue::raw, .raw = cut_close_delimited_with_notify,
     .get = malformed, .list = malformed_page, .set = malformed_update, .incr = malformed_update},
    {.name = "chunked-cut", .misbehaviour = "chunked body cut in the middle of its chunk, close_notify + FIN",
     .where = venue::raw, .raw = cut_mid_chunk,
     .get = fail(error::connection_closed, 0, on_the_wire, 3), .list = fail(error::connection_closed, 0, on_the_wire, 3),
     .set = unknown(3), .incr = unknown(1)},

    // ---- A complete 2xx answer the client cannot use (malformed*, see above).
    {.name = "malformed-json", .misbehaviour = "emulator: the handler runs, its JSON is cut and suffixed",
     .where = venue::emulator, .emulated = fk::malformed_json,
     .get = malformed, .list = malformed_page, .set = malformed_update, .incr = malformed_update},
    {.name = "json-array-for-object", .misbehaviour = "200 with [] where an object is expected",
     .where = venue::scripted, .scripted = array_for_object,
     .get = malformed, .list = malformed_page, .set = malformed_update, .incr = malformed_update},
    // Decimal strings are accepted as ids on purpose (some SDKs type ids as strings).
    {.name = "json-id-decimal-string", .misbehaviour = R"(200 with "id":"123" instead of "id":123)",
     .where = venue::scripted, .scripted = decimal_string_ids,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    {.name = "json-id-not-a-number", .misbehaviour = R"(200 with "id":"abc")",
     .where = venue::scripted, .scripted = non_numeric_ids,
     .get = malformed, .list = malformed_page, .set = malformed_update, .incr = malformed_update},
    {.name = "json-objects-missing", .misbehaviour = "list replies without their objects array (others intact)",
     .where = venue::scripted, .scripted = objects_missing,
     .get = ok(), .list = malformed_page, .set = ok(), .incr = ok()},
    {.name = "body-at-limit", .misbehaviour = "bodies of exactly body_limit bytes (a list: 1000 users)",
     .where = venue::scripted, .scripted = body_at_limit, .listed = 1000,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    {.name = "body-over-limit", .misbehaviour = "bodies of body_limit + 1 bytes (a list: 1000 users)",
     .where = venue::scripted, .scripted = body_over_limit,
     .get = fail(error::body_limit_exceeded, 0, on_the_wire, 1), .list = fail(error::body_limit_exceeded, 0, on_the_wire, 1),
     .set = unknown(1), .incr = unknown(1)},
    {.name = "headers-over-limit", .misbehaviour = "an 8 KiB X-Padding header, beyond header_limit",
     .where = venue::scripted, .scripted = headers_over_limit,
     .get = fail(error::header_limit_exceeded, 0, on_the_wire, 1), .list = fail(error::header_limit_exceeded, 0, on_the_wire, 1),
     .set = unknown(1), .incr = unknown(1)},

    // ---- HTTP error statuses: typed, with the server's message; 429/502/503 retried when safe.
    {.name = "http-401", .misbehaviour = "401 invalid access token",
     .where = venue::scripted, .scripted = http_401,
     .get = fail(error::unauthorized, 401, answered, 1), .list = fail(error::unauthorized, 401, answered, 1),
     .set = fail(error::unauthorized, 401, answered, 1), .incr = fail(error::unauthorized, 401, answered, 1)},
    {.name = "http-404", .misbehaviour = "404 user not exist",
     .where = venue::scripted, .scripted = http_404,
     .get = fail(error::not_found, 404, answered, 1), .list = fail(error::not_found, 404, answered, 1),
     .set = fail(error::not_found, 404, answered, 1), .incr = fail(error::not_found, 404, answered, 1)},
    {.name = "http-429", .misbehaviour = "emulator: 429 without Retry-After to every request",
     .where = venue::emulator, .emulated = fk::http_429,
     .get = fail(error::rate_limited, 429, answered, 3), .list = fail(error::rate_limited, 429, answered, 3),
     .set = fail(error::rate_limited, 429, answered, 3), .incr = fail(error::rate_limited, 429, answered, 3)},
    {.name = "http-429-once", .misbehaviour = "emulator: 429 to the first request of each URL",
     .where = venue::emulator, .emulated = fk::http_429, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    {.name = "http-429-retry-after", .misbehaviour = "emulator: 429 with Retry-After: 1 to every request",
     .where = venue::emulator, .emulated = fk::http_429_retry_after, .min_elapsed = 2000ms,
     .get = fail(error::rate_limited, 429, answered, 3), .list = fail(error::rate_limited, 429, answered, 3),
     .set = fail(error::rate_limited, 429, answered, 3), .incr = fail(error::rate_limited, 429, answered, 3)},
    {.name = "http-429-retry-after-once", .misbehaviour = "emulator: 429 with Retry-After: 1 to the first request of each URL",
     .where = venue::emulator, .emulated = fk::http_429_retry_after, .when = fires::once_per_url, .min_elapsed = 1000ms,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    {.name = "http-500", .misbehaviour = "emulator: 500 to every request (reads retried, writes not)",
     .where = venue::emulator, .emulated = fk::http_500,
     .get = fail(error::server_error, 500, answered, 3), .list = fail(error::server_error, 500, answered, 3),
     .set = fail(error::server_error, 500, answered, 1), .incr = fail(error::server_error, 500, answered, 1)},
    {.name = "http-500-once", .misbehaviour = "emulator: 500 to the first request of each URL",
     .where = venue::emulator, .emulated = fk::http_500, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = fail(error::server_error, 500, answered, 1),
     .incr = fail(error::server_error, 500, answered, 1)},
    {.name = "http-502", .misbehaviour = "emulator: 502 to every request",
     .where = venue::emulator, .emulated = fk::http_502,
     .get = fail(error::server_error, 502, answered, 3), .list = fail(error::server_error, 502, answered, 3),
     .set = fail(error::server_error, 502, answered, 3), .incr = fail(error::server_error, 502, answered, 1)},
    {.name = "http-502-once", .misbehaviour = "emulator: 502 to the first request of each URL",
     .where = venue::emulator, .emulated = fk::http_502, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = fail(error::server_error, 502, answered, 1)},
    {.name = "http-503", .misbehaviour = "emulator: 503 to every request",
     .where = venue::emulator, .emulated = fk::http_503,
     .get = fail(error::server_error, 503, answered, 3), .list = fail(error::server_error, 503, answered, 3),
     .set = fail(error::server_error, 503, answered, 3), .incr = fail(error::server_error, 503, answered, 1)},
    {.name = "http-503-once", .misbehaviour = "emulator: 503 to the first request of each URL",
     .where = venue::emulator, .emulated = fk::http_503, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = fail(error::server_error, 503, answered, 1)},

    // ---- Connections dropped or closed by the server.
    {.name = "reset-before-handler-once", .misbehaviour = "emulator: RST instead of the first request of each URL",
     .where = venue::emulator, .emulated = fk::reset_before_handler, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = unknown(1)},
    {.name = "reset-after-handler-once", .misbehaviour = "emulator: applied, then RST instead of the answer, once per URL",
     .where = venue::emulator, .emulated = fk::reset_after_handler, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = unknown(1)},
    {.name = "truncated-once", .misbehaviour = "emulator: applied, half the body, close; once per URL",
     .where = venue::emulator, .emulated = fk::truncated_body, .when = fires::once_per_url,
     .get = ok(), .list = ok(), .set = ok(), .incr = unknown(1)},
    {.name = "connection-close-always", .misbehaviour = "emulator: Connection: close on every response",
     .where = venue::emulator, .emulated = fk::connection_close, .repeat = 3,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    {.name = "keep-alive-max-3-under-load", .misbehaviour = "emulator: keep-alive connections closed after 3 requests; 4 concurrent callers x 5",
     .where = venue::emulator, .parallel = 4, .repeat = 5, .max_requests_per_connection = 3,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
    // nginx's default (keepalive_requests 1000): each of the two connections is retired at least
    // once while the other has a request in flight (get: 2200 requests; the others 6600).
    {.name = "keep-alive-max-1000-under-load", .misbehaviour = "emulator: keep-alive connections closed after 1000 requests, as nginx does; 2 concurrent callers x 1100",
     .where = venue::emulator, .parallel = 2, .repeat = 1100, .max_requests_per_connection = 1000,
     .get = ok(), .list = ok(), .set = ok(), .incr = ok()},
};
// clang-format on

const expect& expected(const fault_row& row, op o) {
    switch (o) {
    case op::get_user:
        return row.get;
    case op::list_users:
        return row.list;
    case op::bulk_set:
        return row.set;
    case op::bulk_incr:
        break;
    }
    return row.incr;
}

bool heals(venue v) {
    return v == venue::emulator || v == venue::scripted || v == venue::raw;
}

// ---------------------------------------------------------------------------------------------
// One cell: a row's server and a client for one operation.

class bench {
public:
    bench(const fault_row& row, op o)
        : row_(row)
        , op_(o) {
        std::string ca = trusted_identity().certificate_pem;
        switch (row.where) {
        case venue::emulator:
        case venue::untrusted_ca:
        case venue::wrong_host: {
            emu::server_options so;
            so.tls = true;
            so.identity = row.where == venue::untrusted_ca ? stranger_identity()
                          : row.where == venue::wrong_host ? other_name_identity()
                                                           : trusted_identity();
            so.max_requests_per_connection = row.max_requests_per_connection;
            so.faults = faults();
            emulator_.emplace(ioc, so,
                              [this](const emu::api_request& r) { return be.api.handle(r); });
            emulator_->start();
            url_ = emulator_->url();
            if (row.where == venue::wrong_host) {
                url_ = local_url(emulator_->port(), "localhost");
                ca = other_name_identity().certificate_pem;
            }
            break;
        }
        case venue::scripted:
            scripted_.emplace(
                ioc.get_executor(),
                [this](const seen_request& q) {
                    return should_fault(q) ? row_.scripted(q, be) : healthy(q, be);
                },
                &trusted_identity());
            url_ = local_url(scripted_->port());
            break;
        case venue::raw:
            raw_.emplace(
                ioc, trusted_identity(),
                [this] { return faulty_ ? row_.prelude : raw_server::prelude::tls; },
                [this](const seen_request& q) {
                    const auto answer = be.answer(q);
                    return row_.raw != nullptr && should_fault(q) ? row_.raw(answer)
                                                                  : answer_normally(answer);
                });
            url_ = local_url(raw_->port());
            break;
        case venue::refused: {
            tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            const auto port = a.local_endpoint().port();
            a.close();
            url_ = local_url(port);
            break;
        }
        case venue::unresolvable:
            url_ = "https://nonexistent.invalid:443";
            break;
        }
        client.emplace(ioc.get_executor(), client_options_for(url_, ca));
    }

    /// The server behaves from now on.
    void heal() {
        faulty_ = false;
        if (emulator_) {
            emulator_->faults().configure({});
        }
    }

    /// Leaves no connection, listener or timer on the io_context.
    void finish() {
        client->shutdown();
        if (emulator_) {
            emulator_->stop();
        }
        if (scripted_) {
            scripted_->stop();
        }
        if (raw_) {
            raw_->stop();
        }
    }

    /// The requests of a fires::once_per_url emulator row: one fault each.
    std::vector<std::pair<std::string, std::string>> targets() const {
        std::vector<std::pair<std::string, std::string>> out;
        if (op_ == op::get_user) {
            out.emplace_back("GET", user_path(v22_profiles, be.ids[0]));
        } else if (op_ == op::list_users) {
            for (std::int64_t offset = 0; offset < static_cast<std::int64_t>(seeded_users);
                 offset += page_size) {
                out.emplace_back("GET", page_target(offset));
            }
        } else {
            for (std::size_t i = 0; i < bulk_items; ++i) {
                out.emplace_back("PUT", user_path(v26_profiles, be.ids[i]));
            }
        }
        return out;
    }

    const emu::server* emulator() const { return emulator_ ? &*emulator_ : nullptr; }

    asio::io_context ioc;
    backend be;
    std::optional<minapp::client> client;

private:
    emu::fault_config faults() const {
        emu::fault_config c;
        if (!row_.emulated) {
            return c;
        }
        emu::fault_rule rule;
        rule.kind = *row_.emulated;
        rule.retry_after = std::chrono::seconds(1);
        if (row_.when == fires::always) {
            rule.probability = 1.0;
            c.rules.push_back(rule);
            return c;
        }
        rule.on_requests = {1};
        for (const auto& [method, target] : targets()) {
            rule.filter.method = method;
            rule.filter.path_prefix = target; // targets never prefix one another
            c.rules.push_back(rule);
        }
        return c;
    }

    bool should_fault(const seen_request& q) {
        if (!faulty_) {
            return false;
        }
        if (row_.when == fires::always) {
            return true;
        }
        std::lock_guard lock(mutex_);
        return faulted_.insert(q.method + " " + q.target).second;
    }

    const fault_row& row_;
    const op op_;
    std::string url_;
    std::atomic<bool> faulty_{true};
    std::mutex mutex_;
    std::set<std::string> faulted_;
    std::optional<emu::server> emulator_;
    std::optional<scripted_server> scripted_;
    std::optional<raw_server> raw_;
};

// What the operations of one cell produced.
struct observed_item {
    std::int64_t id = 0; // bulk: the item's user
    outcome_status status = outcome_status::succeeded;
    std::optional<minapp::failure> error;
};

struct observed {
    std::vector<observed_item> items; // get/list: one per call; bulk: one per item
    std::vector<std::size_t> listed;  // list: users delivered per pager
    std::vector<std::size_t> distinct;
};

void record(observed& out, std::int64_t id, const minapp::failure* f) {
    observed_item it;
    it.id = id;
    if (f != nullptr) {
        it.status = outcome_status::failed;
        it.error = *f;
    }
    out.items.push_back(std::move(it));
}

asio::awaitable<void> do_get(bench& b, observed& out) {
    const auto id = b.be.ids[0];
    auto r = co_await b.client->get_user(id);
    if (r.has_value()) {
        BOOST_TEST(r->id == id);
    }
    if (r.has_value()) {
        record(out, id, nullptr);
    } else {
        const auto f = r.error();
        record(out, id, &f);
    }
}

asio::awaitable<void> do_list(bench& b, observed& out) {
    minapp::user_query q;
    q.page_size(page_size);
    auto pager = b.client->list_users(q);
    std::size_t n = 0;
    std::set<std::int64_t> ids;
    for (;;) {
        auto next = co_await pager.next();
        if (!next.has_value()) {
            const auto f = next.error();
            record(out, 0, &f);
            break;
        }
        if (!next->has_value()) {
            record(out, 0, nullptr);
            break;
        }
        ++n;
        ids.insert((*next)->id);
    }
    out.listed.push_back(n);
    out.distinct.push_back(ids.size());
}

asio::awaitable<void> do_bulk(bench& b, bool incr, observed& out) {
    std::vector<minapp::user_update> items;
    for (std::size_t i = 0; i < bulk_items; ++i) {
        minapp::user_update u;
        u.id = b.be.ids[i];
        if (incr) {
            u.change.incr_by("score", 1);
        } else {
            u.change.set("score", set_value(i));
        }
        items.push_back(std::move(u));
    }
    minapp::bulk_options options;
    options.concurrency(bulk_items);
    auto report = co_await minapp::update_users(*b.client, items, options);
    BOOST_TEST_REQUIRE(report.has_value(), report.error().diagnostics.to_string());
    BOOST_TEST_REQUIRE(report->outcomes.size() == bulk_items);
    const auto& t = report->totals;
    BOOST_TEST(t.done == bulk_items);
    BOOST_TEST(t.succeeded + t.failed + t.unknown + t.not_attempted == bulk_items);
    BOOST_TEST(!report->cancelled);
    for (std::size_t i = 0; i < bulk_items; ++i) {
        const auto& o = report->outcomes[i];
        BOOST_TEST(o.index == i);
        BOOST_TEST(o.id == items[i].id);
        observed_item it;
        it.id = o.id;
        it.status = o.status;
        it.error = o.error;
        if (o.status == outcome_status::succeeded) {
            BOOST_TEST(!o.error.has_value());
            BOOST_TEST_REQUIRE(o.user.has_value());
            BOOST_TEST(o.user->id == o.id);
        }
        out.items.push_back(std::move(it));
    }
}

asio::awaitable<void> run_op(bench& b, op o, std::size_t repeat, observed& out) {
    for (std::size_t i = 0; i < repeat; ++i) {
        if (o == op::get_user) {
            co_await do_get(b, out);
        } else if (o == op::list_users) {
            co_await do_list(b, out);
        } else {
            co_await do_bulk(b, o == op::bulk_incr, out);
        }
    }
}

// Runs `n` copies of `body(i)` concurrently and waits for all of them.
asio::awaitable<void> run_parallel(std::size_t n,
                                   const std::function<asio::awaitable<void>(std::size_t)>& body) {
    auto ex = co_await asio::this_coro::executor;
    minapp::test::async_event done(ex);
    std::size_t running = n;
    std::exception_ptr first;
    for (std::size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex, body(i), [&](std::exception_ptr e) {
            if (e && !first) {
                first = e;
            }
            if (--running == 0) {
                done.set();
            }
        });
    }
    co_await done.wait();
    if (first) {
        std::rethrow_exception(first);
    }
}

std::string describe(const observed_item& it) {
    std::ostringstream os;
    os << it.status;
    if (it.error) {
        const auto& d = it.error->diagnostics;
        os << " " << it.error->code.message();
        if (d.http_status != 0) {
            os << " " << d.http_status;
        }
        os << " x" << d.attempts << (d.request_sent ? " sent" : "");
    }
    return os.str();
}

void check_item(const observed_item& it, const expect& e, op o) {
    BOOST_TEST_CONTEXT(describe(it)) {
        BOOST_TEST(it.status == e.status);
        if (e.status == outcome_status::succeeded || it.status == outcome_status::succeeded) {
            BOOST_TEST(!it.error.has_value());
            return;
        }
        BOOST_TEST_REQUIRE(it.error.has_value());
        const auto& f = *it.error;
        const auto& d = f.diagnostics;
        BOOST_TEST((f.code == e.code), f.code.message()
                                           << ", expected " << make_error_code(e.code).message());
        BOOST_TEST(d.http_status == e.http);
        BOOST_TEST(!d.server_message.empty() == ((e.diag & msg) != 0), d.to_string());
        BOOST_TEST(!d.detail.empty() == ((e.diag & det) != 0), d.to_string());
        BOOST_TEST(d.request_sent == ((e.diag & sent) != 0), d.to_string());
        BOOST_TEST(d.attempts == e.attempts, d.to_string());
        if (o == op::get_user) {
            BOOST_TEST(d.method == "GET");
            BOOST_TEST(d.path == user_path(v22_profiles, it.id));
        } else if (o == op::list_users) {
            BOOST_TEST(d.method == "GET");
            BOOST_TEST(d.path == v22_profiles);
        } else {
            BOOST_TEST(d.method == "PUT");
            BOOST_TEST(d.path == user_path(v26_profiles, it.id));
        }
        collect(f);
    }
}

// Bulk outcomes against the store: succeeded = applied, failed = not applied, unknown = either;
// an $incr_by is applied at most once per outcome.
void check_store(op o, const observed& seen, const backend& be,
                 const std::vector<std::optional<double>>& before) {
    for (std::size_t i = 0; i < bulk_items; ++i) {
        const auto id = be.ids[i];
        std::size_t succeeded = 0, failed = 0, unknown_count = 0;
        for (const auto& it : seen.items) {
            if (it.id == id) {
                succeeded += it.status == outcome_status::succeeded;
                failed += it.status == outcome_status::failed;
                unknown_count += it.status == outcome_status::unknown;
            }
        }
        const std::size_t applied = succeeded;
        const auto after = be.score(id);
        BOOST_TEST_CONTEXT("user " << id << ": " << succeeded << " succeeded, " << failed
                                   << " failed, " << unknown_count << " unknown") {
            if (o == op::bulk_incr) {
                const double delta = after.value_or(0) - before[i].value_or(0);
                BOOST_TEST(delta >= static_cast<double>(applied));
                BOOST_TEST(delta <= static_cast<double>(applied + unknown_count));
            } else {
                const auto wanted = static_cast<double>(set_value(i));
                if (applied > 0) {
                    BOOST_TEST((after == wanted));
                } else if (unknown_count == 0) {
                    BOOST_TEST((after == before[i]));
                } else {
                    BOOST_TEST((after == before[i] || after == wanted));
                }
            }
        }
    }
}

asio::awaitable<void> exercise(bench& b, const fault_row& row, op o) {
    std::vector<std::optional<double>> before;
    for (std::size_t i = 0; i < bulk_items; ++i) {
        before.push_back(b.be.score(b.be.ids[i]));
    }
    observed seen;
    const auto started = clock_type::now();
    const std::function<asio::awaitable<void>(std::size_t)> copy = [&](std::size_t) {
        return run_op(b, o, row.repeat, seen);
    };
    co_await run_parallel(row.parallel, copy);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);

    const expect& e = expected(row, o);
    const std::size_t calls = row.parallel * row.repeat;
    const bool bulk = o == op::bulk_set || o == op::bulk_incr;
    BOOST_TEST(seen.items.size() == calls * (bulk ? bulk_items : 1));
    std::set<std::string> outcomes;
    for (const auto& it : seen.items) {
        check_item(it, e, o);
        outcomes.insert(describe(it));
    }
    if (o == op::list_users && e.status == outcome_status::succeeded) {
        for (std::size_t i = 0; i < seen.listed.size(); ++i) {
            BOOST_TEST(seen.listed[i] == row.listed);
            BOOST_TEST(seen.distinct[i] == row.listed);
        }
    }
    if (bulk) {
        check_store(o, seen, b.be, before);
    }
    BOOST_TEST(elapsed.count() >= row.min_elapsed.count());
    if (const auto* server = b.emulator(); server != nullptr && row.emulated) {
        const auto stats = server->stats();
        if (row.when == fires::once_per_url) {
            // Every fault rule fired: the targets above are what the client really requested.
            BOOST_TEST(stats.fault_count(*row.emulated) == b.targets().size());
        }
    }
    if (const auto* server = b.emulator(); server != nullptr && row.max_requests_per_connection) {
        const auto stats = server->stats();
        BOOST_TEST(stats.connections_accepted * row.max_requests_per_connection >=
                   stats.requests_total);
        BOOST_TEST(stats.connections_accepted > calls / row.max_requests_per_connection);
    }
    if (row.emulated == fk::connection_close) {
        BOOST_TEST(b.client->pool_stats().connections_reused == 0u);
    }

    if (heals(row.where)) {
        // The server behaves again: the same client must work at once.
        b.heal();
        const auto probe = co_await b.client->get_user(b.be.ids[1]);
        BOOST_TEST(probe.has_value(),
                   "after the fault: " << (probe ? "" : probe.error().diagnostics.to_string()));
    }
    const auto st = b.client->pool_stats();
    BOOST_TEST(st.in_use == 0u);
    BOOST_TEST(st.connections_opened == st.connections_closed + st.idle);

    std::string summary;
    for (const auto& s : outcomes) {
        summary += (summary.empty() ? "" : " / ") + s;
    }
    std::string example;
    for (const auto& it : seen.items) {
        if (it.error) {
            example = it.error->diagnostics.to_string();
            break;
        }
    }
    BOOST_TEST_MESSAGE("cell | " << row.name << " | " << name(o) << " | " << summary << " | "
                                 << elapsed.count() << " ms | " << example);
    b.finish();
}

void run_cell(const fault_row& row, op o) {
    BOOST_TEST_CONTEXT(row.name << " x " << name(o) << ": " << row.misbehaviour) {
        bench b(row, o);
        run_bounded(b.ioc, exercise(b, row, o), std::chrono::seconds(60));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(fault_matrix)

BOOST_DATA_TEST_CASE(get_user, bdata::make(matrix), row) {
    run_cell(row, op::get_user);
}

BOOST_DATA_TEST_CASE(list_users_with_the_pager, bdata::make(matrix), row) {
    run_cell(row, op::list_users);
}

BOOST_DATA_TEST_CASE(bulk_update_with_set, bdata::make(matrix), row) {
    run_cell(row, op::bulk_set);
}

BOOST_DATA_TEST_CASE(bulk_update_with_incr_by, bdata::make(matrix), row) {
    run_cell(row, op::bulk_incr);
}

BOOST_AUTO_TEST_SUITE_END()

// =============================================================================================

namespace {

// A TLS scripted server answering from a backend, and a client for it.
struct scripted_service {
    explicit scripted_service(minapp::test::script s,
                              std::function<void(minapp::client_options&)> tweak = {})
        : server(ioc.get_executor(), std::move(s), &trusted_identity()) {
        auto o = client_options_for(local_url(server.port()), trusted_identity().certificate_pem);
        if (tweak) {
            tweak(o);
        }
        client.emplace(ioc.get_executor(), std::move(o));
    }

    void finish() {
        client->shutdown();
        server.stop();
    }

    asio::io_context ioc;
    backend be;
    scripted_server server;
    std::optional<minapp::client> client;
};

// One call of each kind; the failures, in order (a success is a test failure).
asio::awaitable<std::vector<minapp::failure>> three_calls(minapp::client& c, std::int64_t id) {
    std::vector<minapp::failure> out;
    auto keep = [&](const auto& r) {
        BOOST_TEST(!r.has_value());
        if (!r.has_value()) {
            out.push_back(r.error());
        }
    };
    const auto got = co_await c.get_user(id);
    keep(got);
    minapp::user_query q;
    q.page_size(page_size);
    auto pager = c.list_users(q);
    const auto page = co_await pager.next();
    keep(page);
    const auto change = minapp::update().set("score", 1);
    const auto put = co_await c.update_user(id, change);
    keep(put);
    co_return out;
}

enum class injected_field { token, token_provider, env_id, user_agent };

struct injection {
    const char* name;
    injected_field field;
    std::string value;
    const char* header; // named in the failure's detail
};

std::ostream& operator<<(std::ostream& os, const injection& i) {
    return os << i.name;
}

const std::vector<injection>& injections() {
    static const std::vector<injection> all = [] {
        const std::string token = secret_token;
        const std::string nul(1, '\0');
        return std::vector<injection>{
            {"token CRLF", injected_field::token, token + "\r\nX-Injected: 1", "Authorization"},
            {"token LF", injected_field::token, token + "\nX-Injected: 1", "Authorization"},
            {"token CR", injected_field::token, token + "\rX-Injected: 1", "Authorization"},
            {"token NUL", injected_field::token, token + nul + "X-Injected: 1", "Authorization"},
            {"token_provider CRLF", injected_field::token_provider, token + "\r\nX-Injected: 1",
             "Authorization"},
            {"env_id CRLF", injected_field::env_id, "env-test\r\nX-Injected: 1",
             "X-Hydrogen-Env-ID"},
            {"env_id LF", injected_field::env_id, "env-test\nX-Injected: 1", "X-Hydrogen-Env-ID"},
            {"env_id NUL", injected_field::env_id, "env-test" + nul + "X-Injected: 1",
             "X-Hydrogen-Env-ID"},
            {"user_agent CRLF", injected_field::user_agent, "minapp-test\r\nX-Injected: 1",
             "User-Agent"},
            {"user_agent LF", injected_field::user_agent, "minapp-test\nX-Injected: 1",
             "User-Agent"},
            {"user_agent NUL", injected_field::user_agent, "minapp-test" + nul + "X-Injected: 1",
             "User-Agent"},
        };
    }();
    return all;
}

} // namespace

BOOST_AUTO_TEST_SUITE(security)

BOOST_DATA_TEST_CASE(header_injection_is_refused_before_anything_is_sent, bdata::make(injections()),
                     inj) {
    std::atomic<std::size_t> injected{0};
    backend* be = nullptr;
    scripted_service s(
        [&](const seen_request& q) {
            if (!q.header("X-Injected").empty()) {
                ++injected;
            }
            return healthy(q, *be);
        },
        [&](minapp::client_options& o) {
            switch (inj.field) {
            case injected_field::token:
                o.access_token(inj.value);
                break;
            case injected_field::token_provider:
                o.access_token("");
                o.token_provider([v = inj.value] { return v; });
                break;
            case injected_field::env_id:
                o.env_id(inj.value);
                break;
            case injected_field::user_agent:
                o.pool().user_agent(inj.value);
                break;
            }
        });
    be = &s.be;
    run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
        const auto failures = co_await three_calls(*s.client, s.be.ids[0]);
        BOOST_TEST(failures.size() == 3u);
        for (const auto& f : failures) {
            BOOST_TEST_CONTEXT(f.diagnostics.to_string()) {
                BOOST_TEST((f.code == error::invalid_request));
                BOOST_TEST(!f.diagnostics.request_sent);
                BOOST_TEST(f.diagnostics.http_status == 0u);
                BOOST_TEST(f.diagnostics.detail.find(inj.header) != std::string::npos);
                // The refused value is never echoed (it may be a credential).
                BOOST_TEST(f.diagnostics.to_string().find("X-Injected") == std::string::npos);
                collect(f);
            }
        }
        BOOST_TEST(s.server.connections() == 0u);
        BOOST_TEST(s.server.requests() == 0u);
        BOOST_TEST(injected.load() == 0u);
        BOOST_TEST(s.client->pool_stats().in_use == 0u);
        s.finish();
    }());
}

BOOST_AUTO_TEST_CASE(redirects_to_another_origin_are_errors_and_never_followed) {
    for (unsigned status : {301u, 302u, 303u, 307u, 308u}) {
        BOOST_TEST_CONTEXT("status " << status) {
            asio::io_context ioc;
            backend be;
            // The origin the Location points to: it must never see a connection.
            scripted_server elsewhere(
                ioc.get_executor(), [&](const seen_request& q) { return healthy(q, be); },
                &trusted_identity());
            const std::string location = local_url(elsewhere.port());
            scripted_server origin(
                ioc.get_executor(),
                [&](const seen_request& q) {
                    reply r;
                    r.status = status;
                    r.body = R"({"message":"moved"})";
                    r.headers.emplace_back("Location", location + q.target);
                    return r;
                },
                &trusted_identity());
            minapp::client c(
                ioc.get_executor(),
                client_options_for(local_url(origin.port()), trusted_identity().certificate_pem));
            run_bounded(ioc, [&]() -> asio::awaitable<void> {
                const auto failures = co_await three_calls(c, be.ids[0]);
                BOOST_TEST(failures.size() == 3u);
                for (const auto& f : failures) {
                    BOOST_TEST_CONTEXT(f.diagnostics.to_string()) {
                        BOOST_TEST((f.code == error::unexpected_status));
                        BOOST_TEST(f.diagnostics.http_status == status);
                        BOOST_TEST(f.diagnostics.detail == "redirects are not followed");
                        BOOST_TEST(f.diagnostics.attempts == 1);
                        collect(f);
                    }
                }
                // One request per call reached the origin; nothing went anywhere else.
                BOOST_TEST(origin.requests() == 3u);
                BOOST_TEST(elsewhere.connections() == 0u);
                BOOST_TEST(elsewhere.requests() == 0u);
                BOOST_TEST(c.pool_stats().in_use == 0u);
                c.shutdown();
                origin.stop();
                elsewhere.stop();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_is_malformed_not_a_crash) {
    const std::string deep_arrays(10'000, '[');
    std::string deep_objects;
    for (int i = 0; i < 10'000; ++i) {
        deep_objects += R"({"a":)";
    }
    const std::string deep_page =
        R"({"meta":{"limit":2,"offset":0,"next":null},"objects":[)" + deep_arrays;
    struct variant {
        const char* name;
        unsigned status;
        std::string body;
        error expected;
    };
    const variant variants[] = {
        {"10,000 [ (200)", 200, deep_arrays, error::malformed_response},
        {"60,000 [ (200, just under body_limit)", 200, std::string(60'000, '['),
         error::malformed_response},
        {"10,000 {\"a\": (200)", 200, deep_objects, error::malformed_response},
        {"10,000 [ inside a list envelope (200)", 200, deep_page, error::malformed_response},
        {"10,000 [ (500)", 500, deep_arrays, error::server_error},
        {"10,000 {\"a\": (404)", 404, deep_objects, error::not_found},
    };
    for (const auto& v : variants) {
        BOOST_TEST_CONTEXT(v.name) {
            scripted_service s([&](const seen_request&) {
                reply r;
                r.status = v.status;
                r.body = v.body;
                return r;
            });
            run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
                const auto failures = co_await three_calls(*s.client, s.be.ids[0]);
                BOOST_TEST(failures.size() == 3u);
                for (const auto& f : failures) {
                    BOOST_TEST_CONTEXT(f.diagnostics.to_string()) {
                        BOOST_TEST((f.code == v.expected));
                        if (v.status != 200) {
                            BOOST_TEST(f.diagnostics.http_status == v.status);
                            // The raw body stands in for the message, bounded.
                            BOOST_TEST(!f.diagnostics.server_message.empty());
                            BOOST_TEST(f.diagnostics.server_message.size() <= 515u);
                        } else {
                            BOOST_TEST(!f.diagnostics.detail.empty());
                        }
                        collect(f);
                    }
                }
                BOOST_TEST(s.client->pool_stats().in_use == 0u);
                s.finish();
            }());
        }
    }
}

// A server that echoes the credential in its error body (some do, for "invalid token: ...").
BOOST_AUTO_TEST_CASE(a_server_echoing_the_token_in_its_error_body) {
    const std::string bodies[] = {
        std::string(R"({"status":"error","error_msg":"invalid token: )") + secret_token + R"("})",
        std::string("rejected: Authorization: Bearer ") + secret_token,
    };
    for (const auto& body : bodies) {
        BOOST_TEST_CONTEXT(body.size() << "-byte body") {
            scripted_service s([&](const seen_request&) {
                reply r;
                r.status = 401;
                r.body = body;
                return r;
            });
            run_bounded(s.ioc, [&]() -> asio::awaitable<void> {
                const auto failures = co_await three_calls(*s.client, s.be.ids[0]);
                BOOST_TEST(failures.size() == 3u);
                for (const auto& f : failures) {
                    BOOST_TEST((f.code == error::unauthorized));
                    BOOST_TEST(f.diagnostics.http_status == 401u);
                    const minapp::api_error thrown(f);
                    // The server echoed the token: it is redacted from server_message, hence
                    // from to_string() and what().
                    BOOST_TEST(f.diagnostics.server_message.find(secret_token) ==
                               std::string::npos);
                    BOOST_TEST(f.diagnostics.server_message.find("[redacted]") !=
                               std::string::npos);
                    BOOST_TEST(f.diagnostics.to_string().find(secret_token) == std::string::npos);
                    BOOST_TEST(std::string(thrown.what()).find(secret_token) == std::string::npos);
                }
                s.finish();
            }());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_token_never_appears_in_any_failure, *utf::depends_on("fault_matrix")) {
    const auto& corpus = leak_corpus();
    BOOST_TEST_MESSAGE("scanned " << corpus.size() << " failure texts");
    // Four texts per failure; the matrix alone yields well over a hundred failures.
    BOOST_TEST(corpus.size() > 400u);
    std::size_t leaks = 0;
    for (const auto& text : corpus) {
        if (text.find(secret_token) != std::string::npos ||
            text.find("SECRET-9f3c") != std::string::npos) {
            ++leaks;
            BOOST_TEST_MESSAGE("token in: " << text);
        }
    }
    BOOST_TEST(leaks == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
