// Listing users as an async generator.
#pragma once

#include <minapp/page.hpp>
#include <minapp/result.hpp>
#include <minapp/user_query.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <memory>
#include <optional>

namespace minapp {

namespace detail {
struct pager_state;
}

/// Walks every user a `user_query` selects, one page request at a time, with the next page
/// fetched while the caller works on the current one. Obtained from `client::list_users`.
///
///     auto pager = client.list_users(query);
///     while (auto user = co_await pager.next_or_throw()) { use(*user); }   // throws api_error
///
///     for (;;) {                                                           // or, without throwing
///         auto user = co_await pager.next();
///         if (!user) { report(user.error()); break; }
///         if (!*user) break;                                               // the end
///         use(**user);
///     }
///
/// Errors surface at the `co_await` that needs the data; after one, `cursor()` tells where a new
/// pager (`client.list_users(query.resume(pager.cursor()))`) continues without skipping or
/// repeating a page. Each page request goes through the client's retries.
///
/// Destroying the pager (e.g. leaving the loop early) cancels the page being fetched: its
/// connection is closed, not returned, and no work stays on the executor.
///
/// Cancellation (terminal or partial) of a `next`/`next_page` ends that call with
/// error::cancelled; the pager then keeps that error (resume from `cursor()` with a new pager).
/// Destroying the client ends the walk with error::pool_shut_down.
///
/// Not thread-safe: one coroutine uses a pager at a time, and the pager must outlive its calls.
/// Movable, not copyable; a moved-from pager answers every call with error::invalid_argument.
class user_pager {
public:
    explicit user_pager(std::shared_ptr<detail::pager_state> state);
    user_pager(user_pager&&) noexcept;
    user_pager& operator=(user_pager&&) noexcept;
    ~user_pager();

    /// The next user; an empty optional at the end.
    boost::asio::awaitable<result<std::optional<user_profile>>> next();

    /// The next user, an empty optional at the end; throws api_error where `next` returns a
    /// failure.
    boost::asio::awaitable<std::optional<user_profile>> next_or_throw();

    /// The rest of the current page, or the next page; an empty optional at the end. A page may
    /// be empty while more follow (the server returned an empty page with a `next` link).
    boost::asio::awaitable<result<std::optional<user_page>>> next_page();

    /// The first page not yet delivered (by either `next` or `next_page`); a default cursor for
    /// a moved-from pager.
    list_cursor cursor() const noexcept;

private:
    std::shared_ptr<detail::pager_state> state_;
    user_page current_;
    std::size_t position_ = 0;
};

} // namespace minapp
