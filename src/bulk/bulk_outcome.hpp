// How a failed call of a bulk operation is classified, and the failures the bulk operations
// make up themselves.
#pragma once

#include <minapp/bulk_update.hpp>
#include <minapp/result.hpp>

#include <string>

namespace minapp::detail {

/// unknown when the request may have been applied (error::outcome_unknown, a 2xx whose body
/// could not be read, or aborted after it may have reached the server), not_attempted when it
/// was aborted or the client shut down before that, failed otherwise.
outcome_status classify_failure(const failure& f) noexcept;

/// The error of an item the run never sent: error::not_attempted saying why.
failure not_attempted_failure(bool cancelled);

/// error::invalid_argument for bad options of a bulk operation.
failure bulk_invalid_argument(std::string detail);

} // namespace minapp::detail
