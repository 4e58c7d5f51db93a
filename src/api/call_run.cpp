// One call: what it keeps while it waits (call_run) and the coroutine that performs its waits
// (client_impl::drive), as call_fsm decides: rate limiter, token, pool attempt, backoff.
#include "../detail/limiter_access.hpp"
#include "../detail/thread_block_cache.hpp"
#include "../http/pool_access.hpp"
#include "../http/request_serialiser.hpp"
#include "call_fsm.hpp"
#include "client_impl.hpp"
#include "json_reply.hpp"

#include <minapp/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>
#include <cassert>
#include <optional>

namespace minapp::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// The API answers 502 beyond this many characters of URL (notes §1.4).
constexpr std::size_t max_url_length = 16386;

// What a call writes before its body: the request line, the client's header block, and the
// body's fields.
struct call_head {
    const call_spec* spec;
    const std::string* block;
};

void write_call_head(const void* context, std::string& out) {
    const auto& head = *static_cast<const call_head*>(context);
    const call_spec& spec = *head.spec;
    http::detail::append_request_line(
        out, spec.method, std::string_view(spec.path.data(), spec.path.size()), spec.query);
    out.append(*head.block);
    if (!spec.body.empty() || spec.method == http::method::put) {
        out.append("Content-Type: application/json\r\n");
        http::detail::append_content_length(out, spec.body.size());
    }
    out.append("\r\n");
}

} // namespace

// Everything one call keeps while it waits, and its steps between waits. It lives outside the
// coroutine's frame: g++ keeps every local of a coroutine in its frame, and a frame above
// 1,020 bytes misses Asio's per-thread frame cache (a malloc and a free per call, and a cached
// frame evicted). Its own memory is recycled per thread instead.
class client_impl::call_run final {
public:
    call_run(std::shared_ptr<client_impl> self, call_spec spec, reply_shape shape);
    call_run(const call_run&) = delete;
    call_run& operator=(const call_run&) = delete;
    ~call_run();

    static void* operator new(std::size_t size);
    static void operator delete(void* p) noexcept;

    /// The checks made before anything is awaited; then action() is the first step.
    void begin(const asio::cancellation_state& cancel_state);
    call_fsm::action action() const noexcept { return action_; }

    /// action::acquire: takes the limiter's next place; true when the call must wait for it
    /// (wait_for_limiter(), then limiter_waited()).
    bool reserve();
    asio::awaitable<boost::system::error_code> wait_for_limiter();
    void limiter_waited(boost::system::error_code waited);

    /// action::send: true when the token cache has no token for the call (fetch_token()).
    bool needs_token();
    /// The slow path: waits for the token cache; false when action() changed instead.
    asio::awaitable<bool> fetch_token();
    /// true when the call may send now (attempt(), then sent()); false when action() changed.
    bool ready_to_send();
    asio::awaitable<http::detail::attempt_outcome> attempt();
    /// What the attempt produced; the next action, or succeeded().
    void sent(http::detail::attempt_outcome&& out);
    bool succeeded() const noexcept { return fsm_.succeeded(); }
    /// After succeeded(): the reply, read as a T.
    template <class T>
    result<T> take();

    /// action::sleep: true when the backoff must be waited (sleep(), then slept()); the
    /// backoff's timer is made first when it is missing.
    bool must_sleep();
    bool has_timer() const noexcept { return backoff_.has_value(); }
    void make_timer(const asio::any_io_executor& ex) { backoff_.emplace(ex); }
    asio::awaitable<bool> sleep();
    void slept(bool completed) { action_ = fsm_.on_slept(completed ? call_stop::none : stop()); }

    /// After action::done, or a step that ended the call: its failure.
    failure failed();

private:
    bool cancelled() const { return cancel_state_.cancelled() != asio::cancellation_type::none; }
    call_stop stop() const;

