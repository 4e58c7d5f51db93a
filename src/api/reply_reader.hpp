// Reply bodies read straight into the library's types by Boost.JSON's SAX parser, as the bytes
// arrive: no DOM is built for a reply; only a user's custom fields become a json::object.
#pragma once

#include "json_reply.hpp"

#include <minapp/account.hpp>
#include <minapp/batch_update.hpp>
#include <minapp/page.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_v1.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace minapp::detail {

/// What a reply body is read into.
enum class reply_shape {
    user,         ///< user_profile (v2 get, update)
    user_page,    ///< user_page (v2.2 list)
    total_count,  ///< meta.total_count of a list reply (the count idiom)
    batch_update, ///< batch_update_result
    account,      ///< account_info
    v1_page,      ///< basic_page<user_v1>
    v1_user,      ///< user_v1 (a bare object, or an envelope with one object)
};

/// Reads one reply body of `shape`, fed in pieces as it arrives. The rules and messages are
/// those of the DOM-based conversions of json_reply.hpp: lenient types (ids as numbers or
/// decimal strings, a missing or mistyped built-in keeps its default), the last of duplicate
/// keys wins, unknown keys of a user kept in `custom_fields` in order, nesting limited to 64,
/// and a syntax error anywhere reported before any shape problem. Not copyable; one body each.
class reply_reader {
public:
    explicit reply_reader(reply_shape shape);
    ~reply_reader();
    reply_reader(const reply_reader&) = delete;
    reply_reader& operator=(const reply_reader&) = delete;

    /// Ready to read another body, of `shape` (a reader is reused per connection).
    void reset(reply_shape shape);

    /// Feeds the next bytes of the body; false once the body is known to be invalid JSON.
    bool write(std::string_view bytes);
    /// Ends the body; false when it is not one complete JSON value.
    bool finish();

    /// The results, each valid once `finish()` ran and only for its own shape.
    parsed<user_profile> take_user();
    parsed<user_page> take_user_page();
    parsed<std::int64_t> take_total_count();
    parsed<batch_update_result> take_batch_update();
    parsed<account_info> take_account();
    parsed<basic_page<user_v1>> take_v1_page();
    parsed<user_v1> take_v1_user();

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace minapp::detail
