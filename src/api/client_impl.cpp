#include "client_impl.hpp"

#include "../detail/limiter_access.hpp"
#include "../http/pool_access.hpp"
#include "../http/request_serialiser.hpp"
#include "../http/request_validation.hpp"
#include "call_fsm.hpp"
#include "json_reply.hpp"
#include "token_flow.hpp"

#include <minapp/client.hpp>
#include <minapp/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>

namespace minapp::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// The API answers 502 beyond this many characters of URL (notes §1.4).
constexpr std::size_t max_url_length = 16386;

http::origin checked_origin(const std::string& base_url) {
    auto origin = http::parse_origin(base_url);
    if (!origin) {
        failure f(origin.error());
        f.diagnostics.detail =
            "base_url '" + base_url + "' is not https://host[:port] or http://host:port";
        throw api_error(std::move(f));
    }
    return *origin;
}

bool cancelled(const asio::cancellation_state& state) {
    return state.cancelled() != asio::cancellation_type::none;
}

// What a call writes before its body: the request line, the client's header block, and the
// body's fields.
struct call_head {
    const call_spec* spec;
    const std::string* block;
};

void write_call_head(const void* context, std::string& out) {
    const auto& head = *static_cast<const call_head*>(context);
    const call_spec& spec = *head.spec;
    http::detail::append_request_line(
        out, spec.method, std::string_view(spec.path.data(), spec.path.size()), spec.query);
    out.append(*head.block);
    if (!spec.body.empty() || spec.method == http::method::put) {
        out.append("Content-Type: application/json\r\n");
        http::detail::append_content_length(out, spec.body.size());
    }
    out.append("\r\n");
}

} // namespace

const char* method_name(http::method m) noexcept {
    switch (m) {
    case http::method::get:
        return "GET";
    case http::method::put:
        return "PUT";
    case http::method::post:
        return "POST";
    case http::method::delete_:
        return "DELETE";
    }
    return "?";
}

failure invalid_argument(std::string detail, const call_spec* spec) {
    failure f(error::invalid_argument);
    f.diagnostics.detail = std::move(detail);
    if (spec != nullptr) {
        f.diagnostics.method = method_name(spec->method);
        f.diagnostics.path.assign(spec->path.data(), spec->path.size());
    }
    return f;
}

client_impl::client_impl(const asio::any_io_executor& ex, client_options options)
    : executor_(ex)
    , options_(std::move(options))
    , pool_(std::make_shared<http::connection_pool>(ex, checked_origin(options_.base_url()),
                                                    options_.pool()))
    , core_(http::detail::pool_access::core(*pool_))
    , limiter_(options_.shared_rate_limiter() ? options_.shared_rate_limiter()
               : options_.rate_limit() ? std::make_shared<rate_limiter>(*options_.rate_limit())
                                       : nullptr)
    , budget_(options_.retry().budget_max_tokens, options_.retry().budget_token_ratio)
    , origin_length_(pool_->target().to_string().size())
    , jitter_(options_.retry().jitter_seed) {
    if (options_.access_token().empty() && !options_.token_provider() &&
        !options_.token_fetcher() && !options_.client_credentials()) {
        throw api_error(invalid_argument("an access token is required (access_token, "
                                         "client_credentials, token_fetcher or token_provider)"));
    }
    if (const auto& c = options_.client_credentials();
        c && (c->client_id().empty() || c->client_secret().empty())) {
        throw api_error(invalid_argument("client_credentials: the client id and secret must not "
                                         "be empty"));
    }
    if (options_.retry().max_attempts < 1) {
        throw api_error(invalid_argument("retry.max_attempts must be at least 1"));
    }
    const auto& r = options_.retry();
    if (r.budget_max_tokens > 0 && !(r.budget_token_ratio > 0 && r.budget_token_ratio <= 1)) {
        throw api_error(invalid_argument("retry.budget_token_ratio must be within (0, 1]"));
    }
    if (const auto& c = options_.client_credentials()) {
        auto flow = std::make_shared<credentials_flow>(pool_, *c);
        tokens_ = std::make_shared<token_cache>(
            ex, [flow] { return flow->fetch(); }, options_.token_renewal());
    } else if (options_.token_fetcher()) {
        tokens_ =
            std::make_shared<token_cache>(ex, options_.token_fetcher(), options_.token_renewal());
    } else if (!options_.token_provider()) {
        block_ = make_block(options_.access_token());
    }
}

