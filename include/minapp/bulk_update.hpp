// Many users, one update each: `update_users` runs a stream of (id, update) items concurrently
// under the client's rate limiter and retries, and accounts for every item.
#pragma once

#include <minapp/bulk_progress.hpp>
#include <minapp/result.hpp>
#include <minapp/update.hpp>
#include <minapp/user_profile.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <utility>
#include <vector>

namespace minapp {

class client;

/// One item of a bulk update: the user and the update document to apply to it,
/// `user_update(id, minapp::update().set("score", 1))`. Not an aggregate on purpose: see
/// README, "Compilers".
struct user_update {
    user_update() = default;
    user_update(std::int64_t user_id, minapp::update update_document)
        : id(user_id)
        , change(std::move(update_document)) {}

    std::int64_t id = 0;
    minapp::update change;
};

/// Where the items of `update_users` come from. Pulled by one coroutine at a time, one item ahead
/// of the workers at most, so memory stays bounded whatever the input size.
class update_source {
public:
    /// Returns the next item, or nullopt at the end.
    using next_fn = std::function<std::optional<user_update>()>;
    /// Awaits the next item (from a file, a queue, a pager...), or nullopt at the end.
    using async_next_fn = std::function<boost::asio::awaitable<std::optional<user_update>>()>;

    /// A synchronous source. When the run stops early (cancellation, stop on error) the rest of
    /// it is still read and reported as not attempted, so every item appears in the outcomes.
    /// `size`, when known, is the total shown by progress reports.
    static update_source from_function(next_fn next, std::optional<std::size_t> size = {});

    /// An asynchronous source. When the run stops early it is not read any further: items it
    /// has not yielded stay with the caller and are not in the outcomes.
    static update_source from_async(async_next_fn next, std::optional<std::size_t> size = {});

    /// The items of `range`, which must outlive the run (it is read by reference, not copied).
    template <std::ranges::input_range R>
    requires std::convertible_to < std::ranges::range_reference_t<R>,
    const user_update& > static update_source from_range(R& range) {
        std::optional<std::size_t> size;
        if constexpr (std::ranges::sized_range<R>) {
            size = static_cast<std::size_t>(std::ranges::size(range));
        }
        auto it = std::make_shared<std::ranges::iterator_t<R>>(std::ranges::begin(range));
        return from_function(
            [it, end = std::ranges::end(range)]() -> std::optional<user_update> {
                if (*it == end) {
                    return std::nullopt;
                }
                std::optional<user_update> item(std::in_place, **it);
                ++*it;
                return item;
            },
            size);
    }

    /// The total announced at construction, if any.
    std::optional<std::size_t> size() const noexcept { return size_; }
    /// Whether the source is read to its end after an early stop (synchronous sources).
    bool drained_on_stop() const noexcept { return static_cast<bool>(next_); }

    /// The next item (either kind of source).
    boost::asio::awaitable<std::optional<user_update>> next();
    /// The next item of a synchronous source; nullopt for an asynchronous one.
    std::optional<user_update> next_now();

private:
    next_fn next_;
    async_next_fn async_next_;
    std::optional<std::size_t> size_;
};

/// What became of one item.
enum class outcome_status {
    succeeded,     ///< Applied; `user` holds the user as the server returned it.
    failed,        ///< Not applied: rejected by the API, invalid, or failed before it was sent.
    unknown,       ///< May or may not have been applied (a non-idempotent update whose answer
                   ///< was lost, or a request aborted by cancellation after it was sent).
    not_attempted, ///< Never sent: the run stopped (cancellation or stop on error) first.
};

/// "succeeded", "failed", "unknown" or "not_attempted".
const char* to_string(outcome_status status) noexcept;

/// The outcome of one input item.
struct update_outcome {
    update_outcome() = default;

    std::size_t index = 0; ///< Position of the item in the input, from 0.
    std::int64_t id = 0;   ///< The user id of the item.
    outcome_status status = outcome_status::not_attempted;
    std::optional<user_profile> user; ///< The updated user (succeeded only).
    std::optional<failure> error;     ///< Why it did not succeed (every other status).
};

/// How `update_users` runs: chainable setters, each getter named like its setter,
/// `bulk_options().concurrency(32).stop_on_error(true)`. Not an aggregate on purpose: see
/// README, "Compilers".
class bulk_options {
public:
    bulk_options() = default;

