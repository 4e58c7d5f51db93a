// What to list and how to page through it.
#pragma once

#include <minapp/order_by.hpp>
#include <minapp/where.hpp>

#include <cstdint>
#include <optional>

namespace minapp {

/// Where a listing stands: the next page not yet delivered. A pager exposes it; a new pager
/// built from `user_query::resume(cursor)` continues without skipping or repeating a page.
struct list_cursor {
    std::int64_t offset = 0;              ///< Offset mode: offset of the next page.
    std::optional<std::int64_t> after_id; ///< Keyset mode: continue with ids above this one.
    std::int64_t delivered = 0;           ///< Users delivered so far (for `max_items`).

    friend bool operator==(const list_cursor&, const list_cursor&) = default;
};

/// A listing of users (v2.2 list endpoint).
struct user_query {
    minapp::where filter = where::all();
    /// Sort order; empty means the server default (-created_at). Keyset mode always uses id.
    minapp::order_by order;
    /// Users per request (the API's `limit`), 1..1000.
    std::int64_t page_size = 100;
    /// Cap on the users delivered in total; unset for all.
    std::optional<std::int64_t> max_items;
    /// Ask for `meta.total_count` with every page.
    bool return_total_count = false;
    /// Keyset mode: order by id and continue with `id > last seen`, so concurrent inserts and
    /// updates never make the walk skip or repeat a user (offset paging can).
    bool keyset = false;
    /// Where to start (offset 0 / first id by default).
    list_cursor start;

    /// This query, continued from `cursor`.
    user_query resume(const list_cursor& cursor) const {
        user_query q = *this;
        q.start = cursor;
        return q;
    }
};

} // namespace minapp
