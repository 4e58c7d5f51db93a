// What to list and how to page through it.
#pragma once

#include <minapp/order_by.hpp>
#include <minapp/where.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace minapp {

/// Where a listing stands: the next page not yet delivered. A pager exposes it; a new pager
/// built from `user_query::resume(cursor)` continues without skipping or repeating a page.
/// (A plain struct: it is trivially destructible, so g++ 12 handles it inline.)
struct list_cursor {
    std::int64_t offset = 0;                ///< Offset mode: offset of the next page.
    std::optional<std::int64_t> after_id{}; ///< Keyset mode: continue with ids above this one.
    std::int64_t delivered = 0;             ///< Users delivered so far (for `max_items`).

    friend bool operator==(const list_cursor&, const list_cursor&) = default;
};

/// A listing of users (v2.2 list endpoint), written inline with chainable setters:
///
///     client.list_users(minapp::user_query().filter(where::eq("city", "广州")).page_size(1000))
///
/// Each getter is named like its setter. Not an aggregate on purpose: see README, "Compilers".
class user_query {
public:
    /// Every user, 100 per page, in the server's default order.
    user_query() = default;
    /// The users matching `filter`.
    explicit user_query(minapp::where filter)
        : filter_(std::move(filter)) {}

    /// Which users (default `where::all()`).
    user_query& filter(minapp::where v) {
        filter_ = std::move(v);
        return *this;
    }
    const minapp::where& filter() const noexcept { return filter_; }

    /// Sort order; empty (default) means the server default (-created_at). Keyset mode always
    /// uses id.
    user_query& order(minapp::order_by v) {
        order_ = std::move(v);
        return *this;
    }
    const minapp::order_by& order() const noexcept { return order_; }

    /// Users per request (the API's `limit`), 1..1000 (default 100).
    user_query& page_size(std::int64_t v) {
        page_size_ = v;
        return *this;
    }
    std::int64_t page_size() const noexcept { return page_size_; }

    /// Cap on the users delivered in total; unset (default) for all.
    user_query& max_items(std::optional<std::int64_t> v) {
        max_items_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& max_items() const noexcept { return max_items_; }

    /// Ask for `meta.total_count` with every page (default false).
    user_query& return_total_count(bool v) {
        return_total_count_ = v;
        return *this;
    }
    bool return_total_count() const noexcept { return return_total_count_; }

    /// Keyset mode (default false): order by id and continue with `id > last seen`, so
    /// concurrent inserts and updates never make the walk skip or repeat a user (offset paging
    /// can).
    user_query& keyset(bool v) {
        keyset_ = v;
        return *this;
    }
    bool keyset() const noexcept { return keyset_; }

    /// Where to start (default: offset 0 / the first id).
    user_query& start(list_cursor v) {
        start_ = v;
        return *this;
    }
    const list_cursor& start() const noexcept { return start_; }

    /// This query, continued from `cursor`.
    user_query resume(const list_cursor& cursor) const {
        user_query q = *this;
        q.start_ = cursor;
        return q;
    }

private:
    minapp::where filter_;
    minapp::order_by order_;
    std::int64_t page_size_ = 100;
    std::optional<std::int64_t> max_items_;
    bool return_total_count_ = false;
    bool keyset_ = false;
    list_cursor start_;
};

} // namespace minapp