    /// Updates in flight at once, >= 1 (default 16). The rate itself is the client's limiter's
    /// business.
    bulk_options& concurrency(std::size_t v) {
        concurrency_ = v;
        return *this;
    }
    std::size_t concurrency() const noexcept { return concurrency_; }

    /// After the first failed or unknown item, start no new item: items in flight finish, the
    /// rest are reported as not attempted (default false).
    bulk_options& stop_on_error(bool v) {
        stop_on_error_ = v;
        return *this;
    }
    bool stop_on_error() const noexcept { return stop_on_error_; }

    /// Receives each outcome as it is known (in completion order, on the run's strand). When
    /// set, outcomes are not kept in the report, so memory stays bounded for any input size.
    bulk_options& on_outcome(std::function<void(update_outcome&&)> v) {
        on_outcome_ = std::move(v);
        return *this;
    }
    const std::function<void(update_outcome&&)>& on_outcome() const noexcept { return on_outcome_; }

    /// Progress callback (on the run's strand): at most once per `progress_interval`, and once
    /// at the end.
    bulk_options& on_progress(std::function<void(const bulk_progress&)> v) {
        on_progress_ = std::move(v);
        return *this;
    }
    const std::function<void(const bulk_progress&)>& on_progress() const noexcept {
        return on_progress_;
    }

    /// Least time between two progress callbacks (default 250 ms).
    bulk_options& progress_interval(std::chrono::milliseconds v) {
        progress_interval_ = v;
        return *this;
    }
    std::chrono::milliseconds progress_interval() const noexcept { return progress_interval_; }

private:
    std::size_t concurrency_ = 16;
    bool stop_on_error_ = false;
    std::function<void(update_outcome&&)> on_outcome_;
    std::function<void(const bulk_progress&)> on_progress_;
    std::chrono::milliseconds progress_interval_{250};
};

/// The complete account of an `update_users` run: every item the run read has exactly one
/// outcome.
struct bulk_report {
    bulk_report() = default;

    /// Outcomes sorted by input index; empty when `bulk_options::on_outcome` consumed them.
    std::vector<update_outcome> outcomes;
    bulk_progress totals;          ///< The final counts (done = items accounted for).
    bool cancelled = false;        ///< The caller cancelled the run.
    bool stopped_on_error = false; ///< `stop_on_error` ended the run early.
};

/// Applies each item of `source` with `client.update_user`, `options.concurrency()` at a time,
/// every request going through the client's rate limiter and retry policy (non-idempotent
/// updates are never re-sent once they may have reached the server: they end as `unknown`).
///
/// An item that is invalid (id <= 0, a bad update document) fails on its own without being
/// sent; the run goes on. Only invalid options fail the whole call (error::invalid_argument).
///
/// Cancellation (terminal or partial, e.g. a timer in `||` with the call): no new item starts;
/// requests waiting for the limiter or a retry backoff are abandoned (not attempted); requests
/// on the wire are aborted, and an aborted one that may have reached the server is reported as
/// unknown (an idempotent one that was never written, as not attempted). The call still
/// completes with the full report (`cancelled` set), and leaves no work behind.
///
/// Lifetime: the call keeps the client's internals alive (the `client` object itself may go);
/// destroying or shutting down the client ends the items still waiting or on the wire with
/// error::pool_shut_down (unknown when they may have reached the server), and the report still
/// accounts for every item. `source` and `options` are moved into the call.
///
/// Thread safety: the run lives on a strand of the calling coroutine's executor; callbacks run
/// there, one at a time.
boost::asio::awaitable<result<bulk_report>> update_users(client& c, update_source source,
                                                         bulk_options options);

/// `update_users` with the default options.
boost::asio::awaitable<result<bulk_report>> update_users(client& c, update_source source);

/// `update_users` over the items of a range, which must outlive the call (it is read by
/// reference, not copied).
template <std::ranges::input_range R>
requires std::convertible_to < std::ranges::range_reference_t<R>,
const user_update& > boost::asio::awaitable<result<bulk_report>>
                     update_users(client& c, R& items, bulk_options options) {
    return update_users(c, update_source::from_range(items), std::move(options));
}

/// `update_users` over a range, with the default options.
template <std::ranges::input_range R>
requires std::convertible_to < std::ranges::range_reference_t<R>,
const user_update& > boost::asio::awaitable<result<bulk_report>> update_users(client& c, R& items) {
    return update_users(c, update_source::from_range(items));
}

} // namespace minapp
