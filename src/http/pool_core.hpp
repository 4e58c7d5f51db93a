// The connection pool's machinery, shared by connection_pool (public) and the client: idle
// connections checked out and returned under one mutex (no strand hop on the fast path), the
// slow path (waiting, connecting) suspending, and every call registered so that its
// cancellation, its deadline and a shutdown reach it from any thread.
#pragma once

#include "../detail/rearm_hook.hpp"
#include "connection.hpp"

#include <minapp/http/options.hpp>
#include <minapp/http/origin.hpp>
#include <minapp/http/pool_stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace minapp::http::detail {

/// How a connect in progress (on the pool's strand) is stopped: set and emitted on the strand,
/// so a stop that comes before the connect has started is not lost.
struct connect_stop {
    bool stopped = false;
    boost::asio::cancellation_signal signal;
};

/// Something a call waits on that another thread must be able to end (the rate limiter).
class external_wait {
public:
    virtual void stop() noexcept = 0;

protected:
    ~external_wait() = default;
};

/// One call's presence in a pool: where it waits, so that its cancellation, its deadline and
/// a shutdown end that wait from any thread. Lives in the call's coroutine frame, registered
/// for the call's whole life (`pool_core::enter`/`leave`); every field is guarded by the pool's
/// mutex.
struct call_ticket
    : boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
    enum class phase : std::uint8_t { idle, external, pool_wait, connecting, wire, backoff };

    phase where = phase::idle;
    bool cancelled = false; ///< The caller cancelled (terminal or partial).
    bool shut_down = false; ///< The pool was shut down.
    bool timed_out = false; ///< The deadline of the attempt passed while it waited for a slot.
    // pool_wait: what release() handed over (a connection, or a free slot when null).
    bool granted = false;
    std::shared_ptr<connection> handed;
    connection* conn = nullptr;                        ///< wire
    boost::asio::steady_timer* timer = nullptr;        ///< pool_wait, backoff
    external_wait* external = nullptr;                 ///< external
    std::shared_ptr<struct connect_stop> connect_stop; ///< connecting
    clock::time_point deadline{};                      ///< wire

    /// The calling coroutine's cancellation slot (unconnected: none). Its handler, which ends
    /// the wait through the pool, is put back by arm() before every wait: Asio clears the slot
    /// whenever an operation the coroutine awaited completes.
    boost::asio::cancellation_slot caller_slot;
    class pool_core* owner = nullptr; ///< set by pool_core::enter
    void arm();
    /// arm() as a hook for the layers below (connection, rate limiter).
    minapp::detail::rearm_hook rearm() noexcept {
        return {[](void* t) { static_cast<call_ticket*>(t)->arm(); }, this};
    }
};

/// Serialises a request into a string, given once the connection is known: a function pointer
/// and its context, so that an attempt allocates nothing to carry it.
struct serialiser {
    void (*write)(const void* context, std::string& out) = nullptr;
    const void* context = nullptr;
};

/// What one attempt produced.
struct attempt_outcome {
    boost::system::error_code ec; ///< empty: a complete response arrived (any status)
    exchange_info info;
    unsigned status = 0;
    std::string retry_after;
    std::string text;      ///< the body, unless it went to the connection's typed reader
    bool typed = false;    ///< the body went to the typed reader: read it before release()
    bool reusable = false; ///< what to pass to release() after reading a typed body
};

/// The pool itself. Public entry points may be called from any thread.
class pool_core : public std::enable_shared_from_this<pool_core> {
public:
    pool_core(const boost::asio::any_io_executor& ex, origin target, pool_options options);

    /// Registers a call; false (and nothing registered) once the pool is shut down.
    bool enter(call_ticket& ticket);
    /// Unregisters a call (it waits on nothing any more).
    void leave(call_ticket& ticket) noexcept;
    /// Ends whatever `ticket` waits on with error::cancelled; any thread.
    void cancel(call_ticket& ticket);
    /// Closes idle connections, ends every registered call's wait with error::pool_shut_down
    /// and refuses new calls. Idempotent; any thread.
    void shutdown();

    /// One attempt of a request: an idle connection (or a new one, or a wait for one), the
    /// exchange, then `used` holds the connection. `request` is serialised into the connection's
    /// scratch string once the connection is known, followed by `trailing` (e.g. a body). A 2xx
    /// body of `shape` goes to the connection's typed reader (`shape` null: kept as text);
    /// `headers`, when given, receives every response header field. A failure of a reused
    /// connection before any response byte is re-sent once on a fresh connection when that is
    /// safe. `deadline` covers everything; `ticket` must be registered. The caller then reads
    /// the reader's result and calls release().
    boost::asio::awaitable<attempt_outcome>
    attempt(call_ticket& ticket, serialiser request,
            std::span<const boost::asio::const_buffer> trailing, bool idempotent,
            std::optional<minapp::detail::reply_shape> shape, std::vector<field>* headers,
            std::shared_ptr<connection>& used, clock::time_point deadline);

