// The engine of the bulk operations: one producer pulls jobs and starts each as its own
// coroutine, at most `concurrency` at a time, everything on one strand; stopping and aborting
// follow the rules documented on update_users.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <optional>

namespace minapp::detail {

using bulk_strand = boost::asio::strand<boost::asio::any_io_executor>;

/// Runs the jobs a producer yields. Every member runs on the strand.
///
/// Stopping (`stop(false)`): no new job starts; the job the producer holds is abandoned, running
/// ones finish. Aborting (`stop(true)`, also the caller's cancellation): the same, and every
/// running job and the producer's current wait get terminal cancellation.
template <class Job>
class job_runner : public std::enable_shared_from_this<job_runner<Job>> {
public:
    struct hooks {
        /// The next job; nullopt at the end. May throw: the run stops and rethrows at the end.
        std::function<boost::asio::awaitable<std::optional<Job>>()> next;
        /// Performs one job and records its outcome; must not throw.
        std::function<boost::asio::awaitable<void>(Job)> run;
        /// Records a job that was pulled but will not start.
        std::function<void(Job&&)> abandon;
        /// After an early stop, accounts for what the producer still holds (may be empty).
        std::function<void()> after_stop;
    };

    job_runner(bulk_strand strand, std::size_t concurrency, hooks h)
        : strand_(std::move(strand))
        , concurrency_(concurrency)
        , hooks_(std::move(h))
        , slot_free_(strand_)
        , all_done_(strand_) {}

    const bulk_strand& strand() const noexcept { return strand_; }
    bool stopping() const noexcept { return stopping_; }
    bool aborted() const noexcept { return aborted_; }
    std::exception_ptr error() const noexcept { return error_; }

    void stop(bool abort) {
        if (abort && !aborted_) {
            aborted_ = true;
            for (auto& signal : live_) {
                signal.emit(boost::asio::cancellation_type::terminal);
            }
            producer_.emit(boost::asio::cancellation_type::terminal);
        }
        if (!stopping_) {
            stopping_ = true;
            slot_free_.cancel();
        }
    }

    /// Runs the whole job set from a coroutine on any executor; the caller's cancellation aborts
    /// the run, which still completes normally once every job has finished.
    static boost::asio::awaitable<void> run_to_end(std::shared_ptr<job_runner> self) {
        namespace asio = boost::asio;
        // Relayed through the strand: Boost 1.81's co_spawn would emit on the caller's thread.
        asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
        auto slot = state.slot();
        if (slot.is_connected()) {
            slot.assign([self](asio::cancellation_type) {
                asio::post(self->strand_, [self] { self->stop(true); });
            });
        }
        auto produce = self->produce();
        co_await asio::co_spawn(
            self->strand_, std::move(produce),
            asio::bind_cancellation_slot(self->producer_.slot(), asio::use_awaitable));
        if (slot.is_connected()) {
            slot.clear();
        }
    }

private:
    boost::asio::awaitable<void> produce() {
        namespace asio = boost::asio;
        co_await asio::this_coro::throw_if_cancelled(false);
        auto self = this->shared_from_this();
        for (;;) {
            while (live_.size() >= concurrency_ && !stopping_) {
                slot_free_.expires_at(asio::steady_timer::time_point::max());
                co_await slot_free_.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            if (stopping_) {
                break;
            }
            std::optional<Job> job;
            try {
                job = co_await hooks_.next();
            } catch (...) {
                // A source that throws because the run aborted it is not an error of the run.
                if (!aborted_) {
                    fail(std::current_exception());
                }
                break;
            }
            if (!job) {
                break;
            }
            if (stopping_) {
                hooks_.abandon(std::move(*job));
                break;
            }
            live_.emplace_front();
            auto it = live_.begin();
            auto work = guarded(hooks_.run(std::move(*job)));
            asio::co_spawn(
                strand_, std::move(work),
                asio::bind_cancellation_slot(it->slot(), [self, it](std::exception_ptr e) {
                    if (e) {
                        self->fail(e);
                    }
                    self->live_.erase(it);
                    self->slot_free_.cancel();
                    self->all_done_.cancel();
                }));
        }
        if (stopping_ && hooks_.after_stop) {
            hooks_.after_stop();
        }
        while (!live_.empty()) {
            all_done_.expires_at(asio::steady_timer::time_point::max());
            co_await all_done_.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    // A job's cancellation must reach its request, never throw out of its own later waits.
    static boost::asio::awaitable<void> guarded(boost::asio::awaitable<void> work) {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        co_await std::move(work);
    }

    void fail(std::exception_ptr e) {
        if (!error_) {
            error_ = std::move(e);
        }
        stop(true);
    }

    bulk_strand strand_;
    std::size_t concurrency_;
    hooks hooks_;
    std::list<boost::asio::cancellation_signal> live_; ///< One per running job.
    boost::asio::cancellation_signal producer_;
    boost::asio::steady_timer slot_free_; ///< Wakes the producer when a job ends.
    boost::asio::steady_timer all_done_;  ///< Wakes the producer's final wait.
    bool stopping_ = false;
    bool aborted_ = false;
    std::exception_ptr error_;
};

} // namespace minapp::detail
