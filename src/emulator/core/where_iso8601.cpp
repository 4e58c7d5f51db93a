#include "where_iso8601.hpp"

#include <chrono>

namespace minapp::emulator::detail {

namespace {

// Reads exactly `n` decimal digits at `pos`, advancing it.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) noexcept {
    if (s.size() - pos < n) {
        return std::nullopt;
    }
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
}

bool eat(std::string_view s, std::size_t& pos, char c) noexcept {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

} // namespace

std::optional<std::int64_t> parse_iso8601_micros(std::string_view s) noexcept {
    std::size_t pos = 0;
    const auto year = digits(s, pos, 4);
    if (!year || !eat(s, pos, '-')) {
        return std::nullopt;
    }
    const auto month = digits(s, pos, 2);
    if (!month || !eat(s, pos, '-')) {
        return std::nullopt;
    }
    const auto day = digits(s, pos, 2);
    if (!day) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                          std::chrono::month{static_cast<unsigned>(*month)},
                                          std::chrono::day{static_cast<unsigned>(*day)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    std::int64_t micros = 0;
    if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
        ++pos;
        const auto hour = digits(s, pos, 2);
        if (!hour || *hour > 23 || !eat(s, pos, ':')) {
            return std::nullopt;
        }
        const auto minute = digits(s, pos, 2);
        if (!minute || *minute > 59) {
            return std::nullopt;
        }
        int second = 0;
        if (eat(s, pos, ':')) {
            const auto sec = digits(s, pos, 2);
            if (!sec || *sec > 59) {
                return std::nullopt;
            }
            second = *sec;
            if (eat(s, pos, '.') || eat(s, pos, ',')) {
                std::int64_t fraction = 0;
                std::size_t count = 0;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    if (count < 6) {
                        fraction = fraction * 10 + (s[pos] - '0');
                    }
                    ++count;
                    ++pos;
                }
                if (count == 0) {
                    return std::nullopt;
                }
                for (std::size_t i = count; i < 6; ++i) {
                    fraction *= 10;
                }
                micros += fraction;
            }
        }
        micros += ((*hour * 60LL + *minute) * 60LL + second) * 1'000'000LL;
        const bool utc = eat(s, pos, 'Z') || eat(s, pos, 'z');
        if (!utc && pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
            const int sign = s[pos] == '+' ? 1 : -1;
            ++pos;
            const auto off_h = digits(s, pos, 2);
            if (!off_h || *off_h > 23) {
                return std::nullopt;
            }
            int off_m = 0;
            const bool colon = eat(s, pos, ':');
            if (colon || pos < s.size()) {
                const auto m = digits(s, pos, 2);
                if (!m || *m > 59) {
                    return std::nullopt;
                }
                off_m = *m;
            }
            // Local time minus its offset is UTC.
            micros -= sign * ((*off_h * 60LL + off_m) * 60LL) * 1'000'000LL;
        }
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    const std::chrono::sys_days days{ymd};
    return static_cast<std::int64_t>(days.time_since_epoch().count()) * 86'400'000'000LL + micros;
}

} // namespace minapp::emulator::detail
