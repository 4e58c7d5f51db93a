// One request and its response on a connection, as an operation the calling coroutine awaits
// without a coroutine frame of its own.
#pragma once

#include "../detail/tokens.hpp"
#include "connection.hpp"

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include <cstdint>
#include <type_traits>
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

/// The write and then the read of one exchange, as a composed operation: it is the handler of
/// each of its two steps, then completes `Handler` with the outcome. No cancellation slot: a
/// call ends an exchange through connection::abort, from any thread.
template <class Stream, class Handler>
class exchange_op {
public:
    using executor_type = boost::asio::associated_executor_t<Handler>;
    using allocator_type = boost::asio::associated_allocator_t<Handler>;
    using cancellation_slot_type = boost::asio::cancellation_slot;

    exchange_op(connection& conn, Stream& stream, const exchange_args& args, Handler handler)
        : conn_(&conn)
        , stream_(&stream)
        , args_(args)
        , handler_(std::move(handler)) {}

    executor_type get_executor() const noexcept {
        return boost::asio::get_associated_executor(handler_);
    }
    allocator_type get_allocator() const noexcept {
        return boost::asio::get_associated_allocator(handler_);
    }
    cancellation_slot_type get_cancellation_slot() const noexcept { return {}; }

    void start() {
        // Asio clears the caller's slot only when the exchange completes, not between its
        // steps: once is enough.
        args_.rearm();
        boost::asio::async_write(*stream_, args_.request, std::move(*this));
    }

    void operator()(const boost::system::error_code& ec, std::size_t /*transferred*/) {
        if (!reading_) {
            args_.info->request_sent = true;
            if (ec || conn_->aborted() != abort_reason::none) {
                finish(conn_->failed(ec ? ec : boost::asio::error::shut_down, stage::write,
                                     *args_.info));
                return;
            }
            reading_ = true;
            reply_parser& parser = *args_.parser;
            parser.body_limit(args_.limits.body_limit);
            parser.header_limit(static_cast<std::uint32_t>(args_.limits.header_limit));
            boost::beast::http::async_read(*stream_, conn_->buffer_, parser, std::move(*this));
            return;
        }
        if (ec) {
            finish(conn_->failed(ec, stage::read, *args_.info,
                                 args_.parser->got_some() || conn_->buffer_.size() != 0));
            return;
        }
        ++conn_->requests_served_;
        conn_->last_used_ = clock::now();
        finish(exchange_outcome{{}, stage::none, true, args_.parser->keep_alive()});
    }

private:
    // Called from the completion of a step, which already runs on the handler's executor.
    void finish(const exchange_outcome& outcome) { std::move(handler_)(outcome); }

    connection* conn_;
    Stream* stream_;
    exchange_args args_;
    bool reading_ = false;
    Handler handler_;
};

/// Starts an exchange_op on the connection's stream, with the handler it is given.
struct exchange_launch {
    connection* conn;
    const exchange_args* args; // the awaiting coroutine's, alive until the exchange completes

    template <class Handler>
    void operator()(Handler handler) const {
        if (auto* tls = std::get_if<tls_stream>(&conn->stream_)) {
            exchange_op<tls_stream, Handler>(*conn, *tls, *args, std::move(handler)).start();
        } else {
            exchange_op<tcp_socket, Handler>(*conn, std::get<tcp_socket>(conn->stream_), *args,
                                             std::move(handler))
                .start();
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
