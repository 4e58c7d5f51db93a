#include "legacy_endpoints.hpp"

#include "query_params.hpp"
#include "reply.hpp"
#include "selection.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>

namespace minapp::emulator::detail {

namespace {

constexpr std::array<std::string_view, 9> v1_fields = {"avatar",     "city",    "country",
                                                       "created_at", "gender",  "nickname",
                                                       "openid",     "unionid", "province"};

boost::json::object condition(std::string_view field, std::string_view op, boost::json::value v) {
    boost::json::object c;
    c[field] = boost::json::object{{op, std::move(v)}};
    return c;
}

/// Translates the v1 filters into an equivalent `where` document (conjunction), so v1 shares the
/// v2 query engine. Returns the error text for a 400 on a malformed value.
std::variant<boost::json::array, std::string>
v1_conditions(const boost::urls::params_view& params) {
    boost::json::array all;
    auto integer =
        [&](std::string_view key) -> std::variant<std::optional<std::int64_t>, std::string> {
        auto text = query_param(params, key);
        if (!text) {
            return std::optional<std::int64_t>{};
        }
        auto v = parse_integer(*text);
        if (!v) {
            return std::string(key) + " must be an integer";
        }
        return v;
    };
    for (auto [key, op] :
         {std::pair{"nickname", "$eq"}, std::pair{"openid", "$eq"}, std::pair{"unionid", "$eq"}}) {
        if (auto v = query_param(params, key)) {
            all.push_back(condition(key, op, boost::json::value(*v)));
        }
    }
    if (auto v = query_param(params, "nickname__contains"); v && !v->empty()) {
        all.push_back(condition("nickname", "$contains", boost::json::value(*v)));
    }
    const std::array<std::tuple<std::string_view, std::string_view, std::string_view>, 7> numeric =
        {{
            {"gender", "gender", "$eq"},
            {"user_id", "id", "$eq"},
            {"created_at", "created_at", "$eq"},
            {"created_at__gte", "created_at", "$gte"},
            {"created_at__lte", "created_at", "$lte"},
            {"created_at__gt", "created_at", "$gt"},
            {"created_at__lt", "created_at", "$lt"},
        }};
    for (const auto& [key, field, op] : numeric) {
        auto v = integer(key);
        if (auto* error = std::get_if<std::string>(&v)) {
            return std::move(*error);
        }
        if (auto value = std::get<std::optional<std::int64_t>>(v)) {
            all.push_back(condition(field, op, *value));
        }
    }
    if (auto groups = query_param(params, "group__in")) {
        boost::json::array ids;
        std::string_view rest = *groups;
        while (true) {
            const auto comma = rest.find(',');
            auto id = parse_integer(rest.substr(0, comma));
            if (!id) {
                return std::string("group__in must be a comma-separated list of integers");
            }
            ids.push_back(*id);
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
        all.push_back(condition("_group", "$in", std::move(ids)));
    }
    return all;
}

std::string v1_user(const user_record& r) {
    const boost::json::object user = boost::json::parse(r.json).as_object();
    boost::json::object out;
    for (std::string_view f : v1_fields) {
        const boost::json::value* v = user.if_contains(f);
        out[f] = v != nullptr ? *v : boost::json::value();
    }
    out["id"] = r.legacy_id;
    const boost::json::value* groups = user.if_contains("_group");
    out["user_group"] = groups != nullptr && groups->is_array() ? *groups : boost::json::array();
    out["user_id"] = r.id;
    return boost::json::serialize(out);
}

} // namespace

api_response list_legacy_profiles(const user_store& store, const endpoint_context& ctx) {
    const auto params = ctx.url.params();
    list_query q;
    auto window = parse_page_window(params);
    if (auto* error = std::get_if<std::string>(&window)) {
        return error_reply(400, *error);
    }
    q.window = std::get<page_window>(window);
    q.window.want_total = true; // v1 always reports the total

    bool descending = true;
    if (auto order = query_param(params, "order_by")) {
        if (*order != "created_at" && *order != "-created_at") {
            return error_reply(400, "order_by supports only created_at");
        }
        descending = order->starts_with('-');
    }
    q.order = {{"created_at", descending}, {"id", descending}};

    auto conditions = v1_conditions(params);
    if (auto* error = std::get_if<std::string>(&conditions)) {
        return error_reply(400, *error);
    }
    auto& all = std::get<boost::json::array>(conditions);
    if (!all.empty()) {
        const std::optional<std::string> where =
            boost::json::serialize(boost::json::object{{"$and", std::move(all)}});
        if (auto error = compile_where(q, where, store.columns())) {
            return error_reply(400, *error);
        }
    }

    const list_result result = run_query(store, q);
    const page_window& w = q.window;
    std::string body =
        "{\"meta\":{\"limit\":" + std::to_string(w.limit) + ",\"next\":" +
        json_string_or_null(next_page_link(ctx.list_path, ctx.url, w, result.has_more)) +
        ",\"offset\":" + std::to_string(w.offset) +
        ",\"previous\":" + json_string_or_null(previous_page_link(ctx.list_path, ctx.url, w)) +
        ",\"total_count\":" + std::to_string(result.total) + "},\"objects\":[";
    const auto records = store.records();
    bool first = true;
    for (std::size_t at : result.rows) {
        if (!first) {
            body += ',';
        }
        first = false;
        body += v1_user(records[at]);
    }
    body += "]}";
    return json_reply(std::move(body));
}

} // namespace minapp::emulator::detail
