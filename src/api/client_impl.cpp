#include "client_impl.hpp"

#include "../http/pool_access.hpp"
#include "json_reply.hpp"
#include "retry_decisions.hpp"

#include <minapp/client.hpp>
#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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

bool ambiguous_transport_failure(const boost::system::error_code& ec) {
    return ec == error::connection_closed || ec == error::connection_reset ||
           ec == error::request_timeout || ec == error::protocol_error || ec == error::cancelled ||
           ec == error::body_limit_exceeded || ec == error::header_limit_exceeded;
}

// A server that echoes the token in an error body must not make it reach diagnostics. Redacted
// before server_message() truncates, so that no prefix of it survives either.
std::string redacted(std::string body, const std::string& token) {
    if (token.empty()) {
        return body;
    }
    for (auto at = body.find(token); at != std::string::npos; at = body.find(token, at)) {
        body.replace(at, token.size(), "[redacted]");
    }
    return body;
}

std::string joined(const std::string& first, const std::string& second) {
    if (second.empty()) {
        return first;
    }
    return first + " (" + second + ")";
}

bool cancelled(const asio::cancellation_state& state) {
    return state.cancelled() != asio::cancellation_type::none;
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
        f.diagnostics.path = spec->path;
    }
    return f;
}

client_impl::client_impl(const asio::any_io_executor& ex, client_options options)
    : executor_(ex)
    , options_(std::move(options))
    , pool_(ex, checked_origin(options_.base_url()), options_.pool())
    , limiter_(options_.shared_rate_limiter() ? options_.shared_rate_limiter()
               : options_.rate_limit() ? std::make_shared<rate_limiter>(*options_.rate_limit())
                                       : nullptr)
    , budget_(options_.retry().budget_max_tokens, options_.retry().budget_token_ratio)
    , origin_length_(pool_.target().to_string().size())
    , jitter_(options_.retry().jitter_seed) {
    if (options_.access_token().empty() && !options_.token_provider()) {
        throw api_error(invalid_argument("an access token (or a token provider) is required"));
    }
    if (options_.retry().max_attempts < 1) {
        throw api_error(invalid_argument("retry.max_attempts must be at least 1"));
    }
    const auto& r = options_.retry();
    if (r.budget_max_tokens > 0 && !(r.budget_token_ratio > 0 && r.budget_token_ratio <= 1)) {
        throw api_error(invalid_argument("retry.budget_token_ratio must be within (0, 1]"));
    }
}

