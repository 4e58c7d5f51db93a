#include <minapp/user_pager.hpp>

#include "api/pager_state.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minapp {

namespace asio = boost::asio;

namespace {

failure moved_from() {
    failure f(error::invalid_argument);
    f.diagnostics.detail = "user_pager: this pager was moved from";
    return f;
}

failure cancelled_before(const char* what) {
    failure f(error::cancelled);
    f.diagnostics.detail = std::string("cancelled before ") + what;
    return f;
}

} // namespace

user_pager::user_pager(std::shared_ptr<detail::pager_state> state)
    : state_(std::move(state)) {}

user_pager::user_pager(user_pager&&) noexcept = default;

user_pager& user_pager::operator=(user_pager&& other) noexcept {
    if (this != &other) {
        if (state_) {
            state_->stop();
        }
        state_ = std::move(other.state_);
        current_ = std::move(other.current_);
        position_ = other.position_;
    }
    return *this;
}

user_pager::~user_pager() {
    if (state_) {
        state_->stop();
    }
}

asio::awaitable<result<std::optional<user_page>>> user_pager::next_page() {
    if (position_ < current_.objects.size()) {
        // The part of the current page that next() has not handed out yet.
        user_page rest;
        rest.meta = current_.meta;
        rest.objects.assign(std::make_move_iterator(current_.objects.begin() +
                                                    static_cast<std::ptrdiff_t>(position_)),
                            std::make_move_iterator(current_.objects.end()));
        current_.objects.clear();
        position_ = 0;
        co_return std::optional<user_page>(std::move(rest));
    }
    if (!state_) {
        co_return moved_from();
    }
    auto& s = *state_;
    if (s.error) {
        co_return *s.error;
    }
    if (s.finished) {
        co_return std::optional<user_page>();
    }
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
        co_return cancelled_before("the next page was received");
    }
    s.start();
    auto [ec, fetched] = co_await s.channel.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) {
        // This pager keeps the error: the page fetched ahead would never be delivered.
        s.stop();
        failure f(error::cancelled);
        f.diagnostics.detail = "cancelled while waiting for the next page (" + ec.message() + ")";
        s.error = f;
        co_return f;
    }
    if (fetched.last) {
        s.finished = true;
    }
    if (!fetched.page || !*fetched.page) {
        s.error = fetched.page ? fetched.page->error() : failure(error::cancelled);
        co_return *s.error;
    }
    s.cursor = fetched.after;
    co_return std::optional<user_page>(std::move(**fetched.page));
}

asio::awaitable<result<std::optional<user_profile>>> user_pager::next() {
    if (!state_) {
        co_return moved_from();
    }
    while (position_ >= current_.objects.size()) {
        if ((co_await asio::this_coro::cancellation_state).cancelled() !=
            asio::cancellation_type::none) {
            co_return cancelled_before("the next page was received");
        }
        auto page = co_await next_page();
        if (!page) {
            co_return page.error();
        }
        if (!*page) {
            co_return std::optional<user_profile>();
        }
        current_ = std::move(**page);
        position_ = 0;
    }
    co_return std::optional<user_profile>(std::move(current_.objects[position_++]));
}

asio::awaitable<std::optional<user_profile>> user_pager::next_or_throw() {
    auto user = co_await next();
    co_return std::move(user).value();
}

list_cursor user_pager::cursor() const noexcept {
    return state_ ? state_->cursor : list_cursor{};
}

} // namespace minapp
