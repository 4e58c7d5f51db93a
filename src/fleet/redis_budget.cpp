#include <minapp/fleet/redis_budget.hpp>

#include "gcra_arithmetic.hpp"
#include "redis_connection.hpp"
#include "redis_error.hpp"
#include "redis_gcra.hpp"

#include <minapp/detail/gcra.hpp>
#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace minapp::fleet {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

// A process asks Redis again after `large_batch` tokens' worth of its own rate, or after
// `batch_pacing` when that comes first, but never before `small_batch` tokens' worth: each request
// costs the process a wake-up or two (its pacing timer, the reply), which outweigh everything else
// the budget does, so at a few thousand calls per second a batch must be large (64 keeps the cost
// under 2 µs per call); the time bound keeps a process whose share grows (it gains about its
// waiting calls' worth per request) from adapting slowly; at low rates 8 tokens keep the requests
// at about one per 8 calls.
constexpr double small_batch = 8;
constexpr double large_batch = 64;
constexpr clock::duration batch_pacing = milliseconds(50);
// Bounds of the pause between two requests of one process.
constexpr clock::duration min_gap = milliseconds(2);
constexpr clock::duration max_gap = milliseconds(200);
// Time constant of the process's rate estimate.
constexpr double rate_horizon_s = 1.0;
constexpr clock::duration first_backoff = milliseconds(100);
constexpr clock::duration max_backoff = milliseconds(2000);

std::int64_t us(clock::duration d) {
    return std::chrono::duration_cast<microseconds>(d).count();
}

std::int64_t us_since_epoch(clock::time_point t) {
    return us(t.time_since_epoch());
}

redis_address address_of(const redis_budget_options& o) {
    return o.is_unix_socket() ? redis_address::unix_socket(o.host_or_path())
                              : redis_address::tcp(o.host_or_path(), o.port());
}

redis_options connection_options(const redis_budget_options& o) {
    redis_options r;
    r.connect_timeout = o.command_timeout();
    r.command_timeout = o.command_timeout();
    r.password = o.password();
    r.database = o.database();
    return r;
}

void check(const redis_budget_options& o) {
    detail::check_rate_limit(o.limit());
    const auto fail = [](const char* what) {
        throw std::invalid_argument(what);
    };
    if (o.key().empty()) {
        fail("redis_budget: empty key");
    }
    if (o.host_or_path().empty()) {
        fail("redis_budget: empty host or socket path");
    }
    if (!o.is_unix_socket() && o.port() == 0) {
        fail("redis_budget: port 0");
    }
    if (o.expected_replicas() == 0) {
        fail("redis_budget: expected_replicas must be >= 1");
    }
    if (o.command_timeout() <= milliseconds(0) || o.command_timeout() > milliseconds(1000)) {
        fail("redis_budget: command_timeout must be in (0, 1 s]");
    }
    if (o.max_lease() <= milliseconds(0) || o.max_lease() > milliseconds(1000)) {
        fail("redis_budget: max_lease must be in (0, 1 s]");
    }
    if (o.database() < 0) {
        fail("redis_budget: negative database");
    }
}

} // namespace

std::string default_budget_key(const std::string& base_url, const std::string& env_id) {
    return "minapp:rate:" + base_url + (env_id.empty() ? "" : ":" + env_id);
}

// Everything runs on the strand except the entry points the limiter calls (on_demand,
// on_throttled, detach), which set atomics or a mutex-guarded field and post.
struct redis_budget::impl : std::enable_shared_from_this<impl> {
    impl(const asio::any_io_executor& ex, redis_budget_options o)
        : strand(asio::make_strand(ex))
        , options(std::move(o))
        , connection(strand, connection_options(options))
        , gcra(connection, options.key(), options.limit())
        , wakeup(strand)
        , local_interval(std::ceil(1e6 * options.expected_replicas() / options.limit().per_second))
        , local_tolerance(
              std::floor((std::max(1.0, options.limit().burst / options.expected_replicas()) - 1) *
                         static_cast<double>(local_interval)))
        , estimate(options.limit().per_second / options.expected_replicas() * rate_horizon_s) {}

