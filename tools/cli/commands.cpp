#include "commands.hpp"

#include "bulk_output.hpp"
#include "json_io.hpp"
#include "progress_bar.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/error.hpp>
#include <minapp/user_profile.hpp>
#include <minapp/where_update.hpp>

#include <boost/json/serialize.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace minapp::cli {

namespace asio = boost::asio;
namespace json = boost::json;

std::optional<std::string> read_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The line end an editor or `echo` leaves is not part of the secret.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

int exit_status_for(const failure& f) {
    if (f.code == error::invalid_argument || f.code == error::url_too_long ||
        f.code == error::invalid_request) {
        return exit_usage;
    }
    if (f.diagnostics.http_status >= 400 && f.diagnostics.http_status < 500) {
        return exit_rejected;
    }
    return exit_failed;
}

namespace {

/// A usage problem found while preparing a command: reported, exit status 2.
struct usage_problem {
    std::string message;
};

int report(command_io& io, const failure& f) {
    io.err << "minapp: " << f.code.message() << ": " << f.diagnostics.to_string() << "\n";
    return exit_status_for(f);
}

std::int64_t parse_int(const std::string& text, const std::string& what, std::int64_t min) {
    std::int64_t v = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || text.empty() || v < min) {
        throw usage_problem{what + " must be an integer >= " + std::to_string(min) + ", got '" +
                            text + "'"};
    }
    return v;
}

std::int64_t parse_id(const std::string& text) {
    return parse_int(text, "user id", 1);
}

json::object json_object_arg(const command& cmd, const std::string& option) {
    auto parsed = parse_json_object(*cmd.value(option), "--" + option);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        throw usage_problem{*problem};
    }
    return std::get<json::object>(std::move(parsed));
}

where where_arg(const command& cmd) {
    if (cmd.value("where") == nullptr) {
        return where::all();
    }
    auto w = where::raw(json_object_arg(cmd, "where"));
    if (!w.problem().empty()) {
        throw usage_problem{"--where: " + w.problem()};
    }
    return w;
}

/// Checks update documents before anything is sent, as the client would.
struct update_checker {
    const client& c;
    bool allow_builtin_field_updates;

    /// The update `doc` describes; throws usage_problem prefixed with `what`.
    update operator()(const json::object& doc, const std::string& what) const {
        auto u = update::raw(doc);
        if (!u.problem().empty()) {
            throw usage_problem{what + ": " + u.problem()};
        }
        // Before the client's own check, whose message names the library's option: here the
        // way out is the command line's flag.
        if (!allow_builtin_field_updates) {
            for (const auto& field : u.fields()) {
                if (is_builtin_user_field(field)) {
                    throw usage_problem{what + ": update: '" + field +
                                        "' is a built-in field; the Open API updates only custom "
                                        "fields (--allow-builtin-field-updates overrides)"};
                }
            }
        }
        if (auto checked = c.validate(u); !checked) {
            throw usage_problem{what + ": " + checked.error().diagnostics.detail};
        }
        return u;
    }
};

std::string required_secret_file(const std::string& path, const std::string& what) {
    auto text = read_secret_file(path);
    if (!text) {
        throw usage_problem{"cannot read " + what + " file " + path};
    }
    if (text->empty()) {
        throw usage_problem{what + " file " + path + " is empty"};
    }
    return std::move(*text);
}

void print(command_io& io, const json::object& o) {
    io.out << to_text(o) << '\n';
}

asio::awaitable<int> users_get(client& c, const command& cmd, command_io io) {
    const auto id = parse_id(cmd.positionals[0]);
    auto user = co_await c.get_user(id);
    if (!user) {
        co_return report(io, user.error());
    }
    print(io, to_json(*user));
    co_return exit_ok;
}

asio::awaitable<int> users_count(client& c, const command& cmd, command_io io) {
    const auto filter = where_arg(cmd);
    auto n = co_await c.count_users(filter);
    if (!n) {
        co_return report(io, n.error());
    }
    io.out << *n << '\n';
    co_return exit_ok;
}

