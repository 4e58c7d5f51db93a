// Update documents of notes §6 (bodies of U6 and U7): parsed once, applied per user.
#pragma once

#include "schema.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <vector>

namespace minapp::emulator::detail {

/// Why an update document was rejected or could not be applied (400 with this message).
struct update_error {
    std::string message;
};

/// A validated update document: a list of per-field operations.
class update_plan {
public:
    /// Parses a request body: a plain map, `$set`/`$unset`, or atomic operators in field
    /// position (`$incr_by`, `$append`, `$append_unique`, `$remove`, `$update`, `$pop`), at top
    /// level or inside `$set`. Rejects built-in fields, unknown fields, the same field in `$set`
    /// and `$unset`, unknown operators and values whose type does not fit the column.
    static boost::system::result<update_plan, update_error> parse(const boost::json::value& body,
                                                                  const schema& s);

    /// True when the document changes nothing (`{}`): U6 then leaves `updated_at` alone.
    bool empty() const noexcept { return ops_.empty(); }

    /// Applies the operations to one stored user, all or nothing. An operation that does not fit
    /// the stored value (e.g. `$incr_by` on a non-number) fails with a message and leaves `user`
    /// unchanged. Does not touch `updated_at`: the caller does.
    boost::system::result<void, update_error> apply(boost::json::object& user) const;

private:
    struct op {
        enum class kind { set, unset, incr_by, append, append_unique, remove, patch, pop };
        kind what;
        std::string field;
        boost::json::value operand;
    };
    std::vector<op> ops_;
};

} // namespace minapp::emulator::detail