    // Where Redis is, for messages (no password: it is never part of the address).
    std::string where() const {
        return options.is_unix_socket()
                   ? "unix:" + options.host_or_path()
                   : options.host_or_path() + ":" + std::to_string(options.port());
    }

    // Wakes the loop when it sleeps (idle, or pacing: it then re-checks and sleeps again).
    void wake() {
        asio::post(strand, [self = shared_from_this()] { self->wakeup.cancel(); });
    }

    asio::awaitable<void> sleep_until(clock::time_point t) {
        wakeup.expires_at(t);
        co_await wakeup.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    // The process's recent rate, tokens per second, from a decayed count of its grants.
    double rate() const { return std::max(estimate / rate_horizon_s, 0.1); }
    void count_grant(std::int64_t granted, clock::time_point now) {
        if (last_grant != clock::time_point{}) {
            const double dt = std::chrono::duration<double>(now - last_grant).count();
            estimate *= std::exp(-dt / rate_horizon_s);
        }
        estimate += static_cast<double>(granted);
        last_grant = now;
    }

    // How long to leave between two requests (see large_batch), so that the number of
    // requests per call falls as the load rises.
    clock::duration gap() const {
        const auto worth = [this](double tokens) {
            return std::chrono::duration_cast<clock::duration>(
                std::chrono::duration<double>(tokens / rate()));
        };
        const auto g = std::max(worth(small_batch), std::min(worth(large_batch), batch_pacing));
        return std::clamp(g, min_gap, max_gap);
    }

    // Token k of a batch conforms at first + k * interval, the fleet's spacing: a process that
    // spent its batch at that pace would run in bursts, one wake-up per call at the fleet's rate,
    // then silence until its next request. Instead the batch is spread over the time until that
    // request (`span`, never closer than `interval`): the calls go at the process's own pace, as
    // with a local limit. A token is spent at most `span` after its reserved instant, never
    // before it. `interval` zero (the open fallback) means no spacing at all.
    void supply(std::int64_t granted, clock::time_point first, clock::duration interval,
                clock::duration span, clock::duration lookahead) {
        const auto spacing = interval > clock::duration::zero() ? std::max(interval, span / granted)
                                                                : clock::duration::zero();
        std::vector<clock::time_point> at;
        at.reserve(static_cast<std::size_t>(granted));
        for (std::int64_t k = 0; k < granted; ++k) {
            at.push_back(first + k * spacing);
        }
        const auto lease = std::min<clock::duration>(
            options.max_lease(),
            std::max<clock::duration>(lookahead + milliseconds(100), milliseconds(200)));
        sink.supply(at, lease);
    }

    void failed(boost::system::error_code ec, const std::string& detail, clock::time_point now) {
        connection.close();
        {
            std::lock_guard lock(mutex);
            last_error = (detail.empty() ? "" : detail + ": ") + ec.message();
            if (state != source::fallback) {
                ++counters.fallbacks;
            }
            counters.on_redis = false;
        }
        state = source::fallback;
        retry_at = now + backoff;
        backoff = std::min(backoff * 2, max_backoff);
    }

    void answered() {
        std::lock_guard lock(mutex);
        if (state == source::fallback) {
            ++counters.recoveries;
        }
        counters.on_redis = true;
        state = source::redis;
        backoff = first_backoff;
    }

    void note_round_trips() {
        std::lock_guard lock(mutex);
        counters.round_trips = gcra.round_trips();
    }

    // Opens the connection when needed; false (and the fallback) when that fails.
    asio::awaitable<bool> connected() {
        if (connection.is_open()) {
            co_return true;
        }
        {
            std::lock_guard lock(mutex);
            ++counters.connects;
        }
        const auto ec = co_await connection.connect(address_of(options));
        if (ec) {
            failed(ec, "connecting", clock::now());
            co_return false;
        }
        co_return true;
    }

    // Sets a fleet-wide cooldown in Redis, and in the local fallback's state.
    asio::awaitable<void> pause(clock::duration d) {
        const auto now = clock::now();
        gcra_pause(local, local_tolerance, us(d), us_since_epoch(now));
        {
            std::lock_guard lock(mutex);
            ++counters.pauses;
        }
        next_take = now;
        if (state == source::fallback && now < retry_at) {
            co_return;
        }
        if (!co_await connected()) {
            co_return;
        }
        const auto r = co_await gcra.pause(microseconds(us(d)));
        note_round_trips();
        if (!r) {
            failed(r.error(), gcra.last_error(), clock::now());
        } else {
            answered();
        }
    }

    // One request to Redis for `n` tokens; false when Redis failed.
    asio::awaitable<bool> take_from_redis(std::int64_t n, clock::duration lookahead) {
        if (!co_await connected()) {
            co_return false;
        }
        const auto r = co_await gcra.take(n, microseconds(us(lookahead)));
        const auto now = clock::now();
        note_round_trips();
        if (!r) {
            if (!detached.load()) { // a detach closes the connection: not Redis's failure
                failed(r.error(), gcra.last_error(), now);
            }
            co_return false;
        }
        answered();
        {
            std::lock_guard lock(mutex);
            ++counters.acquires;
            counters.tokens_granted += static_cast<std::uint64_t>(r->granted);
        }
        // Redis's "now" is taken as the moment the answer arrived: tokens are never early.
        if (r->granted > 0) {
            count_grant(r->granted, now);
            const auto g = gap();
            supply(r->granted, now + r->first, gcra.interval(), g, lookahead);
            next_take = now + g;
        } else if (r->cooldown.count() > 0) {
            // Another process saw a 429: stop spending until the cooldown ends.
            sink.drop_tokens();
            next_take = now + r->cooldown;
        } else {
            next_take = now + std::max(gap(), std::chrono::duration_cast<clock::duration>(
                                                  r->wait - microseconds(us(lookahead))));
        }
        co_return true;
    }

    void take_from_fallback(std::int64_t n, std::size_t need, clock::duration lookahead) {
        const auto now = clock::now();
        switch (options.fallback()) {
        case fallback_policy::local: {
            const auto o = gcra_take(local, local_interval, local_tolerance, n, us(lookahead),
                                     us_since_epoch(now));
            if (o.granted > 0) {
                count_grant(o.granted, now);
                const auto g = gap();
                supply(o.granted, now + microseconds(o.first), microseconds(local_interval), g,
                       lookahead);
                next_take = now + g;
            } else {
                next_take = now + std::max(gap(), std::chrono::duration_cast<clock::duration>(
                                                      microseconds(o.wait - us(lookahead))));
            }
            std::lock_guard lock(mutex);
            counters.fallback_tokens += static_cast<std::uint64_t>(o.granted);
            break;
        }
        case fallback_policy::open: {
            supply(static_cast<std::int64_t>(need), now, clock::duration::zero(),
                   clock::duration::zero(), lookahead);
            std::lock_guard lock(mutex);
            counters.fallback_tokens += need;
            break;
        }
        case fallback_policy::closed: {
            std::string reason;
            {
                std::lock_guard lock(mutex);
                ++counters.refusals;
                reason = "Redis at " + where() + " is unavailable (" + last_error +
                         "), and the fallback policy is closed";
            }
            sink.refuse(error::rate_budget_unavailable, std::move(reason));
            break;
        }
        }
    }

    // The loop owns the state: it ends once the limiter detached.
    static asio::awaitable<void> run(std::shared_ptr<impl> self) { co_await self->loop(); }

    // A failure the loop did not expect (an allocation) must not escape into the user's run():
    // it is recorded, and the loop tries again a moment later.
    asio::awaitable<void> loop() {
        while (!detached.load()) {
            try {
                co_await step();
            } catch (const std::exception& e) {
                {
                    std::lock_guard lock(mutex);
                    last_error = e.what();
                }
                next_take = clock::now() + first_backoff;
            }
        }
        connection.close();
    }

    // One turn of the loop: a pending pause, the pacing, or serving the shortfall.
    asio::awaitable<void> step() {
        std::optional<clock::duration> pause_for;
        {
            std::lock_guard lock(mutex);
            pause_for.swap(pending_pause);
        }
        if (pause_for) {
            co_await pause(*pause_for);
            co_return;
        }
        const auto now = clock::now();
        if (now < next_take) {
            co_await sleep_until(next_take);
            co_return;
        }
        // Idle, and no demand noted, before reading the shortfall: a caller that queues after
        // this read sees both and posts a wake-up. While the loop is busy or pacing, demand only
        // sets the flag (no wake-up per call); the next turn reads the shortfall anyway.
        idle.store(true);
        demand.store(false);
        const std::size_t need = sink.shortfall();
        if (need == 0) {
            if (!sink.attached()) {
                detached.store(true);
                co_return;
            }
            co_await sleep_until(clock::time_point::max());
            idle.store(false);
            co_return;
        }
        idle.store(false);
        const auto g = gap();
        const auto lookahead = 2 * g;
        const auto n =
            static_cast<std::int64_t>(need) +
            static_cast<std::int64_t>(std::ceil(rate() * std::chrono::duration<double>(g).count()));
        if (state != source::fallback || now >= retry_at) {
            if (co_await take_from_redis(n, lookahead)) {
                co_return;
            }
        }
        if (!detached.load()) {
            take_from_fallback(n, need, lookahead);
        }
    }

    enum class source { unknown, redis, fallback };

    asio::strand<asio::any_io_executor> strand;
    const redis_budget_options options;
    redis_connection connection;
    redis_gcra gcra;
    asio::steady_timer wakeup;
    token_sink sink;
    std::atomic<bool> demand{false};
    std::atomic<bool> idle{false}; // asleep until a demand (not pacing, not in a request)
    std::atomic<bool> detached{false};

    mutable std::mutex mutex; // guards the three below
    redis_budget_stats counters;
    std::string last_error;
    std::optional<clock::duration> pending_pause;

    // The loop's own state.
    source state = source::unknown;
    clock::time_point retry_at{};
    clock::duration backoff = first_backoff;
    clock::time_point next_take{};
    gcra_state local;
    const std::int64_t local_interval;
    const std::int64_t local_tolerance;
    double estimate;
    clock::time_point last_grant{};
};

std::shared_ptr<redis_budget> redis_budget::create(const asio::any_io_executor& executor,
                                                   redis_budget_options options) {
    check(options);
    return std::shared_ptr<redis_budget>(
        new redis_budget(std::make_shared<impl>(executor, std::move(options))));
}

redis_budget::redis_budget(std::shared_ptr<impl> i)
    : impl_(std::move(i)) {}

redis_budget::~redis_budget() {
    detach();
}

redis_budget_stats redis_budget::stats() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->counters;
}