user_query list_query(const command& cmd, bool want_total) {
    user_query q;
    q.filter(where_arg(cmd));
    q.keyset(cmd.flag("keyset"));
    if (const auto* order = cmd.value("order-by")) {
        if (q.keyset()) {
            throw usage_problem{"--keyset always orders by id: drop --order-by"};
        }
        std::stringstream fields(*order);
        std::string field;
        minapp::order_by sort;
        while (std::getline(fields, field, ',')) {
            const bool desc = !field.empty() && field.front() == '-';
            if (desc) {
                sort.desc(field.substr(1));
            } else {
                sort.asc(field);
            }
        }
        if (!sort.problem().empty()) {
            throw usage_problem{"--order-by: " + sort.problem()};
        }
        q.order(std::move(sort));
    }
    if (const auto* size = cmd.value("page-size")) {
        q.page_size(parse_int(*size, "--page-size", 1));
        if (q.page_size() > 1000) {
            throw usage_problem{"--page-size must be within 1..1000"};
        }
    }
    if (const auto* max = cmd.value("max")) {
        q.max_items(parse_int(*max, "--max", 0));
    }
    if (const auto* offset = cmd.value("offset")) {
        if (q.keyset()) {
            throw usage_problem{"--keyset walks by id: --offset does not apply"};
        }
        minapp::list_cursor start;
        start.offset = parse_int(*offset, "--offset", 0);
        q.start(start);
    }
    q.return_total_count(want_total);
    return q;
}

asio::awaitable<int> users_list(client& c, const command& cmd, command_io io) {
    auto query = list_query(cmd, io.progress);
    auto pager = c.list_users(query);
    progress_bar bar(io.err, io.progress, "users");
    std::size_t done = 0;
    std::optional<std::size_t> total;
    for (;;) {
        auto page = co_await pager.next_page();
        if (!page) {
            bar.finish();
            co_return report(io, page.error());
        }
        if (!*page) {
            break;
        }
        for (const auto& user : (*page)->objects) {
            print(io, to_json(user));
        }
        io.out.flush();
        done += (*page)->objects.size();
        if (!total && (*page)->meta.total_count) {
            auto t = static_cast<std::size_t>(
                std::max<std::int64_t>(0, *(*page)->meta.total_count - query.start().offset));
            if (query.max_items()) {
                t = std::min(t, static_cast<std::size_t>(*query.max_items()));
            }
            total = t;
        }
        bar.update(done, total);
    }
    bar.finish();
    co_return exit_ok;
}

asio::awaitable<int> users_update(client& c, const command& cmd, command_io io) {
    const auto id = parse_id(cmd.positionals[0]);
    const update_checker check{c, io.allow_builtin_field_updates};
    const auto change = check(json_object_arg(cmd, "data"), "--data");
    auto user = co_await c.update_user(id, change);
    if (!user) {
        co_return report(io, user.error());
    }
    print(io, to_json(*user));
    co_return exit_ok;
}

asio::awaitable<int> users_update_where(client& c, const command& cmd, command_io io) {
    const auto filter = where_arg(cmd);
    const update_checker check{c, io.allow_builtin_field_updates};
    const auto change = check(json_object_arg(cmd, "data"), "--data");
    progress_bar bar(io.err, io.progress, "users");
    where_update_options options;
    if (io.concurrency != 0) {
        options.concurrency(io.concurrency);
    }
    options.on_progress([&bar](const bulk_progress& p) { bar.update(p); });
    auto ran = co_await update_where(c, filter, change, options);
    bar.finish();
    if (!ran) {
        co_return report(io, ran.error());
    }
    print(io, to_json(*ran));
    if (ran->listing_error) {
        report(io, *ran->listing_error);
    }
    if (!ran->failed_slices.empty() || !ran->item_errors.empty() || ran->cancelled) {
        co_return exit_bulk_partial;
    }
    co_return ran->listing_error ? exit_status_for(*ran->listing_error) : exit_ok;
}

/// One `{"id": ..., "data": {...}}` line, checked; throws usage_problem with its position.
user_update parse_item(const update_checker& check, std::string_view line, std::size_t number) {
    const std::string where = "--input line " + std::to_string(number);
    auto parsed = parse_json_object(line, "--input", number);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        throw usage_problem{*problem};
    }
    auto& doc = std::get<json::object>(parsed);
    const auto* id = doc.if_contains("id");
    const auto* data = doc.if_contains("data");
    if (id == nullptr || !id->is_int64() || id->as_int64() <= 0) {
        throw usage_problem{where + ": \"id\" must be a positive integer"};
    }
    if (data == nullptr || !data->is_object()) {
        throw usage_problem{where + ": \"data\" must be an update document (a JSON object)"};
    }
    user_update item;
    item.id = id->as_int64();
    item.change = check(data->as_object(), where + ": data");
    return item;
}