    /// Returns (or discards) the connection of an attempt.
    void release(call_ticket& ticket, std::shared_ptr<connection> used, bool reusable, bool clean);

    /// Waits `delay` on `timer` unless cancelled or shut down first; false then.
    boost::asio::awaitable<bool> sleep(call_ticket& ticket, boost::asio::steady_timer& timer,
                                       clock::duration delay);

    /// Whether `ticket` was cancelled or shut down.
    struct ticket_state {
        bool cancelled = false;
        bool shut_down = false;
    };
    ticket_state state(const call_ticket& ticket) const;

    /// Marks `ticket` as waiting on `wait` (or on nothing when null); false when the call was
    /// cancelled or the pool shut down meanwhile (the wait must not start).
    bool wait_externally(call_ticket& ticket, external_wait* wait);

    pool_stats stats() const noexcept;
    const origin& target() const noexcept { return target_; }
    const pool_options& options() const noexcept { return options_; }
    const executor_type& strand() const noexcept { return strand_; }
    /// Checked at construction: empty when the User-Agent is a valid header value.
    const std::string& user_agent_problem() const noexcept { return user_agent_problem_; }

private:
    struct checkout_result;
    using ticket_list =
        boost::intrusive::list<call_ticket, boost::intrusive::constant_time_size<false>>;

    // A connection, a slot, or an error at once; nothing when the call must queue.
    std::optional<checkout_result> checkout_now(call_ticket& ticket, bool fresh_only);
    // The slow path: queued until a connection or a slot is released, or the deadline.
    boost::asio::awaitable<checkout_result>
    checkout_wait(call_ticket& ticket, clock::time_point deadline, bool fresh_only);
    boost::asio::awaitable<boost::system::error_code> open(call_ticket& ticket,
                                                           std::shared_ptr<connection>& conn,
                                                           clock::time_point deadline,
                                                           exchange_info& info);
    // attempt()'s steps between its waits.
    void discard_unopened(connection& conn);
    static boost::asio::const_buffer
    write_request(connection& conn, const serialiser& request,
                  std::span<const boost::asio::const_buffer> trailing);
    static reply_parser& start_reply(connection& conn,
                                     std::optional<minapp::detail::reply_shape> shape,
                                     std::vector<field>* headers);
    boost::system::error_code go_on_wire(call_ticket& ticket, connection& conn,
                                         clock::time_point deadline);
    void read_reply(call_ticket& ticket, std::shared_ptr<connection>& conn,
                    const exchange_outcome& outcome, reply_parser& parser, attempt_outcome& out,
                    std::shared_ptr<connection>& used);
    bool resend_after(call_ticket& ticket, const exchange_outcome& outcome, bool reused,
                      bool idempotent, clock::time_point deadline);
    std::shared_ptr<connection> pop_usable_idle();
    void hand_over(std::shared_ptr<connection> conn);
    void discard(const std::shared_ptr<connection>& conn, bool clean);
    void release_slot();
    void grant_free_slots();
    void arm_watchdog(clock::time_point deadline);
    void on_watchdog();
    void ensure_reaper();
    void on_reaper();
    void stop_ticket(call_ticket& ticket, bool by_shutdown);

    executor_type strand_;
    origin target_;
    pool_options options_;
    std::string user_agent_problem_;
    std::optional<boost::asio::ssl::context> tls_;

    mutable std::mutex mutex_;
    tls_session session_;
    // Idle connections, back = most recently used; one in use is held by its call.
    std::vector<std::shared_ptr<connection>> idle_;
    ticket_list tickets_;
    std::vector<call_ticket*> waiters_; // FIFO of tickets in pool_wait
    std::size_t open_ = 0;              // idle + in use + connecting
    bool shut_down_ = false;
    boost::asio::steady_timer watchdog_;
    std::optional<clock::time_point> watchdog_due_;
    boost::asio::steady_timer reaper_;
    bool reaper_armed_ = false;

    struct counters {
        std::atomic<std::uint64_t> requests{0}, failures{0}, opened{0}, closed{0}, reused{0},
            handshakes{0}, resumptions{0}, stale_discarded{0}, stale_resends{0}, waits{0},
            wait_timeouts{0}, idle{0}, in_use{0};
    } counters_;

    static void bump(std::atomic<std::uint64_t>& c, std::int64_t by = 1) noexcept {
        c.fetch_add(static_cast<std::uint64_t>(by), std::memory_order_relaxed);
    }

public:
    /// Counts a request that failed before reaching attempt() (connection_pool's checks).
    void count_rejected() noexcept {
        bump(counters_.requests);
        bump(counters_.failures);
    }
};

} // namespace minapp::http::detail
