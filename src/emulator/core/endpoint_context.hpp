// What every endpoint handler receives besides the store.
#pragma once

#include <minapp/emulator/api.hpp>

#include <boost/url/url_view.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace minapp::emulator::detail {

/// The parsed request as handlers see it.
struct endpoint_context {
    const api_request& request;
    boost::urls::url_view url;  ///< The parsed target (path and query).
    std::string_view id;        ///< The raw `:id` path segment of detail routes.
    std::string_view list_path; ///< The collection path that `next`/`previous` links use.
    std::int64_t now = 0;       ///< Unix seconds, for `updated_at`.
};

/// A path `:id` as a user id: decimal digits only and positive (anything else cannot name a
/// user, which the API answers with 404).
std::optional<std::int64_t> path_user_id(std::string_view segment);

} // namespace minapp::emulator::detail
