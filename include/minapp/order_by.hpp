// Builder of the `order_by` parameter of the user list endpoint (notes §5.2).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace minapp {

/// A sort order: fields applied left to right, each ascending or descending. Chainable:
/// `order_by().desc("created_at").asc("id")` gives "-created_at,id".
///
/// Invalid input never throws: the first problem is recorded (see `problem()`) and the field is
/// not added. A field name must not be empty, contain '.' (dotted paths are not supported) or
/// ',' (the separator), start with '-' (the descending prefix), appear twice, or be one of the
/// built-in fields the API refuses to sort by: gender, country, province, city, language.
class order_by {
public:
    /// No ordering: the server's default applies.
    order_by() = default;

    /// Appends `field`, ascending.
    order_by& asc(std::string_view field);
    /// Appends `field`, descending (written with a '-' prefix).
    order_by& desc(std::string_view field);

    /// The parameter value, e.g. "created_at,-id"; empty when no field was added.
    std::string to_string() const;
    /// Whether no field was added.
    bool empty() const noexcept { return keys_.empty(); }
    /// The first problem recorded; empty if none.
    const std::string& problem() const noexcept { return problem_; }

private:
    struct key {
        std::string field;
        bool descending;
    };

    order_by& add(std::string_view field, bool descending);

    std::vector<key> keys_;
    std::string problem_;
};

} // namespace minapp
