// The client's cache of a fetched access token: renewal ahead of expiry in one flight however
// many calls need a token, and invalidation after a 401 that renews at most once per
// generation. Modelled on google-cloud-cpp's access-token cache, with Asio waits.
#pragma once

#include "../detail/rearm_hook.hpp"
#include "../detail/shared_slot.hpp"
#include "../http/pool_core.hpp"

#include <minapp/result.hpp>
#include <minapp/token_source.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace minapp::detail {

/// One token as the cache hands it out.
struct issued_token {
    std::string value;
    std::uint64_t generation = 0; ///< 1 for the first token fetched, +1 per renewal
    std::chrono::steady_clock::time_point renew_at; ///< the soft window starts
    std::chrono::steady_clock::time_point wait_at;  ///< the hard window starts
    std::chrono::steady_clock::time_point expires_at;
};

/// When a token fetched at `fetched_at` enters its soft and hard windows.
struct token_windows {
    std::chrono::steady_clock::time_point renew_at;
    std::chrono::steady_clock::time_point wait_at;
    std::chrono::steady_clock::time_point expires_at;
};
token_windows windows_for(std::chrono::steady_clock::time_point fetched_at,
                          std::chrono::seconds lifetime, const token_renewal& renewal);

/// Counters of a token cache.
struct token_cache_stats {
    std::uint64_t flights = 0;       ///< fetches started
    std::uint64_t failures = 0;      ///< fetches that failed
    std::uint64_t invalidations = 0; ///< 401s that invalidated the current token
    std::uint64_t waits = 0;         ///< calls that waited for a fetch
};

class token_cache;

/// A call waiting for a token, which another thread (the call's cancellation, a shutdown) must
/// be able to end.
class token_wait final : public http::detail::external_wait {
public:
    explicit token_wait(token_cache& cache) noexcept
        : cache_(cache) {}
    void stop() noexcept override;

private:
    friend class token_cache;
    token_cache& cache_;
    bool stopped_ = false;                       // under the cache's mutex
    boost::asio::steady_timer* timer_ = nullptr; // under the cache's mutex
};

/// Thread safety: every member may be called from any thread.
class token_cache : public std::enable_shared_from_this<token_cache> {
public:
    /// The clock the windows are read on (tests pass their own).
    using now_fn = std::chrono::steady_clock::time_point (*)();

    /// Fetches run on `ex` (a strand is made of it), one at a time.
    token_cache(const boost::asio::any_io_executor& ex, token_fetcher fetch, token_renewal renewal,
                now_fn now = &std::chrono::steady_clock::now);

    /// The token to send now: without suspending or allocating, and with one uncontended lock
    /// (the copy of the token's pointer), while the token is outside its windows. In the soft
    /// window it starts a background renewal (once) and still returns the token; in the hard
    /// window, before the first fetch and after invalidate() it returns null: the caller must
    /// wait().
    std::shared_ptr<const issued_token> current();

    /// Waits for the fetch in flight (starting one if none runs) and returns its token or its
    /// failure, which every caller waiting on that fetch shares. error::cancelled when `stop`
    /// ended it, error::pool_shut_down after shutdown().
    boost::asio::awaitable<result<std::shared_ptr<const issued_token>>> wait(token_wait& stop,
                                                                             rearm_hook rearm);

    /// A 401 answered a request sent with `generation`: the token is dropped and the next call
    /// waits for a new one, unless a newer token already replaced it (then nothing happens, so
    /// many concurrent 401s cause one renewal).
    void invalidate(std::uint64_t generation);

    /// Ends every wait with error::pool_shut_down, cancels the fetch in flight and refuses new
    /// ones. Idempotent.
    void shutdown();

    token_cache_stats stats() const;
    /// The clock the windows are read on.
    std::chrono::steady_clock::time_point now() const { return now_(); }

private:
    friend class token_wait;
    struct flight;
    void start_flight_locked();
    static boost::asio::awaitable<void> run(std::shared_ptr<token_cache> self,
                                            std::shared_ptr<flight> f);
    void finish(flight& f, result<token_grant> r, std::chrono::steady_clock::time_point started);

    boost::asio::any_io_executor strand_;
    token_fetcher fetch_;
    token_renewal renewal_;
    now_fn now_;
    shared_slot<const issued_token> token_;

    mutable std::mutex mutex_;
    std::shared_ptr<flight> flight_; // the fetch in flight, if any
    std::vector<token_wait*> waiters_;
    std::uint64_t generation_ = 0;
    // No background renewal starts before this instant (ticks of now_()): the end of time while
    // one runs, a second after one failed. Read without the mutex by current().
    std::atomic<std::chrono::steady_clock::rep> soft_retry_at_{0};
    bool shut_down_ = false;
    token_cache_stats stats_;
};

} // namespace minapp::detail
