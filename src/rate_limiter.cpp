#include <minapp/rate_limiter.hpp>

#include "detail/limiter_access.hpp"
#include "detail/token_queue.hpp"
#include "detail/tokens.hpp"

#include <minapp/detail/gcra.hpp>
#include <minapp/error.hpp>
#include <minapp/rate_budget.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace minapp {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using schedule = detail::gcra_schedule<clock>;

// The limiter follows its own GCRA schedule, or, with a budget, hands out the tokens the budget
// supplies (token_queue). Both keep the same FIFO of tickets, so the waiting code is shared.
struct rate_limiter::impl {
    using ticket = schedule::ticket;
    using verdict = detail::token_queue<clock>::verdict;

    impl(const rate_limit& l, std::shared_ptr<rate_budget> b)
        : limit(l)
        , sched(l)
        , budget(std::move(b)) {}

    ~impl() {
        if (budget) {
            budget->detach();
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    // Wakes the sleeper of `id` so that it re-arms its timer for an earlier instant. Its timer is
    // only ever armed under the mutex (see acquire), which makes this cancel() safe from any
    // thread.
    void wake(std::optional<ticket> id) {
        if (id) {
            if (const auto it = sleepers.find(*id); it != sleepers.end()) {
                it->second->cancel();
            }
        }
    }

    struct reservation {
        ticket id;
        bool pending;
    };

    // Under the mutex.
    reservation reserve(clock::time_point now) {
        if (budget) {
            const auto r = supplied.reserve(now);
            return {r.id, r.pending};
        }
        const auto r = sched.reserve(now);
        return {r.id, r.pending};
    }
    std::optional<clock::time_point> arm(ticket id) {
        return budget ? supplied.arm(id) : sched.arm(id);
    }
    void give_back(ticket id) {
        wake(budget ? supplied.cancel(id) : sched.cancel(id).wake);
        ++counters.cancelled;
    }
    verdict try_take(ticket id, clock::time_point now) {
        if (budget) {
            const auto r = supplied.take(id, now);
            wake(r.wake);
            return r.v;
        }
        const auto at = sched.arm(id);
        if (at && *at > now) {
            return verdict::wait;
        }
        wake(sched.complete(id).wake);
        return verdict::go;
    }
    // Without the mutex: the budget may post, and must not be called under our lock.
    void demand(bool pending) const noexcept {
        if (pending && budget) {
            budget->on_demand();
        }
    }

    // Owns a pending reservation while its caller sleeps: whatever ends the wait (grant,
    // refusal, cancellation, an exception, or the coroutine frame being destroyed with its
    // io_context), the reservation leaves the schedule and the timer leaves the registry before
    // the timer dies.
    class sleeper {
    public:
        sleeper(std::shared_ptr<impl> state, ticket id, asio::steady_timer& timer)
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
                state_->give_back(id_);
            }
        }

        // Under the caller's lock: grants the request if its instant has come, or ends the wait
        // when the budget refused it.
        verdict try_grant(clock::time_point now, clock::time_point arrived) {
            const auto v = state_->try_take(id_, now);
            if (v == verdict::wait) {
                return v;
            }
            leave();
            done_ = true;
            if (v == verdict::refused) {
                ++state_->counters.refused;
                return v;
            }
            ++state_->counters.granted;
            ++state_->counters.waited;
            state_->counters.total_wait += now - arrived;
            return v;
        }

        // Under the caller's lock: gives the reservation back.
        void cancel() {
            leave();
            state_->give_back(id_);
            done_ = true;
        }

    private:
        void leave() {
            state_->sleepers.erase(id_);
            --state_->counters.waiting;
        }

        std::shared_ptr<impl> state_;
        ticket id_;
        bool done_ = false;
    };

    // The coroutine behind rate_limiter::acquire; it owns the state, so the limiter object may
    // go while callers wait.
    static asio::awaitable<boost::system::error_code> acquire(std::shared_ptr<impl> state);

    const rate_limit limit;
    mutable std::mutex mutex;
    schedule sched;
    const std::shared_ptr<rate_budget> budget;
    detail::token_queue<clock> supplied;
    boost::system::error_code refusal = error::rate_budget_unavailable;
    std::string refusal_reason;
    std::unordered_map<ticket, asio::steady_timer*> sleepers;
    rate_limiter_stats counters;
};

rate_limiter::rate_limiter(rate_limit limit)
    : impl_(std::make_shared<impl>(limit, nullptr)) {}

