#include "pager_state.hpp"

#include "json_reply.hpp"
#include "query_string.hpp"

#include <minapp/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace minapp::detail {

namespace asio = boost::asio;

namespace {

constexpr const char* list_path = "/oserve/v2.2/miniapp/user_profile/";

} // namespace

std::pair<list_cursor, bool> advance_cursor(const user_query& q, const list_cursor& at,
                                            const user_page& page) {
    list_cursor next = at;
    next.delivered += static_cast<std::int64_t>(page.objects.size());
    if (q.keyset()) {
        if (!page.objects.empty()) {
            next.after_id = page.objects.back().id;
        }
    } else {
        next.offset += q.page_size();
    }
    const bool capped = q.max_items() && next.delivered >= *q.max_items();
    return {next, capped || !page.meta.next};
}

namespace {

asio::awaitable<void> produce(std::shared_ptr<pager_state> s) {
    // Stopping is a value here: a stopped producer returns instead of throwing from a co_await.
    co_await asio::this_coro::throw_if_cancelled(false);
    const asio::cancellation_state stopped = co_await asio::this_coro::cancellation_state;
    list_cursor at = s->cursor;
    for (;;) {
        fetched_page f;
        auto spec = page_request(s->query, at);
        if (!spec) {
            f.page.emplace(spec.error());
            f.after = at;
            f.last = true;
        } else {
            auto page = co_await client_impl::call<user_page>(s->client, std::move(*spec));
            if (!page) {
                f.page.emplace(page.error());
                f.after = at;
                f.last = true;
            } else {
                if (s->query.max_items()) {
                    const auto room =
                        std::max<std::int64_t>(0, *s->query.max_items() - at.delivered);
                    if (static_cast<std::int64_t>(page->objects.size()) > room) {
                        page->objects.resize(static_cast<std::size_t>(room));
                    }
                }
                std::tie(f.after, f.last) = advance_cursor(s->query, at, *page);
                f.page.emplace(std::move(*page));
            }
        }
        if (stopped.cancelled() != asio::cancellation_type::none) {
            co_return; // nobody will receive this page
        }
        const bool last = f.last;
        at = f.after;
        auto [ec] = co_await s->channel.async_send(boost::system::error_code{}, std::move(f),
                                                   asio::as_tuple(asio::use_awaitable));
        if (ec || last) {
            co_return;
        }
    }
}

} // namespace

pager_state::pager_state(std::shared_ptr<client_impl> c, user_query q)
    : client(std::move(c))
    , query(std::move(q))
    , cursor(query.start())
    , strand(asio::make_strand(client->executor()))
    , channel(strand, 0) {}

void pager_state::start() {
    if (started) {
        return;
    }
    started = true;
    asio::co_spawn(strand, produce(shared_from_this()),
                   asio::bind_cancellation_slot(cancel.slot(), asio::detached));
}

void pager_state::stop() {
    if (!started || finished) {
        return;
    }
    asio::post(strand, [self = shared_from_this()] {
        self->cancel.emit(asio::cancellation_type::terminal);
    });
}

result<call_spec> page_request(const user_query& q, const list_cursor& at) {
    if (q.page_size() < 1 || q.page_size() > 1000) {
        return invalid_argument("page_size must be within 1..1000, got " +
                                std::to_string(q.page_size()));
    }
    if (q.max_items() && *q.max_items() < 0) {
        return invalid_argument("max_items must not be negative");
    }
    if (at.offset < 0) {
        return invalid_argument("offset must not be negative");
    }
    if (!q.filter().problem().empty()) {
        return invalid_argument(q.filter().problem()); // "where: ..."
    }
    if (!q.order().problem().empty()) {
        return invalid_argument(q.order().problem()); // "order_by: ..."
    }
    std::int64_t limit = q.page_size();
    if (q.max_items()) {
        limit = std::clamp<std::int64_t>(*q.max_items() - at.delivered, 1, limit);
    }
    query_string qs;
    if (q.keyset()) {
        where filter = q.filter();
        if (at.after_id) {
            filter = filter.matches_all() ? where::gt("id", *at.after_id)
                                          : (filter && where::gt("id", *at.after_id));
        }
        if (!filter.matches_all()) {
            qs.add("where", filter.to_json());
        }
        qs.add("order_by", "id");
        qs.add("limit", limit);
        qs.add("offset", std::int64_t{0});
    } else {
        if (!q.filter().matches_all()) {
            qs.add("where", q.filter().to_json());
        }
        if (!q.order().empty()) {
            qs.add("order_by", q.order().to_string());
        }
        qs.add("limit", limit);
        qs.add("offset", at.offset);
    }
    if (q.return_total_count()) {
        qs.add("return_total_count", std::int64_t{1});
    }
    call_spec spec;
    spec.path = list_path;
    spec.query = qs.str();
    return spec;
}

} // namespace minapp::detail
