#include "client_impl.hpp"

#include "json_reply.hpp"
#include "retry_decisions.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minapp::detail {

namespace asio = boost::asio;

namespace {

// The API answers 502 beyond this many characters of URL (notes §1.4).
constexpr std::size_t max_url_length = 16386;

const char* method_name(http::method m) {
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

http::origin checked_origin(const std::string& base_url) {
    auto origin = http::parse_origin(base_url);
    if (!origin) {
        throw api_error(failure{origin.error(),
                                {0,
                                 {},
                                 {},
                                 {},
                                 "base_url '" + base_url +
                                     "' is not https://host[:port] "
                                     "or http://host:port",
                                 false,
                                 0}});
    }
    return *origin;
}

http::pool_options pool_options_of(const client_options& o) {
    auto p = o.pool;
    p.request_timeout = o.request_timeout;
    return p;
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

} // namespace

failure invalid_argument(std::string detail, const call_spec* spec) {
    failure f{error::invalid_argument, {}};
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
    , pool_(ex, checked_origin(options_.base_url), pool_options_of(options_))
    , limiter_(options_.shared_rate_limiter ? options_.shared_rate_limiter
               : options_.rate_limit        ? std::make_shared<rate_limiter>(*options_.rate_limit)
                                            : nullptr)
    , budget_(options_.retry.budget_max_tokens, options_.retry.budget_token_ratio)
    , origin_length_(pool_.target().to_string().size())
    , jitter_(options_.retry.jitter_seed) {
    if (options_.access_token.empty() && !options_.token_provider) {
        throw api_error(invalid_argument("an access token (or a token provider) is required"));
    }
    if (options_.retry.max_attempts < 1) {
        throw api_error(invalid_argument("retry.max_attempts must be at least 1"));
    }
    const auto& r = options_.retry;
    if (r.budget_max_tokens > 0 && !(r.budget_token_ratio > 0 && r.budget_token_ratio <= 1)) {
        throw api_error(invalid_argument("retry.budget_token_ratio must be within (0, 1]"));
    }
}

double client_impl::next_jitter() {
    std::lock_guard lock(jitter_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
}

asio::awaitable<result<reply>> client_impl::call(call_spec spec) {
    failure f;
    f.diagnostics.method = method_name(spec.method);
    f.diagnostics.path = spec.path;

    std::string target = spec.path;
    if (!spec.query.empty()) {
        target += '?';
        target += spec.query;
    }
    if (origin_length_ + target.size() > max_url_length) {
        f.code = error::url_too_long;
        f.diagnostics.detail = "URL of " + std::to_string(origin_length_ + target.size()) +
                               " characters; the API accepts at most 16386";
        co_return f;
    }

    http::request request;
    request.method = spec.method;
    request.target = std::move(target);
    request.idempotent = spec.idempotent;
    const std::string token =
        options_.token_provider ? options_.token_provider() : options_.access_token;
    request.headers.push_back({"Authorization", "Bearer " + token});
    if (!options_.env_id.empty()) {
        request.headers.push_back({"X-Hydrogen-Env-ID", options_.env_id});
    }
    if (!spec.body.empty() || spec.method == http::method::put) {
        request.headers.push_back({"Content-Type", "application/json"});
        request.body = std::move(spec.body);
    }

    // A write whose answer was lost may have been applied even if a later attempt is refused:
    // its caller must hear "unknown", not the last attempt's error.
    bool may_have_applied = false;
    const auto give_up = [&f, &may_have_applied]() -> failure {
        if (may_have_applied && f.code != error::outcome_unknown) {
            f.diagnostics.detail =
                "an earlier attempt may have been applied; the last one "
                "failed with: " +
                f.code.message() +
                (f.diagnostics.detail.empty() ? std::string() : " (" + f.diagnostics.detail + ")");
            f.code = error::outcome_unknown;
        }
        return f;
    };
    const auto& policy = options_.retry;
    for (int attempt = 1;; ++attempt) {
        auto admitted_at = std::chrono::steady_clock::now();
        if (limiter_) {
            // The result is named before it is tested: g++ 12 miscompiles a co_await inside a
            // condition.
            const boost::system::error_code waited = co_await limiter_->acquire();
            if (waited) {
                f.code = error::cancelled;
                f.diagnostics.detail = "cancelled while waiting for the rate limiter";
                f.diagnostics.attempts = attempt - 1;
                co_return give_up();
            }
            admitted_at = std::chrono::steady_clock::now();
        }
        auto sent = co_await pool_.send(request);
        f.diagnostics.attempts = attempt;
        f.diagnostics.request_sent = f.diagnostics.request_sent || sent.info.request_sent;
        if (sent.info.earlier_attempt_unanswered && spec.method != http::method::get) {
            may_have_applied = true;
        }
        retry_verdict verdict;
        std::optional<std::chrono::milliseconds> retry_after;
        if (sent.ec) {
            f.diagnostics.detail = sent.info.detail;
            f.diagnostics.http_status = 0;
            f.diagnostics.server_message.clear();
            verdict = decide_retry(sent.ec, 0, sent.info.request_sent, spec.idempotent);
            const bool ambiguous = sent.info.request_sent && ambiguous_transport_failure(sent.ec);
            if (ambiguous && spec.method != http::method::get) {
                may_have_applied = true;
            }
            if (!spec.idempotent && ambiguous) {
                // An atomic update may have been applied: say so instead of a transport error.
                f.code = error::outcome_unknown;
                f.diagnostics.detail =
                    sent.ec.message() +
                    (sent.info.detail.empty() ? std::string() : ": " + sent.info.detail);
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
                r.attempts = attempt;
                co_return r;
            }
            f.code = status_error(status);
            f.diagnostics.http_status = status;
            f.diagnostics.server_message = server_message(redacted(sent.response.body, token));
            f.diagnostics.detail.clear();
            if (status >= 300 && status < 400) {
                f.diagnostics.detail = "redirects are not followed";
            }
            verdict = decide_retry({}, status, true, spec.idempotent);
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
        if (budgeted) {
            if (!budget_.retry_allowed()) {
                f.diagnostics.detail += f.diagnostics.detail.empty() ? "" : "; ";
                f.diagnostics.detail += "not retried: the client's retry budget is exhausted";
                co_return give_up();
            }
        }
        const auto delay =
            backoff_delay(policy, attempt, next_jitter(), verdict.throttled, retry_after);
        asio::steady_timer timer(co_await asio::this_coro::executor, delay);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            f.code = error::cancelled;
            co_return give_up();
        }
    }
}

} // namespace minapp::detail