    std::shared_ptr<client_impl> self_;
    call_spec spec_;
    reply_shape shape_;
    http::detail::pool_core& pool_;
    rate_limiter* limiter_;
    asio::cancellation_state cancel_state_;
    // The caller's terminal or partial cancellation, from any thread, ends whatever the call
    // waits on, through the pool (under its lock): the ticket keeps its handler on the
    // caller's slot while the call lasts.
    http::detail::call_ticket ticket_;
    bool entered_ = false;
    bool with_path_ = true; // a failed token fetch keeps its own diagnostics
    call_fsm fsm_;
    call_fsm::action action_ = call_fsm::action::done;
    limiter_access::reservation place_;
    std::optional<limiter_stop> limiter_waker_;
    std::shared_ptr<const issued_token> token_;
    std::shared_ptr<const header_block> block_;
    call_head head_;
    std::array<asio::const_buffer, 1> body_;
    std::shared_ptr<http::detail::connection> used_;
    bool reusable_ = false;
    unsigned status_ = 0;
    clock::time_point admitted_at_;
    std::optional<asio::steady_timer> backoff_;
};

namespace {

failure call_failure(const call_spec& spec) {
    failure f;
    f.diagnostics.method = method_name(spec.method);
    return f;
}

} // namespace

client_impl::call_run::call_run(std::shared_ptr<client_impl> self, call_spec spec,
                                reply_shape shape)
    : self_(std::move(self))
    , spec_(std::move(spec))
    , shape_(shape)
    , pool_(*self_->core_)
    , limiter_(self_->limiter_.get())
    , fsm_({&self_->options_.retry(), &self_->budget_, spec_.idempotent,
            spec_.method != http::method::get, limiter_ != nullptr, self_->tokens_ != nullptr},
           call_failure(spec_))
    , head_{&spec_, nullptr}
    , body_{asio::buffer(spec_.body)} {}

client_impl::call_run::~call_run() {
    if (entered_) {
        pool_.leave(ticket_);
    }
}

void* client_impl::call_run::operator new([[maybe_unused]] std::size_t size) {
    assert(size == sizeof(call_run)); // final: nothing larger is made here
    return thread_block_cache<call_run, sizeof(call_run)>::allocate();
}

void client_impl::call_run::operator delete(void* p) noexcept {
    thread_block_cache<call_run, sizeof(call_run)>::deallocate(p);
}

void client_impl::call_run::begin(const asio::cancellation_state& cancel_state) {
    cancel_state_ = cancel_state;
    failure& f = fsm_.failure_info();
    const std::size_t url_length = self_->origin_length_ + spec_.path.size() +
                                   (spec_.query.empty() ? 0 : spec_.query.size() + 1);
    if (url_length > max_url_length) {
        f.code = error::url_too_long;
        f.diagnostics.detail =
            "URL of " + std::to_string(url_length) + " characters; the API accepts at most 16386";
        return;
    }
    if (cancelled()) {
        f.code = error::cancelled;
        f.diagnostics.detail = "cancelled before the call started";
        return;
    }
    ticket_.caller_slot = cancel_state_.slot();
    if (!pool_.enter(ticket_)) {
        f.code = error::pool_shut_down;
        f.diagnostics.detail = "the client was shut down";
        return;
    }
    entered_ = true;
    action_ = fsm_.start();
}

call_stop client_impl::call_run::stop() const {
    const auto s = pool_.state(ticket_);
    return s.shut_down                  ? call_stop::shut_down
           : s.cancelled || cancelled() ? call_stop::cancelled
                                        : call_stop::none;
}

bool client_impl::call_run::reserve() {
    place_ = limiter_access::reserve(*limiter_);
    if (place_.granted) {
        admitted_at_ = clock::now();
        action_ = fsm_.on_acquired(call_stop::none);
        return false;
    }
    limiter_waker_.emplace(*limiter_);
    if (cancelled() || !pool_.wait_externally(ticket_, &*limiter_waker_)) {
        limiter_access::give_back(*limiter_, place_);
        admitted_at_ = clock::now();
        action_ = fsm_.on_acquired(stop());
        return false;
    }
    return true;
}