bool blank(const std::string& line) {
    return line.find_first_not_of(" \t\r") == std::string::npos;
}

/// The items of `--input`, every line checked before the run starts. A file is read twice
/// (checked, then streamed) so that memory stays bounded; stdin is kept in memory.
update_source input_source(const update_checker& check, const std::string& path) {
    if (path == "-") {
        auto lines = std::make_shared<std::vector<std::string>>();
        for (std::string line; std::getline(std::cin, line);) {
            lines->push_back(std::move(line));
        }
        std::size_t items = 0;
        for (std::size_t n = 0; n < lines->size(); ++n) {
            if (!blank((*lines)[n])) {
                parse_item(check, (*lines)[n], n + 1);
                ++items;
            }
        }
        auto at = std::make_shared<std::size_t>(0);
        return update_source::from_function(
            [check, lines, at]() -> std::optional<user_update> {
                while (*at < lines->size()) {
                    const auto n = (*at)++;
                    if (!blank((*lines)[n])) {
                        return parse_item(check, (*lines)[n], n + 1);
                    }
                }
                return std::nullopt;
            },
            items);
    }
    std::ifstream first_pass(path);
    if (!first_pass) {
        throw usage_problem{"cannot read --input file " + path};
    }
    std::size_t items = 0;
    std::size_t number = 0;
    for (std::string line; std::getline(first_pass, line);) {
        ++number;
        if (!blank(line)) {
            parse_item(check, line, number);
            ++items;
        }
    }
    auto in = std::make_shared<std::ifstream>(path);
    auto line_number = std::make_shared<std::size_t>(0);
    return update_source::from_function(
        [check, in, line_number]() -> std::optional<user_update> {
            for (std::string line; std::getline(*in, line);) {
                ++*line_number;
                if (!blank(line)) {
                    return parse_item(check, line, *line_number);
                }
            }
            return std::nullopt;
        },
        items);
}

asio::awaitable<int> users_update_many(client& c, const command& cmd, command_io io) {
    auto source =
        input_source(update_checker{c, io.allow_builtin_field_updates}, *cmd.value("input"));
    progress_bar bar(io.err, io.progress, "items");
    bulk_options options;
    if (io.concurrency != 0) {
        options.concurrency(io.concurrency);
    }
    options.stop_on_error(cmd.flag("stop-on-error"));
    auto print_outcome = [&io](update_outcome&& o) {
        print(io, to_json(o));
    };
    input_order in_input_order(print_outcome);
    if (cmd.flag("ordered")) {
        options.on_outcome(
            [&in_input_order](update_outcome&& o) { in_input_order.push(std::move(o)); });
    } else {
        options.on_outcome(print_outcome);
    }
    options.on_progress([&bar](const bulk_progress& p) { bar.update(p); });
    auto ran = co_await update_users(c, std::move(source), options);
    in_input_order.flush();
    bar.finish();
    io.out.flush();
    if (!ran) {
        co_return report(io, ran.error());
    }
    io.err << update_many_summary(*ran) << "\n";
    const auto& t = ran->totals;
    co_return t.succeeded == t.done ? exit_ok : exit_bulk_partial;
}

asio::awaitable<int> account_update(client& c, const command& cmd, command_io io) {
    const auto id = parse_id(cmd.positionals[0]);
    minapp::account_update change;
    if (const auto* v = cmd.value("username")) {
        change.username(*v);
    } else if (cmd.flag("clear-username")) {
        change.clear_username();
    }
    if (const auto* v = cmd.value("email")) {
        change.email(*v);
    } else if (cmd.flag("clear-email")) {
        change.clear_email();
    }
    if (const auto* v = cmd.value("phone")) {
        change.phone(*v);
    } else if (cmd.flag("clear-phone")) {
        change.clear_phone();
    }
    if (const auto* path = cmd.value("password-file")) {
        change.new_password(required_secret_file(*path, "password"));
    }
    if (change.empty()) {
        throw usage_problem{"account update: nothing to change (see --help)"};
    }
    if (const auto problem = change.problem(); !problem.empty()) {
        throw usage_problem{"account update: " + problem};
    }
    auto account = co_await c.update_account(id, change);
    if (!account) {
        co_return report(io, account.error());
    }
    print(io, to_json(*account));
    co_return exit_ok;
}

