#include "pool_core.hpp"

#include "../detail/tokens.hpp"
#include "exchange_op.hpp"
#include "reply_parser.hpp"
#include "request_validation.hpp"
#include "tls_context.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <iostream>

namespace minapp::http::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The connect, once on the strand: a stop emitted there before it started is seen here.
asio::awaitable<exchange_outcome> connect_on_strand(std::shared_ptr<connection> conn,
                                                    std::shared_ptr<connect_stop> stop,
                                                    const origin& target,
                                                    clock::time_point deadline, tls_session session,
                                                    exchange_info& info) {
    if (stop->stopped) {
        co_return exchange_outcome{error::cancelled, stage::connect, false, false};
    }
    co_return co_await conn->connect(target, deadline, session, info);
}

} // namespace

struct pool_core::checkout_result {
    error_code ec;
    std::shared_ptr<connection> conn; // null: the caller holds a free slot and must connect
};

pool_core::pool_core(const asio::any_io_executor& ex, origin target, pool_options options)
    : strand_(asio::make_strand(ex))
    , target_(std::move(target))
    , options_(std::move(options))
    , watchdog_(strand_)
    , reaper_(strand_) {
    if (target_.scheme == scheme::https) {
        tls_.emplace(make_tls_context(options_.tls()));
        if (options_.tls().insecure_disable_verification()) {
            std::clog << "minapp: WARNING: TLS verification is DISABLED for " << target_.to_string()
                      << "; the access token can be read by anyone on the network path\n";
        }
    }
    if (options_.max_connections() == 0) {
        options_.max_connections(1);
    }
    // Beast wrote field values verbatim, and so does the client's header block: a CR or LF in
    // the User-Agent would inject headers. Checked once here; every request then fails before
    // anything is sent.
    user_agent_problem_ = validate_field({"User-Agent", options_.user_agent()});
}

// ---- registration, cancellation, shutdown ---------------------------------------------------

void call_ticket::arm() {
    if (caller_slot.is_connected()) {
        caller_slot.assign([pool = owner, t = this](asio::cancellation_type type) {
            if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) !=
                asio::cancellation_type::none) {
                pool->cancel(*t);
            }
        });
    }
}

bool pool_core::enter(call_ticket& ticket) {
    std::lock_guard lock(mutex_);
    if (shut_down_) {
        return false;
    }
    ticket.owner = this;
    tickets_.push_back(ticket);
    return true;
}

void pool_core::leave(call_ticket& ticket) noexcept {
    if (ticket.caller_slot.is_connected()) {
        ticket.caller_slot.clear();
    }
    std::lock_guard lock(mutex_);
    ticket.unlink();
}

// Under the lock: ends whatever the ticket waits on. Nothing completes inline: timers and
// sockets complete their operations through the executor, signals are emitted on the strand.
void pool_core::stop_ticket(call_ticket& ticket, bool by_shutdown) {
    (by_shutdown ? ticket.shut_down : ticket.cancelled) = true;
    switch (ticket.where) {
    case call_ticket::phase::wire:
        ticket.conn->abort(by_shutdown ? abort_reason::shut_down : abort_reason::cancelled);
        break;
    case call_ticket::phase::pool_wait:
    case call_ticket::phase::backoff:
        ticket.timer->cancel();
        break;
    case call_ticket::phase::connecting:
        asio::post(strand_, [stop = ticket.connect_stop] {
            stop->stopped = true;
            stop->signal.emit(asio::cancellation_type::terminal);
        });
        break;
    case call_ticket::phase::external:
        ticket.external->stop();
        break;
    case call_ticket::phase::idle:
        break;
    }
}

void pool_core::cancel(call_ticket& ticket) {
    std::lock_guard lock(mutex_);
    if (ticket.is_linked()) {
        stop_ticket(ticket, false);
    }
}

void pool_core::shutdown() {
    std::lock_guard lock(mutex_);
    if (shut_down_) {
        return;
    }
    shut_down_ = true;
    for (auto& c : idle_) {
        c->close(true);
        bump(counters_.closed);
        bump(counters_.idle, -1);
        --open_;
    }
    idle_.clear();
    for (auto& t : tickets_) {
        stop_ticket(t, true);
    }
    watchdog_.cancel();
    reaper_.cancel();
}

