#include <minapp/order_by.hpp>

#include "builder_checks.hpp"

#include <algorithm>
#include <array>

namespace minapp {

namespace {

/// Built-in fields the user list endpoint answers 400 for (notes §3, U4).
constexpr std::array<std::string_view, 5> unsortable{"gender", "country", "province", "city",
                                                     "language"};

std::string field_problem(std::string_view field) {
    if (field.empty()) {
        return "field name must not be empty";
    }
    if (field.front() == '-') {
        return "field name " + detail::quoted(field) +
               " must not start with '-' (use desc for a descending order)";
    }
    if (field.find(',') != std::string_view::npos) {
        return "field name " + detail::quoted(field) + " contains ',' (the field separator)";
    }
    if (std::find(unsortable.begin(), unsortable.end(), field) != unsortable.end()) {
        return "the API cannot sort by " + detail::quoted(field);
    }
    return detail::field_name_problem(field);
}

} // namespace

order_by& order_by::add(std::string_view field, bool descending) {
    std::string problem = field_problem(field);
    if (problem.empty() &&
        std::any_of(keys_.begin(), keys_.end(), [&](const key& k) { return k.field == field; })) {
        problem = "field " + detail::quoted(field) + " appears twice";
    }
    if (!problem.empty()) {
        if (problem_.empty()) {
            problem_ = "order_by: " + std::move(problem);
        }
        return *this;
    }
    keys_.push_back({std::string(field), descending});
    return *this;
}

order_by& order_by::asc(std::string_view field) {
    return add(field, false);
}

order_by& order_by::desc(std::string_view field) {
    return add(field, true);
}

std::string order_by::to_string() const {
    std::string out;
    for (const auto& k : keys_) {
        if (!out.empty()) {
            out += ',';
        }
        if (k.descending) {
            out += '-';
        }
        out += k.field;
    }
    return out;
}

} // namespace minapp
