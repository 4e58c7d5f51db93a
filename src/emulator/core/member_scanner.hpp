// Walking the top-level members of a JSON object text without building a DOM.
#pragma once

#include <string_view>

namespace minapp::emulator::detail {

/// Yields each top-level member of a JSON object text as raw key and value text, skipping over
/// nested values without parsing them. A query that needs two fields of a stored user then
/// parses two small values instead of the whole record, which makes full-table scans several
/// times cheaper.
///
/// Keys are returned as written (no unescaping); callers compare them to plain identifiers, which
/// serialisers never escape. Malformed text ends the walk with `failed()` set.
class member_scanner {
public:
    explicit member_scanner(std::string_view json) noexcept;

    /// Advances to the next member; false at the end of the object or on malformed text.
    bool next(std::string_view& key, std::string_view& value) noexcept;

    /// True when the walk stopped on malformed text rather than at the closing brace.
    bool failed() const noexcept { return failed_; }

private:
    void skip_space() noexcept;
    bool skip_string() noexcept;
    bool skip_value() noexcept;
    bool fail() noexcept;

    std::string_view text_;
    std::size_t pos_ = 0;
    bool first_ = true;
    bool done_ = false;
    bool failed_ = false;
};

} // namespace minapp::emulator::detail
