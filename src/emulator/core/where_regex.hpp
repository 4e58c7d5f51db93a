// `$regex` patterns of the `where` language (notes §4.2, §11 #18), compiled once and matched
// with bounded stack use.
#pragma once

#include <regex>
#include <string_view>

namespace minapp::emulator::detail {

/// A compiled `$regex` pattern (ECMAScript syntax, as the SDKs send JavaScript patterns).
class where_regex {
public:
    /// Longest accepted pattern, in bytes.
    static constexpr std::size_t max_pattern_length = 1000;
    /// Largest accepted pattern size once counted repetitions are expanded (`a{3}` is 3): the
    /// cost of a search grows with it, per subject character.
    static constexpr std::size_t max_expanded_size = 1000;
    /// Longest subject searched, in bytes; a longer value never matches (see `search`).
    static constexpr std::size_t max_subject_length = 4096;

    /// Compiles `pattern` with the JavaScript flags in `options`: `i`, `m` and `s` are honoured,
    /// `g`, `u` and `y` ignored. Throws std::invalid_argument for an over-long, over-complex or
    /// invalid pattern, a back-reference or an unknown flag.
    where_regex(std::string_view pattern, std::string_view options);

    /// Whether the pattern matches somewhere in `subject`. Runs in time linear in the subject
    /// (times the pattern's expanded size) with stack use independent of the subject.
    bool search(std::string_view subject) const noexcept;

private:
    std::regex re_;
};

} // namespace minapp::emulator::detail