std::string redis_budget::last_error() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->last_error;
}

const redis_budget_options& redis_budget::options() const noexcept {
    return impl_->options;
}

void redis_budget::attach(token_sink sink) {
    // Before the loop starts, so it never reads the sink while it changes.
    impl_->sink = std::move(sink);
    asio::co_spawn(impl_->strand, impl::run(impl_), asio::detached);
}

void redis_budget::on_demand() noexcept {
    if (!impl_->demand.exchange(true) && impl_->idle.load()) {
        try {
            impl_->wake();
        } catch (...) { // NOLINT(bugprone-empty-catch): a lost wake-up is retried on next demand
            impl_->demand.store(false);
        }
    }
}

void redis_budget::on_throttled(clock::duration retry_after) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->pending_pause = std::max(impl_->pending_pause.value_or(clock::duration::zero()),
                                        std::max(retry_after, clock::duration::zero()));
    }
    impl_->wake();
}

void redis_budget::detach() noexcept {
    if (!impl_->detached.exchange(true)) {
        try {
            asio::post(impl_->strand, [self = impl_] {
                self->wakeup.cancel();
                self->connection.close();
            });
        } catch (...) { // NOLINT(bugprone-empty-catch): the executor is gone, and the loop with it
        }
    }
}

std::shared_ptr<rate_limiter> make_redis_rate_limiter(const asio::any_io_executor& executor,
                                                      redis_budget_options options) {
    const auto limit = options.limit();
    return std::make_shared<rate_limiter>(limit,
                                          redis_budget::create(executor, std::move(options)));
}

} // namespace minapp::fleet
