#include "client_impl.hpp"

#include "../http/pool_access.hpp"
#include "../http/request_validation.hpp"
#include "token_flow.hpp"

#include <minapp/client.hpp>
#include <minapp/error.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>

namespace minapp::detail {

namespace asio = boost::asio;

namespace {

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

asio::awaitable<result<std::shared_ptr<const issued_token>>>
wait_for_token(token_cache& tokens, http::detail::pool_core& pool,
               http::detail::call_ticket& ticket, asio::cancellation_state cancel_state) {
    token_wait waker(tokens);
    if (cancel_state.cancelled() != asio::cancellation_type::none ||
        !pool.wait_externally(ticket, &waker)) {
        co_return failure(error::cancelled);
    }
    auto fetched = co_await tokens.wait(waker, ticket.rearm());
    pool.wait_externally(ticket, nullptr);
    co_return fetched;
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

const std::shared_ptr<client_impl>& client_access::impl(const client& c) noexcept {
    return c.impl_;
}

} // namespace minapp::detail
