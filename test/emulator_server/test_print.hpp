// How Boost.Test prints the emulator's types in failed assertions.
#pragma once

#include <minapp/emulator/faults.hpp>

#include <optional>
#include <ostream>

namespace minapp::emulator {

inline std::ostream& boost_test_print_type(std::ostream& os, fault_kind kind) {
    return os << to_string(kind);
}

inline std::ostream& boost_test_print_type(std::ostream& os,
                                           const std::optional<fault_kind>& kind) {
    return kind ? os << to_string(*kind) : os << "none";
}

} // namespace minapp::emulator
