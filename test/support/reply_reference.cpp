#include "reply_reference.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <limits>

namespace minapp::test::reference {

namespace json = boost::json;
using detail::shape_error;

namespace {

boost::system::result<json::value, shape_error> parse_json(std::string_view body,
                                                           json::storage_ptr storage = {}) {
    json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    auto v = json::parse(body, ec, std::move(storage), options);
    if (ec) {
        return shape_error{"reply is not valid JSON: " + ec.message()};
    }
    return v;
}

std::optional<std::int64_t> as_int64(const json::value* v) {
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_int64()) {
        return v->get_int64();
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v->get_uint64());
    }
    if (v->is_double()) {
        const double d = v->get_double();
        if (std::trunc(d) == d && std::abs(d) < 9.2e18) {
            return static_cast<std::int64_t>(d);
        }
    }
    if (v->is_string()) {
        // Some SDKs type ids as strings (notes §1.5): accept decimal text.
        const auto& s = v->get_string();
        std::int64_t out = 0;
        if (s.empty() || s.size() > 19) {
            return std::nullopt;
        }
        for (char c : s) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            const int digit = c - '0';
            if (out > (INT64_MAX - digit) / 10) {
                return std::nullopt; // above INT64_MAX, like a uint64 number above it
            }
            out = out * 10 + digit;
        }
        return out;
    }
    return std::nullopt;
}

std::string as_string(const json::value* v) {
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<std::string> as_optional_string(const json::value* v) {
    if (v != nullptr && v->is_string()) {
        return std::string(v->get_string());
    }
    return std::nullopt;
}

std::optional<std::string> as_link(const json::value* v) {
    return as_optional_string(v);
}

bool as_bool(const json::value* v) {
    return v != nullptr && v->is_bool() ? v->get_bool() : false;
}

// The keys typed by user_profile; everything else stays in custom_fields.
bool is_typed_builtin(std::string_view key) {
    static constexpr std::string_view keys[] = {
        "id",         "nickname",  "avatar", "gender",  "country",       "province",
        "city",       "language",  "openid", "unionid", "is_authorized", "created_at",
        "updated_at", "created_by"};
    for (auto k : keys) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

// The fields v1 and v2 users share.
template <class User>
void read_common_fields(const json::object& o, User& u) {
    u.nickname = as_string(o.if_contains("nickname"));
    u.avatar = as_string(o.if_contains("avatar"));
    u.gender = static_cast<int>(as_int64(o.if_contains("gender")).value_or(0));
    u.country = as_string(o.if_contains("country"));
    u.province = as_string(o.if_contains("province"));
    u.city = as_string(o.if_contains("city"));
    u.openid = as_string(o.if_contains("openid"));
    u.unionid = as_optional_string(o.if_contains("unionid"));
    u.created_at = as_int64(o.if_contains("created_at")).value_or(0);
}

// Takes the user's object out of a DOM parsed with the default storage: the custom fields are
// what is left once the typed built-ins are read and erased, moved (not copied) into the result.
parsed<user_profile> to_user(json::value& v) {
    auto* o = v.if_object();
    if (o == nullptr) {
        return shape_error{"user is not a JSON object"};
    }
    user_profile u;
    const auto id = as_int64(o->if_contains("id"));
    if (!id) {
        return shape_error{"user has no integer id"};
    }
    u.id = *id;
    read_common_fields(*o, u);
    u.language = as_string(o->if_contains("language"));
    u.is_authorized = as_bool(o->if_contains("is_authorized"));
    u.updated_at = as_int64(o->if_contains("updated_at")).value_or(0);
    u.created_by = as_int64(o->if_contains("created_by")).value_or(0);
    for (auto it = o->begin(); it != o->end();) {
        if (is_typed_builtin(it->key())) {
            it = o->erase(it); // the last member moves into its place
        } else {
            ++it;
        }
    }
    u.custom_fields = std::move(*o);
    return u;
}

parsed<page_meta> to_meta(const json::object& envelope) {
    const auto* m = envelope.if_contains("meta");
    if (m == nullptr || !m->is_object()) {
        return shape_error{"list reply has no meta object"};
    }
    const auto& o = m->get_object();
    page_meta meta;
    meta.limit = as_int64(o.if_contains("limit")).value_or(0);
    meta.offset = as_int64(o.if_contains("offset")).value_or(0);
    meta.next = as_link(o.if_contains("next"));
    meta.previous = as_link(o.if_contains("previous"));
    meta.total_count = as_int64(o.if_contains("total_count"));
    return meta;
}

const json::array* objects_of(const json::object& envelope) {
    const auto* objects = envelope.if_contains("objects");
    return objects != nullptr ? objects->if_array() : nullptr;
}

parsed<user_v1> to_user_v1(const json::value& v) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return shape_error{"v1 user is not a JSON object"};
    }
    user_v1 u;
    u.id = as_int64(o->if_contains("id")).value_or(0);
    const auto user_id = as_int64(o->if_contains("user_id"));
    if (!user_id) {
        return shape_error{"v1 user has no integer user_id"};
    }
    u.user_id = *user_id;
    read_common_fields(*o, u);
    if (const auto* groups = o->if_contains("user_group"); groups && groups->is_array()) {
        for (const auto& g : groups->get_array()) {
            if (auto id = as_int64(&g)) {
                u.user_group.push_back(*id);
            }
        }
    }
    return u;
}

