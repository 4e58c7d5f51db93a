// The library's reads of an update's operations, without copying them.
#pragma once

#include <minapp/update.hpp>

#include <string_view>

namespace minapp::detail {

struct update_access {
    /// The first field named by `change` for which `pred(field)` holds; empty if none.
    template <class Predicate>
    static std::string_view find_field(const update& change, Predicate pred) {
        for (const auto& op : change.ops_) {
            if (pred(std::string_view(op.field))) {
                return op.field;
            }
        }
        return {};
    }
};

} // namespace minapp::detail