std::shared_ptr<const client_impl::header_block>
client_impl::make_block(std::string token, std::uint64_t generation) const {
    auto b = std::make_shared<header_block>();
    b->generation = generation;
    const auto& target = pool_->target();
    const std::string& user_agent = pool_->options().user_agent();
    // Values are checked here once: a CR or LF in one would inject header fields.
    for (const http::field& f : {http::field("Authorization", "Bearer " + token),
                                 http::field("X-Hydrogen-Env-ID", options_.env_id())}) {
        if (auto problem = http::detail::validate_field(f);
            !problem.empty() && b->problem.empty()) {
            b->problem = std::move(problem);
        }
    }
    if (auto problem = core_->user_agent_problem(); !problem.empty()) {
        b->problem = problem;
    }
    std::string& t = b->text;
    t.append("Host: ").append(target.host_header()).append("\r\n");
    t.append("User-Agent: ").append(user_agent).append("\r\n");
    t.append("Authorization: Bearer ").append(token).append("\r\n");
    if (!options_.env_id().empty()) {
        t.append("X-Hydrogen-Env-ID: ").append(options_.env_id()).append("\r\n");
    }
    t.append("Accept: application/json\r\n");
    b->token = std::move(token);
    return b;
}

std::shared_ptr<const client_impl::header_block> client_impl::current_block() {
    if (!options_.token_provider()) {
        return block_; // fixed for the client's life
    }
    std::string token = options_.token_provider()();
    std::lock_guard lock(mutex_);
    if (!block_ || block_->token != token) {
        block_ = make_block(std::move(token));
    }
    return block_;
}

std::shared_ptr<const client_impl::header_block> client_impl::block_for(const issued_token& token) {
    auto b = fetched_block_.load();
    if (!b || b->generation != token.generation) {
        auto fresh = make_block(token.value, token.generation);
        fetched_block_.store(fresh);
        b = std::move(fresh);
    }
    return b;
}

