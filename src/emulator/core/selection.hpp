// Running a list query over a user_store: filter with `where`, order, and cut one page out.
#pragma once

#include "query_params.hpp"
#include "user_store.hpp"
#include "where.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace minapp::emulator::detail {

/// A compiled list query.
struct list_query {
    where_filter filter;
    bool match_all = true; ///< No `where`, or `{}`: the filter need not be evaluated.
    /// Bounds on `id` implied by the `where` document (a necessary condition only): lets id
    /// range scans such as keyset paging skip straight to their start.
    std::int64_t min_id = INT64_MIN;
    std::int64_t max_id = INT64_MAX;
    /// The top-level fields the `where` document reads, when it could be worked out: records
    /// are then only partly parsed. nullopt means every field must be read.
    std::optional<std::vector<std::string>> where_fields = std::vector<std::string>{};
    std::vector<order_key> order;
    page_window window;
};

/// Compiles an optional `where` text into `q` (filter, match_all, id bounds). Returns the error
/// text for a 400 on failure.
std::optional<std::string> compile_where(list_query& q, const std::optional<std::string>& where,
                                         const schema& s);

/// One page of a query's result.
struct list_result {
    std::vector<std::size_t> rows; ///< Indices into store.records(), in result order.
    bool has_more = false;         ///< At least one matching row follows the page.
    /// Number of matching rows; computed only when `window.want_total` was set.
    std::size_t total = 0;
};

/// Runs `q` over `store`. When the order is the store's own (id, or created_at with id while
/// creation times follow ids) the scan walks the records in place and stops after the page
/// unless a total is wanted; any other order (or `$nearsphere`) evaluates every record and
/// sorts the matches.
list_result run_query(const user_store& store, const list_query& q);

} // namespace minapp::emulator::detail
