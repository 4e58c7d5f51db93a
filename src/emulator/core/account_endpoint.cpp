#include "account_endpoint.hpp"

#include "reply.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace minapp::emulator::detail {

namespace {

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

/// One requested change of a nullable account field.
struct field_change {
    bool present = false;
    std::optional<std::string> value; ///< nullopt: clear
};

/// Reads `key` from the body: absent, null or a string; anything else is an error.
std::optional<std::string> read_change(const boost::json::object& body, std::string_view key,
                                       field_change& out) {
    const boost::json::value* v = body.if_contains(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    out.present = true;
    if (v->is_null()) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        return std::string(key) + " must be a string or null";
    }
    out.value = std::string(v->get_string());
    return std::nullopt;
}

bool taken_by_other(std::optional<std::int64_t> owner, std::int64_t id) {
    return owner && *owner != id;
}

std::optional<std::string> string_field(const boost::json::object& user, std::string_view key) {
    if (auto* v = user.if_contains(key); v != nullptr && v->is_string()) {
        return std::string(v->get_string());
    }
    return std::nullopt;
}

boost::json::value nullable(const std::optional<std::string>& s) {
    return s ? boost::json::value(*s) : boost::json::value();
}

bool flag(const boost::json::object& user, std::string_view key) {
    auto* v = user.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
}

} // namespace

bool plausible_email(std::string_view email) {
    const auto at = email.find('@');
    if (at == std::string_view::npos || at == 0 ||
        email.find('@', at + 1) != std::string_view::npos || email.size() > 254) {
        return false;
    }
    if (std::any_of(email.begin(), email.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
        return false;
    }
    const std::string_view domain = email.substr(at + 1);
    if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
        domain.back() == '.' || domain.find("..") != std::string_view::npos) {
        return false;
    }
    return true;
}

api_response update_account(user_store& store, const endpoint_context& ctx) {
    const auto id = path_user_id(ctx.id);
    const auto at = id ? store.find(*id) : std::nullopt;
    if (!at) {
        return error_reply(404, "user not found");
    }
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(ctx.request.body, ec);
    if (ec || !parsed.is_object()) {
        return error_reply(400, "request body must be a JSON object");
    }
    const boost::json::object& body = parsed.as_object();

    field_change username;
    field_change email;
    field_change phone;
    for (auto [key, change] : {std::pair{"username", &username}, std::pair{"email", &email},
                               std::pair{"phone", &phone}}) {
        if (auto error = read_change(body, key, *change)) {
            return error_reply(400, *error);
        }
    }
    std::optional<std::string> password;
    if (const boost::json::value* v = body.if_contains("new_password")) {
        if (!v->is_string() || blank(v->get_string())) {
            return error_reply(400, "new_password must be a non-blank string");
        }
        password = std::string(v->get_string());
    }

    // Validate everything before changing anything.
    if (username.value) {
        if (blank(*username.value)) {
            return error_reply(400, "username must not be blank");
        }
        if (taken_by_other(store.owner_of_username(*username.value), *id)) {
            return error_reply(400, "username already exists");
        }
    }
    if (email.value) {
        *email.value = ascii_lower(*email.value);
        if (!plausible_email(*email.value)) {
            return error_reply(400, "invalid email address");
        }
        if (taken_by_other(store.owner_of_email(*email.value), *id)) {
            return error_reply(400, "email already exists");
        }
    }
    if (phone.value) {
        if (blank(*phone.value)) {
            return error_reply(400, "phone must not be blank");
        }
        if (taken_by_other(store.owner_of_phone(*phone.value), *id)) {
            return error_reply(400, "phone already exists");
        }
    }

    boost::json::object user = load_user(store, store.records()[*at]);
    bool changed = false;
    if (username.present && string_field(user, "_username") != username.value) {
        user["_username"] = nullable(username.value);
        changed = true;
    }
    if (email.present && string_field(user, "_email") != email.value) {
        user["_email"] = nullable(email.value);
        user["_email_verified"] = false;
        changed = true;
    }
    if (phone.present && string_field(user, "_phone") != phone.value) {
        user["_phone"] = nullable(phone.value);
        user["_phone_verified"] = false;
        changed = true;
    }
    if (changed) {
        user["updated_at"] = ctx.now;
        store.put(user);
    }
    if (password) {
        store.set_password(*id, std::move(*password));
    }

    boost::json::object reply;
    reply["username"] = nullable(string_field(user, "_username"));
    reply["email"] = nullable(string_field(user, "_email"));
    reply["email_verified"] = flag(user, "_email_verified");
    reply["phone"] = nullable(string_field(user, "_phone"));
    reply["phone_verified"] = flag(user, "_phone_verified");
    return json_reply(boost::json::serialize(reply));
}

} // namespace minapp::emulator::detail