asio::awaitable<boost::system::error_code> client_impl::call_run::wait_for_limiter() {
    return limiter_access::wait(*limiter_, place_, *limiter_waker_, ticket_.rearm());
}

void client_impl::call_run::limiter_waited(boost::system::error_code waited) {
    pool_.wait_externally(ticket_, nullptr);
    call_stop s = waited ? stop() : call_stop::none;
    if (waited && s == call_stop::none) {
        if (waited != error::cancelled) {
            action_ = fsm_.on_refused(waited, limiter_access::refusal_reason(*limiter_));
            return;
        }
        s = call_stop::cancelled;
    }
    admitted_at_ = clock::now();
    action_ = fsm_.on_acquired(s);
}

bool client_impl::call_run::needs_token() {
    token_cache* tokens = self_->tokens_.get();
    if (tokens == nullptr) {
        block_ = self_->current_block();
        return false;
    }
    token_ = tokens->current();
    if (!token_) {
        return true;
    }
    block_ = self_->block_for(*token_);
    return false;
}

asio::awaitable<bool> client_impl::call_run::fetch_token() {
    auto fetched = co_await wait_for_token(*self_->tokens_, pool_, ticket_, cancel_state_);
    if (!fetched) {
        const auto s = stop();
        if (s != call_stop::none || fetched.error().code == error::cancelled) {
            action_ = fsm_.on_acquired(s == call_stop::none ? call_stop::cancelled : s);
            co_return false;
        }
        // The call was not sent with this token: it fails as the fetch did.
        failure& f = fsm_.failure_info();
        failure bad = fetched.error();
        bad.diagnostics.attempts = fsm_.attempts();
        bad.diagnostics.request_sent = f.diagnostics.request_sent;
        bad.diagnostics.applied = f.diagnostics.applied;
        f = std::move(bad);
        with_path_ = false;
        action_ = call_fsm::action::done;
        co_return false;
    }
    token_ = std::move(*fetched);
    block_ = self_->block_for(*token_);
    co_return true;
}

bool client_impl::call_run::ready_to_send() {
    if (!block_->problem.empty()) {
        failure& f = fsm_.failure_info();
        f.code = error::invalid_request;
        f.diagnostics.detail = block_->problem;
        action_ = call_fsm::action::done;
        return false;
    }
    if (cancelled()) {
        action_ = fsm_.on_acquired(stop());
        return false;
    }
    head_.block = &block_->text;
    return true;
}

asio::awaitable<http::detail::attempt_outcome> client_impl::call_run::attempt() {
    return pool_.attempt(ticket_, http::detail::serialiser{&write_call_head, &head_}, body_,
                         spec_.idempotent, shape_, nullptr, used_,
                         clock::now() + self_->options_.request_timeout());
}

void client_impl::call_run::sent(http::detail::attempt_outcome&& out) {
    std::string message;
    if (!out.ec && (out.status < 200 || out.status >= 300)) {
        // A server that echoes the token must not make it reach diagnostics.
        message = server_message(redacted(std::move(out.text), block_->token));
    }
    attempt_report report;
    report.ec = out.ec;
    report.status = out.status;
    report.request_sent = out.info.request_sent;
    report.earlier_attempt_unanswered = out.info.earlier_attempt_unanswered;
    report.sends = std::max(out.info.attempts, 0);
    report.detail = out.info.detail;
    report.server_message = message;
    report.retry_after = out.retry_after;
    action_ = fsm_.on_sent(report, std::chrono::system_clock::now());
    status_ = out.status;
    reusable_ = out.reusable;
    if (used_ && !fsm_.succeeded()) {
        // Not a reply take() will read.
        pool_.release(ticket_, std::move(used_), reusable_, true);
    }
    if (fsm_.token_refused()) {
        self_->tokens_->invalidate(block_->generation);
    }
    if (limiter_ != nullptr) {
        if (fsm_.throttle_pause()) {
            limiter_->on_throttled(*fsm_.throttle_pause(), admitted_at_);
        }
        if (fsm_.succeeded()) {
            limiter_->on_success();
        }
    }
}

