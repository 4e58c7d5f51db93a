// Login/account data of a user (`PUT /oserve/v2.1/miniapp/user/account/:id/`).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace minapp {

/// The account state the server returns.
struct account_info {
    account_info() = default;

    std::optional<std::string> username;
    std::optional<std::string> email;
    bool email_verified = false;
    std::optional<std::string> phone;
    bool phone_verified = false;

    friend bool operator==(const account_info&, const account_info&) = default;
};

/// A change to a user's login data. Each identifier is left unchanged unless set or cleared:
/// "clear" sends `null` (the server removes it), distinct from not mentioning it.
class account_update {
public:
    account_update& username(std::string value);
    account_update& clear_username();
    account_update& email(std::string value);
    account_update& clear_email();
    /// A new phone number; the server resets `phone_verified` to false.
    account_update& phone(std::string value);
    account_update& clear_phone();
    /// Force-sets the password (no old password needed on this admin endpoint).
    account_update& new_password(std::string value);

    /// True when nothing would change.
    bool empty() const noexcept;
    /// The first invalid argument (an empty username/email/phone/password), or empty.
    std::string problem() const;
    /// The JSON body: only the keys being changed; cleared ones as null.
    boost::json::object document() const;

private:
    // nullopt: unchanged; a null inner optional: clear.
    std::optional<std::optional<std::string>> username_, email_, phone_;
    std::optional<std::string> new_password_;
};

} // namespace minapp
