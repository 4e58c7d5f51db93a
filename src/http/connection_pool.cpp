#include <minapp/error.hpp>
#include <minapp/http/connection_pool.hpp>

#include "connection.hpp"
#include "pool_access.hpp"
#include "pool_decisions.hpp"
#include "request_validation.hpp"
#include "tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/version.hpp>

#include <atomic>
#include <deque>
#include <iostream>
#include <optional>
#include <vector>

namespace minapp::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using detail::clock;
using detail::connection;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

bhttp::verb to_verb(method m) {
    switch (m) {
    case method::get:
        return bhttp::verb::get;
    case method::put:
        return bhttp::verb::put;
    case method::post:
        return bhttp::verb::post;
    case method::delete_:
        return bhttp::verb::delete_;
    }
    return bhttp::verb::get;
}

// Monotonic counters readable from any thread; written only on the pool's strand.
struct counters {
    std::atomic<std::uint64_t> requests{0}, failures{0}, opened{0}, closed{0}, reused{0},
        handshakes{0}, resumptions{0}, stale_discarded{0}, stale_resends{0}, waits{0},
        wait_timeouts{0}, idle{0}, in_use{0};

    static void bump(std::atomic<std::uint64_t>& c, std::int64_t by = 1) {
        c.fetch_add(static_cast<std::uint64_t>(by), std::memory_order_relaxed);
    }
};

} // namespace

class connection_pool::impl : public std::enable_shared_from_this<impl> {
    detail::executor_type strand_;

public:
    impl(const asio::any_io_executor& ex, origin target, pool_options options)
        : strand_(asio::make_strand(ex))
        , target_(std::move(target))
        , options_(std::move(options))
        , reaper_(strand_) {
        if (target_.scheme == scheme::https) {
            tls_.emplace(detail::make_tls_context(options_.tls()));
            if (options_.tls().insecure_disable_verification()) {
                std::clog << "minapp: WARNING: TLS verification is DISABLED for "
                          << target_.to_string()
                          << "; the access token can be read by anyone on the network path\n";
            }
        }
        if (options_.max_connections() == 0) {
            options_.max_connections(1);
        }
        // Beast writes field values verbatim: a CR or LF in the User-Agent would inject
        // headers. Checked once here; every request then fails before anything is sent.
        user_agent_problem_ = detail::validate_field({"User-Agent", options_.user_agent()});
    }

    /// The coroutine behind `connection_pool::send`: it owns the state it uses, so the pool
    /// object may go while it runs.
    static asio::awaitable<send_result> send(std::shared_ptr<impl> self, request req,
                                             std::optional<clock::time_point> deadline);
    asio::awaitable<send_result> run(request req, clock::time_point deadline);
    void shutdown();

    const detail::executor_type& strand() const noexcept { return strand_; }

    origin target_;
    pool_options options_;
    counters counters_;

private:
    // A caller queued for a connection. It lives in the caller's coroutine frame; `timer` doubles
    // as its condition variable: granting cancels it.
    struct waiter {
        asio::steady_timer timer;
        std::unique_ptr<connection> conn; // granted idle connection, or null with `granted`
        bool granted = false;             // a connection or a free slot was handed over
        bool shut_down = false;
    };

    struct checkout_result {
        error_code ec;
        std::unique_ptr<connection> conn; // null: the caller owns a slot and must connect
    };

    asio::awaitable<checkout_result> checkout(clock::time_point deadline, bool fresh_only);
    std::unique_ptr<connection> pop_usable_idle();
    void release(std::unique_ptr<connection> conn, bool reusable, bool clean);
    void discard(std::unique_ptr<connection> conn, bool clean);
    void release_slot();
    void grant_free_slots();
    void hand_over(std::unique_ptr<connection> conn);
    void ensure_reaper();
    asio::awaitable<void> reap(std::shared_ptr<impl> self);
    detail::beast_request to_beast(request& req) const;