v1_filter v1_filter_of(const command& cmd) {
    v1_filter f;
    auto text = [&cmd](const char* option) -> std::optional<std::string> {
        const auto* v = cmd.value(option);
        return v ? std::optional<std::string>(*v) : std::nullopt;
    };
    auto number = [&cmd](const char* option, std::int64_t min) -> std::optional<std::int64_t> {
        const auto* v = cmd.value(option);
        return v ? std::optional<std::int64_t>(parse_int(*v, std::string("--") + option, min))
                 : std::nullopt;
    };
    f.nickname(text("nickname"));
    f.nickname_contains(text("nickname-contains"));
    if (auto g = number("gender", 0)) {
        f.gender(static_cast<int>(*g));
    }
    f.created_at_gte(number("created-at-gte", 0));
    f.created_at_lte(number("created-at-lte", 0));
    f.created_at_gt(number("created-at-gt", 0));
    f.created_at_lt(number("created-at-lt", 0));
    if (const auto* groups = cmd.value("group-in")) {
        std::stringstream list(*groups);
        std::vector<std::int64_t> ids;
        for (std::string g; std::getline(list, g, ',');) {
            ids.push_back(parse_int(g, "--group-in", 1));
        }
        f.group_in(std::move(ids));
    }
    f.openid(text("openid"));
    f.unionid(text("unionid"));
    f.user_id(number("user-id", 1));
    if (auto limit = number("limit", 1)) {
        f.limit(*limit);
    }
    if (auto offset = number("offset", 0)) {
        f.offset(*offset);
    }
    if (const auto* order = cmd.value("order-by")) {
        if (*order == "created_at") {
            f.order_by(v1_filter::order::created_at);
        } else if (*order == "-created_at") {
            f.order_by(v1_filter::order::created_at_desc);
        } else {
            throw usage_problem{"--order-by must be created_at or -created_at"};
        }
    }
    return f;
}

asio::awaitable<int> users_list_v1(client& c, const command& cmd, command_io io) {
    const auto filter = v1_filter_of(cmd);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    auto page = co_await c.list_users_v1(filter);
#pragma GCC diagnostic pop
    if (!page) {
        co_return report(io, page.error());
    }
    for (const auto& user : page->objects) {
        print(io, to_json(user));
    }
    co_return exit_ok;
}

// For scripts: the token on stdout as one JSON object. Printing it is what the command is for;
// it never appears on stderr.
asio::awaitable<int> auth_token(client& c, command_io io) {
    auto token = co_await c.access_token();
    if (!token) {
        co_return report(io, token.error());
    }
    json::object out;
    out["access_token"] = token->access_token();
    if (token->expires_in().count() > 0) {
        out["expires_in"] = token->expires_in().count();
    } else {
        out["expires_in"] = nullptr; // a fixed token: its lifetime is not known here
    }
    out["token_type"] = "Bearer";
    print(io, out);
    co_return exit_ok;
}

asio::awaitable<int> dispatch(client& c, const command& cmd, command_io io) {
    if (cmd.name == "auth token") {
        co_return co_await auth_token(c, io);
    }
    if (cmd.name == "users get") {
        co_return co_await users_get(c, cmd, io);
    }
    if (cmd.name == "users list") {
        co_return co_await users_list(c, cmd, io);
    }
    if (cmd.name == "users count") {
        co_return co_await users_count(c, cmd, io);
    }
    if (cmd.name == "users update") {
        co_return co_await users_update(c, cmd, io);
    }
    if (cmd.name == "users update-where") {
        co_return co_await users_update_where(c, cmd, io);
    }
    if (cmd.name == "users update-many") {
        co_return co_await users_update_many(c, cmd, io);
    }
    if (cmd.name == "account update") {
        co_return co_await account_update(c, cmd, io);
    }
    if (cmd.name == "users list-v1") {
        co_return co_await users_list_v1(c, cmd, io);
    }
    io.err << "minapp: unknown command '" << cmd.name << "'\n";
    co_return exit_usage;
}

} // namespace

asio::awaitable<int> run_command(client& c, const command& cmd, command_io io) {
    try {
        co_return co_await dispatch(c, cmd, io);
    } catch (const usage_problem& p) {
        io.err << "minapp: " << p.message << "\n";
    }
    co_return exit_usage;
}

} // namespace minapp::cli
