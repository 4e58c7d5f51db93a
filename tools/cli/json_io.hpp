// JSON in and out of the CLI: arguments parsed with the position of the first error, and the
// library's result types written as JSON objects.
#pragma once

#include <minapp/account.hpp>
#include <minapp/bulk_update.hpp>
#include <minapp/result.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/user_v1.hpp>
#include <minapp/where_update.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace minapp::cli {

/// Parses `text` as one JSON value. On failure, the message names `what`, the line and column
/// of the error and the parser's reason, e.g. "--where: line 1, column 9: syntax error";
/// `first_line` is the number of the text's first line (for a line of an input file).
std::variant<boost::json::value, std::string>
parse_json(std::string_view text, std::string_view what, std::size_t first_line = 1);

/// Parses `text` as a JSON object (see parse_json).
std::variant<boost::json::object, std::string>
parse_json_object(std::string_view text, std::string_view what, std::size_t first_line = 1);

/// The user as the API shows it: built-in fields and custom fields in one object.
boost::json::object to_json(const user_profile& user);
/// A v1 user.
boost::json::object to_json(const user_v1& user);
/// Account data.
boost::json::object to_json(const account_info& account);
/// A failure: code name, HTTP status, server message, detail, attempts (never the token).
boost::json::object to_json(const failure& f);
/// One outcome line of `users update-many`.
boost::json::object to_json(const update_outcome& outcome);
/// The summary of `users update-where`: `seconds` rounded to milliseconds, and
/// `users_per_second` (users attempted, to 0.1) only once a rate means something (see
/// attempted_rate).
boost::json::object to_json(const where_update_report& report);

/// Compact JSON text of `v` with numbers as people and jq read them: integers as integers,
/// other numbers in plain decimal notation (`3826.05`, `144.668453`, `0.042`; an integral one
/// keeps a `.0`), or in exponent notation only outside 1e-5..1e17 (`1.5e+20`); always the
/// shortest text that reads back as the same double.
std::string to_text(const boost::json::value& v);

/// A stable name of a minapp error code (e.g. "not_found"), the message for other codes.
std::string error_name(const boost::system::error_code& code);

} // namespace minapp::cli