    std::optional<asio::ssl::context> tls_;
    detail::tls_session session_;
    std::vector<std::unique_ptr<connection>> idle_; // back = most recently used
    std::deque<waiter*> waiters_;
    std::size_t open_ = 0;           // idle + checked out + connecting
    std::string user_agent_problem_; // empty: options_.user_agent() is a valid field value
    asio::steady_timer reaper_;
    bool reaper_running_ = false;
    bool shut_down_ = false;
};

detail::beast_request connection_pool::impl::to_beast(request& req) const {
    detail::beast_request out{to_verb(req.method), req.target, 11};
    out.set(bhttp::field::host, target_.host_header());
    out.set(bhttp::field::user_agent, options_.user_agent());
    for (auto& f : req.headers) {
        out.insert(f.name, f.value);
    }
    out.body() = std::move(req.body);
    out.keep_alive(true);
    out.prepare_payload();
    return out;
}

asio::awaitable<send_result>
connection_pool::impl::send(std::shared_ptr<impl> self, request req,
                            std::optional<clock::time_point> deadline) {
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
        // Checked here: co_await would throw for a cancellation that landed before the call.
        send_result cancelled;
        cancelled.ec = error::cancelled;
        co_return cancelled;
    }
    const auto until = deadline.value_or(clock::now() + self->options_.request_timeout());
    auto run = self->run(std::move(req), until);
    co_return co_await minapp::detail::run_on_strand(self->strand(), std::move(run),
                                                     std::make_shared<asio::cancellation_signal>());
}

asio::awaitable<send_result> connection_pool::impl::run(request req, clock::time_point deadline) {
    // Errors are values here: a cancelled coroutine must still report, release and count.
    co_await asio::this_coro::throw_if_cancelled(false);
    counters::bump(counters_.requests);
    send_result result;
    auto fail = [&](error_code ec) {
        result.ec = ec;
        counters::bump(counters_.failures);
        return std::move(result);
    };
    if (shut_down_) {
        co_return fail(error::pool_shut_down);
    }
    if (!user_agent_problem_.empty()) {
        result.info.detail = user_agent_problem_;
        co_return fail(error::invalid_request);
    }
    if (auto problem = detail::validate_request(req); !problem.empty()) {
        result.info.detail = std::move(problem);
        co_return fail(error::invalid_request);
    }
    const bool idempotent = req.idempotent;
    auto wire = to_beast(req);
    const detail::response_limits limits{options_.body_limit(), options_.header_limit()};
    auto cancel_state = co_await asio::this_coro::cancellation_state;

    bool unanswered = false;
    for (int attempt = 1;; ++attempt) {
        result.info = exchange_info{};
        result.info.attempts = attempt;
        result.info.earlier_attempt_unanswered = unanswered;
        auto checked_out = co_await checkout(deadline, attempt > 1);
        if (checked_out.ec) {
            co_return fail(checked_out.ec);
        }
        std::unique_ptr<connection> conn = std::move(checked_out.conn);
        const bool reused = conn != nullptr;
        if (cancel_state.cancelled() != asio::cancellation_type::none) {
            if (conn) {
                release(std::move(conn), true, true);
            } else {
                release_slot();
            }
            co_return fail(error::cancelled);
        }
        if (!conn) {
            conn = std::make_unique<connection>(strand_, tls_ ? &*tls_ : nullptr);
            auto connected = co_await conn->connect(target_, deadline, session_, result.info);
            if (connected.ec) {
                conn->close(false);
                release_slot();
                co_return fail(connected.ec);
            }
            counters::bump(counters_.opened);
            if (tls_) {
                counters::bump(counters_.handshakes);
                if (conn->resumed()) {
                    counters::bump(counters_.resumptions);
                }
            }
        } else {
            counters::bump(counters_.reused);
        }
        result.info.connection_reused = reused;

        auto outcome =
            co_await conn->exchange(wire, result.response, deadline, limits, result.info);
        if (!outcome.ec && tls_ && conn->requests_served() == 1) {
            // Fresh tickets from each new connection keep resumption working if one expires.
            session_ = conn->session();
        }
        const bool reusable = detail::may_return_to_pool(outcome, conn->requests_served(),
                                                         clock::now() - conn->created(), options_);
        release(std::move(conn), reusable, !outcome.ec);
        if (!outcome.ec) {
            co_return std::move(result);
        }
        if (attempt == 1 && detail::may_resend_on_fresh_connection(outcome, reused, idempotent) &&
            clock::now() < deadline && cancel_state.cancelled() == asio::cancellation_type::none) {
            counters::bump(counters_.stale_resends);
            unanswered = outcome.stage == detail::stage::read;
            continue;
        }
        co_return fail(outcome.ec);
    }
}

