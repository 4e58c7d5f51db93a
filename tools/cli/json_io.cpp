#include "json_io.hpp"

#include "bulk_output.hpp"

#include <minapp/error.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace minapp::cli {

namespace json = boost::json;

std::variant<json::value, std::string> parse_json(std::string_view text, std::string_view what,
                                                  std::size_t first_line) {
    json::parse_options opts;
    opts.max_depth = 64;
    json::stream_parser p({}, opts);
    boost::system::error_code ec;
    const std::size_t used = p.write_some(text.data(), text.size(), ec);
    if (!ec && used == text.size()) {
        p.finish(ec);
    }
    if (!ec && used != text.size()) {
        ec = json::error::extra_data;
    }
    if (ec) {
        // The parser stops at the first byte it cannot take: report it as line and column.
        const std::size_t at = std::min(used, text.size());
        std::size_t line = first_line;
        std::size_t column = 1;
        for (std::size_t k = 0; k < at; ++k) {
            if (text[k] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return std::string(what) + ": line " + std::to_string(line) + ", column " +
               std::to_string(column) + ": " + ec.message();
    }
    return p.release();
}

std::variant<json::object, std::string>
parse_json_object(std::string_view text, std::string_view what, std::size_t first_line) {
    auto parsed = parse_json(text, what, first_line);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        return *problem;
    }
    auto& v = std::get<json::value>(parsed);
    if (!v.is_object()) {
        return std::string(what) + ": line " + std::to_string(first_line) +
               ": expected a JSON object";
    }
    return std::move(v.as_object());
}

namespace {

void append_double(std::string& out, double d) {
    char buf[400];
    const double a = std::fabs(d);
    const bool plain = a == 0 || (a >= 1e-5 && a < 1e17);
    const auto r = std::to_chars(buf, buf + sizeof buf, d,
                                 plain ? std::chars_format::fixed : std::chars_format::scientific);
    const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
    out += text;
    if (plain && text.find('.') == std::string_view::npos) {
        out += ".0"; // still a double when read back
    }
}

void append_value(std::string& out, const json::value& v) {
    switch (v.kind()) {
    case json::kind::object: {
        out += '{';
        bool first = true;
        for (const auto& kv : v.get_object()) {
            if (!first) {
                out += ',';
            }
            first = false;
            out += json::serialize(kv.key());
            out += ':';
            append_value(out, kv.value());
        }
        out += '}';
        return;
    }
    case json::kind::array: {
        out += '[';
        bool first = true;
        for (const auto& item : v.get_array()) {
            if (!first) {
                out += ',';
            }
            first = false;
            append_value(out, item);
        }
        out += ']';
        return;
    }
    case json::kind::double_:
        append_double(out, v.get_double());
        return;
    default:
        out += json::serialize(v); // strings (escaped), integers, booleans, null
        return;
    }
}

json::value optional_string(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

} // namespace

std::string to_text(const json::value& v) {
    std::string out;
    append_value(out, v);
    return out;
}

json::object to_json(const user_profile& u) {
    json::object o;
    o["id"] = u.id;
    o["nickname"] = u.nickname;
    o["avatar"] = u.avatar;
    o["gender"] = u.gender;
    o["country"] = u.country;
    o["province"] = u.province;
    o["city"] = u.city;
    o["language"] = u.language;
    o["openid"] = u.openid;
    o["unionid"] = optional_string(u.unionid);
    o["is_authorized"] = u.is_authorized;
    o["created_at"] = u.created_at;
    o["updated_at"] = u.updated_at;
    o["created_by"] = u.created_by;
    for (const auto& field : u.custom_fields) {
        o[field.key()] = field.value();
    }
    return o;
}

json::object to_json(const user_v1& u) {
    json::object o;
    o["id"] = u.id;
    o["user_id"] = u.user_id;
    o["nickname"] = u.nickname;
    o["avatar"] = u.avatar;
    o["gender"] = u.gender;
    o["country"] = u.country;
    o["province"] = u.province;
    o["city"] = u.city;
    o["openid"] = u.openid;
    o["unionid"] = optional_string(u.unionid);
    o["created_at"] = u.created_at;
    json::array groups;
    for (auto g : u.user_group) {
        groups.emplace_back(g);
    }
    o["user_group"] = std::move(groups);
    return o;
}

json::object to_json(const account_info& a) {
    json::object o;
    o["username"] = optional_string(a.username);
    o["email"] = optional_string(a.email);
    o["email_verified"] = a.email_verified;
    o["phone"] = optional_string(a.phone);
    o["phone_verified"] = a.phone_verified;
    return o;
}

std::string error_name(const boost::system::error_code& code) {
    static const std::pair<error, const char*> names[] = {
        {error::resolve_failed, "resolve_failed"},
        {error::connect_failed, "connect_failed"},
        {error::tls_handshake_failed, "tls_handshake_failed"},
        {error::tls_verification_failed, "tls_verification_failed"},
        {error::request_timeout, "request_timeout"},
        {error::connection_closed, "connection_closed"},
        {error::connection_reset, "connection_reset"},
        {error::body_limit_exceeded, "body_limit_exceeded"},
        {error::header_limit_exceeded, "header_limit_exceeded"},
        {error::protocol_error, "protocol_error"},
        {error::cancelled, "cancelled"},
        {error::pool_wait_timeout, "pool_wait_timeout"},
        {error::pool_shut_down, "pool_shut_down"},
        {error::invalid_request, "invalid_request"},
        {error::invalid_argument, "invalid_argument"},
        {error::url_too_long, "url_too_long"},
        {error::bad_request, "bad_request"},
        {error::unauthorized, "unauthorized"},
        {error::payment_required, "payment_required"},
        {error::forbidden, "forbidden"},
        {error::not_found, "not_found"},
        {error::rate_limited, "rate_limited"},
        {error::server_error, "server_error"},
        {error::unexpected_status, "unexpected_status"},
        {error::malformed_response, "malformed_response"},
        {error::outcome_unknown, "outcome_unknown"},
        {error::not_attempted, "not_attempted"},
        {error::token_flow_failed, "token_flow_failed"},
        {error::rate_budget_unavailable, "rate_budget_unavailable"},
    };
    for (const auto& [e, name] : names) {
        if (code == e) {
            return name;
        }
    }
    return code.message();
}

json::object to_json(const failure& f) {
    json::object o;
    o["code"] = error_name(f.code);
    o["message"] = f.code.message();
    if (f.diagnostics.http_status != 0) {
        o["http_status"] = f.diagnostics.http_status;
    }
    if (!f.diagnostics.server_message.empty()) {
        o["server_message"] = f.diagnostics.server_message;
    }
    if (!f.diagnostics.detail.empty()) {
        o["detail"] = f.diagnostics.detail;
    }
    o["attempts"] = f.diagnostics.attempts;
    return o;
}

json::object to_json(const update_outcome& outcome) {
    json::object o;
    o["id"] = outcome.id;
    o["index"] = outcome.index;
    o["status"] = to_string(outcome.status);
    if (outcome.user) {
        o["user"] = to_json(*outcome.user);
    }
    if (outcome.error) {
        o["error"] = to_json(*outcome.error);
    }
    return o;
}

json::object to_json(const where_update_report& r) {
    json::object o;
    o["matched"] = r.matched;
    o["succeeded"] = r.succeeded;
    o["no_longer_matching"] = r.no_longer_matching;
    json::array errors;
    for (const auto& e : r.item_errors) {
        json::object item;
        item["code"] = e.code;
        item["message"] = e.message;
        errors.push_back(std::move(item));
    }
    o["item_errors"] = std::move(errors);
    json::array slices;
    for (const auto& s : r.failed_slices) {
        json::object slice;
        json::array ids;
        for (auto id : s.ids) {
            ids.emplace_back(id);
        }
        slice["ids"] = std::move(ids);
        slice["status"] = to_string(s.status);
        slice["error"] = to_json(s.error);
        slices.push_back(std::move(slice));
    }
    o["failed_slices"] = std::move(slices);
    if (r.listing_error) {
        o["listing_error"] = to_json(*r.listing_error);
    }
    o["requests"] = r.requests;
    o["cancelled"] = r.cancelled;
    o["seconds"] = rounded_to_milliseconds(std::chrono::duration<double>(r.totals.elapsed).count());
    if (const auto rate = attempted_rate(r.totals)) {
        o["users_per_second"] = std::round(*rate * 10) / 10;
    }
    return o;
}

} // namespace minapp::cli
