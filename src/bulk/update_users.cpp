#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>
#include <minapp/error.hpp>

#include "../api/client_impl.hpp"
#include "../api/endpoints.hpp"
#include "bulk_outcome.hpp"
#include "job_runner.hpp"
#include "progress_meter.hpp"

#include <algorithm>

namespace minapp {

namespace asio = boost::asio;

update_source update_source::from_function(next_fn next, std::optional<std::size_t> size) {
    update_source s;
    s.next_ = std::move(next);
    s.size_ = size;
    return s;
}

update_source update_source::from_async(async_next_fn next, std::optional<std::size_t> size) {
    update_source s;
    s.async_next_ = std::move(next);
    s.size_ = size;
    return s;
}

asio::awaitable<std::optional<user_update>> update_source::next() {
    if (next_) {
        co_return next_();
    }
    if (async_next_) {
        co_return co_await async_next_();
    }
    co_return std::nullopt;
}

std::optional<user_update> update_source::next_now() {
    return next_ ? next_() : std::nullopt;
}

const char* to_string(outcome_status status) noexcept {
    switch (status) {
    case outcome_status::succeeded:
        return "succeeded";
    case outcome_status::failed:
        return "failed";
    case outcome_status::unknown:
        return "unknown";
    case outcome_status::not_attempted:
        return "not_attempted";
    }
    return "?";
}

namespace {

struct item_job {
    std::size_t index = 0;
    user_update item;
};

using runner_type = detail::job_runner<item_job>;

struct users_run {
    users_run(std::shared_ptr<detail::client_impl> c, update_source s, bulk_options o)
        : api(std::move(c))
        , source(std::move(s))
        , options(std::move(o))
        , meter(options.on_progress(), options.progress_interval(), source.size()) {}

    void record(update_outcome&& o) {
        meter.add(o.status);
        if (options.on_outcome()) {
            options.on_outcome()(std::move(o));
        } else {
            kept.push_back(std::move(o));
        }
    }

    void record_not_attempted(std::size_t index, std::int64_t id) {
        update_outcome o;
        o.index = index;
        o.id = id;
        o.status = outcome_status::not_attempted;
        o.error = detail::not_attempted_failure(runner.lock()->aborted());
        record(std::move(o));
    }

    std::shared_ptr<detail::client_impl> api;
    update_source source;
    bulk_options options;
    detail::progress_meter meter;
    std::vector<update_outcome> kept;
    std::size_t next_index = 0;
    bool stopped_on_error = false;
    std::weak_ptr<runner_type> runner;
};

asio::awaitable<std::optional<item_job>> next_item(std::shared_ptr<users_run> run) {
    auto item = co_await run->source.next();
    if (!item) {
        co_return std::nullopt;
    }
    std::optional<item_job> job(std::in_place);
    job->index = run->next_index++;
    job->item = std::move(*item);
    co_return job;
}

asio::awaitable<void> run_item(std::shared_ptr<users_run> run, item_job job) {
    auto updated = co_await detail::update_user(run->api, job.item.id, job.item.change);
    update_outcome o;
    o.index = job.index;
    o.id = job.item.id;
    if (updated) {
        o.status = outcome_status::succeeded;
        o.user = std::move(*updated);
    } else {
        o.status = detail::classify_failure(updated.error());
        o.error = updated.error();
    }
    const bool bad = o.status == outcome_status::failed || o.status == outcome_status::unknown;
    run->record(std::move(o));
    auto runner = run->runner.lock();
    if (bad && run->options.stop_on_error() && !runner->stopping()) {
        run->stopped_on_error = true;
        runner->stop(false);
    }
}

void drain_source(users_run& run) {
    if (!run.source.drained_on_stop()) {
        return;
    }
    while (auto item = run.source.next_now()) {
        run.record_not_attempted(run.next_index++, item->id);
    }
}

asio::awaitable<result<bulk_report>> run_update_users(std::shared_ptr<detail::client_impl> c,
                                                      update_source source, bulk_options options) {
    if (options.concurrency() < 1) {
        co_return detail::bulk_invalid_argument("bulk concurrency must be at least 1");
    }
    auto run = std::make_shared<users_run>(std::move(c), std::move(source), std::move(options));
    runner_type::hooks hooks;
    hooks.next = [run] {
        return next_item(run);
    };
    hooks.run = [run](item_job job) {
        return run_item(run, std::move(job));
    };
    hooks.abandon = [run](item_job&& job) {
        run->record_not_attempted(job.index, job.item.id);
    };
    hooks.after_stop = [run] {
        drain_source(*run);
    };
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    auto runner = std::make_shared<runner_type>(std::move(strand), run->options.concurrency(),
                                                std::move(hooks));
    run->runner = runner;

    co_await runner_type::run_to_end(runner);

    if (auto e = runner->error()) {
        std::rethrow_exception(e);
    }
    bulk_report report;
    report.totals = run->meter.finish();
    report.cancelled = runner->aborted();
    report.stopped_on_error = run->stopped_on_error;
    report.outcomes = std::move(run->kept);
    std::sort(report.outcomes.begin(), report.outcomes.end(),
              [](const update_outcome& a, const update_outcome& b) { return a.index < b.index; });
    co_return report;
}

} // namespace

asio::awaitable<result<bulk_report>> update_users(client& c, update_source source,
                                                  bulk_options options) {
    return run_update_users(detail::client_access::impl(c), std::move(source), std::move(options));
}

asio::awaitable<result<bulk_report>> update_users(client& c, update_source source) {
    return run_update_users(detail::client_access::impl(c), std::move(source), bulk_options());
}

} // namespace minapp