std::unique_ptr<connection> connection_pool::impl::pop_usable_idle() {
    const auto now = clock::now();
    while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        counters::bump(counters_.idle, -1);
        counters::bump(counters_.in_use);
        if (!detail::idle_connection_usable(now - conn->last_used(), now - conn->created(),
                                            options_)) {
            discard(std::move(conn), true);
            continue;
        }
        if (!conn->probe_idle()) {
            counters::bump(counters_.stale_discarded);
            discard(std::move(conn), false);
            continue;
        }
        return conn;
    }
    return nullptr;
}

asio::awaitable<connection_pool::impl::checkout_result>
connection_pool::impl::checkout(clock::time_point deadline, bool fresh_only) {
    if (!fresh_only) {
        if (auto conn = pop_usable_idle()) {
            co_return checkout_result{{}, std::move(conn)};
        }
    }
    if (open_ < options_.max_connections()) {
        ++open_;
        counters::bump(counters_.in_use);
        co_return checkout_result{};
    }
    if (fresh_only && !idle_.empty()) {
        // Trade an idle connection for the slot it holds.
        auto conn = std::move(idle_.front());
        idle_.erase(idle_.begin());
        counters::bump(counters_.idle, -1);
        conn->close(true);
        counters::bump(counters_.closed);
        counters::bump(counters_.in_use);
        co_return checkout_result{};
    }

    waiter self{asio::steady_timer(strand_, deadline), nullptr};
    waiters_.push_back(&self);
    counters::bump(counters_.waits);
    co_await self.timer.async_wait(tuple_awaitable);
    if (!self.granted) {
        std::erase(waiters_, &self);
        if (self.shut_down) {
            co_return checkout_result{error::pool_shut_down, nullptr};
        }
        if (clock::now() >= deadline) {
            counters::bump(counters_.wait_timeouts);
            co_return checkout_result{error::pool_wait_timeout, nullptr};
        }
        co_return checkout_result{error::cancelled, nullptr};
    }
    if (fresh_only && self.conn) {
        // The slot is ours either way; only the connection is not wanted.
        self.conn->close(true);
        counters::bump(counters_.closed);
        self.conn.reset();
    }
    co_return checkout_result{{}, std::move(self.conn)};
}

void connection_pool::impl::release(std::unique_ptr<connection> conn, bool reusable, bool clean) {
    if (!reusable || shut_down_) {
        discard(std::move(conn), clean);
        return;
    }
    hand_over(std::move(conn));
}

void connection_pool::impl::discard(std::unique_ptr<connection> conn, bool clean) {
    conn->close(clean);
    counters::bump(counters_.closed);
    release_slot();
}

void connection_pool::impl::release_slot() {
    counters::bump(counters_.in_use, -1);
    --open_;
    grant_free_slots();
}

void connection_pool::impl::grant_free_slots() {
    // A free slot goes to the longest waiter, who will open a new connection with it.
    while (!waiters_.empty() && open_ < options_.max_connections()) {
        waiter* w = waiters_.front();
        waiters_.pop_front();
        ++open_;
        counters::bump(counters_.in_use);
        w->granted = true;
        w->timer.cancel();
    }
}

void connection_pool::impl::hand_over(std::unique_ptr<connection> conn) {
    if (!waiters_.empty()) {
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->conn = std::move(conn);
        w->granted = true;
        w->timer.cancel();
        return;
    }
    counters::bump(counters_.in_use, -1);
    counters::bump(counters_.idle);
    idle_.push_back(std::move(conn));
    ensure_reaper();
}