pool_core::ticket_state pool_core::state(const call_ticket& ticket) const {
    std::lock_guard lock(mutex_);
    return {ticket.cancelled, ticket.shut_down || shut_down_};
}

bool pool_core::wait_externally(call_ticket& ticket, external_wait* wait) {
    std::lock_guard lock(mutex_);
    if (wait == nullptr) {
        ticket.where = call_ticket::phase::idle;
        ticket.external = nullptr;
        return true;
    }
    if (ticket.cancelled || ticket.shut_down) {
        return false;
    }
    ticket.where = call_ticket::phase::external;
    ticket.external = wait;
    return true;
}

// ---- checkout and release -------------------------------------------------------------------

std::shared_ptr<connection> pool_core::pop_usable_idle() {
    const auto now = clock::now();
    while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        bump(counters_.idle, -1);
        bump(counters_.in_use);
        if (!idle_connection_usable(now - conn->last_used(), now - conn->created(), options_)) {
            discard(conn, true);
            continue;
        }
        if (!conn->probe_idle()) {
            bump(counters_.stale_discarded);
            discard(conn, false);
            continue;
        }
        return conn;
    }
    return nullptr;
}

std::optional<pool_core::checkout_result> pool_core::checkout_now(call_ticket& ticket,
                                                                  bool fresh_only) {
    std::lock_guard lock(mutex_);
    if (ticket.shut_down || shut_down_) {
        return checkout_result{error::pool_shut_down, nullptr};
    }
    if (ticket.cancelled) {
        return checkout_result{error::cancelled, nullptr};
    }
    if (!fresh_only) {
        if (auto conn = pop_usable_idle()) {
            return checkout_result{{}, std::move(conn)};
        }
    }
    if (open_ < options_.max_connections()) {
        ++open_;
        bump(counters_.in_use);
        return checkout_result{};
    }
    if (fresh_only && !idle_.empty()) {
        // Trade an idle connection for the slot it holds.
        auto conn = std::move(idle_.front());
        idle_.erase(idle_.begin());
        bump(counters_.idle, -1);
        conn->close(true);
        bump(counters_.closed);
        bump(counters_.in_use);
        return checkout_result{};
    }
    bump(counters_.waits);
    return std::nullopt;
}

asio::awaitable<pool_core::checkout_result>
pool_core::checkout_wait(call_ticket& ticket, clock::time_point deadline, bool fresh_only) {
    // The timer is the condition variable: release() and stop_ticket() cancel it under the
    // lock, and it is armed under the lock, so no wake-up is lost whichever comes first.
    asio::steady_timer timer(co_await asio::this_coro::executor);
    ticket.arm();
    const auto initiate = [this, &ticket, &timer, deadline, fresh_only](auto handler) {
        std::lock_guard lock(mutex_);
        ticket.where = call_ticket::phase::pool_wait;
        ticket.timer = &timer;
        ticket.granted = false;
        bool now = ticket.cancelled || ticket.shut_down || shut_down_;
        if (!now) {
            // What was released while the lock was not held is taken at once.
            if (auto conn = fresh_only ? nullptr : pop_usable_idle()) {
                ticket.handed = std::move(conn);
                ticket.granted = now = true;
            } else if (open_ < options_.max_connections()) {
                ++open_;
                bump(counters_.in_use);
                ticket.granted = now = true;
            } else {
                waiters_.push_back(&ticket);
            }
        }
        timer.expires_at(now ? clock::time_point::min() : deadline);
        timer.async_wait(std::move(handler));
    };
    auto [ec] = co_await minapp::detail::internal_operation_of<void(error_code)>(initiate);
    (void)ec; // the ticket says what happened
    std::lock_guard lock(mutex_);
    ticket.where = call_ticket::phase::idle;
    ticket.timer = nullptr;
    if (!ticket.granted) {
        std::erase(waiters_, &ticket);
        if (ticket.shut_down || shut_down_) {
            co_return checkout_result{error::pool_shut_down, nullptr};
        }
        if (ticket.cancelled) {
            co_return checkout_result{error::cancelled, nullptr};
        }
        bump(counters_.wait_timeouts);
        co_return checkout_result{error::pool_wait_timeout, nullptr};
    }
    auto conn = std::move(ticket.handed);
    if (fresh_only && conn) {
        // The slot is ours either way; only the connection is not wanted.
        conn->close(true);
        bump(counters_.closed);
        conn.reset();
    }
    co_return checkout_result{{}, std::move(conn)};
}