double client_impl::next_jitter() {
    std::lock_guard lock(mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
}

void client_impl::shutdown() {
    if (!closing_.exchange(true)) {
        if (tokens_) {
            tokens_->shutdown();
        }
        core_->shutdown();
    }
}

namespace {

// Waits for a token as a call waits for the limiter: registered on the call's ticket, so that
// the caller's cancellation or a shutdown ends the wait from any thread. error::cancelled when
// the wait could not start or was stopped.
asio::awaitable<result<std::shared_ptr<const issued_token>>>
wait_for_token(token_cache& tokens, http::detail::pool_core& pool,
               http::detail::call_ticket& ticket, asio::cancellation_state cancel_state) {
    token_wait waker(tokens);
    if (cancelled(cancel_state) || !pool.wait_externally(ticket, &waker)) {
        co_return failure(error::cancelled);
    }
    auto fetched = co_await tokens.wait(waker, ticket.rearm());
    pool.wait_externally(ticket, nullptr);
    co_return fetched;
}

} // namespace

template <class T>
asio::awaitable<result<T>> client_impl::call(std::shared_ptr<client_impl> self, call_spec spec) {
    failure f;
    f.diagnostics.method = method_name(spec.method);
    // The path is copied into a failure only when the call fails: a success allocates nothing
    // for it.
    const auto failed = [&spec](failure& x) {
        x.diagnostics.path.assign(spec.path.data(), spec.path.size());
        return std::move(x);
    };
    const std::size_t url_length =
        self->origin_length_ + spec.path.size() + (spec.query.empty() ? 0 : spec.query.size() + 1);
    if (url_length > max_url_length) {
        f.code = error::url_too_long;
        f.diagnostics.detail =
            "URL of " + std::to_string(url_length) + " characters; the API accepts at most 16386";
        co_return failed(f);
    }
    auto& pool = *self->core_;
    // Checked before the first suspension, and before every later one: co_await throws for a
    // cancellation of the calling coroutine (Boost 1.81's throw_if_cancelled default).
    const asio::cancellation_state cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancelled(cancel_state)) {
        f.code = error::cancelled;
        f.diagnostics.detail = "cancelled before the call started";
        co_return failed(f);
    }
    // The caller's terminal or partial cancellation, from any thread, ends whatever the call
    // waits on, through the pool (under its lock): the ticket keeps its handler on the caller's
    // slot while the call lasts.
    http::detail::call_ticket ticket;
    ticket.caller_slot = cancel_state.slot();
    if (!pool.enter(ticket)) {
        f.code = error::pool_shut_down;
        f.diagnostics.detail = "the client was shut down";
        co_return failed(f);
    }
    struct registration {
        http::detail::pool_core& pool;
        http::detail::call_ticket& ticket;
        ~registration() { pool.leave(ticket); }
    } registered{pool, ticket};
    const auto stop_reason = [&] {
        const auto s = pool.state(ticket);
        return s.shut_down                              ? call_stop::shut_down
               : s.cancelled || cancelled(cancel_state) ? call_stop::cancelled
                                                        : call_stop::none;
    };

    const bool write = spec.method != http::method::get;
    rate_limiter* limiter = self->limiter_.get();
    call_fsm fsm({&self->options_.retry(), &self->budget_, spec.idempotent, write,
                  limiter != nullptr, self->tokens_ != nullptr},
                 std::move(f));
    const std::array<asio::const_buffer, 1> body{asio::buffer(spec.body)};
    std::optional<asio::steady_timer> backoff;
    auto admitted_at = clock::now();
    for (auto action = fsm.start();;) {
        switch (action) {
        case call_fsm::action::acquire: {
            auto r = limiter_access::reserve(*limiter);
            call_stop stop = call_stop::none;
            if (!r.granted) {
                limiter_stop waker(*limiter);
                if (cancelled(cancel_state) || !pool.wait_externally(ticket, &waker)) {
                    limiter_access::give_back(*limiter, r);
                    stop = stop_reason();
                } else {
                    const auto waited =
                        co_await limiter_access::wait(*limiter, r, waker, ticket.rearm());
                    pool.wait_externally(ticket, nullptr);
                    stop = waited ? stop_reason() : call_stop::none;
                    if (waited && stop == call_stop::none) {
                        if (waited != error::cancelled) {
                            action =
                                fsm.on_refused(waited, limiter_access::refusal_reason(*limiter));
                            break;
                        }
                        stop = call_stop::cancelled;
                    }
                }
            }
            admitted_at = clock::now();
            action = fsm.on_acquired(stop);
            break;
        }
        case call_fsm::action::send: {
            std::shared_ptr<const header_block> block;
            if (token_cache* tokens = self->tokens_.get()) {
                auto token = tokens->current();
                if (!token) {
                    auto fetched = co_await wait_for_token(*tokens, pool, ticket, cancel_state);
                    if (!fetched) {
                        const auto stop = stop_reason();
                        if (stop != call_stop::none || fetched.error().code == error::cancelled) {
                            action = fsm.on_acquired(stop == call_stop::none ? call_stop::cancelled
                                                                             : stop);
                            break;
                        }
                        // The call was not sent with this token: it fails as the fetch did.
                        failure bad = fetched.error();
                        bad.diagnostics.attempts = fsm.attempts();
                        bad.diagnostics.request_sent = fsm.failure_info().diagnostics.request_sent;
                        bad.diagnostics.applied = fsm.failure_info().diagnostics.applied;
                        co_return bad;
                    }
                    token = std::move(*fetched);
                }
                block = self->block_for(*token);
            } else {
                block = self->current_block();
            }
            if (!block->problem.empty()) {
                failure& bad = fsm.failure_info();
                bad.code = error::invalid_request;
                bad.diagnostics.detail = block->problem;
                co_return failed(bad);
            }
            if (cancelled(cancel_state)) {
                action = fsm.on_acquired(stop_reason());
                break;
            }
            const call_head head{&spec, &block->text};
            std::shared_ptr<http::detail::connection> used;
            auto out = co_await pool.attempt(
                ticket, http::detail::serialiser{&write_call_head, &head}, body, spec.idempotent,
                reply_of<T>::shape, nullptr, used, clock::now() + self->options_.request_timeout());
            std::optional<parsed<T>> typed;
            if (used) {
                typed.emplace(reply_of<T>::take(used->reader()));
                pool.release(ticket, std::move(used), out.reusable, true);
            }
            std::string message;
            if (!out.ec && (out.status < 200 || out.status >= 300)) {
                // A server that echoes the token must not make it reach diagnostics.
                message = server_message(redacted(std::move(out.text), block->token));
            }
            attempt_report report;
            report.ec = out.ec;
            report.status = out.status;
            report.request_sent = out.info.request_sent;
            report.earlier_attempt_unanswered = out.info.earlier_attempt_unanswered;
            report.sends = std::max(out.info.attempts, 0);
            report.detail = out.info.detail;
            report.server_message = message;
            report.retry_after = out.retry_after;
            action = fsm.on_sent(report, std::chrono::system_clock::now());
            if (fsm.token_refused()) {
                self->tokens_->invalidate(block->generation);
            }
            if (limiter != nullptr && fsm.throttle_pause()) {
                limiter->on_throttled(*fsm.throttle_pause(), admitted_at);
            }
            if (fsm.succeeded()) {
                if (limiter != nullptr) {
                    limiter->on_success();
                }
                if (typed && *typed) {
                    co_return std::move(**typed);
                }
                // The request was answered (and a write applied): only its body could not be
                // read.
                failure& bad = fsm.failure_info();
                bad.code = error::malformed_response;
                bad.diagnostics.http_status = out.status;
                bad.diagnostics.request_sent = true;
                bad.diagnostics.attempts = fsm.attempts();
                bad.diagnostics.applied = write ? write_applied::yes : write_applied::no;
                bad.diagnostics.detail =
                    typed ? typed->error().message : "reply is not valid JSON: no body";
                co_return failed(bad);
            }
            break;
        }
        case call_fsm::action::sleep: {
            if (cancelled(cancel_state)) {
                action = fsm.on_slept(stop_reason());
                break;
            }
            if (!backoff) {
                backoff.emplace(co_await asio::this_coro::executor);
            }
            const bool slept =
                co_await pool.sleep(ticket, *backoff, fsm.delay(self->next_jitter()));
            action = fsm.on_slept(slept ? call_stop::none : stop_reason());
            break;
        }
        case call_fsm::action::done:
            co_return failed(fsm.failure_info());
        }
    }
}

