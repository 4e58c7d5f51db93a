// The request pipeline shared by every endpoint: validation, headers, pool, status mapping,
// retries with backoff, and the client's shutdown.
#pragma once

#include "../detail/run_on_strand.hpp"
#include "retry_budget.hpp"

#include <minapp/client_options.hpp>
#include <minapp/http/connection_pool.hpp>
#include <minapp/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/intrusive/list.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

namespace minapp {
class client;
} // namespace minapp

namespace minapp::detail {

/// One logical API call.
struct call_spec {
    http::method method = http::method::get;
    std::string path;  ///< e.g. "/oserve/v2.2/miniapp/user_profile/42/"
    std::string query; ///< encoded, without '?'
    std::string body;
    bool idempotent = true;
};

/// A 2xx answer: its body, and what a failure to read that body must report.
struct reply {
    std::string body;
    unsigned status = 0;
    int attempts = 0;
};

/// A failure found before anything was sent.
failure invalid_argument(std::string detail, const call_spec* spec = nullptr);

/// "GET", "PUT", ...
const char* method_name(http::method m) noexcept;

/// The state a client and its pagers and bulk runs share. Calls hold it through a shared_ptr,
/// so it outlives the `client` object until they end.
class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    client_impl(const boost::asio::any_io_executor& ex, client_options options);

    /// Sends `spec` with retries; the 2xx answer on success. Awaitable from any executor: the
    /// attempts run on the pool's strand, cancellation is relayed there, and `shutdown` ends the
    /// call with error::pool_shut_down. Never throws for cancellation.
    static boost::asio::awaitable<result<reply>> call(std::shared_ptr<client_impl> self,
                                                      call_spec spec);

    /// Ends every call in flight and refuses new ones; closes the pool. Any thread; idempotent.
    void shutdown();

    const client_options& options() const noexcept { return options_; }
    const http::connection_pool& pool() const noexcept { return pool_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
    /// The limiter every attempt waits on; null without a rate limit.
    const std::shared_ptr<rate_limiter>& limiter() const noexcept { return limiter_; }

private:
    // A call running on the strand, listed so that shutdown can cancel it. Only touched there.
    struct active_call : boost::intrusive::list_base_hook<
                             boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
        explicit active_call(boost::asio::cancellation_signal& s)
            : signal(s) {}
        boost::asio::cancellation_signal& signal;
    };
    using active_list =
        boost::intrusive::list<active_call, boost::intrusive::constant_time_size<false>>;

    boost::asio::awaitable<result<reply>> attempts(call_spec spec,
                                                   boost::asio::cancellation_signal* relay);
    double next_jitter();

    boost::asio::any_io_executor executor_;
    client_options options_;
    http::connection_pool pool_;
    std::shared_ptr<rate_limiter> limiter_;
    retry_budget budget_;
    std::size_t origin_length_;
    std::mutex jitter_mutex_;
    std::mt19937_64 jitter_;
    std::atomic<bool> closing_{false}; // set by shutdown() on any thread
    bool shut_down_ = false;           // set on the strand, once calls are being cancelled
    active_list active_;               // on the strand
};

/// Reaches the internals of a `client` (for pagers and bulk runs).
struct client_access {
    static const std::shared_ptr<client_impl>& impl(const client& c) noexcept;
};

} // namespace minapp::detail
