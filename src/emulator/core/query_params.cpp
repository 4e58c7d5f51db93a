#include "query_params.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace minapp::emulator::detail {

namespace {

constexpr std::int64_t max_limit = 1000;

std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string_view::npos) {
            comma = text.size();
        }
        parts.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return parts;
}

} // namespace

std::optional<std::string> query_param(const boost::urls::params_view& params,
                                       std::string_view key) {
    auto it = params.find(key);
    if (it == params.end()) {
        return std::nullopt;
    }
    return std::string((*it).value);
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

std::variant<page_window, std::string> parse_page_window(const boost::urls::params_view& params) {
    page_window w;
    if (auto limit = query_param(params, "limit")) {
        auto v = parse_integer(*limit);
        if (!v || *v <= 0) {
            return std::string("limit must be a positive integer");
        }
        w.limit = std::min(*v, max_limit);
    }
    if (auto offset = query_param(params, "offset")) {
        auto v = parse_integer(*offset);
        if (!v || *v < 0) {
            return std::string("offset must be a non-negative integer");
        }
        w.offset = *v;
    }
    if (auto total = query_param(params, "return_total_count")) {
        w.want_total = *total == "1" || *total == "true";
    }
    return w;
}

std::variant<std::vector<order_key>, std::string> parse_order_by(std::optional<std::string> text,
                                                                 const schema& s) {
    static constexpr std::array<std::string_view, 5> unsortable = {"gender", "country", "province",
                                                                   "city", "language"};
    if (!text) {
        return std::vector<order_key>{{"created_at", true}, {"id", true}};
    }
    std::vector<order_key> keys;
    for (std::string_view part : split_commas(*text)) {
        order_key k;
        if (part.starts_with('-')) {
            k.descending = true;
            part.remove_prefix(1);
        }
        if (part.empty()) {
            return std::string("order_by contains an empty field name");
        }
        if (std::find(unsortable.begin(), unsortable.end(), part) != unsortable.end()) {
            return "cannot order by " + std::string(part);
        }
        if (!s.type_of(part)) {
            return "cannot order by unknown field " + std::string(part);
        }
        k.field = std::string(part);
        keys.push_back(std::move(k));
    }
    const bool has_id =
        std::any_of(keys.begin(), keys.end(), [](const order_key& k) { return k.field == "id"; });
    if (!has_id) {
        keys.push_back({"id", keys.back().descending});
    }
    // Keys after id can never decide an order.
    auto id_at =
        std::find_if(keys.begin(), keys.end(), [](const order_key& k) { return k.field == "id"; });
    keys.erase(id_at + 1, keys.end());
    return keys;
}

std::variant<key_selection, std::string> parse_keys(std::string_view text, const schema& s) {
    key_selection sel;
    bool seen_include = false;
    bool seen_exclude = false;
    for (std::string_view part : split_commas(text)) {
        const bool exclude = part.starts_with('-');
        if (exclude) {
            part.remove_prefix(1);
        }
        if (part.empty() || part.find('.') != std::string_view::npos) {
            continue;
        }
        (exclude ? seen_exclude : seen_include) = true;
        if (!s.type_of(part)) {
            return "keys names an unknown field: " + std::string(part);
        }
        sel.fields.emplace_back(part);
    }
    if (seen_include && seen_exclude) {
        return std::string("keys cannot mix included and excluded fields");
    }
    // Nothing usable selects everything, like an absent parameter.
    sel.include = seen_include;
    return sel;
}

void apply_keys(boost::json::object& user, const key_selection& keys) {
    auto listed = [&](std::string_view name) {
        return std::find(keys.fields.begin(), keys.fields.end(), name) != keys.fields.end();
    };
    for (auto it = user.begin(); it != user.end();) {
        if (listed(it->key()) != keys.include) {
            it = user.erase(it);
        } else {
            ++it;
        }
    }
}

std::string page_link(std::string_view path, const boost::urls::url_view& url, std::int64_t limit,
                      std::int64_t offset) {
    std::string link(path);
    char sep = '?';
    bool wrote_limit = false;
    bool wrote_offset = false;
    auto append = [&](std::string_view key, std::string_view value, bool has_value) {
        link += sep;
        sep = '&';
        link += key;
        if (has_value) {
            link += '=';
            link += value;
        }
    };
    for (auto p : url.encoded_params()) {
        const std::string key = p.key.decode();
        if (key == "limit") {
            if (!wrote_limit) {
                append(p.key, std::to_string(limit), true);
                wrote_limit = true;
            }
        } else if (key == "offset") {
            if (!wrote_offset) {
                append(p.key, std::to_string(offset), true);
                wrote_offset = true;
            }
        } else {
            append(p.key, p.value, p.has_value);
        }
    }
    if (!wrote_limit) {
        append("limit", std::to_string(limit), true);
    }
    if (!wrote_offset) {
        append("offset", std::to_string(offset), true);
    }
    return link;
}

std::optional<std::string> next_page_link(std::string_view path, const boost::urls::url_view& url,
                                          const page_window& w, bool has_more) {
    if (!has_more) {
        return std::nullopt;
    }
    return page_link(path, url, w.limit, w.offset + w.limit);
}

std::optional<std::string>
previous_page_link(std::string_view path, const boost::urls::url_view& url, const page_window& w) {
    if (w.offset == 0) {
        return std::nullopt;
    }
    return page_link(path, url, w.limit, std::max<std::int64_t>(0, w.offset - w.limit));
}

} // namespace minapp::emulator::detail