template <class T>
result<T> client_impl::call_run::take() {
    std::optional<parsed<T>> typed;
    if (used_) {
        typed.emplace(reply_of<T>::take(used_->reader()));
        pool_.release(ticket_, std::move(used_), reusable_, true);
    }
    if (typed && *typed) {
        return std::move(**typed);
    }
    // The request was answered (and a write applied): only its body could not be read.
    const bool write = spec_.method != http::method::get;
    failure& f = fsm_.failure_info();
    f.code = error::malformed_response;
    f.diagnostics.http_status = status_;
    f.diagnostics.request_sent = true;
    f.diagnostics.attempts = fsm_.attempts();
    f.diagnostics.applied = write ? write_applied::yes : write_applied::no;
    f.diagnostics.detail = typed ? typed->error().message : "reply is not valid JSON: no body";
    return failed();
}

bool client_impl::call_run::must_sleep() {
    if (cancelled()) {
        action_ = fsm_.on_slept(stop());
        return false;
    }
    return true;
}

asio::awaitable<bool> client_impl::call_run::sleep() {
    return pool_.sleep(ticket_, *backoff_, fsm_.delay(self_->next_jitter()));
}

failure client_impl::call_run::failed() {
    failure& f = fsm_.failure_info();
    if (with_path_) {
        // Copied only now: a call that succeeds allocates nothing for its path.
        f.diagnostics.path.assign(spec_.path.data(), spec_.path.size());
    }
    return std::move(f);
}

template <class T>
asio::awaitable<result<T>> client_impl::call(std::shared_ptr<client_impl> self, call_spec spec) {
    return drive<T>(
        std::make_unique<call_run>(std::move(self), std::move(spec), reply_of<T>::shape));
}

template <class T>
asio::awaitable<result<T>> client_impl::drive(std::unique_ptr<call_run> run) {
    // Checked before the first suspension, and before every later one: co_await throws for a
    // cancellation of the calling coroutine (Boost 1.81's throw_if_cancelled default).
    run->begin(co_await asio::this_coro::cancellation_state);
    for (;;) {
        switch (run->action()) {
        case call_fsm::action::acquire:
            if (run->reserve()) {
                const auto waited = co_await run->wait_for_limiter();
                run->limiter_waited(waited);
            }
            break;
        case call_fsm::action::send:
            if (run->needs_token() && !co_await run->fetch_token()) {
                break;
            }
            if (run->ready_to_send()) {
                auto out = co_await run->attempt();
                run->sent(std::move(out));
                if (run->succeeded()) {
                    co_return run->template take<T>();
                }
            }
            break;
        case call_fsm::action::sleep:
            if (run->must_sleep()) {
                if (!run->has_timer()) {
                    run->make_timer(co_await asio::this_coro::executor);
                }
                const bool slept = co_await run->sleep();
                run->slept(slept);
            }
            break;
        case call_fsm::action::done:
            co_return run->failed();
        }
    }
}

template asio::awaitable<result<user_profile>>
    client_impl::call<user_profile>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<user_page>>
    client_impl::call<user_page>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<std::int64_t>>
    client_impl::call<std::int64_t>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<batch_update_result>>
    client_impl::call<batch_update_result>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<account_info>>
    client_impl::call<account_info>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<basic_page<user_v1>>>
    client_impl::call<basic_page<user_v1>>(std::shared_ptr<client_impl>, call_spec);
template asio::awaitable<result<user_v1>> client_impl::call<user_v1>(std::shared_ptr<client_impl>,
                                                                     call_spec);

} // namespace minapp::detail
