// The request pipeline shared by every endpoint: the call driver (a coroutine in the caller's
// executor that performs what call_fsm decides: rate limiter, pool attempt, backoff), the
// request's fixed header block, typed replies, and the client's shutdown.
#pragma once

#include "../detail/shared_slot.hpp"
#include "../http/pool_core.hpp"
#include "reply_reader.hpp"
#include "retry_budget.hpp"
#include "token_cache.hpp"

#include <minapp/account.hpp>
#include <minapp/batch_update.hpp>
#include <minapp/client_options.hpp>
#include <minapp/http/connection_pool.hpp>
#include <minapp/page.hpp>
#include <minapp/result.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_v1.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/static_string/static_string.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace minapp {
class client;
} // namespace minapp

namespace minapp::detail {

/// The longest path a call names: a collection route and a 64-bit id.
inline constexpr std::size_t max_call_path = 64;

/// One logical API call.
struct call_spec {
    http::method method = http::method::get;
    /// e.g. "/oserve/v2.2/miniapp/user_profile/42/"; held in place, since a failure's
    /// diagnostics are the only other place that needs it.
    boost::static_string<max_call_path> path;
    std::string query; ///< encoded, without '?'
    std::string body;
    bool idempotent = true;
};

/// A failure found before anything was sent.
failure invalid_argument(std::string detail, const call_spec* spec = nullptr);

/// "GET", "PUT", ...
const char* method_name(http::method m) noexcept;

/// How a reply body of type T is read.
template <class T>
struct reply_of;
template <>
struct reply_of<user_profile> {
    static constexpr reply_shape shape = reply_shape::user;
    static parsed<user_profile> take(reply_reader& r) { return r.take_user(); }
};
template <>
struct reply_of<user_page> {
    static constexpr reply_shape shape = reply_shape::user_page;
    static parsed<user_page> take(reply_reader& r) { return r.take_user_page(); }
};
template <>
struct reply_of<std::int64_t> {
    static constexpr reply_shape shape = reply_shape::total_count;
    static parsed<std::int64_t> take(reply_reader& r) { return r.take_total_count(); }
};
template <>
struct reply_of<batch_update_result> {
    static constexpr reply_shape shape = reply_shape::batch_update;
    static parsed<batch_update_result> take(reply_reader& r) { return r.take_batch_update(); }
};
template <>
struct reply_of<account_info> {
    static constexpr reply_shape shape = reply_shape::account;
    static parsed<account_info> take(reply_reader& r) { return r.take_account(); }
};
template <>
struct reply_of<basic_page<user_v1>> {
    static constexpr reply_shape shape = reply_shape::v1_page;
    static parsed<basic_page<user_v1>> take(reply_reader& r) { return r.take_v1_page(); }
};
template <>
struct reply_of<user_v1> {
    static constexpr reply_shape shape = reply_shape::v1_user;
    static parsed<user_v1> take(reply_reader& r) { return r.take_v1_user(); }
};

/// The state a client, its pagers and its bulk runs share. Calls hold it through a shared_ptr,
/// so it outlives the `client` object until they end.
class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    client_impl(const boost::asio::any_io_executor& ex, client_options options);

    /// Sends `spec` with retries and reads the 2xx reply as a T. Runs in the caller's
    /// coroutine: no coroutine is spawned and no strand entered on the fast path (an idle
    /// connection). Terminal or partial cancellation, from any thread, ends it wherever it
    /// waits; `shutdown` ends it with error::pool_shut_down. Never throws for cancellation.
    template <class T>
    static boost::asio::awaitable<result<T>> call(std::shared_ptr<client_impl> self,
                                                  call_spec spec);

    /// The token a call would send now (see client::access_token).
    static boost::asio::awaitable<result<token_grant>>
    access_token(std::shared_ptr<client_impl> self);

    /// Ends every call in flight and refuses new ones; closes the pool. Any thread; idempotent.
    void shutdown();

    const client_options& options() const noexcept { return options_; }
    const http::connection_pool& pool() const noexcept { return *pool_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
    /// The limiter every attempt waits on; null without a rate limit.
    const std::shared_ptr<rate_limiter>& limiter() const noexcept { return limiter_; }
    /// The cache of fetched tokens; null with a fixed token or a token provider.
    const std::shared_ptr<token_cache>& tokens() const noexcept { return tokens_; }

private:
    /// What one call keeps while it waits, and its steps between waits (call_run.cpp).
    class call_run;
    /// The coroutine that performs `run`'s waits: all it keeps in its frame is `run`'s pointer
    /// and the awaited values.
    template <class T>
    static boost::asio::awaitable<result<T>> drive(std::unique_ptr<call_run> run);

    /// The header fields every request carries, as text: Host, User-Agent, Authorization,
    /// X-Hydrogen-Env-ID, Accept. Built when the token changes, not per call.
    struct header_block {
        std::string token;
        std::uint64_t generation = 0; ///< of a fetched token (token_cache)
        std::string text;
        std::string problem; ///< a CR/LF in a value: every request fails before sending
    };
    std::shared_ptr<const header_block> make_block(std::string token,
                                                   std::uint64_t generation = 0) const;
    /// The block for this attempt with a fixed token or a token provider (which it calls).
    std::shared_ptr<const header_block> current_block();
    /// The block for a fetched token: built once per generation.
    std::shared_ptr<const header_block> block_for(const issued_token& token);
    double next_jitter();

    boost::asio::any_io_executor executor_;
    client_options options_;
    std::shared_ptr<http::connection_pool> pool_; // shared with the token flow
    std::shared_ptr<http::detail::pool_core> core_;
    std::shared_ptr<rate_limiter> limiter_;
    retry_budget budget_;
    std::size_t origin_length_;
    std::mutex mutex_; // the jitter and a provider's block
    std::mt19937_64 jitter_;
    std::shared_ptr<const header_block> block_;
    std::shared_ptr<token_cache> tokens_;
    shared_slot<const header_block> fetched_block_;
    std::atomic<bool> closing_{false};
};

/// Waits for a token as a call waits for the limiter: registered on the call's ticket, so that
/// the caller's cancellation or a shutdown ends the wait from any thread. error::cancelled when
/// the wait could not start or was stopped.
boost::asio::awaitable<result<std::shared_ptr<const issued_token>>>
wait_for_token(token_cache& tokens, http::detail::pool_core& pool,
               http::detail::call_ticket& ticket, boost::asio::cancellation_state cancel_state);

/// Reaches the internals of a `client` (for pagers and bulk runs).
struct client_access {
    static const std::shared_ptr<client_impl>& impl(const client& c) noexcept;
};

} // namespace minapp::detail
