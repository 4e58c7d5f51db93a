#include "bulk_outcome.hpp"

#include <minapp/error.hpp>

namespace minapp::detail {

outcome_status classify_failure(const failure& f) noexcept {
    // The call's verdict on the write (call_fsm), not re-derived here.
    if (f.diagnostics.applied != write_applied::no || f.code == error::outcome_unknown) {
        return outcome_status::unknown;
    }
    if (!f.diagnostics.request_sent &&
        (f.code == error::cancelled || f.code == error::pool_shut_down ||
         f.code == error::not_attempted)) {
        return outcome_status::not_attempted; // stopped before it was sent
    }
    return outcome_status::failed;
}

failure not_attempted_failure(bool cancelled) {
    failure f(error::not_attempted);
    f.diagnostics.detail = cancelled ? "the bulk run was cancelled before this item was sent"
                                     : "the bulk run stopped after an error before this item "
                                       "was sent";
    return f;
}

failure bulk_invalid_argument(std::string detail) {
    failure f(error::invalid_argument);
    f.diagnostics.detail = std::move(detail);
    return f;
}

} // namespace minapp::detail
