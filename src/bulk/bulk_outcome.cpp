#include "bulk_outcome.hpp"

#include <minapp/error.hpp>

namespace minapp::detail {

outcome_status classify_failure(const failure& f) noexcept {
    if (f.code == error::outcome_unknown) {
        return outcome_status::unknown;
    }
    if (f.code == error::malformed_response && f.diagnostics.request_sent) {
        // A 2xx came back (a write was applied) but its body could not be read.
        return outcome_status::unknown;
    }
    if (f.code == error::pool_shut_down && !f.diagnostics.request_sent) {
        return outcome_status::not_attempted; // the client shut down before it was sent
    }
    if (f.code == error::cancelled) {
        return f.diagnostics.request_sent ? outcome_status::unknown : outcome_status::not_attempted;
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
