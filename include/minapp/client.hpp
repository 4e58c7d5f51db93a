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
}

/// Which slice of the matching users one batch update touches (`limit`/`offset` query params).
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
/// Thread safety: a client may be shared by any number of coroutines on any threads; its
/// connections live on a strand of the executor given at construction. Cancellation: a call
/// cancelled with terminal cancellation fails with `error::cancelled`; an atomic update cancelled
/// after it was sent fails with `error::outcome_unknown`.
///
/// Lifetime: calls in flight keep the internals alive. `shutdown()` (also run by the destructor)
/// closes idle connections so the io_context can run out of work.
class client {
public:
    /// Throws api_error (error::invalid_origin, error::invalid_argument) for unusable options.
    client(const boost::asio::any_io_executor& executor, client_options options);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    /// GET /oserve/v2.2/miniapp/user_profile/:id/ — one user; error::not_found if absent.
    boost::asio::awaitable<result<user_profile>> get_user(std::int64_t id);

    /// GET /oserve/v2.2/miniapp/user_profile/ — the page of `query` at `query.start`
    /// (`page_size` users; in keyset mode ordered by id after `start.after_id`).
    boost::asio::awaitable<result<user_page>> list_users_page(const user_query& query);

    /// Users matching `filter`, by the count idiom `limit=1&return_total_count=1`.
    boost::asio::awaitable<result<std::int64_t>> count_users(const where& filter = where::all());

    /// All users of `query` as an async generator (see user_pager).
    user_pager list_users(user_query query);

    /// PUT /oserve/v2.6/miniapp/user_profile/:id/ — field-level update; returns the whole user.
    /// Retried only if `change` is idempotent (plain sets/unsets).
    boost::asio::awaitable<result<user_profile>> update_user(std::int64_t id, const update& change);

    /// PUT /oserve/v2.6/miniapp/user_profile/?where=... — one batch request over `slice` of the
    /// users matching `filter`. HTTP 200 may still hold per-record errors: see the reply.
    boost::asio::awaitable<result<batch_update_result>>
    update_users_batch(const where& filter, const update& change, batch_slice slice = {});

    /// PUT /oserve/v2.1/miniapp/user/account/:id/ — username, email, phone, password.
    boost::asio::awaitable<result<account_info>> update_account(std::int64_t id,
                                                                const account_update& change);

    /// GET /oserve/v1/miniapp/user-profile/?user_id= — a user in the v1 shape.
    [[deprecated(
        "v1 routes are deprecated: use get_user (v2.2)")]] boost::asio::awaitable<result<user_v1>>
    get_user_v1(std::int64_t user_id);

    /// GET /oserve/v1/miniapp/user-profile/ — the v1 list with its filters.
    [[deprecated("v1 routes are deprecated: use list_users_page or list_users (v2.2)")]] boost::
        asio::awaitable<result<basic_page<user_v1>>>
        list_users_v1(const v1_filter& filter);

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
        update_user_info_v1(std::int64_t id, const update& change);

    /// Checks `change` as the update calls do before sending anything (a problem recorded by the
    /// builder, a built-in field without `allow_builtin_field_updates`): error::invalid_argument.
    result<void> validate(const update& change) const;

    /// Counters of the connection pool.
    http::pool_stats pool_stats() const noexcept;

    /// The limiter every request of this client waits on; null without a rate limit.
    std::shared_ptr<minapp::rate_limiter> rate_limiter() const noexcept;

    /// Closes idle connections and refuses new calls. Idempotent; safe from any thread.
    void shutdown();

private:
    std::shared_ptr<detail::client_impl> impl_;
};

} // namespace minapp
