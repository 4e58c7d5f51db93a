#include "where_regex.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace minapp::emulator::detail {

namespace {

// libstdc++'s default executor backtracks with one stack frame per subject character, so a
// long subject can overflow the stack. Its breadth-first executor (selected by this extension
// flag) recurses only along chains of empty transitions of the automaton, whose size
// max_expanded_size bounds, and runs in polynomial time; it refuses back-references, which
// we report as an invalid pattern.
#if defined(__GLIBCXX__)
constexpr auto bounded_executor = std::regex_constants::__polynomial;
#else
constexpr auto bounded_executor = std::regex_constants::syntax_option_type{};
#endif

// ECMAScript has no dot-all flag in std::regex: rewrite every `.` outside a character class
// into `[\s\S]`, which also matches line terminators.
std::string dot_matches_all(std::string_view pattern) {
    std::string out;
    out.reserve(pattern.size());
    bool in_class = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            out += c;
            out += pattern[++i];
        } else if (in_class) {
            in_class = c != ']';
            out += c;
        } else if (c == '[') {
            in_class = true;
            out += c;
        } else if (c == '.') {
            out += "[\\s\\S]";
        } else {
            out += c;
        }
    }
    return out;
}

// The largest number accepted in a repetition count or a back-reference. libstdc++ reads
// either into a long without checking for overflow (undefined behaviour, found by fuzzing),
// even in a brace that turns out not to be a quantifier, so longer numbers are refused before
// std::regex sees them.
constexpr std::size_t max_count = std::size_t{1} << 20;

// Reads the decimal number starting at p[j], if any, and moves j past it.
// Throws std::invalid_argument when it exceeds max_count.
std::optional<std::size_t> number_at(std::string_view p, std::size_t& j) {
    const std::size_t first = j;
    std::size_t n = 0;
    for (; j < p.size() && p[j] >= '0' && p[j] <= '9'; ++j) {
        n = n * 10 + static_cast<std::size_t>(p[j] - '0');
        if (n > max_count) {
            throw std::invalid_argument("$regex repetition count or back-reference above " +
                                        std::to_string(max_count));
        }
    }
    return j > first ? std::optional(n) : std::nullopt;
}

std::size_t saturating_mul(std::size_t a, std::size_t b) noexcept {
    constexpr std::size_t cap = std::size_t{1} << 32;
    return (a != 0 && b > cap / a) ? cap : a * b;
}

// An upper estimate of the automaton's size, where counted repetition multiplies what it
// repeats: matching costs that size per subject character, so it bounds the time a single
// search can take far better than the pattern's length ("(.{1,100}){1,300}" is 17 bytes).
// Throws std::invalid_argument for a repetition count or back-reference above max_count.
std::size_t expanded_size(std::string_view p) {
    std::vector<std::size_t> open{0}; // running size of each open group, outermost first
    std::size_t last = 0;             // size of the atom or group a quantifier would repeat
    const auto add_atom = [&](std::size_t size) {
        last = size;
        open.back() += size;
    };
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            // std::regex reads a back-reference's number (\12) before refusing it.
            std::size_t j = i + 1;
            i = number_at(p, j) ? j - 1 : i + 1;
            add_atom(1);
        } else if (c == '[') {
            for (++i; i < p.size() && p[i] != ']'; ++i) {
                i += p[i] == '\\' ? 1 : 0;
            }
            add_atom(1);
        } else if (c == '(') {
            open.push_back(0);
            last = 0;
            i += (i + 1 < p.size() && p[i + 1] == '?') ? 2 : 0;
        } else if (c == ')' && open.size() > 1) {
            const std::size_t group = open.back() + 1;
            open.pop_back();
            add_atom(group);
        } else if (c == '*' || c == '+' || c == '?') {
            // A quantifier wraps a loop around its operand; doubling makes nested quantifiers,
            // which multiply the executor's work, count for more than flat ones.
            open.back() += last;
            last = saturating_mul(last, 2);
        } else if (c == '{') {
            // {n}, {n,} and {n,m} repeat what precedes them; any other brace is a literal.
            std::size_t j = i + 1;
            const auto low = number_at(p, j);
            auto high = low;
            if (low && j < p.size() && p[j] == ',') {
                ++j;
                high = number_at(p, j);
                if (!high) {
                    high = *low + 1;
                }
            }
            if (low && j < p.size() && p[j] == '}') {
                const std::size_t repeated = saturating_mul(last, std::max<std::size_t>(*high, 1));
                open.back() += repeated - last;
                last = repeated;
                i = j;
            } else {
                add_atom(1);
            }
        } else if (c != '|') {
            add_atom(1);
        }
    }
    std::size_t total = 0;
    for (std::size_t size : open) {
        total += size;
    }
    return total;
}

} // namespace

where_regex::where_regex(std::string_view pattern, std::string_view options) {
    if (pattern.size() > max_pattern_length) {
        throw std::invalid_argument("$regex pattern longer than " +
                                    std::to_string(max_pattern_length) + " characters");
    }
    auto flags = std::regex::ECMAScript | bounded_executor;
    bool dot_all = false;
    for (char f : options) {
        switch (f) {
        case 'i':
            flags |= std::regex::icase;
            break;
        case 'm':
            flags |= std::regex::multiline;
            break;
        case 's':
            dot_all = true;
            break;
        case 'g':
        case 'u':
        case 'y':
            break;
        default:
            throw std::invalid_argument(std::string("unknown $options flag '") + f + "'");
        }
    }
    const std::string source = dot_all ? dot_matches_all(pattern) : std::string(pattern);
    if (expanded_size(source) > max_expanded_size) {
        throw std::invalid_argument("$regex pattern too complex: its counted repetitions expand "
                                    "to more than " +
                                    std::to_string(max_expanded_size) + " elements");
    }
    try {
        // Validate the pattern as written: the wrapper below could turn an invalid pattern
        // such as "a)(b" into a valid one.
        const std::regex validated(source, flags);
        // regex_search restarts the automaton at every subject position, which is quadratic in
        // the subject. A leading [\s\S]*? matched from the first position only finds the
        // same matches in one linear pass; anchors and \b still see the real positions.
        re_.assign("[\\s\\S]*?(?:" + source + ")", flags);
    } catch (const std::regex_error& e) {
        throw std::invalid_argument(std::string("invalid $regex pattern: ") + e.what());
    }
}

bool where_regex::search(std::string_view subject) const noexcept {
    if (subject.size() > max_subject_length) {
        return false;
    }
    try {
        return std::regex_search(subject.begin(), subject.end(), re_,
                                 std::regex_constants::match_continuous);
    } catch (const std::exception&) {
        // The executor reports resource exhaustion as an exception; treat it as no match
        // because a predicate has no error channel.
        return false;
    }
}

} // namespace minapp::emulator::detail