rate_limiter::rate_limiter(rate_limit limit, std::shared_ptr<rate_budget> budget) {
    if (!budget) {
        throw std::invalid_argument("rate_limiter: null rate_budget");
    }
    auto& b = *budget;
    impl_ = std::make_shared<impl>(limit, std::move(budget));
    b.attach(token_sink(impl_));
}

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
    impl::reservation r{};
    {
        std::lock_guard lock(state->mutex);
        r = state->reserve(arrived);
        if (!r.pending) {
            ++state->counters.granted;
        }
    }
    if (!r.pending) {
        co_return boost::system::error_code{};
    }
    state->demand(true);

    asio::steady_timer timer(co_await asio::this_coro::executor);
    impl::sleeper self(state, r.id, timer);
    // The timer is armed inside the initiation, under the mutex, with the instant read there:
    // a waker that moved this caller up either ran before (the instant read is the new one) or
    // runs after the wait is registered (its cancel() completes it). No wake-up is lost.
    const auto initiate = [&state, &timer, id = r.id](auto handler) {
        std::lock_guard lock(state->mutex);
        if (const auto at = state->arm(id)) {
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
        {
            std::lock_guard lock(state->mutex);
            if (cancel_state.cancelled() == asio::cancellation_type::none) {
                const auto v = self.try_grant(clock::now(), arrived);
                if (v == impl::verdict::go) {
                    co_return boost::system::error_code{};
                }
                if (v == impl::verdict::refused) {
                    co_return state->refusal;
                }
            }
        }
        // Still without a token (it may have run out of its lease): the budget must know.
        state->demand(true);
    }
}

// With a budget, the tokens held were granted before the throttling answer and must not be
// spent after it; the pause itself is the budget's, shared by everyone on it.
void rate_limiter::on_throttled(clock::duration retry_after) {
    {
        std::lock_guard lock(impl_->mutex);
        ++impl_->counters.throttled;
        if (impl_->budget) {
            impl_->supplied.drop_tokens();
        } else if (impl_->sched.on_throttled(clock::now(), retry_after)) {
            ++impl_->counters.throttle_episodes;
        }
    }
    if (impl_->budget) {
        impl_->budget->on_throttled(retry_after);
    }
}

void rate_limiter::on_throttled(clock::duration retry_after, clock::time_point admitted_at) {
    if (impl_->budget) {
        on_throttled(retry_after);
        return;
    }
    std::lock_guard lock(impl_->mutex);
    ++impl_->counters.throttled;
    if (impl_->sched.on_throttled(clock::now(), retry_after, admitted_at)) {
        ++impl_->counters.throttle_episodes;
    }
}

void rate_limiter::pause_until(clock::time_point until) {
    const auto now = clock::now();
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->budget) {
            impl_->supplied.drop_tokens();
        } else {
            impl_->sched.pause_until(until, now);
        }
    }
    if (impl_->budget) {
        impl_->budget->on_throttled(std::max(until - now, clock::duration::zero()));
    }
}

void rate_limiter::on_success() {
    if (impl_->budget) {
        return;
    }
    std::lock_guard lock(impl_->mutex);
    impl_->sched.on_success();
}

double rate_limiter::effective_rate() const {
    if (impl_->budget) {
        return impl_->limit.per_second;
    }
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
    {
        std::lock_guard lock(state.mutex);
        const auto r = state.reserve(out.arrived);
        out.granted = !r.pending;
        out.id = r.id;
        if (out.granted) {
            ++state.counters.granted;
        }
    }
    state.demand(!out.granted);
    return out;
}

std::string detail::limiter_access::refusal_reason(const rate_limiter& limiter) {
    const auto& state = *limiter.impl_;
    std::lock_guard lock(state.mutex);
    return state.refusal_reason;
}

void detail::limiter_access::give_back(rate_limiter& limiter, const reservation& r) {
    auto& state = *limiter.impl_;
    std::lock_guard lock(state.mutex);
    state.give_back(r.id);
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
        } else if (const auto at = state->arm(id)) {
            timer.expires_at(*at);
        }
        timer.async_wait(std::move(handler));
    };
    for (;;) {
        rearm();
        co_await internal_operation_of<void(boost::system::error_code)>(initiate);
        {
            std::lock_guard lock(state->mutex);
            stop.timer_ = nullptr;
            if (stop.stopped_) {
                self.cancel();
                co_return error::cancelled;
            }
            const auto v = self.try_grant(clock::now(), r.arrived);
            if (v == rate_limiter::impl::verdict::go) {
                co_return boost::system::error_code{};
            }
            if (v == rate_limiter::impl::verdict::refused) {
                co_return state->refusal;
            }
        }
        state->demand(true);
    }
}

const rate_limit& rate_limiter::limit() const noexcept {
    return impl_->limit;
}

rate_limiter_stats rate_limiter::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->counters;
}

bool token_sink::supply(std::span<const clock::time_point> instants, clock::duration lease) const {
    const auto state = state_.lock();
    if (!state) {
        return false;
    }
    std::lock_guard lock(state->mutex);
    for (const auto id : state->supplied.supply(instants, lease, clock::now())) {
        state->wake(id);
    }
    return true;
}

bool token_sink::refuse(boost::system::error_code code, std::string reason) const {
    const auto state = state_.lock();
    if (!state) {
        return false;
    }
    std::lock_guard lock(state->mutex);
    state->refusal = code;
    state->refusal_reason = std::move(reason);
    for (const auto id : state->supplied.refuse()) {
        state->wake(id);
    }
    return true;
}

bool token_sink::drop_tokens() const {
    const auto state = state_.lock();
    if (!state) {
        return false;
    }
    std::lock_guard lock(state->mutex);
    state->supplied.drop_tokens();
    return true;
}

std::size_t token_sink::shortfall() const {
    const auto state = state_.lock();
    if (!state) {
        return 0;
    }
    std::lock_guard lock(state->mutex);
    return state->supplied.shortfall(clock::now());
}

} // namespace minapp
