// One request and its response on a connection, as an operation the calling coroutine awaits
// without a coroutine frame of its own.
#pragma once

#include "../detail/tokens.hpp"
#include "connection.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <cstdint>
#include <utility>

namespace minapp::http::detail {

/// What one exchange writes, and where it reads the response to.
struct exchange_args {
    boost::asio::const_buffer request; ///< already serialised
    reply_parser* parser;
    response_limits limits;
    exchange_info* info;
    minapp::detail::rearm_hook rearm; ///< runs once, before the exchange waits
};

/// The write and then the read of one exchange: the steps of an `asio::async_compose`
/// operation, which carries the handler's executor, allocator and (empty) cancellation slot to
/// both steps. No slot of its own: a call ends an exchange through connection::abort, from any
/// thread.
template <class Stream>
class exchange_op {
public:
    exchange_op(connection& conn, Stream& stream, const exchange_args& args)
        : conn_(&conn)
        , stream_(&stream)
        , args_(&args) {}

    template <class Self>
    void operator()(Self& self, const boost::system::error_code& ec = {},
                    std::size_t /*transferred*/ = 0) {
        switch (step_) {
        case step::start:
            step_ = step::writing;
            // Asio clears the caller's slot only when the exchange completes, not between its
            // steps: once is enough.
            args_->rearm();
            boost::asio::async_write(*stream_, args_->request, std::move(self));
            return;
        case step::writing:
            args_->info->request_sent = true;
            if (ec || conn_->aborted() != abort_reason::none) {
                self.complete(conn_->failed(ec ? ec : boost::asio::error::shut_down, stage::write,
                                            *args_->info));
                return;
            }
            step_ = step::reading;
            args_->parser->body_limit(args_->limits.body_limit);
            args_->parser->header_limit(static_cast<std::uint32_t>(args_->limits.header_limit));
            boost::beast::http::async_read(*stream_, conn_->buffer_, *args_->parser,
                                           std::move(self));
            return;
        case step::reading:
            if (ec) {
                self.complete(
                    conn_->failed(ec, stage::read, *args_->info,
                                  args_->parser->got_some() || conn_->buffer_.size() != 0));
                return;
            }
            ++conn_->requests_served_;
            conn_->last_used_ = clock::now();
            self.complete(exchange_outcome{{}, stage::none, true, args_->parser->keep_alive()});
            return;
        }
    }

private:
    enum class step : std::uint8_t { start, writing, reading };

    connection* conn_;
    Stream* stream_;
    const exchange_args* args_; // the awaiting coroutine's, alive until the exchange completes
    step step_ = step::start;
};

/// Starts an exchange_op on the connection's stream, with the handler it is given.
struct exchange_launch {
    connection* conn;
    const exchange_args* args; // the awaiting coroutine's, alive until the exchange completes

    template <class Handler>
    void operator()(Handler handler) const {
        using completion = void(exchange_outcome);
        if (auto* tls = std::get_if<tls_stream>(&conn->stream_)) {
            boost::asio::async_compose<Handler, completion>(
                exchange_op<tls_stream>(*conn, *tls, *args), handler);
        } else {
            boost::asio::async_compose<Handler, completion>(
                exchange_op<tcp_socket>(*conn, std::get<tcp_socket>(conn->stream_), *args),
                handler);
        }
    }

    /// The memory of the exchange's steps: the connection's.
    static exchange_allocator<void> memory(connection& conn) noexcept {
        return exchange_allocator<void>(conn.op_memory_);
    }
};

/// The exchange on `conn`, to be awaited as `co_await exchange(conn, args)`, with `args` alive
/// until it completes: it costs no coroutine frame, its steps take their memory from the
/// connection, and it completes with `std::tuple<exchange_outcome>`.
inline auto exchange(connection& conn, const exchange_args& args) {
    return minapp::detail::internal_operation_of<void(exchange_outcome)>(
        exchange_launch{&conn, &args}, exchange_launch::memory(conn));
}

} // namespace minapp::http::detail
