// minapp::client: the MinApp user API as awaitables.
#pragma once

#include <minapp/account.hpp>
#include <minapp/batch_update.hpp>
#include <minapp/client_options.hpp>
#include <minapp/http/pool_stats.hpp>
#include <minapp/page.hpp>
#include <minapp/result.hpp>
#include <minapp/update.hpp>
#include <minapp/user_pager.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_query.hpp>
#include <minapp/user_v1.hpp>
#include <minapp/v1_filter.hpp>
#include <minapp/where.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>

namespace minapp {

namespace detail {
class client_impl;
struct client_access;
} // namespace detail

/// Which slice of the matching users one batch update touches (`limit`/`offset` query params).
/// A plain struct (trivially destructible, so safe inline on g++ 12): `batch_slice{.limit = 10}`.
struct batch_slice {
    std::int64_t limit = 1000; ///< 1..1000; always sent (the docs disagree on the default).
    std::int64_t offset = 0;
    bool return_total_count = false;
};

/// A client of the MinApp Open API user endpoints.
///
/// Every call returns `result<T>`: the value, or a `failure` with a stable `minapp::error` code
/// and diagnostics (HTTP status, the server's message, method and path; never the token).
/// `.value()` throws `api_error` instead. Invalid arguments (id <= 0, a limit outside 1..1000, a
/// field both set and unset, a URL longer than the API's 16386 characters, ...) fail with
/// `error::invalid_argument` or `error::url_too_long` before anything is sent.
///
/// Arguments: every awaitable takes its arguments by value and moves them into the call it
/// returns before it starts, so a call may be `co_spawn`ed with temporaries and run later. No
/// parameter type is an aggregate with a non-trivial destructor (see README, "Compilers").
///
/// Thread safety: a client may be shared by any number of coroutines on any threads. Each
/// attempt runs on a strand of the executor given at construction (the pool's); the call
/// completes on the caller's executor. Cancellation signals may be emitted from any thread: they
/// are relayed onto that strand.
///
/// Cancellation (terminal or partial, through the calling coroutine's cancellation slot) ends
/// the call, wherever it waits (rate limiter, pooled connection, connect, write, read, retry
/// backoff), with `error::cancelled`, or with `error::outcome_unknown` when it was a write that
/// may have reached the server. It never throws for cancellation. The connection it was using
/// is closed, never returned to the pool half-read.
///
/// Lifetime: a call in flight holds the client's internals (pool, limiter, options), so the
/// `client` object may be destroyed at any time. Destroying it, or calling `shutdown()`, ends
/// every call in flight and every later one with `error::pool_shut_down` (or
/// `error::outcome_unknown` for a write that may have been applied), closes idle connections and
/// stops the idle reaper, so the io_context runs out of work once those calls have completed.
class client {
public:
    /// Throws api_error (error::invalid_origin, error::invalid_argument) for unusable options.
    client(const boost::asio::any_io_executor& executor, client_options options);
    /// Shuts the client down (see `shutdown`).
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// GET /oserve/v2.2/miniapp/user_profile/:id/ — one user; error::not_found if absent.
    boost::asio::awaitable<result<user_profile>> get_user(std::int64_t id);

    /// GET /oserve/v2.2/miniapp/user_profile/ — the page of `query` at `query.start()`
    /// (`page_size` users; in keyset mode ordered by id after `start().after_id`).
    boost::asio::awaitable<result<user_page>> list_users_page(user_query query);

    /// Users matching `filter`, by the count idiom `limit=1&return_total_count=1`.
    boost::asio::awaitable<result<std::int64_t>> count_users(where filter);
    /// Every user, by the count idiom.
    boost::asio::awaitable<result<std::int64_t>> count_users();

    /// All users of `query` as an async generator (see user_pager). Not an awaitable: nothing
    /// is sent until the pager's first `next()`.
    user_pager list_users(user_query query);

    /// PUT /oserve/v2.6/miniapp/user_profile/:id/ — field-level update; returns the whole user.
    /// Retried only if `change` is idempotent (plain sets/unsets).
    boost::asio::awaitable<result<user_profile>> update_user(std::int64_t id, update change);

    /// PUT /oserve/v2.6/miniapp/user_profile/?where=... — one batch request over `slice` of the
    /// users matching `filter`. HTTP 200 may still hold per-record errors: see the reply.
    boost::asio::awaitable<result<batch_update_result>>
    update_users_batch(where filter, update change, batch_slice slice);
    /// As above over the first 1000 matching users (`batch_slice{}`).
    boost::asio::awaitable<result<batch_update_result>> update_users_batch(where filter,
                                                                           update change);

    /// PUT /oserve/v2.1/miniapp/user/account/:id/ — username, email, phone, password.
    boost::asio::awaitable<result<account_info>> update_account(std::int64_t id,
                                                                account_update change);

    /// GET /oserve/v1/miniapp/user-profile/?user_id= — a user in the v1 shape.
    [[deprecated(
        "v1 routes are deprecated: use get_user (v2.2)")]] boost::asio::awaitable<result<user_v1>>
    get_user_v1(std::int64_t user_id);

    /// GET /oserve/v1/miniapp/user-profile/ — the v1 list with its filters.
    [[deprecated("v1 routes are deprecated: use list_users_page or list_users (v2.2)")]] boost::
        asio::awaitable<result<basic_page<user_v1>>>
        list_users_v1(v1_filter filter);

    /// GET /oserve/v1/user/info/:id/ — the older alias of get_user.
    [[deprecated("/oserve/v1/user/info/ is deprecated: use get_user (v2.2)")]] boost::asio::
        awaitable<result<user_profile>>
        get_user_info_v1(std::int64_t id);

    /// GET /oserve/v1/user/info/ — the older alias of the list (limit/offset only).
    [[deprecated("/oserve/v1/user/info/ is deprecated: use list_users_page (v2.2)")]] boost::asio::
        awaitable<result<user_page>>
        list_user_info_v1(std::int64_t limit, std::int64_t offset);

    /// PUT /oserve/v1/user/info/:id/ — the older update, saving the whole row (not field-level:
    /// concurrent updates of different fields can overwrite each other).
    [[deprecated(
        "/oserve/v1/user/info/ is deprecated: use update_user (v2.6, field-level)")]] boost::asio::
        awaitable<result<user_profile>>
        update_user_info_v1(std::int64_t id, update change);

    /// Checks `change` as the update calls do before sending anything (a problem recorded by the
    /// builder, a built-in field without `allow_builtin_field_updates`): error::invalid_argument.
    result<void> validate(const update& change) const;

    /// The access token calls send now and what remains of its lifetime, for scripts that hand
    /// it to other tools (`minapp auth token`). With `client_credentials` or `token_fetcher`, one
    /// is obtained first when the client holds none (joining a renewal in flight). With a fixed
    /// token or a `token_provider`: that token, and an `expires_in` of 0 (unknown).
    boost::asio::awaitable<result<token_grant>> access_token();

    /// Counters of the connection pool.
    http::pool_stats pool_stats() const noexcept;

    /// The limiter every request of this client waits on; null without a rate limit.
    std::shared_ptr<minapp::rate_limiter> rate_limiter() const noexcept;

    /// Ends every call in flight (error::pool_shut_down, or error::outcome_unknown for a write
    /// that may have been applied), closes idle connections and refuses new calls. Pagers and
    /// bulk runs of this client then end with the same errors. Idempotent; safe from any thread.
    void shutdown();

private:
    friend struct detail::client_access;
    std::shared_ptr<detail::client_impl> impl_;
};

} // namespace minapp