void connection_pool::impl::ensure_reaper() {
    if (reaper_running_ || idle_.empty()) {
        return;
    }
    reaper_running_ = true;
    asio::co_spawn(strand_, reap(shared_from_this()), asio::detached);
}

asio::awaitable<void> connection_pool::impl::reap(std::shared_ptr<impl> self) {
    // Sleeps until the oldest idle connection expires; runs only while connections are idle, so
    // an unused pool leaves no pending work on the executor.
    while (!shut_down_ && !idle_.empty()) {
        auto oldest = idle_.front()->last_used();
        for (const auto& c : idle_) {
            oldest = std::min(oldest, c->last_used());
        }
        auto due = oldest + options_.idle_timeout();
        if (options_.max_connection_lifetime().count() != 0) {
            for (const auto& c : idle_) {
                due = std::min(due, c->created() + options_.max_connection_lifetime());
            }
        }
        reaper_.expires_at(due);
        co_await reaper_.async_wait(tuple_awaitable);
        const auto now = clock::now();
        std::vector<std::unique_ptr<connection>> keep;
        for (auto& c : idle_) {
            if (detail::idle_connection_usable(now - c->last_used(), now - c->created(),
                                               options_)) {
                keep.push_back(std::move(c));
            } else {
                c->close(true);
                counters::bump(counters_.closed);
                counters::bump(counters_.idle, -1);
                --open_;
            }
        }
        idle_ = std::move(keep);
        grant_free_slots();
    }
    reaper_running_ = false;
    (void)self;
}

void connection_pool::impl::shutdown() {
    if (shut_down_) {
        return;
    }
    shut_down_ = true;
    for (auto& c : idle_) {
        c->close(true);
        counters::bump(counters_.closed);
        counters::bump(counters_.idle, -1);
        --open_;
    }
    idle_.clear();
    for (waiter* w : waiters_) {
        w->shut_down = true;
        w->timer.cancel();
    }
    waiters_.clear();
    reaper_.cancel();
}

// ---------------------------------------------------------------------------------------------

connection_pool::connection_pool(const asio::any_io_executor& executor, origin target,
                                 pool_options options)
    : impl_(std::make_shared<impl>(executor, std::move(target), std::move(options))) {}

connection_pool::~connection_pool() {
    try {
        shutdown();
    } catch (...) { // only allocation can fail here
        // The connections then close when the executor's io_context is destroyed.
    }
}

asio::awaitable<send_result> connection_pool::send(request req) {
    return impl::send(impl_, std::move(req), std::nullopt);
}

asio::awaitable<send_result> connection_pool::send(request req, clock::time_point deadline) {
    return impl::send(impl_, std::move(req), deadline);
}

void connection_pool::shutdown() {
    asio::dispatch(impl_->strand(), [state = impl_] { state->shutdown(); });
}

pool_stats connection_pool::stats() const noexcept {
    const auto& c = impl_->counters_;
    auto load = [](const std::atomic<std::uint64_t>& v) {
        return v.load(std::memory_order_relaxed);
    };
    pool_stats s;
    s.requests = load(c.requests);
    s.failures = load(c.failures);
    s.connections_opened = load(c.opened);
    s.connections_closed = load(c.closed);
    s.connections_reused = load(c.reused);
    s.tls_handshakes = load(c.handshakes);
    s.tls_resumptions = load(c.resumptions);
    s.stale_discarded = load(c.stale_discarded);
    s.stale_resends = load(c.stale_resends);
    s.waits = load(c.waits);
    s.wait_timeouts = load(c.wait_timeouts);
    s.idle = load(c.idle);
    s.in_use = load(c.in_use);
    return s;
}

const origin& connection_pool::target() const noexcept {
    return impl_->target_;
}

const pool_options& connection_pool::options() const noexcept {
    return impl_->options_;
}

const minapp::detail::strand_type&
detail::pool_access::strand(const connection_pool& pool) noexcept {
    return pool.impl_->strand();
}

asio::awaitable<send_result> detail::pool_access::send_on_strand(const connection_pool& pool,
                                                                 request req,
                                                                 clock::time_point deadline) {
    return pool.impl_->run(std::move(req), deadline);
}

} // namespace minapp::http
