#include <minapp/rate_limiter.hpp>

#include "detail/limiter_access.hpp"
#include "detail/tokens.hpp"

#include <minapp/detail/gcra.hpp>
#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <unordered_map>

namespace minapp {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using schedule = detail::gcra_schedule<clock>;

struct rate_limiter::impl {
    explicit impl(const rate_limit& l)
        : limit(l)
        , sched(l) {}

    // Wakes the sleeper of `id` so that it re-arms its timer for an earlier instant. Its timer is
    // only ever armed under the mutex (see acquire), which makes this cancel() safe from any
    // thread.
    void wake(std::optional<schedule::ticket> id) {
        if (id) {
            if (const auto it = sleepers.find(*id); it != sleepers.end()) {
                it->second->cancel();
            }
        }
    }

    // Owns a pending reservation while its caller sleeps: whatever ends the wait (grant,
    // cancellation, an exception, or the coroutine frame being destroyed with its io_context), the
    // reservation leaves the schedule and the timer leaves the registry before the timer dies.
    class sleeper {
    public:
        sleeper(std::shared_ptr<impl> state, schedule::ticket id, asio::steady_timer& timer)
            : state_(std::move(state))
            , id_(id) {
            std::lock_guard lock(state_->mutex);
            state_->sleepers.emplace(id_, &timer);
            ++state_->counters.waiting;
        }
        sleeper(const sleeper&) = delete;
        sleeper& operator=(const sleeper&) = delete;

        ~sleeper() {
            if (!done_) {
                std::lock_guard lock(state_->mutex);
                leave();
                state_->wake(state_->sched.cancel(id_).wake);
                ++state_->counters.cancelled;
            }
        }

        // Under the caller's lock: grants the request if its instant has come.
        bool try_grant(clock::time_point now, clock::time_point arrived) {
            const auto at = state_->sched.arm(id_);
            if (at && *at > now) {
                return false;
            }
            leave();
            state_->wake(state_->sched.complete(id_).wake);
            ++state_->counters.granted;
            ++state_->counters.waited;
            state_->counters.total_wait += now - arrived;
            done_ = true;
            return true;
        }

        // Under the caller's lock: gives the reservation back.
        void cancel() {
            leave();
            state_->wake(state_->sched.cancel(id_).wake);
            ++state_->counters.cancelled;
            done_ = true;
        }

    private:
        void leave() {
            state_->sleepers.erase(id_);
            --state_->counters.waiting;
        }

        std::shared_ptr<impl> state_;
        schedule::ticket id_;
        bool done_ = false;
    };

    // The coroutine behind rate_limiter::acquire; it owns the state, so the limiter object may
    // go while callers wait.
    static asio::awaitable<boost::system::error_code> acquire(std::shared_ptr<impl> state);

    const rate_limit limit;
    mutable std::mutex mutex;
    schedule sched;
    std::unordered_map<schedule::ticket, asio::steady_timer*> sleepers;
    rate_limiter_stats counters;
};

rate_limiter::rate_limiter(rate_limit limit)
    : impl_(std::make_shared<impl>(limit)) {}

rate_limiter::~rate_limiter() = default;

asio::awaitable<boost::system::error_code> rate_limiter::acquire() {
    return impl::acquire(impl_);
}

asio::awaitable<boost::system::error_code>
rate_limiter::impl::acquire(std::shared_ptr<impl> state) {
    const auto cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != asio::cancellation_type::none) {
        std::lock_guard lock(state->mutex);
        ++state->counters.cancelled;
        co_return error::cancelled;
    }
    const clock::time_point arrived = clock::now();
    schedule::reservation r;
    {
        std::lock_guard lock(state->mutex);
        r = state->sched.reserve(arrived);
        if (!r.pending) {
            ++state->counters.granted;
        }
    }
    if (!r.pending) {
        co_return boost::system::error_code{};
    }

