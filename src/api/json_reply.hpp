// Lenient conversions of the API's JSON replies into the library's types (read by the SAX
// reply_reader, reply_reader.cpp), and the server's message in an error body.
#pragma once

#include <minapp/account.hpp>
#include <minapp/batch_update.hpp>
#include <minapp/page.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_v1.hpp>

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace minapp::detail {

/// A reply that is not JSON of the documented shape; the message says what was wrong.
struct shape_error {
    std::string message;
};

/// Lets `parsed<T>::value()` throw (std::runtime_error with the message).
[[noreturn]] void throw_exception_from_error(const shape_error& e,
                                             const boost::source_location& loc);

template <class T>
using parsed = boost::system::result<T, shape_error>;

/// A v2 user object (U5, U6 replies).
parsed<user_profile> parse_user(std::string_view body);
/// A v2.2 list reply (`meta` + `objects`).
parsed<user_page> parse_user_page(std::string_view body);
/// The count idiom: `meta.total_count` of a list reply.
parsed<std::int64_t> parse_total_count(std::string_view body);
/// A v2.6 batch-update reply (`operation_result` ...).
parsed<batch_update_result> parse_batch_update(std::string_view body);
/// A v2.1 account reply.
parsed<account_info> parse_account(std::string_view body);
/// A v1 list reply.
parsed<basic_page<user_v1>> parse_v1_page(std::string_view body);
/// A v1 user: a bare object, or an envelope whose single object is taken (notes §11 #9).
parsed<user_v1> parse_v1_user(std::string_view body);

/// The server's message in an error body: `error_msg`, else `message`, else `detail`, else the
/// raw text; truncated to 512 bytes, control characters replaced.
std::string server_message(std::string_view body);

/// `text` with every occurrence of `secret` (a token, a client secret, a code) replaced by
/// "[redacted]"; unchanged for an empty secret. Applied before server_message() truncates, so
/// that no prefix of a secret survives either.
std::string redacted(std::string text, std::string_view secret);

} // namespace minapp::detail
