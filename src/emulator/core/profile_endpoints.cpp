#include "profile_endpoints.hpp"

#include "query_params.hpp"
#include "reply.hpp"
#include "selection.hpp"
#include "update.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace minapp::emulator::detail {

namespace {

/// Per-record error code of a batch item whose update did not fit the stored value; MongoDB's
/// TypeMismatch, in line with the Mongo-style codes of the documented example.
constexpr int batch_item_error_code = 14;

/// Where, order and window of a list or batch request; the error text for a 400 otherwise.
std::variant<list_query, std::string> read_list_query(const user_store& store,
                                                      const endpoint_context& ctx) {
    const auto params = ctx.url.params();
    list_query q;
    auto window = parse_page_window(params);
    if (auto* error = std::get_if<std::string>(&window)) {
        return std::move(*error);
    }
    q.window = std::get<page_window>(window);
    auto order = parse_order_by(query_param(params, "order_by"), store.columns());
    if (auto* error = std::get_if<std::string>(&order)) {
        return std::move(*error);
    }
    q.order = std::move(std::get<std::vector<order_key>>(order));
    if (auto error = compile_where(q, query_param(params, "where"), store.columns())) {
        return std::move(*error);
    }
    return q;
}

std::variant<std::optional<key_selection>, std::string> read_keys(const user_store& store,
                                                                  const endpoint_context& ctx) {
    auto text = query_param(ctx.url.params(), "keys");
    if (!text) {
        return std::optional<key_selection>{};
    }
    auto keys = parse_keys(*text, store.columns());
    if (auto* error = std::get_if<std::string>(&keys)) {
        return std::move(*error);
    }
    return std::optional<key_selection>{std::get<key_selection>(std::move(keys))};
}

void append_user(std::string& out, const user_record& r, const std::optional<key_selection>& keys) {
    if (!keys) {
        out += r.json;
        return;
    }
    boost::json::object user = boost::json::parse(r.json).as_object();
    apply_keys(user, *keys);
    out += boost::json::serialize(user);
}

/// The user a detail route names; nullopt (=> 404) for a malformed or unknown id.
std::optional<std::size_t> named_user(const user_store& store, const endpoint_context& ctx) {
    auto id = path_user_id(ctx.id);
    return id ? store.find(*id) : std::nullopt;
}

/// The request body as an update plan, or the 400 reply.
std::variant<update_plan, api_response> read_plan(const user_store& store,
                                                  const endpoint_context& ctx) {
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(ctx.request.body, ec);
    if (ec) {
        return error_reply(400, "request body is not valid JSON");
    }
    auto plan = update_plan::parse(body, store.columns());
    if (!plan) {
        return error_reply(400, plan.error().message);
    }
    return std::move(*plan);
}

/// Applies `plan` to the user at `at` and stores the result, stamping `updated_at` unless the
/// plan changes nothing. Returns the error text when the plan does not fit the stored values.
std::optional<std::string> apply_plan(user_store& store, std::size_t at, const update_plan& plan,
                                      std::int64_t now) {
    if (plan.empty()) {
        return std::nullopt;
    }
    boost::json::object user = load_user(store, store.records()[at]);
    if (auto applied = plan.apply(user); !applied) {
        return applied.error().message;
    }
    user["updated_at"] = now;
    store.put(user);
    return std::nullopt;
}

} // namespace

api_response list_profiles(const user_store& store, const endpoint_context& ctx) {
    auto parsed = read_list_query(store, ctx);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        return error_reply(400, *error);
    }
    auto keys = read_keys(store, ctx);
    if (auto* error = std::get_if<std::string>(&keys)) {
        return error_reply(400, *error);
    }
    const auto& selection = std::get<std::optional<key_selection>>(keys);
    const list_query& q = std::get<list_query>(parsed);
    const list_result result = run_query(store, q);
    const page_window& w = q.window;

    std::string body =
        "{\"meta\":{\"limit\":" + std::to_string(w.limit) +
        ",\"offset\":" + std::to_string(w.offset) + ",\"next\":" +
        json_string_or_null(next_page_link(ctx.list_path, ctx.url, w, result.has_more)) +
        ",\"previous\":" + json_string_or_null(previous_page_link(ctx.list_path, ctx.url, w));
    if (w.want_total) {
        body += ",\"total_count\":" + std::to_string(result.total);
    }
    body += "},\"objects\":[";
    const auto records = store.records();
    bool first = true;
    for (std::size_t at : result.rows) {
        if (!first) {
            body += ',';
        }
        first = false;
        append_user(body, records[at], selection);
    }
    body += "]}";
    return json_reply(std::move(body));
}

api_response get_profile(const user_store& store, const endpoint_context& ctx) {
    auto keys = read_keys(store, ctx);
    if (auto* error = std::get_if<std::string>(&keys)) {
        return error_reply(400, *error);
    }
    auto at = named_user(store, ctx);
    if (!at) {
        return error_reply(404, "user not found");
    }
    std::string body;
    append_user(body, store.records()[*at], std::get<std::optional<key_selection>>(keys));
    return json_reply(std::move(body));
}

api_response update_profile(user_store& store, const endpoint_context& ctx) {
    auto at = named_user(store, ctx);
    if (!at) {
        return error_reply(404, "user not found");
    }
    auto plan = read_plan(store, ctx);
    if (auto* reply = std::get_if<api_response>(&plan)) {
        return std::move(*reply);
    }
    if (auto error = apply_plan(store, *at, std::get<update_plan>(plan), ctx.now)) {
        return error_reply(400, *error);
    }
    return json_reply(std::string(store.records()[*at].json));
}

api_response batch_update_profiles(user_store& store, const endpoint_context& ctx) {
    auto parsed = read_list_query(store, ctx);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        return error_reply(400, *error);
    }
    auto plan_or_reply = read_plan(store, ctx);
    if (auto* reply = std::get_if<api_response>(&plan_or_reply)) {
        return std::move(*reply);
    }
    const update_plan& plan = std::get<update_plan>(plan_or_reply);
    const list_query& q = std::get<list_query>(parsed);
    const list_result result = run_query(store, q);

    boost::json::array operations;
    std::size_t succeeded = 0;
    for (std::size_t at : result.rows) {
        boost::json::object entry;
        if (auto error = apply_plan(store, at, plan, ctx.now)) {
            entry["error"] =
                boost::json::object{{"err_msg", *error}, {"code", batch_item_error_code}};
        } else {
            ++succeeded;
            const boost::json::object user = load_user(store, store.records()[at]);
            const boost::json::value* updated = user.if_contains("updated_at");
            entry["success"] = boost::json::object{
                {"id", store.records()[at].id},
                {"updated_at", updated != nullptr ? *updated : boost::json::value()}};
        }
        operations.push_back(std::move(entry));
    }
    boost::json::object reply;
    reply["operation_result"] = std::move(operations);
    reply["succeed"] = succeeded;
    if (q.window.want_total) {
        reply["total_count"] = result.total;
    }
    reply["offset"] = q.window.offset;
    reply["limit"] = q.window.limit;
    auto next = next_page_link(ctx.list_path, ctx.url, q.window, result.has_more);
    reply["next"] = next ? boost::json::value(*next) : boost::json::value();
    return json_reply(boost::json::serialize(reply));
}

} // namespace minapp::emulator::detail
