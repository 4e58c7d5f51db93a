#include <minapp/user_pager.hpp>

#include "api/pager_state.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minapp {

namespace asio = boost::asio;

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
    auto& s = *state_;
    if (s.error) {
        co_return *s.error;
    }
    if (s.finished) {
        co_return std::optional<user_page>();
    }
    s.start();
    auto [ec, fetched] = co_await s.channel.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) {
        failure f{error::cancelled, {}};
        f.diagnostics.detail = "page receive: " + ec.message();
        s.error = f;
        co_return f;
    }
    if (fetched.last) {
        s.finished = true;
    }
    if (!fetched.page || !*fetched.page) {
        s.error = fetched.page ? fetched.page->error() : failure{error::cancelled, {}};
        co_return *s.error;
    }
    s.cursor = fetched.after;
    co_return std::optional<user_page>(std::move(**fetched.page));
}

asio::awaitable<result<std::optional<user_profile>>> user_pager::next() {
    while (position_ >= current_.objects.size()) {
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

list_cursor user_pager::cursor() const noexcept {
    return state_->cursor;
}

} // namespace minapp