// Parses `body` into a per-reply arena and hands its top-level object to `convert`.
template <class Convert>
auto with_object(std::string_view body, const char* what, Convert convert)
    -> decltype(convert(std::declval<json::object&>())) {
    json::monotonic_resource scratch;
    auto v = parse_json(body, &scratch);
    if (!v) {
        return v.error();
    }
    auto* o = v->if_object();
    if (o == nullptr) {
        return shape_error{std::string(what) + " is not a JSON object"};
    }
    return convert(*o);
}

template <class User, class Convert>
parsed<basic_page<User>> to_page(json::object& envelope, Convert convert) {
    auto meta = to_meta(envelope);
    if (!meta) {
        return meta.error();
    }
    auto* objects = envelope.if_contains("objects");
    if (objects == nullptr || !objects->is_array()) {
        return shape_error{"list reply has no objects array"};
    }
    basic_page<User> page;
    page.meta = std::move(*meta);
    page.objects.reserve(objects->get_array().size());
    for (auto& item : objects->get_array()) {
        auto u = convert(item);
        if (!u) {
            return u.error();
        }
        page.objects.push_back(std::move(*u));
    }
    return page;
}

} // namespace

// Users are parsed with the default storage (not a per-reply arena) so that their custom
// fields can be moved out of the DOM: they outlive the reply and may be copied on any thread.
parsed<user_profile> parse_user(std::string_view body) {
    auto v = parse_json(body);
    if (!v) {
        return v.error();
    }
    return to_user(*v);
}

parsed<user_page> parse_user_page(std::string_view body) {
    auto v = parse_json(body);
    if (!v) {
        return v.error();
    }
    auto* envelope = v->if_object();
    if (envelope == nullptr) {
        return shape_error{"list reply is not a JSON object"};
    }
    return to_page<user_profile>(*envelope, to_user);
}

parsed<std::int64_t> parse_total_count(std::string_view body) {
    return with_object(body, "list reply",
                       [](const json::object& envelope) -> parsed<std::int64_t> {
                           auto meta = to_meta(envelope);
                           if (!meta) {
                               return meta.error();
                           }
                           if (!meta->total_count) {
                               return shape_error{"list reply has no meta.total_count"};
                           }
                           return *meta->total_count;
                       });
}

parsed<batch_update_result> parse_batch_update(std::string_view body) {
    return with_object(
        body, "batch reply", [](const json::object& o) -> parsed<batch_update_result> {
            const auto* items = o.if_contains("operation_result");
            if (items == nullptr || !items->is_array()) {
                return shape_error{"batch reply has no operation_result array"};
            }
            batch_update_result out;
            for (const auto& item : items->get_array()) {
                const auto* entry = item.if_object();
                if (entry == nullptr) {
                    return shape_error{"operation_result entry is not an object"};
                }
                if (const auto* s = entry->if_contains("success"); s && s->is_object()) {
                    batch_success ok;
                    const auto* id = s->get_object().if_contains("id");
                    if (id != nullptr && id->is_string()) {
                        ok.id = std::string(id->get_string());
                    } else if (auto n = as_int64(id)) {
                        ok.id = std::to_string(*n);
                    }
                    ok.updated_at = as_int64(s->get_object().if_contains("updated_at")).value_or(0);
                    out.results.emplace_back(std::move(ok));
                } else if (const auto* e = entry->if_contains("error"); e && e->is_object()) {
                    batch_error err;
                    err.message = as_string(e->get_object().if_contains("err_msg"));
                    err.code = as_int64(e->get_object().if_contains("code")).value_or(0);
                    out.results.emplace_back(std::move(err));
                } else {
                    return shape_error{"operation_result entry has neither success nor error"};
                }
            }
            out.succeed = as_int64(o.if_contains("succeed")).value_or(0);
            out.total_count = as_int64(o.if_contains("total_count"));
            out.offset = as_int64(o.if_contains("offset")).value_or(0);
            out.limit = as_int64(o.if_contains("limit")).value_or(0);
            out.next = as_link(o.if_contains("next"));
            return out;
        });
}

parsed<account_info> parse_account(std::string_view body) {
    return with_object(body, "account reply", [](const json::object& o) -> parsed<account_info> {
        account_info a;
        a.username = as_optional_string(o.if_contains("username"));
        a.email = as_optional_string(o.if_contains("email"));
        a.email_verified = as_bool(o.if_contains("email_verified"));
        a.phone = as_optional_string(o.if_contains("phone"));
        a.phone_verified = as_bool(o.if_contains("phone_verified"));
        return a;
    });
}

parsed<basic_page<user_v1>> parse_v1_page(std::string_view body) {
    return with_object(body, "v1 list reply", [](json::object& envelope) {
        return to_page<user_v1>(envelope, to_user_v1);
    });
}

parsed<user_v1> parse_v1_user(std::string_view body) {
    return with_object(body, "v1 user reply", [](const json::object& o) -> parsed<user_v1> {
        if (const auto* objects = objects_of(o)) {
            if (objects->size() != 1) {
                return shape_error{"v1 user lookup matched " + std::to_string(objects->size()) +
                                   " users"};
            }
            return to_user_v1(objects->front());
        }
        return to_user_v1(json::value(o));
    });
}

} // namespace minapp::test::reference
