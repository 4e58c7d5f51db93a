// Batch update by `where` over any number of users: `update_where` drives the v2.6 batch
// endpoint in slices, without skipping or repeating a user when the update changes what the
// `where` tests.
#pragma once

#include <minapp/batch_update.hpp>
#include <minapp/bulk_progress.hpp>
#include <minapp/bulk_update.hpp>
#include <minapp/result.hpp>
#include <minapp/update.hpp>
#include <minapp/where.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace minapp {

class client;

/// How `update_where` runs: chainable setters, each getter named like its setter,
/// `where_update_options().concurrency(8)`. Not an aggregate on purpose: see README,
/// "Compilers".
class where_update_options {
public:
    where_update_options() = default;

    /// Batch requests in flight at once, >= 1 (default 4).
    where_update_options& concurrency(std::size_t v) {
        concurrency_ = v;
        return *this;
    }
    std::size_t concurrency() const noexcept { return concurrency_; }

    /// Users per slice, 1..1000 (default 1000). Slices are also cut short so that the request
    /// URL (which carries the ids) stays within the API's limit.
    where_update_options& slice_size(std::size_t v) {
        slice_size_ = v;
        return *this;
    }
    std::size_t slice_size() const noexcept { return slice_size_; }

    /// Progress callback (on the run's strand): at most once per `progress_interval`, and once
    /// at the end. `done` counts users of finished slices; `total` is unknown.
    where_update_options& on_progress(std::function<void(const bulk_progress&)> v) {
        on_progress_ = std::move(v);
        return *this;
    }
    const std::function<void(const bulk_progress&)>& on_progress() const noexcept {
        return on_progress_;
    }

    /// Least time between two progress callbacks (default 250 ms).
    where_update_options& progress_interval(std::chrono::milliseconds v) {
        progress_interval_ = v;
        return *this;
    }
    std::chrono::milliseconds progress_interval() const noexcept { return progress_interval_; }

private:
    std::size_t concurrency_ = 4;
    std::size_t slice_size_ = 1000;
    std::function<void(const bulk_progress&)> on_progress_;
    std::chrono::milliseconds progress_interval_{250};
};

/// A slice whose batch request failed as a whole.
struct slice_failure {
    slice_failure() = default;

    std::vector<std::int64_t> ids;                  ///< The users of the slice.
    outcome_status status = outcome_status::failed; ///< failed, unknown or not_attempted.
    minapp::failure error;
};

/// The aggregated account of an `update_where` run.
struct where_update_report {
    where_update_report() = default;

    std::size_t matched = 0;   ///< Users found matching by the walk (the ids put in slices).
    std::size_t succeeded = 0; ///< Users the server reports as updated (`succeed`).
    /// Users of completed slices that were neither updated nor reported as errors: they
    /// stopped matching between the walk and their slice (changed by someone else).
    std::size_t no_longer_matching = 0;
    /// Per-record errors of `operation_result` (the server does not say which user).
    std::vector<batch_error> item_errors;
    /// Slices that failed as a whole; their users are counted here, not above.
    std::vector<slice_failure> failed_slices;
    /// The walk over the matching users failed: users after the last slice were not visited.
    std::optional<failure> listing_error;
    std::size_t requests = 0; ///< Batch requests completed (listing pages not included).
    bulk_progress totals;     ///< succeeded / failed (item errors and failed slices) / unknown /
                              ///< not_attempted, in users.
    bool cancelled = false;
};

/// Applies `change` to every user matching `filter`.
///
/// Strategy (notes §7.1: the batch endpoint's `offset` shifts when the update removes users from
/// the match): the matching ids are walked with the keyset pager (`id > last seen`, order by
/// id), which neither skips nor repeats a user however the matching set changes; each page's
/// ids are cut into slices, and each slice is sent as one batch request with
/// `where = filter AND id $in [slice]`, `offset=0`, concurrently under the client's limiter.
/// A user is therefore updated at most once even by a non-idempotent update, and only if it
/// still matches `filter` when its slice runs. Users created or changed into the match behind
/// the walk's position are not visited. Memory: one page of ids per slice in flight.
///
/// Failures: invalid arguments fail the call before anything is sent. A slice that fails is
/// reported with its ids and the run goes on; an atomic update whose slice may have been applied
/// ends as `unknown`. A listing failure stops the walk (reported in `listing_error`).
///
/// Cancellation: as `update_users` (slices on the wire are aborted; the call still completes
/// with the report, `cancelled` set). Lifetime: as `update_users`; the arguments are moved into
/// the call.
boost::asio::awaitable<result<where_update_report>>
update_where(client& c, where filter, update change, where_update_options options);

/// `update_where` with the default options.
boost::asio::awaitable<result<where_update_report>> update_where(client& c, where filter,
                                                                 update change);

} // namespace minapp