void pool_core::release(call_ticket& ticket, std::shared_ptr<connection> used, bool reusable,
                        bool clean) {
    std::lock_guard lock(mutex_);
    ticket.where = call_ticket::phase::idle;
    ticket.conn = nullptr;
    if (!used) {
        return;
    }
    const bool aborted = used->aborted() != abort_reason::none;
    if (!reusable || shut_down_ || aborted) {
        discard(used, clean && !aborted);
        return;
    }
    hand_over(std::move(used));
}

void pool_core::discard(const std::shared_ptr<connection>& conn, bool clean) {
    conn->close(clean);
    bump(counters_.closed);
    release_slot();
}

void pool_core::release_slot() {
    bump(counters_.in_use, -1);
    --open_;
    grant_free_slots();
}

void pool_core::grant_free_slots() {
    // A free slot goes to the longest waiter, who will open a new connection with it.
    while (!waiters_.empty() && open_ < options_.max_connections()) {
        call_ticket* w = waiters_.front();
        waiters_.erase(waiters_.begin());
        ++open_;
        bump(counters_.in_use);
        w->granted = true;
        w->timer->cancel();
    }
}

void pool_core::hand_over(std::shared_ptr<connection> conn) {
    if (!waiters_.empty()) {
        call_ticket* w = waiters_.front();
        waiters_.erase(waiters_.begin());
        w->handed = std::move(conn);
        w->granted = true;
        w->timer->cancel();
        return;
    }
    bump(counters_.in_use, -1);
    bump(counters_.idle);
    idle_.push_back(std::move(conn));
    ensure_reaper();
}

// ---- the attempt ----------------------------------------------------------------------------

asio::awaitable<error_code> pool_core::open(call_ticket& ticket, std::shared_ptr<connection>& conn,
                                            clock::time_point deadline, exchange_info& info) {
    conn = std::make_shared<connection>(strand_, tls_ ? &*tls_ : nullptr);
    auto stop = std::make_shared<connect_stop>();
    tls_session session;
    {
        std::lock_guard lock(mutex_);
        if (ticket.cancelled || ticket.shut_down) {
            co_return ticket.shut_down ? error_code(error::pool_shut_down)
                                       : error_code(error::cancelled);
        }
        ticket.where = call_ticket::phase::connecting;
        ticket.connect_stop = stop;
        session = session_;
    }
    // The slow path runs on the strand: its deadline timer and its socket live there, and a
    // cancellation or shutdown reaches it as a signal emitted there (see stop_ticket).
    ticket.arm();
    auto [e, connected] = co_await asio::co_spawn(
        strand_, connect_on_strand(conn, stop, target_, deadline, session, info),
        asio::bind_cancellation_slot(stop->signal.slot(), asio::as_tuple(asio::use_awaitable)));
    {
        std::lock_guard lock(mutex_);
        ticket.where = call_ticket::phase::idle;
        ticket.connect_stop.reset();
        if (!e && !connected.ec) {
            bump(counters_.opened);
            if (tls_) {
                bump(counters_.handshakes);
                if (conn->resumed()) {
                    bump(counters_.resumptions);
                }
            }
            co_return error_code{};
        }
        if (ticket.shut_down && connected.ec == error::cancelled) {
            connected.ec = error::pool_shut_down;
        }
    }
    co_return e ? error_code(error::connect_failed) : connected.ec;
}

void pool_core::discard_unopened(connection& conn) {
    conn.close(false);
    std::lock_guard lock(mutex_);
    release_slot();
}

asio::const_buffer pool_core::write_request(connection& conn, const serialiser& request,
                                            std::span<const asio::const_buffer> trailing) {
    // One contiguous buffer: a TLS stream writes one record per buffer of a sequence (and a
    // syscall each), so copying a body of a few hundred bytes is far cheaper than gathering it.
    std::string& wire = conn.scratch();
    wire.clear();
    request.write(request.context, wire);
    for (const auto& b : trailing) {
        wire.append(static_cast<const char*>(b.data()), b.size());
    }
    return asio::buffer(wire);
}

