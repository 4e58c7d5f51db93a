#include "token_cache.hpp"

#include "../detail/tokens.hpp"

#include <minapp/error.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <exception>

namespace minapp::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

token_windows windows_for(clock::time_point fetched_at, std::chrono::seconds lifetime,
                          const token_renewal& renewal) {
    // Measured from when the fetch started, so that the time the flow took counts as spent.
    const auto life = std::chrono::duration_cast<clock::duration>(std::max(lifetime, {}));
    const auto soft = std::min<clock::duration>(renewal.renew_before, life / 2);
    const auto hard = std::min<clock::duration>(renewal.wait_before, life / 10);
    const auto expires = fetched_at + life;
    return {expires - std::max(soft, hard), expires - hard, expires};
}

struct token_cache::flight {
    bool done = false;
    result<std::shared_ptr<const issued_token>> outcome{failure{error::token_flow_failed}};
    asio::cancellation_signal signal; // on the strand only
};

token_cache::token_cache(const asio::any_io_executor& ex, token_fetcher fetch,
                         token_renewal renewal, now_fn now)
    : strand_(asio::make_strand(ex))
    , fetch_(std::move(fetch))
    , renewal_(renewal)
    , now_(now) {}

std::shared_ptr<const issued_token> token_cache::current() {
    auto t = token_.load();
    if (!t) {
        return nullptr;
    }
    const auto now = now_();
    if (now < t->renew_at) {
        return t;
    }
    if (now >= t->wait_at) {
        return nullptr;
    }
    // In the soft window: the first caller starts the renewal; the others see from the atomic,
    // without taking the mutex, that one runs (or failed moments ago).
    if (now.time_since_epoch().count() < soft_retry_at_.load(std::memory_order_relaxed)) {
        return t;
    }
    std::lock_guard lock(mutex_);
    if (!flight_ && !shut_down_ &&
        now.time_since_epoch().count() >= soft_retry_at_.load(std::memory_order_relaxed)) {
        start_flight_locked();
    }
    return t;
}

void token_cache::start_flight_locked() {
    flight_ = std::make_shared<flight>();
    soft_retry_at_.store(clock::time_point::max().time_since_epoch().count(),
                         std::memory_order_relaxed);
    ++stats_.flights;
    // Posted, never run inline: the caller holds the mutex, and the fetch may complete at once.
    asio::post(strand_, [self = shared_from_this(), f = flight_] {
        // The handler keeps the flight, whose signal the slot belongs to, until co_spawn is
        // done with the slot.
        asio::co_spawn(
            self->strand_, run(self, f),
            asio::bind_cancellation_slot(f->signal.slot(), [f](const std::exception_ptr&) {}));
    });
}

asio::awaitable<void> token_cache::run(std::shared_ptr<token_cache> self,
                                       std::shared_ptr<flight> f) {
    const auto started = self->now_();
    result<token_grant> r{failure{error::token_flow_failed}};
    try {
        r = co_await self->fetch_();
    } catch (const std::exception& e) {
        failure bad(error::token_flow_failed);
        bad.diagnostics.detail = std::string("the token fetcher threw: ") + e.what();
        r = std::move(bad);
    }
    self->finish(*f, std::move(r), started);
}

void token_cache::finish(flight& f, result<token_grant> r, clock::time_point started) {
    std::lock_guard lock(mutex_);
    if (r && r->access_token().empty()) {
        failure bad(error::token_flow_failed);
        bad.diagnostics.detail = "the token fetch returned an empty access token";
        r = std::move(bad);
    }
    if (r) {
        auto t = std::make_shared<issued_token>();
        t->value = r->access_token();
        t->generation = ++generation_;
        const auto w = windows_for(started, r->expires_in(), renewal_);
        t->renew_at = w.renew_at;
        t->wait_at = w.wait_at;
        t->expires_at = w.expires_at;
        std::shared_ptr<const issued_token> shared = std::move(t);
        token_.store(shared);
        soft_retry_at_.store(0, std::memory_order_relaxed);
        f.outcome = std::move(shared);
    } else {
        ++stats_.failures;
        // A background renewal that failed is tried again a little later, not by every call.
        soft_retry_at_.store((now_() + std::chrono::seconds(1)).time_since_epoch().count(),
                             std::memory_order_relaxed);
        f.outcome = r.error();
    }
    f.done = true;
    if (flight_.get() == &f) {
        flight_.reset();
    }
    for (token_wait* w : waiters_) {
        if (w->timer_ != nullptr) {
            w->timer_->cancel();
        }
    }
}

asio::awaitable<result<std::shared_ptr<const issued_token>>> token_cache::wait(token_wait& stop,
                                                                               rearm_hook rearm) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::shared_ptr<flight> joined;
    std::shared_ptr<const issued_token> ready;
    // Armed under the mutex, and finish() and stop() cancel under it: no wake-up is lost.
    const auto initiate = [this, &stop, &timer, &joined, &ready](auto handler) {
        std::lock_guard lock(mutex_);
        stop.timer_ = &timer;
        bool now = stop.stopped_ || shut_down_;
        if (!now) {
            const auto at = now_();
            if (auto t = token_.load(); t && at < t->wait_at) {
                ready = std::move(t); // renewed while this call was on its way here
                now = true;
            } else {
                if (!flight_) {
                    start_flight_locked();
                }
                joined = flight_;
                waiters_.push_back(&stop);
                ++stats_.waits;
            }
        }
        timer.expires_at(now ? clock::time_point::min() : clock::time_point::max());
        timer.async_wait(std::move(handler));
    };
    rearm();
    co_await internal_operation_of<void(boost::system::error_code)>(initiate);
    std::lock_guard lock(mutex_);
    stop.timer_ = nullptr;
    std::erase(waiters_, &stop);
    if (ready) {
        co_return ready;
    }
    if (joined && joined->done) {
        co_return joined->outcome;
    }
    if (shut_down_) {
        co_return failure{error::pool_shut_down};
    }
    co_return failure{error::cancelled};
}

void token_cache::invalidate(std::uint64_t generation) {
    std::lock_guard lock(mutex_);
    auto t = token_.load();
    if (t && t->generation == generation) {
        token_.store(nullptr);
        ++stats_.invalidations;
    }
}

void token_cache::shutdown() {
    std::lock_guard lock(mutex_);
    if (shut_down_) {
        return;
    }
    shut_down_ = true;
    for (token_wait* w : waiters_) {
        if (w->timer_ != nullptr) {
            w->timer_->cancel();
        }
    }
    if (flight_) {
        asio::post(strand_, [f = flight_] { f->signal.emit(asio::cancellation_type::terminal); });
    }
}

token_cache_stats token_cache::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void token_wait::stop() noexcept {
    std::lock_guard lock(cache_.mutex_);
    stopped_ = true;
    if (timer_ != nullptr) {
        timer_->cancel();
    }
}

} // namespace minapp::detail
