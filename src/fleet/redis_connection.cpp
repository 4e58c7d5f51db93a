#include "redis_connection.hpp"

#include "redis_error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <hiredis.h>

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace minapp::fleet {

namespace asio = boost::asio;
using boost::system::error_code;
using socket_type = asio::generic::stream_protocol::socket;

namespace {

struct reader_deleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

struct reply_deleter {
    void operator()(void* r) const noexcept { freeReplyObject(r); }
};
using hiredis_reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

struct command_deleter {
    void operator()(char* c) const noexcept { redisFreeCommand(c); }
};
using command_ptr = std::unique_ptr<char, command_deleter>;

reader_ptr make_reader() {
    reader_ptr r(redisReaderCreate());
    if (!r) {
        throw std::bad_alloc();
    }
    return r;
}

// hiredis limits nesting to 7 levels, so the recursion is shallow.
redis_reply convert(const redisReply& r) {
    using kind = redis_reply::kind;
    switch (r.type) {
    case REDIS_REPLY_INTEGER:
        return redis_reply::integer(r.integer);
    case REDIS_REPLY_STRING:
        return redis_reply::text(kind::string, std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
        return redis_reply::text(kind::status, std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
        return redis_reply::text(kind::error, std::string(r.str, r.len));
    case REDIS_REPLY_ARRAY: {
        std::vector<redis_reply> elements;
        elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) {
            elements.push_back(convert(*r.element[i]));
        }
        return redis_reply::array(std::move(elements));
    }
    default:
        return {};
    }
}

// The caller's view of a socket failure: a peer that went away is one condition whatever the
// errno says.
error_code classify(const error_code& ec) {
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::broken_pipe || ec == asio::error::not_connected) {
        return redis_errc::connection_closed;
    }
    return ec;
}

// The executor the socket (and the resolver) run on: beneath the owner's strand, when it is one.
// They need no strand: every operation on them is awaited by a coroutine whose handler carries
// the owner's executor. A socket on a strand of any_io_executor costs a heap-allocated executor
// copy for every operation's work guard. The deadline's handler, which carries no executor of
// its own, stays on the owner's.
asio::any_io_executor socket_executor(const asio::any_io_executor& owner) {
    if (const auto* strand = owner.target<asio::strand<asio::any_io_executor>>()) {
        return strand->get_inner_executor();
    }
    return owner;
}

} // namespace

struct redis_connection::impl : std::enable_shared_from_this<impl> {
    impl(const asio::any_io_executor& executor, redis_options opts)
        : options(std::move(opts))
        , socket(socket_executor(executor))
        , deadline(executor)
        , reader(make_reader()) {}

    // Arms the deadline of operation `serial`. The handler holds the state weakly and checks
    // the serial, so a deadline that fired just as its operation completed cannot touch the
    // next one.
    void arm(std::chrono::milliseconds budget) {
        active = ++serial;
        timed_out = false;
        deadline.expires_after(budget);
        deadline.async_wait([weak = weak_from_this(), s = serial](const error_code& ec) {
            const auto self = weak.lock();
            if (!ec && self && self->active == s) {
                self->expire();
            }
        });
    }

    void disarm() noexcept {
        active = 0;
        deadline.cancel();
    }

    // The deadline passed: whatever is pending completes with operation_aborted, which the
    // operation reports as a timeout.
    void expire() noexcept {
        timed_out = true;
        if (resolver) {
            resolver->cancel();
        }
        error_code ignored;
        socket.cancel(ignored);
    }

    void close() noexcept {
        error_code ignored;
        socket.close(ignored);
        if (resolver) {
            resolver->cancel();
        }
    }

    // Closes the connection after a failure and says why, in the terms of redis_connection.
    error_code fail(const error_code& ec) noexcept {
        const bool closed_by_owner = !socket.is_open();
        close();
        if (timed_out) {
            return redis_errc::timeout;
        }
        if (ec == asio::error::operation_aborted && closed_by_owner) {
            return redis_errc::connection_closed;
        }
        return classify(ec);
    }

    static asio::awaitable<error_code> connect(std::shared_ptr<impl> self, redis_address address);
    static asio::awaitable<boost::system::result<redis_reply>>
    command(std::shared_ptr<impl> self, std::vector<std::string> argv);
    // One command of the handshake (AUTH, SELECT): an error reply fails `connect`, and closes.
    static asio::awaitable<error_code> setup(std::shared_ptr<impl> self,
                                             std::vector<std::string> argv);

    asio::awaitable<error_code> open_tcp(const redis_address& address);
    asio::awaitable<error_code> open_unix(const redis_address& address);

    const redis_options options;
    socket_type socket;
    asio::steady_timer deadline;
    std::optional<asio::ip::tcp::resolver> resolver; // while resolving
    reader_ptr reader;
    std::array<char, 4096> chunk{};
    std::uint64_t serial = 0;
    std::uint64_t active = 0; // serial of the operation under a deadline, 0 when none
    bool timed_out = false;
};

asio::awaitable<error_code> redis_connection::impl::open_unix(const redis_address& address) {
    const asio::generic::stream_protocol::endpoint endpoint(
        asio::local::stream_protocol::endpoint(address.host_or_path()));
    error_code ec;
    socket.open(endpoint.protocol(), ec);
    if (ec) {
        co_return ec;
    }
    std::tie(ec) = co_await socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

asio::awaitable<error_code> redis_connection::impl::open_tcp(const redis_address& address) {
    resolver.emplace(socket.get_executor());
    auto [resolve_ec, results] =
        co_await resolver->async_resolve(address.host_or_path(), std::to_string(address.port()),
                                         asio::as_tuple(asio::use_awaitable));
    resolver.reset();
    if (resolve_ec || timed_out) {
        co_return resolve_ec;
    }
    error_code ec = asio::error::host_not_found;
    for (const auto& entry : results) {
        const asio::generic::stream_protocol::endpoint endpoint(entry.endpoint());
        error_code ignored;
        socket.close(ignored);
        socket.open(endpoint.protocol(), ec);
        if (ec) {
            continue;
        }
        std::tie(ec) = co_await socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
        if (!ec || timed_out) {
            break;
        }
    }
    if (!ec) {
        // Commands are small and answered one at a time: Nagle would only add latency.
        error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    co_return ec;
}

asio::awaitable<error_code> redis_connection::impl::setup(std::shared_ptr<impl> self,
                                                          std::vector<std::string> argv) {
    auto reply = co_await command(self, std::move(argv));
    if (!reply) {
        co_return reply.error();
    }
    if (reply->is_error()) {
        self->close();
        co_return redis_errc::error_reply;
    }
    co_return error_code{};
}

asio::awaitable<error_code> redis_connection::impl::connect(std::shared_ptr<impl> self,
                                                            redis_address address) {
    self->close();
    // A fresh reader: bytes buffered from an earlier connection belong to it.
    self->reader = make_reader();
    self->arm(self->options.connect_timeout);
    error_code ec;
    if (address.is_unix_socket()) {
        ec = co_await self->open_unix(address);
    } else {
        ec = co_await self->open_tcp(address);
    }
    self->disarm();
    if (ec || self->timed_out) {
        co_return self->fail(ec);
    }
    if (!self->options.password.empty()) {
        // Named first: g++ 12 mishandles an initializer list inside a co_await expression.
        std::vector<std::string> auth{"AUTH", self->options.password};
        const error_code auth_ec = co_await setup(self, std::move(auth));
        if (auth_ec) {
            co_return auth_ec;
        }
    }
    if (self->options.database != 0) {
        // After AUTH: a server with a password refuses SELECT before it.
        std::vector<std::string> select{"SELECT", std::to_string(self->options.database)};
        const error_code select_ec = co_await setup(self, std::move(select));
        if (select_ec) {
            co_return select_ec;
        }
    }
    co_return error_code{};
}

asio::awaitable<boost::system::result<redis_reply>>
redis_connection::impl::command(std::shared_ptr<impl> self, std::vector<std::string> argv) {
    if (argv.empty()) {
        throw std::invalid_argument("redis_connection::command: empty argv");
    }
    if (!self->socket.is_open()) {
        co_return error_code(redis_errc::connection_closed);
    }
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    args.reserve(argv.size());
    lengths.reserve(argv.size());
    for (const auto& a : argv) {
        args.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    const int length = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()),
                                              args.data(), lengths.data());
    const command_ptr owned(formatted);
    if (length < 0) {
        throw std::bad_alloc(); // hiredis fails only when it cannot allocate
    }

    self->arm(self->options.command_timeout);
    struct disarm_at_exit {
        impl& state;
        ~disarm_at_exit() { state.disarm(); }
    } guard{*self};

    auto [write_ec, written] = co_await asio::async_write(
        self->socket, asio::buffer(formatted, static_cast<std::size_t>(length)),
        asio::as_tuple(asio::use_awaitable));
    if (write_ec || self->timed_out) {
        co_return self->fail(write_ec);
    }
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(self->reader.get(), &raw) != REDIS_OK) {
            self->close();
            co_return error_code(redis_errc::protocol_error);
        }
        if (raw != nullptr) {
            const hiredis_reply_ptr reply(static_cast<redisReply*>(raw));
            co_return convert(*reply);
        }
        if (self->timed_out) {
            co_return self->fail(asio::error::operation_aborted);
        }
        auto [read_ec, n] = co_await self->socket.async_read_some(
            asio::buffer(self->chunk), asio::as_tuple(asio::use_awaitable));
        if (read_ec) {
            co_return self->fail(read_ec);
        }
        if (redisReaderFeed(self->reader.get(), self->chunk.data(), n) != REDIS_OK) {
            self->close();
            co_return error_code(redis_errc::protocol_error);
        }
    }
}

redis_connection::redis_connection(const asio::any_io_executor& executor, redis_options options)
    : impl_(std::make_shared<impl>(executor, std::move(options))) {}

redis_connection::~redis_connection() {
    close();
}

asio::awaitable<error_code> redis_connection::connect(redis_address address) {
    return impl::connect(impl_, std::move(address));
}

asio::awaitable<boost::system::result<redis_reply>>
redis_connection::command(std::vector<std::string> argv) {
    return impl::command(impl_, std::move(argv));
}

bool redis_connection::is_open() const noexcept {
    return impl_->socket.is_open();
}

void redis_connection::close() noexcept {
    impl_->close();
    impl_->deadline.cancel();
}

const redis_options& redis_connection::options() const noexcept {
    return impl_->options;
}

} // namespace minapp::fleet
