// The request pipeline shared by every endpoint: validation, headers, pool, status mapping,
// retries with backoff.
#pragma once

#include "retry_budget.hpp"

#include <minapp/client_options.hpp>
#include <minapp/http/connection_pool.hpp>
#include <minapp/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

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

/// Whether `name` is a built-in user field (or `_`-prefixed), not writable by the Open API.
bool is_builtin_user_field(std::string_view name);

/// A failure found before anything was sent.
failure invalid_argument(std::string detail, const call_spec* spec = nullptr);

/// The state a client and its pagers share.
class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    client_impl(const boost::asio::any_io_executor& ex, client_options options);

    /// Sends `spec` with retries; the 2xx answer on success.
    boost::asio::awaitable<result<reply>> call(call_spec spec);

    const client_options& options() const noexcept { return options_; }
    http::connection_pool& pool() noexcept { return pool_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
    /// The limiter every attempt waits on; null without a rate limit.
    const std::shared_ptr<rate_limiter>& limiter() const noexcept { return limiter_; }

private:
    double next_jitter();

    boost::asio::any_io_executor executor_;
    client_options options_;
    http::connection_pool pool_;
    std::shared_ptr<rate_limiter> limiter_;
    retry_budget budget_;
    std::size_t origin_length_;
    std::mutex jitter_mutex_;
    std::mt19937_64 jitter_;
};

} // namespace minapp::detail
