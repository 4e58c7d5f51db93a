#include <minapp/client.hpp>

#include "api/client_impl.hpp"
#include "api/endpoints.hpp"
#include "api/json_reply.hpp"
#include "api/pager_state.hpp"
#include "api/query_string.hpp"
#include "detail/update_access.hpp"

#include <minapp/error.hpp>

#include <boost/json/serialize.hpp>

namespace minapp {

namespace asio = boost::asio;
using detail::call_spec;
using detail::invalid_argument;

namespace {

constexpr const char* v22_profiles = "/oserve/v2.2/miniapp/user_profile/";
constexpr const char* v26_profiles = "/oserve/v2.6/miniapp/user_profile/";
constexpr const char* v21_account = "/oserve/v2.1/miniapp/user/account/";
constexpr const char* v1_profiles = "/oserve/v1/miniapp/user-profile/";
constexpr const char* v1_info = "/oserve/v1/user/info/";

// An id is validated before it becomes a path segment: an empty or non-positive id would turn
// `.../user_profile/:id/` into the collection path, i.e. a batch update of every user (notes §3).
std::optional<failure> check_id(std::int64_t id) {
    if (id <= 0) {
        return invalid_argument("user id must be positive, got " + std::to_string(id));
    }
    return std::nullopt;
}

boost::static_string<detail::max_call_path> item_path(const char* collection, std::int64_t id) {
    boost::static_string<detail::max_call_path> path(collection);
    path += boost::static_strings::to_static_string(id);
    path += '/';
    return path;
}

// The awaitable of a call refused before anything is sent.
template <class T>
asio::awaitable<result<T>> refuse(failure f) {
    co_return f;
}

} // namespace

std::optional<failure> detail::check_update(const update& change, bool allow_builtin) {
    if (!change.problem().empty()) {
        return invalid_argument(change.problem()); // "update: ..."
    }
    if (!allow_builtin) {
        // Read in place: a valid update costs no copy of its field names.
        if (const auto field = update_access::find_field(change, is_builtin_user_field);
            !field.empty()) {
            return invalid_argument(
                "update: '" + std::string(field) +
                "' is a built-in field; the Open API updates only custom fields "
                "(client_options::allow_builtin_field_updates overrides this check)");
        }
    }
    return std::nullopt;
}

bool is_builtin_user_field(std::string_view name) noexcept {
    static constexpr std::string_view builtins[] = {
        "id",       "created_at", "created_by",    "updated_at", "country",
        "nickname", "province",   "city",          "language",   "openid",
        "unionid",  "avatar",     "is_authorized", "gender",     "user_id"};
    if (!name.empty() && name.front() == '_') {
        return true;
    }
    for (auto b : builtins) {
        if (b == name) {
            return true;
        }
    }
    return false;
}

namespace {

using impl_ptr = std::shared_ptr<detail::client_impl>;

asio::awaitable<result<user_profile>> get_user(impl_ptr c, std::int64_t id) {
    if (auto bad = check_id(id)) {
        return refuse<user_profile>(*bad);
    }
    call_spec spec{http::method::get, item_path(v22_profiles, id), {}, {}, true};
    return detail::client_impl::call<user_profile>(std::move(c), std::move(spec));
}

asio::awaitable<result<user_page>> list_users_page(impl_ptr c, const user_query& query) {
    auto spec = detail::page_request(query, query.start());
    if (!spec) {
        return refuse<user_page>(spec.error());
    }
    return detail::client_impl::call<user_page>(std::move(c), std::move(*spec));
}

asio::awaitable<result<std::int64_t>> count_users(impl_ptr c, const where& filter) {
    if (!filter.problem().empty()) {
        return refuse<std::int64_t>(invalid_argument(filter.problem())); // "where: ..."
    }
    detail::query_string qs;
    if (!filter.matches_all()) {
        qs.add("where", filter.to_json());
    }
    qs.add("limit", std::int64_t{1});
    qs.add("return_total_count", std::int64_t{1});
    call_spec spec{http::method::get, v22_profiles, qs.str(), {}, true};
    return detail::client_impl::call<std::int64_t>(std::move(c), std::move(spec));
}

asio::awaitable<result<account_info>> update_account(impl_ptr c, std::int64_t id,
                                                     const account_update& change) {
    if (auto bad = check_id(id)) {
        return refuse<account_info>(*bad);
    }
    if (auto problem = change.problem(); !problem.empty()) {
        return refuse<account_info>(invalid_argument("account update: " + problem));
    }
    call_spec spec{http::method::put,
                   item_path(v21_account, id),
                   {},
                   boost::json::serialize(change.document()),
                   true};
    return detail::client_impl::call<account_info>(std::move(c), std::move(spec));
}

asio::awaitable<result<user_v1>> get_user_v1(impl_ptr c, std::int64_t user_id) {
    if (auto bad = check_id(user_id)) {
        return refuse<user_v1>(*bad);
    }
    detail::query_string qs;
    qs.add("user_id", user_id);
    call_spec spec{http::method::get, v1_profiles, qs.str(), {}, true};
    return detail::client_impl::call<user_v1>(std::move(c), std::move(spec));
}

asio::awaitable<result<basic_page<user_v1>>> list_users_v1(impl_ptr c, const v1_filter& filter) {
    if (filter.limit() < 1 || filter.limit() > 1000) {
        return refuse<basic_page<user_v1>>(invalid_argument("limit must be within 1..1000, got " +
                                                            std::to_string(filter.limit())));
    }
    if (filter.offset() < 0) {
        return refuse<basic_page<user_v1>>(invalid_argument("offset must not be negative"));
    }
    detail::query_string qs;
    auto add = [&qs](const char* name, const auto& value) {
        if (value) {
            if constexpr (std::is_same_v<std::decay_t<decltype(*value)>, std::string>) {
                qs.add(name, std::string_view(*value));
            } else {
                qs.add(name, static_cast<std::int64_t>(*value));
            }
        }
    };
    add("nickname", filter.nickname());
    add("nickname__contains", filter.nickname_contains());
    add("gender", filter.gender());
    add("created_at__gte", filter.created_at_gte());
    add("created_at__lte", filter.created_at_lte());
    add("created_at__gt", filter.created_at_gt());
    add("created_at__lt", filter.created_at_lt());
    if (!filter.group_in().empty()) {
        std::string groups;
        for (auto g : filter.group_in()) {
            if (!groups.empty()) {
                groups += ',';
            }
            groups += std::to_string(g);
        }
        qs.add("group__in", groups);
    }
    add("openid", filter.openid());
    add("unionid", filter.unionid());
    add("user_id", filter.user_id());
    qs.add("limit", filter.limit());
    qs.add("offset", filter.offset());
    if (filter.order_by() == v1_filter::order::created_at) {
        qs.add("order_by", "created_at");
    } else if (filter.order_by() == v1_filter::order::created_at_desc) {
        qs.add("order_by", "-created_at");
    }
    call_spec spec{http::method::get, v1_profiles, qs.str(), {}, true};
    return detail::client_impl::call<basic_page<user_v1>>(std::move(c), std::move(spec));
}

asio::awaitable<result<user_profile>> get_user_info_v1(impl_ptr c, std::int64_t id) {
    if (auto bad = check_id(id)) {
        return refuse<user_profile>(*bad);
    }
    call_spec spec{http::method::get, item_path(v1_info, id), {}, {}, true};
    return detail::client_impl::call<user_profile>(std::move(c), std::move(spec));
}

asio::awaitable<result<user_page>> list_user_info_v1(impl_ptr c, std::int64_t limit,
                                                     std::int64_t offset) {
    if (limit < 1 || limit > 1000) {
        return refuse<user_page>(
            invalid_argument("limit must be within 1..1000, got " + std::to_string(limit)));
    }
    if (offset < 0) {
        return refuse<user_page>(invalid_argument("offset must not be negative"));
    }
    detail::query_string qs;
    qs.add("limit", limit);
    qs.add("offset", offset);
    call_spec spec{http::method::get, v1_info, qs.str(), {}, true};
    return detail::client_impl::call<user_page>(std::move(c), std::move(spec));
}

asio::awaitable<result<user_profile>> update_user_info_v1(impl_ptr c, std::int64_t id,
                                                          const update& change) {
    if (auto bad = check_id(id)) {
        return refuse<user_profile>(*bad);
    }
    if (auto bad = detail::check_update(change, c->options().allow_builtin_field_updates())) {
        return refuse<user_profile>(*bad);
    }
    call_spec spec{
        http::method::put, item_path(v1_info, id), {}, change.to_json(), change.idempotent()};
    return detail::client_impl::call<user_profile>(std::move(c), std::move(spec));
}

} // namespace

asio::awaitable<result<user_profile>> detail::update_user(impl_ptr c, std::int64_t id,
                                                          const update& change) {
    if (auto bad = check_id(id)) {
        return refuse<user_profile>(*bad);
    }
    if (auto bad = check_update(change, c->options().allow_builtin_field_updates())) {
        return refuse<user_profile>(*bad);
    }
    call_spec spec{
        http::method::put, item_path(v26_profiles, id), {}, change.to_json(), change.idempotent()};
    return client_impl::call<user_profile>(std::move(c), std::move(spec));
}

asio::awaitable<result<batch_update_result>> detail::update_users_batch(impl_ptr c,
                                                                        const where& filter,
                                                                        const update& change,
                                                                        batch_slice slice) {
    if (!filter.problem().empty()) {
        return refuse<batch_update_result>(invalid_argument(filter.problem()));
    }
    if (auto bad = check_update(change, c->options().allow_builtin_field_updates())) {
        return refuse<batch_update_result>(*bad);
    }
    if (slice.limit < 1 || slice.limit > 1000) {
        return refuse<batch_update_result>(invalid_argument(
            "batch limit must be within 1..1000, got " + std::to_string(slice.limit)));
    }
    if (slice.offset < 0) {
        return refuse<batch_update_result>(invalid_argument("batch offset must not be negative"));
    }
    query_string qs;
    if (!filter.matches_all()) {
        qs.add("where", filter.to_json());
    }
    qs.add("limit", slice.limit);
    qs.add("offset", slice.offset);
    if (slice.return_total_count) {
        qs.add("return_total_count", std::int64_t{1});
    }
    call_spec spec{http::method::put, v26_profiles, qs.str(), change.to_json(),
                   change.idempotent()};
    return client_impl::call<batch_update_result>(std::move(c), std::move(spec));
}

client::client(const asio::any_io_executor& executor, client_options options)
    : impl_(std::make_shared<detail::client_impl>(executor, std::move(options))) {}

client::~client() {
    shutdown();
}

// The awaitables take their arguments by value, as the header promises (a call owns what it
// is given); the request is built from them before the awaitable is returned.
// NOLINTBEGIN(performance-unnecessary-value-param)
asio::awaitable<result<user_profile>> client::get_user(std::int64_t id) {
    return minapp::get_user(impl_, id);
}

asio::awaitable<result<user_page>> client::list_users_page(user_query query) {
    return minapp::list_users_page(impl_, query);
}

asio::awaitable<result<std::int64_t>> client::count_users(where filter) {
    return minapp::count_users(impl_, filter);
}

asio::awaitable<result<std::int64_t>> client::count_users() {
    return minapp::count_users(impl_, where::all());
}

asio::awaitable<result<token_grant>> client::access_token() {
    return detail::client_impl::access_token(impl_);
}

user_pager client::list_users(user_query query) {
    return user_pager(std::make_shared<detail::pager_state>(impl_, std::move(query)));
}

result<void> client::validate(const update& change) const {
    if (auto bad = detail::check_update(change, impl_->options().allow_builtin_field_updates())) {
        return *bad;
    }
    return {};
}

asio::awaitable<result<user_profile>> client::update_user(std::int64_t id, update change) {
    return detail::update_user(impl_, id, change);
}

asio::awaitable<result<batch_update_result>> client::update_users_batch(where filter, update change,
                                                                        batch_slice slice) {
    return detail::update_users_batch(impl_, filter, change, slice);
}

asio::awaitable<result<batch_update_result>> client::update_users_batch(where filter,
                                                                        update change) {
    return detail::update_users_batch(impl_, filter, change, batch_slice{});
}

asio::awaitable<result<account_info>> client::update_account(std::int64_t id,
                                                             account_update change) {
    return minapp::update_account(impl_, id, change);
}

asio::awaitable<result<user_v1>> client::get_user_v1(std::int64_t user_id) {
    return minapp::get_user_v1(impl_, user_id);
}

asio::awaitable<result<basic_page<user_v1>>> client::list_users_v1(v1_filter filter) {
    return minapp::list_users_v1(impl_, filter);
}

asio::awaitable<result<user_profile>> client::get_user_info_v1(std::int64_t id) {
    return minapp::get_user_info_v1(impl_, id);
}

asio::awaitable<result<user_page>> client::list_user_info_v1(std::int64_t limit,
                                                             std::int64_t offset) {
    return minapp::list_user_info_v1(impl_, limit, offset);
}

asio::awaitable<result<user_profile>> client::update_user_info_v1(std::int64_t id, update change) {
    return minapp::update_user_info_v1(impl_, id, change);
}

// NOLINTEND(performance-unnecessary-value-param)

http::pool_stats client::pool_stats() const noexcept {
    return impl_->pool().stats();
}

std::shared_ptr<minapp::rate_limiter> client::rate_limiter() const noexcept {
    return impl_->limiter();
}

void client::shutdown() {
    impl_->shutdown();
}

} // namespace minapp
