#include <minapp/error.hpp>
#include <minapp/http/connection_pool.hpp>

#include "pool_access.hpp"
#include "pool_core.hpp"
#include "request_serialiser.hpp"
#include "request_validation.hpp"

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/this_coro.hpp>

namespace minapp::http {

namespace asio = boost::asio;
using detail::clock;

class connection_pool::impl {
public:
    impl(const asio::any_io_executor& ex, origin target, pool_options options)
        : core(std::make_shared<detail::pool_core>(ex, std::move(target), std::move(options))) {}

    /// The coroutine behind `connection_pool::send`: it owns the state it uses, so the pool
    /// object may go while it runs.
    static asio::awaitable<send_result> send(std::shared_ptr<detail::pool_core> core, request req,
                                             std::optional<clock::time_point> deadline);

    std::shared_ptr<detail::pool_core> core;
};

asio::awaitable<send_result>
connection_pool::impl::send(std::shared_ptr<detail::pool_core> core, request req,
                            std::optional<clock::time_point> deadline) {
    send_result result;
    if (!core->user_agent_problem().empty()) {
        result.info.detail = core->user_agent_problem();
        result.ec = error::invalid_request;
        core->count_rejected();
        co_return result;
    }
    if (auto problem = detail::validate_request(req); !problem.empty()) {
        result.info.detail = std::move(problem);
        result.ec = error::invalid_request;
        core->count_rejected();
        co_return result;
    }
    // Checked before the first suspension: co_await would throw for a cancellation that landed
    // before the call.
    asio::cancellation_state cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != asio::cancellation_type::none) {
        result.ec = error::cancelled;
        core->count_rejected();
        co_return result;
    }
    // Terminal or partial cancellation, from any thread, ends whatever the send waits on: the
    // ticket keeps its handler on the caller's slot.
    detail::call_ticket ticket;
    ticket.caller_slot = cancel_state.slot();
    if (!core->enter(ticket)) {
        result.ec = error::pool_shut_down;
        core->count_rejected();
        co_return result;
    }
    const detail::request_head head{req, core->target(), core->options().user_agent()};
    const std::array<asio::const_buffer, 1> body{asio::buffer(req.body)};
    std::shared_ptr<detail::connection> used;
    auto out =
        co_await core->attempt(ticket, detail::serialiser{&detail::write_request_head, &head}, body,
                               req.idempotent, std::nullopt, &result.response.headers, used,
                               deadline.value_or(clock::now() + core->options().request_timeout()));
    core->leave(ticket);
    result.ec = out.ec;
    result.info = std::move(out.info);
    result.response.status = out.status;
    result.response.body = std::move(out.text);
    co_return result;
}

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
    return impl::send(impl_->core, std::move(req), std::nullopt);
}

asio::awaitable<send_result> connection_pool::send(request req, clock::time_point deadline) {
    return impl::send(impl_->core, std::move(req), deadline);
}

void connection_pool::shutdown() {
    impl_->core->shutdown();
}

pool_stats connection_pool::stats() const noexcept {
    return impl_->core->stats();
}

const origin& connection_pool::target() const noexcept {
    return impl_->core->target();
}

const pool_options& connection_pool::options() const noexcept {
    return impl_->core->options();
}

const std::shared_ptr<detail::pool_core>& detail::pool_access::core(const connection_pool& pool) {
    return pool.impl_->core;
}

} // namespace minapp::http
