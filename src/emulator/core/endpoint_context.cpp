#include "endpoint_context.hpp"

#include "query_params.hpp"

#include <algorithm>

namespace minapp::emulator::detail {

std::optional<std::int64_t> path_user_id(std::string_view segment) {
    if (segment.empty() ||
        !std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    auto id = parse_integer(segment);
    if (!id || *id <= 0) {
        return std::nullopt;
    }
    return id;
}

} // namespace minapp::emulator::detail
