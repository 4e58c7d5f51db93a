#include <minapp/client.hpp>
#include <minapp/error.hpp>
#include <minapp/where_update.hpp>

#include "../api/client_impl.hpp"
#include "../api/endpoints.hpp"
#include "../api/pager_state.hpp"
#include "../api/query_string.hpp"
#include "bulk_outcome.hpp"
#include "job_runner.hpp"
#include "progress_meter.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <deque>
#include <limits>

namespace minapp {

namespace asio = boost::asio;

namespace {

// The API answers 502 to URLs above 16386 characters (notes §1.4); the `where` of a slice gets
// all of it but 1 KiB, which is left for the origin, the path and the other parameters.
constexpr std::size_t where_budget = 16386 - 1024;

// Percent-encoded, a comma costs 3 characters ("%2C") and each digit one.
std::size_t encoded_id_cost(std::int64_t id) {
    return std::to_string(id).size() + 3;
}

std::size_t encoded_where_length(const where& w) {
    detail::query_string qs;
    qs.add("where", w.to_json());
    return qs.str().size();
}

where slice_filter(const where& filter, const std::vector<std::int64_t>& ids) {
    boost::json::array values;
    values.reserve(ids.size());
    for (auto id : ids) {
        values.emplace_back(id);
    }
    auto by_id = where::in("id", std::move(values));
    return filter.matches_all() ? by_id : (by_id && filter);
}

struct id_slice {
    std::vector<std::int64_t> ids;
};

using runner_type = detail::job_runner<id_slice>;

struct where_run {
    where_run(std::shared_ptr<detail::client_impl> c, where f, update u, where_update_options o)
        : api(std::move(c))
        , filter(std::move(f))
        , change(std::move(u))
        , options(std::move(o))
        , meter(options.on_progress(), options.progress_interval(), std::nullopt) {
        pager.emplace(std::make_shared<detail::pager_state>(
            api, user_query(filter).keyset(true).page_size(1000)));
        base_length = encoded_where_length(slice_filter(filter, {}));
    }

    void fail_slice(std::vector<std::int64_t> ids, outcome_status status, failure error) {
        meter.add(status, ids.size());
        slice_failure f;
        f.ids = std::move(ids);
        f.status = status;
        f.error = std::move(error);
        report.failed_slices.push_back(std::move(f));
    }

    /// Cuts the next slice off `pending`: up to `slice_size` ids, within the URL budget.
    id_slice cut() {
        id_slice s;
        std::size_t length = base_length;
        while (!pending.empty() && s.ids.size() < options.slice_size()) {
            const auto cost = encoded_id_cost(pending.front());
            if (!s.ids.empty() && length + cost > where_budget) {
                break;
            }
            length += cost;
            s.ids.push_back(pending.front());
            pending.pop_front();
        }
        return s;
    }