reply_parser& pool_core::start_reply(connection& conn,
                                     std::optional<minapp::detail::reply_shape> shape,
                                     std::vector<field>* headers) {
    if (headers != nullptr) {
        headers->clear();
    }
    // The parser lives in the connection, not in attempt()'s frame.
    return conn.start_reply(shape ? &conn.reader(*shape) : nullptr, headers);
}

error_code pool_core::go_on_wire(call_ticket& ticket, connection& conn,
                                 clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    if (ticket.shut_down || shut_down_) {
        return error::pool_shut_down;
    }
    if (ticket.cancelled) {
        return error::cancelled;
    }
    ticket.where = call_ticket::phase::wire;
    ticket.conn = &conn;
    ticket.deadline = deadline;
    arm_watchdog(deadline);
    return {};
}

void pool_core::read_reply(call_ticket& ticket, std::shared_ptr<connection>& conn,
                           const exchange_outcome& outcome, reply_parser& parser,
                           attempt_outcome& out, std::shared_ptr<connection>& used) {
    if (tls_ && conn->requests_served() == 1) {
        // Fresh tickets from each new connection keep resumption working if one expires.
        auto fresh = conn->session();
        std::lock_guard lock(mutex_);
        session_ = std::move(fresh);
    }
    out.status = parser.status();
    out.retry_after = parser.retry_after();
    out.typed = parser.typed_body();
    if (!out.typed) {
        out.text = std::move(parser.text());
    }
    out.reusable = may_return_to_pool(outcome, conn->requests_served(),
                                      clock::now() - conn->created(), options_);
    conn->end_reply();
    if (out.typed) {
        // The caller reads the typed result from the connection, then releases it.
        std::lock_guard lock(mutex_);
        ticket.where = call_ticket::phase::idle;
        ticket.conn = nullptr;
        used = std::move(conn);
        return;
    }
    release(ticket, std::move(conn), out.reusable, true);
}

bool pool_core::resend_after(call_ticket& ticket, const exchange_outcome& outcome, bool reused,
                             bool idempotent, clock::time_point deadline) {
    if (!may_resend_on_fresh_connection(outcome, reused, idempotent) || clock::now() >= deadline) {
        return false;
    }
    std::lock_guard lock(mutex_);
    if (ticket.cancelled || ticket.shut_down) {
        return false;
    }
    bump(counters_.stale_resends);
    return true;
}

// Everything that does not cross a suspension lives in the functions above: g++ keeps every
// local of a coroutine in its frame, and this frame must stay within Asio's per-thread frame
// cache (at most 1,020 bytes) to be reused call after call.
asio::awaitable<attempt_outcome>
pool_core::attempt(call_ticket& ticket, serialiser request,
                   std::span<const asio::const_buffer> trailing, bool idempotent,
                   std::optional<minapp::detail::reply_shape> shape, std::vector<field>* headers,
                   std::shared_ptr<connection>& used, clock::time_point deadline) {
    bump(counters_.requests);
    attempt_outcome out;
    // Returns `out` itself: a temporary would take room in the frame.
    const auto fail = [&](error_code ec) -> attempt_outcome&& {
        out.ec = ec;
        bump(counters_.failures);
        return std::move(out);
    };
    bool unanswered = false;
    for (int attempt = 1;; ++attempt) {
        out.info = exchange_info{};
        out.info.attempts = attempt;
        out.info.earlier_attempt_unanswered = unanswered;
        // Taking an idle connection is a plain call: only a call that must queue suspends.
        auto checked_out = checkout_now(ticket, attempt > 1);
        if (!checked_out) {
            checked_out = co_await checkout_wait(ticket, deadline, attempt > 1);
        }
        if (checked_out->ec) {
            co_return fail(checked_out->ec);
        }
        std::shared_ptr<connection> conn = std::move(checked_out->conn);
        const bool reused = conn != nullptr;
        if (!conn) {
            if (const auto opened = co_await open(ticket, conn, deadline, out.info)) {
                discard_unopened(*conn);
                co_return fail(opened);
            }
        } else {
            bump(counters_.reused);
        }
        out.info.connection_reused = reused;
        if (const auto stopped = go_on_wire(ticket, *conn, deadline)) {
            release(ticket, std::move(conn), true, true); // unused: still good
            co_return fail(stopped);
        }
        const exchange_args args{write_request(*conn, request, trailing),
                                 &start_reply(*conn, shape, headers),
                                 {options_.body_limit(), options_.header_limit()},
                                 &out.info,
                                 ticket.rearm()};
        auto [outcome] = co_await exchange(*conn, args);
        if (!outcome.ec) {
            read_reply(ticket, conn, outcome, *args.parser, out, used);
            co_return std::move(out);
        }
        release(ticket, std::move(conn), false, false);
        if (attempt == 1 && resend_after(ticket, outcome, reused, idempotent, deadline)) {
            unanswered = outcome.stage == stage::read;
            continue;
        }
        co_return fail(outcome.ec);
    }
}

