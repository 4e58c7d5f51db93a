// The reply of the v2.6 batch update (`PUT /oserve/v2.6/miniapp/user_profile/?where=...`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace minapp {

/// A record the batch updated.
struct batch_success {
    batch_success() = default;
    batch_success(std::string record_id, std::int64_t updated)
        : id(std::move(record_id))
        , updated_at(updated) {}

    std::string id; ///< As sent by the server (an integer id, rendered as text).
    std::int64_t updated_at = 0;
};

/// A record the batch failed to update. The server does not say which record it was.
struct batch_error {
    batch_error() = default;
    batch_error(std::string err_msg, std::int64_t err_code)
        : message(std::move(err_msg))
        , code(err_code) {}

    std::string message; ///< `err_msg`
    std::int64_t code = 0;
};

/// The reply of one batch-update request (notes §7.1). HTTP 200 does not mean every record
/// succeeded: inspect `results`.
struct batch_update_result {
    batch_update_result() = default;

    std::vector<std::variant<batch_success, batch_error>> results; ///< In processing order.
    std::int64_t succeed = 0;
    std::optional<std::int64_t> total_count; ///< Matched records, with return_total_count=1.
    std::int64_t offset = 0;
    std::int64_t limit = 0;
    std::optional<std::string> next;
};

} // namespace minapp
