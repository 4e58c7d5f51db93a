// Where a ticket stands in a FIFO of waiting callers (rate_limiter's schedules).
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>

namespace minapp::detail {

/// The position of ticket `id` in `queue`, whose entries have increasing `id` members (tickets
/// are handed out in arrival order); nullopt when it is not there.
template <class Queue, class Ticket>
std::optional<std::size_t> ticket_position(const Queue& queue, Ticket id) {
    const auto it = std::lower_bound(queue.begin(), queue.end(), id,
                                     [](const auto& e, Ticket v) { return e.id < v; });
    if (it == queue.end() || it->id != id) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - queue.begin());
}

} // namespace minapp::detail
