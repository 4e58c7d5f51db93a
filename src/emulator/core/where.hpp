// The `where` query language of notes §4: parsed once per request, evaluated per user.
#pragma once

#include "schema.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace minapp::emulator::detail {

/// Why a `where` document was rejected (the server answers 400 with this message).
struct where_error {
    std::string message;
};

/// A compiled `where` predicate over user records (one JSON object per user).
class where_filter {
public:
    /// Matches every user (the `{}` document).
    where_filter();
    ~where_filter();
    where_filter(where_filter&&) noexcept;
    where_filter& operator=(where_filter&&) noexcept;

    /// Parses the (already URL-decoded) JSON text of a `where` parameter against `s`.
    /// Rejects malformed JSON, unknown operators, wrong operand types and operator/type pairs
    /// outside the matrix of notes §4.3. Unknown fields are accepted (notes §11 #19).
    static boost::system::result<where_filter, where_error> parse(std::string_view json_text,
                                                                  const schema& s);

    /// Whether `user` satisfies the predicate. A key absent from `user` is an unset field.
    bool matches(const boost::json::object& user) const;

    /// Set when the document uses `$nearsphere`: results must then be sorted nearest first
    /// (by `sort_key`, ascending) before `order_by` ties are applied.
    bool sorts_by_distance() const noexcept;
    /// The distance in metres from the `$nearsphere` centre to `user`'s point (0 otherwise).
    double sort_key(const boost::json::object& user) const;

private:
    struct node;
    std::unique_ptr<node> root_;
};

} // namespace minapp::emulator::detail