double client_impl::next_jitter() {
    std::lock_guard lock(jitter_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
}

void client_impl::shutdown() {
    if (closing_.exchange(true)) {
        return;
    }
    asio::dispatch(http::detail::pool_access::strand(pool_), [self = shared_from_this()] {
        self->shut_down_ = true;
        // Cancelling completes nothing inline (handlers are posted), so the list stays intact.
        for (auto& call : self->active_) {
            call.signal.emit(asio::cancellation_type::terminal);
        }
        self->pool_.shutdown(); // on this strand already: runs inline
    });
}

asio::awaitable<result<reply>> client_impl::call(std::shared_ptr<client_impl> self,
                                                 call_spec spec) {
    failure f;
    f.diagnostics.method = method_name(spec.method);
    f.diagnostics.path = spec.path;
    const std::size_t url_length =
        self->origin_length_ + spec.path.size() + (spec.query.empty() ? 0 : spec.query.size() + 1);
    if (url_length > max_url_length) {
        f.code = error::url_too_long;
        f.diagnostics.detail =
            "URL of " + std::to_string(url_length) + " characters; the API accepts at most 16386";
        co_return f;
    }
    if (self->closing_.load()) {
        f.code = error::pool_shut_down;
        f.diagnostics.detail = "the client was shut down";
        co_return f;
    }
    // Checked before the first suspension: co_await would throw for a cancellation that
    // landed before the call.
    if (cancelled(co_await asio::this_coro::cancellation_state)) {
        f.code = error::cancelled;
        f.diagnostics.detail = "cancelled before the call started";
        co_return f;
    }
    auto relay = std::make_shared<asio::cancellation_signal>();
    auto run = self->attempts(std::move(spec), relay.get());
    co_return co_await run_on_strand(http::detail::pool_access::strand(self->pool_), std::move(run),
                                     std::move(relay));
}

asio::awaitable<result<reply>> client_impl::attempts(call_spec spec,
                                                     asio::cancellation_signal* relay) {
    // Errors are values on this strand: a cancellation must end the call, never throw out of a
    // later co_await. Partial cancellation ends a call as terminal does.
    co_await asio::this_coro::throw_if_cancelled(false);
    co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
    const asio::cancellation_state cancel_state = co_await asio::this_coro::cancellation_state;
    active_call registration(*relay);
    active_.push_back(registration);

    failure f;
    f.diagnostics.method = method_name(spec.method);
    f.diagnostics.path = spec.path;

    http::request request(spec.method, spec.path);
    if (!spec.query.empty()) {
        request.target += '?';
        request.target += spec.query;
    }
    request.idempotent = spec.idempotent;
    if (!options_.env_id().empty()) {
        request.headers.emplace_back("X-Hydrogen-Env-ID", options_.env_id());
    }
    if (!spec.body.empty() || spec.method == http::method::put) {
        request.headers.emplace_back("Content-Type", "application/json");
        request.body = std::move(spec.body);
    }
    const bool write = spec.method != http::method::get;

    // A write whose answer was lost may have been applied even if a later attempt is refused:
    // its caller must hear "unknown", not the last attempt's error.
    bool may_have_applied = false;
    const auto give_up = [&f, &may_have_applied]() -> failure {
        if (may_have_applied && f.code != error::outcome_unknown) {
            f.diagnostics.detail =
                joined("an earlier attempt may have been applied; the last one failed with: " +
                           f.code.message(),
                       f.diagnostics.detail);
            f.code = error::outcome_unknown;
        }
        return f;
    };
    // The call ends because its caller cancelled it or the client shut down, `where` it waited.
    const auto stop = [&](const char* where) -> failure {
        const bool by_shutdown = shut_down_;
        f.code = by_shutdown ? error::pool_shut_down : error::cancelled;
        f.diagnostics.http_status = 0;
        f.diagnostics.server_message.clear();
        f.diagnostics.detail =
            std::string(by_shutdown ? "the client was shut down" : "cancelled") + " while " + where;
        if (write && may_have_applied) {
            f.diagnostics.detail += "; the write may have reached the server";
            f.code = error::outcome_unknown;
        }
        return f;
    };

    const auto& policy = options_.retry();
    int sent_attempts = 0;
    for (int attempt = 1;; ++attempt) {
        if (shut_down_ || cancelled(cancel_state)) {
            co_return stop(attempt == 1 ? "starting" : "retrying");
        }
        const std::string token =
            options_.token_provider() ? options_.token_provider()() : options_.access_token();
        request.headers.emplace_back("Authorization", "Bearer " + token);
        auto admitted_at = clock::now();
        if (limiter_) {
            const boost::system::error_code waited = co_await limiter_->acquire();
            if (waited || shut_down_) {
                co_return stop("waiting for the rate limiter");
            }
            admitted_at = clock::now();
        }
        auto sent = co_await http::detail::pool_access::send_on_strand(
            pool_, request, clock::now() + options_.request_timeout());
        request.headers.pop_back(); // the Authorization header of this attempt
        sent_attempts += sent.info.attempts;
        f.diagnostics.attempts = sent_attempts;
        f.diagnostics.request_sent = f.diagnostics.request_sent || sent.info.request_sent;
        if (sent.info.earlier_attempt_unanswered && write) {
            may_have_applied = true;
        }
        retry_verdict verdict;
        std::optional<std::chrono::milliseconds> retry_after;
        if (sent.ec) {
            const bool ambiguous = sent.info.request_sent && ambiguous_transport_failure(sent.ec);
            if (ambiguous && write) {
                may_have_applied = true;
            }
            if (sent.ec == error::cancelled || (shut_down_ && sent.ec == error::pool_shut_down)) {
                co_return stop(sent.info.request_sent ? "waiting for the answer"
                                                      : "waiting for a connection");
            }
            f.diagnostics.detail = sent.info.detail;
            f.diagnostics.http_status = 0;
            f.diagnostics.server_message.clear();
            verdict = decide_retry(sent.ec, 0, sent.info.request_sent, spec.idempotent, !write);
            if (!spec.idempotent && ambiguous) {
                // An atomic update may have been applied: say so instead of a transport error.
                f.code = error::outcome_unknown;
                f.diagnostics.detail =
                    sent.ec.message() + (sent.info.detail.empty() ? "" : ": " + sent.info.detail);
                co_return f;
            }
            f.code = sent.ec;
        } else {
            const unsigned status = sent.response.status;
            if (status >= 200 && status < 300) {
                if (limiter_) {
                    limiter_->on_success();
                }
                budget_.on_success();
                reply r;
                r.body = std::move(sent.response.body);
                r.status = status;
                r.attempts = sent_attempts;
                co_return r;
            }
            f.code = status_error(status);
            f.diagnostics.http_status = status;
            f.diagnostics.server_message = server_message(redacted(sent.response.body, token));
            f.diagnostics.detail.clear();
            if (status >= 300 && status < 400) {
                f.diagnostics.detail = "redirects are not followed";
            }
            verdict = decide_retry({}, status, true, spec.idempotent, !write);
            retry_after = parse_retry_after(sent.response.header("Retry-After"),
                                            std::chrono::system_clock::now());
            if (limiter_ && status == 429) {
                // Everyone sharing the budget pauses, not only this caller.
                limiter_->on_throttled(retry_after.value_or(policy.throttle_floor), admitted_at);
            }
        }
        // A 429 says nothing about the server's health and is paced by the floor and the
        // limiter; every other retryable failure draws on the client's retry budget.
        const bool budgeted = verdict.retry && f.diagnostics.http_status != 429;
        if (budgeted) {
            budget_.on_failure();
        }
        if (!verdict.retry || attempt >= policy.max_attempts) {
            co_return give_up();
        }
        if (budgeted && !budget_.retry_allowed()) {
            f.diagnostics.detail += f.diagnostics.detail.empty() ? "" : "; ";
            f.diagnostics.detail += "not retried: the client's retry budget is exhausted";
            co_return give_up();
        }
        if (shut_down_ || cancelled(cancel_state)) {
            co_return stop("about to retry");
        }
        const auto delay =
            backoff_delay(policy, attempt, next_jitter(), verdict.throttled, retry_after);
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || shut_down_) {
            co_return stop("waiting to retry");
        }
    }
}

const std::shared_ptr<client_impl>& client_access::impl(const client& c) noexcept {
    return c.impl_;
}

} // namespace minapp::detail