asio::awaitable<result<token_grant>> client_impl::access_token(std::shared_ptr<client_impl> self) {
    if (!self->tokens_) {
        const auto block = self->current_block();
        co_return token_grant(block->token, std::chrono::seconds(0));
    }
    auto token = self->tokens_->current();
    if (!token) {
        const asio::cancellation_state cancel_state = co_await asio::this_coro::cancellation_state;
        auto& pool = *self->core_;
        http::detail::call_ticket ticket;
        ticket.caller_slot = cancel_state.slot();
        if (!pool.enter(ticket)) {
            co_return failure(error::pool_shut_down);
        }
        struct registration {
            http::detail::pool_core& pool;
            http::detail::call_ticket& ticket;
            ~registration() { pool.leave(ticket); }
        } registered{pool, ticket};
        auto fetched = co_await wait_for_token(*self->tokens_, pool, ticket, cancel_state);
        if (!fetched) {
            if (fetched.error().code == error::cancelled && pool.state(ticket).shut_down) {
                co_return failure(error::pool_shut_down);
            }
            co_return fetched.error();
        }
        token = std::move(*fetched);
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(token->expires_at - self->tokens_->now());
    co_return token_grant(token->value, std::max(left, std::chrono::seconds(0)));
}

template asio::awaitable<result<user_profile>>
    client_impl::call<user_profile>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<user_page>>
    client_impl::call<user_page>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<std::int64_t>>
    client_impl::call<std::int64_t>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<batch_update_result>>
    client_impl::call<batch_update_result>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<account_info>>
    client_impl::call<account_info>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<basic_page<user_v1>>>
    client_impl::call<basic_page<user_v1>>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<user_v1>> client_impl::call<user_v1>(std::shared_ptr<client_impl>,
                                                                     call_spec);

const std::shared_ptr<client_impl>& client_access::impl(const client& c) noexcept {
    return c.impl_;
}

} // namespace minapp::detail
