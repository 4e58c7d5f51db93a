// How a failed call of a bulk operation is classified, and the failures the bulk operations
// make up themselves.
#pragma once

#include <minapp/bulk_update.hpp>
#include <minapp/result.hpp>

#include <string>

namespace minapp::detail {

/// unknown when the write may have been applied (the call's verdict, diagnostics::applied: its
/// answer was lost, or a 2xx body could not be read), not_attempted when it was stopped
/// (cancelled, shut down) before it was sent, failed otherwise.
outcome_status classify_failure(const failure& f) noexcept;

/// The error of an item the run never sent: error::not_attempted saying why.
failure not_attempted_failure(bool cancelled);

/// error::invalid_argument for bad options of a bulk operation.
failure bulk_invalid_argument(std::string detail);

} // namespace minapp::detail
