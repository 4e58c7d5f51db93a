#include <minapp/account.hpp>

namespace minapp {

account_update& account_update::username(std::string value) {
    username_.emplace(std::move(value));
    return *this;
}
account_update& account_update::clear_username() {
    username_.emplace(std::nullopt);
    return *this;
}
account_update& account_update::email(std::string value) {
    email_.emplace(std::move(value));
    return *this;
}
account_update& account_update::clear_email() {
    email_.emplace(std::nullopt);
    return *this;
}
account_update& account_update::phone(std::string value) {
    phone_.emplace(std::move(value));
    return *this;
}
account_update& account_update::clear_phone() {
    phone_.emplace(std::nullopt);
    return *this;
}
account_update& account_update::new_password(std::string value) {
    new_password_ = std::move(value);
    return *this;
}

bool account_update::empty() const noexcept {
    return !username_ && !email_ && !phone_ && !new_password_;
}

std::string account_update::problem() const {
    auto blank = [](const std::optional<std::optional<std::string>>& v) {
        return v && *v && (*v)->empty();
    };
    if (blank(username_)) {
        return "username must not be empty (use clear_username to remove it)";
    }
    if (blank(email_)) {
        return "email must not be empty (use clear_email to remove it)";
    }
    if (blank(phone_)) {
        return "phone must not be empty (use clear_phone to remove it)";
    }
    if (new_password_ && new_password_->empty()) {
        return "new_password must not be empty";
    }
    return {};
}

boost::json::object account_update::document() const {
    boost::json::object out;
    auto put = [&out](const char* key, const std::optional<std::optional<std::string>>& v) {
        if (!v) {
            return;
        }
        if (*v) {
            out[key] = **v;
        } else {
            out[key] = nullptr;
        }
    };
    put("username", username_);
    put("email", email_);
    put("phone", phone_);
    if (new_password_) {
        out["new_password"] = *new_password_;
    }
    return out;
}

} // namespace minapp
