#include "schema.hpp"

#include <array>

namespace minapp::emulator::detail {

std::string_view to_string(field_type t) noexcept {
    switch (t) {
    case field_type::string: return "string";
    case field_type::integer: return "integer";
    case field_type::number: return "number";
    case field_type::boolean: return "boolean";
    case field_type::array: return "array";
    case field_type::object: return "object";
    case field_type::geojson: return "geojson";
    case field_type::file: return "file";
    case field_type::date: return "date";
    case field_type::pointer: return "pointer";
    }
    return "unknown";
}

schema::schema() {
    using enum field_type;
    builtin_ = {
        {"id", integer},         {"created_by", integer}, {"created_at", integer},
        {"updated_at", integer}, {"nickname", string},    {"avatar", string},
        {"gender", integer},     {"country", string},     {"province", string},
        {"city", string},        {"language", string},    {"openid", string},
        {"unionid", string},     {"is_authorized", boolean}, {"_username", string},
        {"_email", string},      {"_phone", string},      {"_email_verified", boolean},
        {"_phone_verified", boolean}, {"_provider", object}, {"_group", array},
        {"user_id", integer},
    };
}

bool schema::add_custom(std::string name, field_type type) {
    if (is_builtin(name)) {
        return false;
    }
    custom_[std::move(name)] = type;
    return true;
}

std::optional<field_type> schema::type_of(std::string_view name) const {
    if (auto it = builtin_.find(name); it != builtin_.end()) {
        return it->second;
    }
    if (auto it = custom_.find(name); it != custom_.end()) {
        return it->second;
    }
    return std::nullopt;
}

bool schema::is_builtin(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 15> names = {
        "id",       "created_at", "created_by", "updated_at", "country",
        "nickname", "province",   "city",       "language",   "openid",
        "unionid",  "avatar",     "is_authorized", "gender",  "user_id"};
    if (!name.empty() && name.front() == '_') {
        return true;
    }
    for (auto n : names) {
        if (n == name) {
            return true;
        }
    }
    return false;
}

schema schema::seeded() {
    using enum field_type;
    schema s;
    s.add_custom("score", integer);
    s.add_custom("balance", number);
    s.add_custom("vip", boolean);
    s.add_custom("tags", array);
    s.add_custom("profile", object);
    s.add_custom("location", geojson);
    s.add_custom("birthday", date);
    s.add_custom("test", string);
    s.add_custom("avatar_file", file);
    s.add_custom("referrer", pointer);
    return s;
}

} // namespace minapp::emulator::detail