    asio::steady_timer timer(co_await asio::this_coro::executor);
    impl::sleeper self(state, r.id, timer);
    // The timer is armed inside the initiation, under the mutex, with the instant read there:
    // a waker that moved this caller up either ran before (the instant read is the new one) or
    // runs after the wait is registered (its cancel() completes it). No wake-up is lost.
    const auto initiate = [&state, &timer, id = r.id](auto handler) {
        std::lock_guard lock(state->mutex);
        if (const auto at = state->sched.arm(id)) {
            timer.expires_at(*at);
        }
        timer.async_wait(std::move(handler));
    };
    auto token = asio::as_tuple(asio::use_awaitable);
    for (;;) {
        // Checked before every co_await, so an awaitable that throws on cancellation does not.
        if (cancel_state.cancelled() != asio::cancellation_type::none) {
            std::lock_guard lock(state->mutex);
            self.cancel();
            co_return error::cancelled;
        }
        // Woken early (moved up, or pushed back by a pause) or on time: the schedule decides.
        co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(initiate,
                                                                                        token);
        std::lock_guard lock(state->mutex);
        if (cancel_state.cancelled() == asio::cancellation_type::none &&
            self.try_grant(clock::now(), arrived)) {
            co_return boost::system::error_code{};
        }
    }
}

void rate_limiter::on_throttled(clock::duration retry_after) {
    std::lock_guard lock(impl_->mutex);
    ++impl_->counters.throttled;
    if (impl_->sched.on_throttled(clock::now(), retry_after)) {
        ++impl_->counters.throttle_episodes;
    }
}

void rate_limiter::on_throttled(clock::duration retry_after, clock::time_point admitted_at) {
    std::lock_guard lock(impl_->mutex);
    ++impl_->counters.throttled;
    if (impl_->sched.on_throttled(clock::now(), retry_after, admitted_at)) {
        ++impl_->counters.throttle_episodes;
    }
}

void rate_limiter::pause_until(clock::time_point until) {
    std::lock_guard lock(impl_->mutex);
    impl_->sched.pause_until(until, clock::now());
}

void rate_limiter::on_success() {
    std::lock_guard lock(impl_->mutex);
    impl_->sched.on_success();
}

double rate_limiter::effective_rate() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->sched.effective_rate();
}

void detail::limiter_stop::stop() noexcept {
    auto& state = *limiter_.impl_;
    std::lock_guard lock(state.mutex);
    stopped_ = true;
    if (timer_ != nullptr) {
        timer_->cancel();
    }
}

detail::limiter_access::reservation detail::limiter_access::reserve(rate_limiter& limiter) {
    auto& state = *limiter.impl_;
    reservation out;
    out.arrived = clock::now();
    std::lock_guard lock(state.mutex);
    const auto r = state.sched.reserve(out.arrived);
    out.granted = !r.pending;
    out.id = r.id;
    if (out.granted) {
        ++state.counters.granted;
    }
    return out;
}

void detail::limiter_access::give_back(rate_limiter& limiter, const reservation& r) {
    auto& state = *limiter.impl_;
    std::lock_guard lock(state.mutex);
    state.wake(state.sched.cancel(r.id).wake);
    ++state.counters.cancelled;
}

asio::awaitable<boost::system::error_code> detail::limiter_access::wait(rate_limiter& limiter,
                                                                        reservation r,
                                                                        limiter_stop& stop,
                                                                        rearm_hook rearm) {
    const std::shared_ptr<rate_limiter::impl> state = limiter.impl_;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    rate_limiter::impl::sleeper self(state, r.id, timer);
    // As in acquire(): armed under the mutex, and so is stop(), so no wake-up is lost.
    const auto initiate = [&state, &timer, &stop, id = r.id](auto handler) {
        std::lock_guard lock(state->mutex);
        stop.timer_ = &timer;
        if (stop.stopped_) {
            timer.expires_at(clock::time_point::min());
        } else if (const auto at = state->sched.arm(id)) {
            timer.expires_at(*at);
        }
        timer.async_wait(std::move(handler));
    };
    auto token = internal_op();
    for (;;) {
        rearm();
        co_await asio::async_initiate<decltype(token), void(boost::system::error_code)>(initiate,
                                                                                        token);
        std::lock_guard lock(state->mutex);
        stop.timer_ = nullptr;
        if (stop.stopped_) {
            self.cancel();
            co_return error::cancelled;
        }
        if (self.try_grant(clock::now(), r.arrived)) {
            co_return boost::system::error_code{};
        }
    }
}

const rate_limit& rate_limiter::limit() const noexcept {
    return impl_->limit;
}

rate_limiter_stats rate_limiter::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->counters;
}

} // namespace minapp
