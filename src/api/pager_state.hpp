// The shared state of a user_pager and the producer coroutine that fetches its pages ahead.
#pragma once

#include "client_impl.hpp"

#include <minapp/page.hpp>
#include <minapp/result.hpp>
#include <minapp/user_query.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <optional>
#include <utility>

namespace minapp::detail {

/// One fetched page, or the error that ended the walk, and the cursor after it.
struct fetched_page {
    std::optional<result<user_page>> page;
    list_cursor after; ///< The cursor once this page is delivered.
    bool last = false; ///< No page follows.
};

struct pager_state : std::enable_shared_from_this<pager_state> {
    pager_state(std::shared_ptr<client_impl> c, user_query q);

    /// Starts the producer on first use.
    void start();
    /// Cancels the producer (from any thread) and lets it finish.
    void stop();

    std::shared_ptr<client_impl> client;
    user_query query;
    list_cursor cursor;           ///< The first page not yet delivered to the consumer.
    std::optional<failure> error; ///< Sticky: the walk ended with this failure.
    bool started = false;
    bool finished = false;
    // The producer and its cancellation live on this strand, whatever thread the consumer is on.
    boost::asio::strand<boost::asio::any_io_executor> strand;
    // Capacity 0 (rendezvous): the producer holds at most one page beyond the consumer's.
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code, fetched_page)>
        channel;
    boost::asio::cancellation_signal cancel;
};

/// The cursor after `page` was delivered from `at`, and whether the walk ends there. The next
/// offset is computed here, never taken from the server's `next` link, whose prefix and version
/// may differ (notes §5.5); an empty page with a `next` link does not end the walk.
std::pair<list_cursor, bool> advance_cursor(const user_query& query, const list_cursor& at,
                                            const user_page& page);

/// Builds the request of one page of `query` at `at` (shared with client::list_users_page).
result<call_spec> page_request(const user_query& query, const list_cursor& at);

} // namespace minapp::detail
