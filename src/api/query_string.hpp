// Builds the query string of an API request, every value percent-encoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace minapp::detail {

/// Appends `name=value` pairs; values are encoded (RFC 3986 unreserved kept, never '+').
class query_string {
public:
    query_string& add(std::string_view name, std::string_view value);
    query_string& add(std::string_view name, std::int64_t value);
    const std::string& str() const noexcept { return text_; }

private:
    std::string text_;
};

} // namespace minapp::detail