asio::awaitable<bool> pool_core::sleep(call_ticket& ticket, asio::steady_timer& timer,
                                       clock::duration delay) {
    ticket.arm();
    const auto initiate = [this, &ticket, &timer, delay](auto handler) {
        std::lock_guard lock(mutex_);
        ticket.where = call_ticket::phase::backoff;
        ticket.timer = &timer;
        timer.expires_after(ticket.cancelled || ticket.shut_down ? clock::duration::zero() : delay);
        timer.async_wait(std::move(handler));
    };
    auto [ec] = co_await minapp::detail::internal_operation_of<void(error_code)>(initiate);
    std::lock_guard lock(mutex_);
    ticket.where = call_ticket::phase::idle;
    ticket.timer = nullptr;
    co_return !ec && !ticket.cancelled && !ticket.shut_down;
}

// ---- deadlines and the idle reaper (timers on the strand, armed under the lock) -------------

void pool_core::arm_watchdog(clock::time_point deadline) {
    if (watchdog_due_ && *watchdog_due_ <= deadline) {
        return; // it fires earlier, and then looks for the next deadline
    }
    watchdog_due_ = deadline;
    watchdog_.expires_at(deadline);
    watchdog_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec) {
            self->on_watchdog();
        }
    });
}

void pool_core::on_watchdog() {
    std::lock_guard lock(mutex_);
    watchdog_due_.reset();
    if (shut_down_) {
        return;
    }
    const auto now = clock::now();
    std::optional<clock::time_point> next;
    for (auto& t : tickets_) {
        if (t.where != call_ticket::phase::wire) {
            continue;
        }
        if (t.deadline <= now) {
            t.conn->abort(abort_reason::timeout);
        } else if (!next || t.deadline < *next) {
            next = t.deadline;
        }
    }
    if (next) {
        arm_watchdog(*next);
    }
}

void pool_core::ensure_reaper() {
    if (reaper_armed_ || idle_.empty() || shut_down_) {
        return;
    }
    // Sleeps until the oldest idle connection expires; armed only while connections are idle,
    // so an unused pool leaves no pending work on the executor.
    auto due = idle_.front()->last_used() + options_.idle_timeout();
    for (const auto& c : idle_) {
        due = std::min(due, c->last_used() + options_.idle_timeout());
        if (options_.max_connection_lifetime().count() != 0) {
            due = std::min(due, c->created() + options_.max_connection_lifetime());
        }
    }
    reaper_armed_ = true;
    reaper_.expires_at(due);
    reaper_.async_wait([self = shared_from_this()](error_code ec) {
        std::lock_guard lock(self->mutex_);
        self->reaper_armed_ = false;
        if (!ec) {
            self->on_reaper();
        }
    });
}

void pool_core::on_reaper() {
    const auto now = clock::now();
    std::vector<std::shared_ptr<connection>> keep;
    for (auto& c : idle_) {
        if (idle_connection_usable(now - c->last_used(), now - c->created(), options_)) {
            keep.push_back(std::move(c));
        } else {
            c->close(true);
            bump(counters_.closed);
            bump(counters_.idle, -1);
            --open_;
        }
    }
    idle_ = std::move(keep);
    grant_free_slots();
    ensure_reaper();
}

pool_stats pool_core::stats() const noexcept {
    const auto& c = counters_;
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

} // namespace minapp::http::detail
