#include "where_value.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <limits>

namespace minapp::emulator::detail {

namespace {

// long double holds every int64, uint64 and double exactly on the targets we build for
// (x87 extended or IEEE quad), so one conversion orders mixed kinds without rounding.
long double as_long_double(const boost::json::value& v) noexcept {
    switch (v.kind()) {
    case boost::json::kind::int64:
        return static_cast<long double>(v.get_int64());
    case boost::json::kind::uint64:
        return static_cast<long double>(v.get_uint64());
    case boost::json::kind::double_:
        return static_cast<long double>(v.get_double());
    default:
        return 0;
    }
}

bool is_ascii_letter(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

} // namespace

bool is_number(const boost::json::value& v) noexcept {
    return v.is_int64() || v.is_uint64() || v.is_double();
}

std::partial_ordering compare_numbers(const boost::json::value& a,
                                      const boost::json::value& b) noexcept {
    return as_long_double(a) <=> as_long_double(b);
}

bool json_equal(const boost::json::value& a, const boost::json::value& b) noexcept {
    if (is_number(a) && is_number(b)) {
        return compare_numbers(a, b) == 0;
    }
    if (a.kind() != b.kind()) {
        return false;
    }
    switch (a.kind()) {
    case boost::json::kind::null:
        return true;
    case boost::json::kind::bool_:
        return a.get_bool() == b.get_bool();
    case boost::json::kind::string:
        return a.get_string() == b.get_string();
    case boost::json::kind::array: {
        const auto& x = a.get_array();
        const auto& y = b.get_array();
        if (x.size() != y.size()) {
            return false;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!json_equal(x[i], y[i])) {
                return false;
            }
        }
        return true;
    }
    case boost::json::kind::object: {
        const auto& x = a.get_object();
        const auto& y = b.get_object();
        if (x.size() != y.size()) {
            return false;
        }
        for (const auto& kv : x) {
            const auto* other = y.if_contains(kv.key());
            if (other == nullptr || !json_equal(kv.value(), *other)) {
                return false;
            }
        }
        return true;
    }
    default:
        return false;
    }
}

std::optional<std::int64_t> as_integral(const boost::json::value& v) noexcept {
    if (v.is_int64()) {
        return v.get_int64();
    }
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
        const double d = v.get_double();
        // 2^63 is exactly representable; anything at or above it does not fit.
        constexpr double limit = 9223372036854775808.0;
        if (std::isfinite(d) && std::trunc(d) == d && d >= -limit && d < limit) {
            return static_cast<std::int64_t>(d);
        }
    }
    return std::nullopt;
}

bool is_identifier(std::string_view key) noexcept {
    if (key.empty() || !is_ascii_letter(key.front())) {
        return false;
    }
    for (char c : key.substr(1)) {
        if (!is_ascii_letter(c) && !(c >= '0' && c <= '9') && c != '_') {
            return false;
        }
    }
    return true;
}

std::string_view kind_name(const boost::json::value& v) noexcept {
    switch (v.kind()) {
    case boost::json::kind::null:
        return "null";
    case boost::json::kind::bool_:
        return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
        return "number";
    case boost::json::kind::string:
        return "string";
    case boost::json::kind::array:
        return "array";
    case boost::json::kind::object:
        return "object";
    }
    return "value";
}

} // namespace minapp::emulator::detail
