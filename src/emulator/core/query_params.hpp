// The list parameters shared by the list and batch endpoints (notes §5): limit, offset,
// return_total_count, order_by, keys, and the `next`/`previous` links built from them.
#pragma once

#include "schema.hpp"

#include <boost/json/object.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/url_view.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace minapp::emulator::detail {

/// The first value of a query parameter, percent-decoded (`+` reads as a space, as form
/// decoding does); nullopt when absent. A key without `=` yields an empty string.
std::optional<std::string> query_param(const boost::urls::params_view& params,
                                       std::string_view key);

/// A decimal integer with optional leading '-', nothing else; nullopt otherwise.
std::optional<std::int64_t> parse_integer(std::string_view text);

/// The page window of a list request.
struct page_window {
    std::int64_t limit = 20;
    std::int64_t offset = 0;
    bool want_total = false; ///< return_total_count was `1` or `true`.
};

/// Parses limit (default 20, > 1000 clamped, <= 0 or non-integer rejected), offset (default 0,
/// negative or non-integer rejected) and return_total_count. Returns the error text on failure.
std::variant<page_window, std::string> parse_page_window(const boost::urls::params_view& params);

/// One `order_by` entry.
struct order_key {
    std::string field;
    bool descending = false;
};

/// Parses a comma-separated `order_by` for the v2 endpoints. Rejects gender, country, province,
/// city and language (unsortable per the docs) and unknown columns. The result always ends with
/// `id` so the order is total: when `id` is not listed it is appended in the direction of the
/// last listed key. An absent parameter gives `-created_at,-id`.
std::variant<std::vector<order_key>, std::string> parse_order_by(std::optional<std::string> text,
                                                                 const schema& s);

/// A `keys` selection: only the listed fields, or everything but them.
struct key_selection {
    bool include = true;
    std::vector<std::string> fields;
};

/// Parses `keys=a,b` / `keys=-a,-b`. Mixing the forms or naming an unknown column is an error.
/// Dotted entries (`ptr.field`) only matter with `expand`, which the emulator ignores, so they
/// are dropped; a selection with no usable entry keeps every field.
std::variant<key_selection, std::string> parse_keys(std::string_view text, const schema& s);

/// Applies a key selection to one user object (in place).
void apply_keys(boost::json::object& user, const key_selection& keys);

/// A root-relative link to another page: `path`, then the request's parameters in their order
/// and encoding with `limit` and `offset` replaced (appended when absent).
std::string page_link(std::string_view path, const boost::urls::url_view& url, std::int64_t limit,
                      std::int64_t offset);

/// The link to the page after `w`, present iff more rows follow (notes §5.5, §11 #8).
std::optional<std::string> next_page_link(std::string_view path, const boost::urls::url_view& url,
                                          const page_window& w, bool has_more);

/// The link to the page before `w`: none at offset 0, else offset max(0, offset - limit).
std::optional<std::string>
previous_page_link(std::string_view path, const boost::urls::url_view& url, const page_window& w);

} // namespace minapp::emulator::detail