    std::shared_ptr<detail::client_impl> api;
    where filter;
    update change;
    where_update_options options;
    detail::progress_meter meter;
    std::optional<user_pager> pager;
    std::size_t base_length = 0;
    std::deque<std::int64_t> pending; ///< Matching ids walked but not yet in a slice.
    bool walked = false;
    where_update_report report;
    std::weak_ptr<runner_type> runner;
};

asio::awaitable<std::optional<id_slice>> next_slice(std::shared_ptr<where_run> run) {
    while (run->pending.empty() && !run->walked) {
        auto page = co_await run->pager->next_page();
        if (!page) {
            run->walked = true;
            if (!run->runner.lock()->aborted()) {
                run->report.listing_error = page.error();
            }
        } else if (!*page) {
            run->walked = true;
        } else {
            for (const auto& user : (*page)->objects) {
                run->pending.push_back(user.id);
            }
            run->report.matched += (*page)->objects.size();
        }
    }
    if (run->pending.empty()) {
        co_return std::nullopt;
    }
    co_return run->cut();
}

asio::awaitable<void> run_slice(std::shared_ptr<where_run> run, id_slice slice) {
    const where filter = slice_filter(run->filter, slice.ids);
    batch_slice range;
    range.limit = static_cast<std::int64_t>(slice.ids.size());
    auto reply = co_await detail::update_users_batch(run->api, filter, run->change, range);
    auto& report = run->report;
    if (!reply) {
        const auto status = detail::classify_failure(reply.error());
        run->fail_slice(std::move(slice.ids), status, reply.error());
        co_return;
    }
    ++report.requests;
    std::size_t errors = 0;
    for (auto& r : reply->results) {
        if (auto* e = std::get_if<batch_error>(&r)) {
            report.item_errors.push_back(std::move(*e));
            ++errors;
        }
    }
    const auto succeeded = static_cast<std::size_t>(std::max<std::int64_t>(0, reply->succeed));
    report.succeeded += succeeded;
    const auto accounted = std::min(slice.ids.size(), succeeded + errors);
    report.no_longer_matching += slice.ids.size() - accounted;
    run->meter.add(outcome_status::succeeded, succeeded);
    run->meter.add(outcome_status::failed, errors);
    run->meter.add_done(slice.ids.size() - accounted);
}

void abandon_pending(where_run& run) {
    if (run.pending.empty()) {
        return;
    }
    std::vector<std::int64_t> ids(run.pending.begin(), run.pending.end());
    run.pending.clear();
    run.fail_slice(std::move(ids), outcome_status::not_attempted,
                   detail::not_attempted_failure(run.runner.lock()->aborted()));
}

asio::awaitable<result<where_update_report>>
run_update_where(std::shared_ptr<detail::client_impl> c, where filter, update change,
                 where_update_options options) {
    if (!filter.problem().empty()) {
        co_return detail::bulk_invalid_argument(filter.problem()); // "where: ..."
    }
    if (auto bad = detail::check_update(change, c->options().allow_builtin_field_updates())) {
        co_return *bad;
    }
    if (options.concurrency() < 1) {
        co_return detail::bulk_invalid_argument("update_where concurrency must be at least 1");
    }
    if (options.slice_size() < 1 || options.slice_size() > 1000) {
        co_return detail::bulk_invalid_argument("update_where slice_size must be within 1..1000");
    }
    auto run = std::make_shared<where_run>(std::move(c), std::move(filter), std::move(change),
                                           std::move(options));
    if (run->base_length + encoded_id_cost(std::numeric_limits<std::int64_t>::max()) >
        where_budget) {
        co_return detail::bulk_invalid_argument(
            "where: too long to leave room for a slice of ids in the request URL");
    }
    runner_type::hooks hooks;
    hooks.next = [run] {
        return next_slice(run);
    };
    hooks.run = [run](id_slice s) {
        return run_slice(run, std::move(s));
    };
    hooks.abandon = [run](id_slice&& s) {
        run->fail_slice(std::move(s.ids), outcome_status::not_attempted,
                        detail::not_attempted_failure(run->runner.lock()->aborted()));
    };
    hooks.after_stop = [run] {
        abandon_pending(*run);
    };
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    auto runner = std::make_shared<runner_type>(std::move(strand), run->options.concurrency(),
                                                std::move(hooks));
    run->runner = runner;

    co_await runner_type::run_to_end(runner);

    run->pager.reset();
    if (auto e = runner->error()) {
        std::rethrow_exception(e);
    }
    auto report = std::move(run->report);
    report.totals = run->meter.finish();
    report.cancelled = runner->aborted();
    co_return report;
}

} // namespace

asio::awaitable<result<where_update_report>> update_where(client& c, where filter, update change,
                                                          where_update_options options) {
    return run_update_where(detail::client_access::impl(c), std::move(filter), std::move(change),
                            std::move(options));
}

asio::awaitable<result<where_update_report>> update_where(client& c, where filter, update change) {
    return run_update_where(detail::client_access::impl(c), std::move(filter), std::move(change),
                            where_update_options());
}

} // namespace minapp
