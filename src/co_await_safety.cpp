// Compile-time checks that no public type lets a user fall into the g++ 12 coroutine bug (an
// aggregate temporary inside `co_await` destroyed twice) and that every public awaitable takes
// its arguments by value, so that a lazily started call owns them. Adding an awaitable or a
// public type means adding it here.
#include <minapp/account.hpp>
#include <minapp/batch_update.hpp>
#include <minapp/bulk_progress.hpp>
#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/client_options.hpp>
#include <minapp/co_await_safe.hpp>
#include <minapp/geo.hpp>
#include <minapp/http/connection_pool.hpp>
#include <minapp/http/message.hpp>
#include <minapp/http/options.hpp>
#include <minapp/http/origin.hpp>
#include <minapp/http/pool_stats.hpp>
#include <minapp/order_by.hpp>
#include <minapp/page.hpp>
#include <minapp/rate_budget.hpp>
#include <minapp/rate_limiter.hpp>
#include <minapp/result.hpp>
#include <minapp/retry_policy.hpp>
#include <minapp/token_source.hpp>
#include <minapp/update.hpp>
#include <minapp/user_pager.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_query.hpp>
#include <minapp/user_v1.hpp>
#include <minapp/v1_filter.hpp>
#include <minapp/where.hpp>
#include <minapp/where_update.hpp>

#include <type_traits>

namespace minapp::detail {
namespace {

template <class... T>
constexpr bool all_safe = (co_await_safe<T> && ...);

// Every public type a user can build: the parameters of the awaitables and their members, the
// options, and the results (which users build in test doubles).
static_assert(
    all_safe<client_options, http::pool_options, http::tls_options, retry_policy, rate_limit,
             user_query, list_cursor, order_by, where, update, account_update, v1_filter,
             batch_slice, geo_point, geo_polygon, user_update, update_source, bulk_options,
             where_update_options, client_credentials, token_grant, token_renewal, token_sink>);
static_assert(
    all_safe<user_profile, page_meta, user_page, basic_page<user_v1>, user_v1, account_info,
             batch_success, batch_error, batch_update_result, diagnostics, failure, bulk_progress,
             update_outcome, bulk_report, slice_failure, where_update_report, rate_limiter_stats>);
static_assert(all_safe<http::request, http::response, http::field, http::origin,
                       http::exchange_info, http::send_result, http::pool_stats>);

// A parameter of a public awaitable: a value (moved into the frame) of a safe type. The only
// reference allowed is the client a bulk operation is started on (it is read at the call).
template <class A>
constexpr bool good_parameter = std::is_same_v<A, client&> ||
                                (!std::is_reference_v<A> && co_await_safe<A>);

template <class R, class... A>
constexpr bool takes_good_parameters(R (*)(A...)) {
    return (good_parameter<A> && ...);
}
template <class R, class C, class... A>
constexpr bool takes_good_parameters(R (C::*)(A...)) {
    return (good_parameter<A> && ...);
}

template <class T>
using aw = boost::asio::awaitable<result<T>>;

static_assert(takes_good_parameters(&client::get_user));
static_assert(takes_good_parameters(&client::list_users_page));
static_assert(takes_good_parameters<aw<std::int64_t>, client, where>(&client::count_users));
static_assert(takes_good_parameters<aw<std::int64_t>, client>(&client::count_users));
static_assert(takes_good_parameters(&client::list_users));
static_assert(takes_good_parameters(&client::update_user));
static_assert(takes_good_parameters<aw<batch_update_result>, client, where, update, batch_slice>(
    &client::update_users_batch));
static_assert(takes_good_parameters<aw<batch_update_result>, client, where, update>(
    &client::update_users_batch));
static_assert(takes_good_parameters(&client::update_account));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static_assert(takes_good_parameters(&client::get_user_v1));
static_assert(takes_good_parameters(&client::list_users_v1));
static_assert(takes_good_parameters(&client::get_user_info_v1));
static_assert(takes_good_parameters(&client::list_user_info_v1));
static_assert(takes_good_parameters(&client::update_user_info_v1));
#pragma GCC diagnostic pop
static_assert(takes_good_parameters(&user_pager::next));
static_assert(takes_good_parameters(&user_pager::next_or_throw));
static_assert(takes_good_parameters(&user_pager::next_page));
static_assert(takes_good_parameters(&rate_limiter::acquire));
static_assert(takes_good_parameters(&update_source::next));
static_assert(
    takes_good_parameters<aw<bulk_report>, client&, update_source, bulk_options>(&update_users));
static_assert(takes_good_parameters<aw<bulk_report>, client&, update_source>(&update_users));
static_assert(takes_good_parameters<aw<where_update_report>, client&, where, update,
                                    where_update_options>(&update_where));
static_assert(
    takes_good_parameters<aw<where_update_report>, client&, where, update>(&update_where));
static_assert(
    takes_good_parameters<boost::asio::awaitable<http::send_result>, http::connection_pool,
                          http::request, std::chrono::steady_clock::time_point>(
        &http::connection_pool::send));
static_assert(
    takes_good_parameters<boost::asio::awaitable<http::send_result>, http::connection_pool,
                          http::request>(&http::connection_pool::send));

} // namespace
} // namespace minapp::detail
