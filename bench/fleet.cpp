#include "fleet.hpp"

#include "measure.hpp"
#include "redis_server.hpp"

#include "fleet/redis_connection.hpp"

#include <minapp/client.hpp>
#include <minapp/client_options.hpp>
#include <minapp/fleet/redis_budget.hpp>
#include <minapp/rate_limiter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace minapp::bench {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

struct fleet_redis::impl {
    minapp::test::redis_server server;
};

fleet_redis::fleet_redis()
    : impl_(std::make_unique<impl>()) {}

fleet_redis::~fleet_redis() = default;

std::string fleet_redis::socket_path() const {
    return impl_->server.address().host_or_path();
}

namespace {

asio::awaitable<std::string> info_cpu(fleet::redis_address address) {
    fleet::redis_options options;
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.command_timeout = std::chrono::milliseconds(1000);
    auto ex = co_await asio::this_coro::executor;
    fleet::redis_connection connection(ex, options);
    if (co_await connection.connect(std::move(address))) {
        co_return std::string();
    }
    std::vector<std::string> argv{"INFO", "cpu"};
    const auto reply = co_await connection.command(std::move(argv));
    co_return reply && reply->is_string() ? reply->as_text() : std::string();
}

/// The value of `key` in INFO's "key:value" lines; -1 when absent.
double info_field(const std::string& text, const std::string& key) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key + ":", 0) == 0) {
            return std::strtod(line.c_str() + key.size() + 1, nullptr);
        }
    }
    return -1;
}

} // namespace

std::chrono::microseconds fleet_redis::cpu_time() const {
    asio::io_context ioc;
    std::string text;
    asio::co_spawn(ioc, info_cpu(impl_->server.address()),
                   [&text](std::exception_ptr e, std::string s) {
                       if (!e) {
                           text = std::move(s);
                       }
                   });
    ioc.run();
    const double user = info_field(text, "used_cpu_user");
    const double sys = info_field(text, "used_cpu_sys");
    if (user < 0 || sys < 0) {
        return std::chrono::microseconds(-1);
    }
    return std::chrono::microseconds(std::llround((user + sys) * 1e6));
}

namespace {

struct member_result {
    figures f;
    latencies lat;
};

/// One process of the fleet: its client's workers until `end`, measured over [start, end).
member_result run_member(const target& t, std::int64_t id, const fleet_load& load,
                         const std::string& redis_socket, const std::string& key,
                         clock_type::time_point start, clock_type::time_point end) {
    member_result out;
    figures& f = out.f;
    latencies& lat = out.lat;
    asio::io_context ioc(1);
    std::shared_ptr<fleet::redis_budget> budget;
    std::shared_ptr<minapp::rate_limiter> limiter;
    if (!redis_socket.empty()) {
        const minapp::rate_limit limit{load.rate, 1};
        auto budget_options = fleet::redis_budget_options()
                                  .unix_socket(redis_socket)
                                  .key(key)
                                  .limit(limit)
                                  .expected_replicas(static_cast<unsigned>(load.processes));
        budget = fleet::redis_budget::create(ioc.get_executor(), std::move(budget_options));
        limiter = std::make_shared<minapp::rate_limiter>(limit, budget);
    } else {
        limiter = std::make_shared<minapp::rate_limiter>(
            minapp::rate_limit{load.rate / static_cast<double>(load.processes), 1});
    }
    std::optional<minapp::client> c;
    if (!load.limiter_only) {
        c.emplace(ioc.get_executor(),
                  client_options_for(t, load.concurrency).shared_rate_limiter(limiter));
    }

    std::exception_ptr failure;
    std::size_t running = load.concurrency + 1;
    auto done = [&](std::exception_ptr e) {
        if (e && !failure) {
            failure = e;
        }
        if (--running == 0) {
            if (c) {
                const auto s = c->pool_stats();
                f.connections = s.connections_opened;
                f.handshakes = s.tls_handshakes - s.tls_resumptions;
            }
            // Every call has ended: the client goes, the limiter with it, which ends the
            // budget's loop; the io_context then runs out of work.
            c.reset();
            limiter.reset();
        }
    };
    // A call is counted in the timed phase when it completes there; a worker starts no call
    // after `end` (those already waiting for the limiter still go).
    auto worker = [&]() -> asio::awaitable<void> {
        while (clock_type::now() < end) {
            const auto began = clock_type::now();
            if (c) {
                const auto user = co_await c->get_user(id);
                f.errors += user ? 0 : 1;
            } else {
                const auto ec = co_await limiter->acquire();
                f.errors += ec ? 1 : 0;
            }
            const auto now = clock_type::now();
            if (now >= start && now < end) {
                lat.add(now - began);
            }
        }
    };
    auto sampler = [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(ex);
        timer.expires_at(start);
        co_await timer.async_wait(asio::use_awaitable);
        const auto cpu = cpu_time();
        const auto switches = voluntary_switches();
        const auto allocations = allocation_count();
        const auto round_trips = budget ? budget->stats().round_trips : 0;
        timer.expires_at(end);
        co_await timer.async_wait(asio::use_awaitable);
        f.cpu_us = static_cast<double>((cpu_time() - cpu).count());
        f.wakeups = voluntary_switches() - switches;
        f.allocations = allocations_counted()
                            ? static_cast<std::int64_t>(allocation_count() - allocations)
                            : -1;
        f.round_trips = budget ? budget->stats().round_trips - round_trips : 0;
    };
    for (std::size_t i = 0; i < load.concurrency; ++i) {
        asio::co_spawn(ioc, worker(), done);
    }
    asio::co_spawn(ioc, sampler(), done);
    ioc.run();
    if (failure) {
        std::rethrow_exception(failure);
    }
    f.requests = lat.size();
    f.seconds = std::chrono::duration<double>(end - start).count();
    f.peak_rss_kib = peak_rss_kib();
    f.fallbacks = budget ? budget->stats().fallbacks : 0;
    return out;
}

std::string read_all(int fd) {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

bool write_all(int fd, const std::string& text) {
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

figures fleet_run(const target& t, std::int64_t id, const fleet_load& load,
                  const fleet_redis* redis, int server_pid) {
    static int runs = 0;
    figures total;
    total.scenario =
        (load.limiter_only ? "fleet-limiter@" : "fleet@") + std::to_string(std::llround(load.rate));
    total.impl = redis != nullptr ? "redis" : "local";
    total.processes = load.processes;
    total.concurrency = load.processes * load.concurrency;
    total.target_rate = load.rate;
    total.seconds = load.seconds;
    total.allocations = 0;
    const std::string socket = redis != nullptr ? redis->socket_path() : std::string();
    const std::string key = "minapp:bench:" + total.scenario + ":" + std::to_string(++runs);
    const auto start = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(load.warmup_seconds));
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(load.seconds));

    std::cout.flush(); // a child's std::cerr would flush it again
    std::vector<pid_t> children;
    std::vector<int> pipes;
    bool forked = true;
    for (std::size_t p = 0; p < load.processes; ++p) {
        int fds[2];
        if (pipe(fds) != 0) {
            forked = false;
            break;
        }
        const pid_t pid = fork();
        if (pid < 0) {
            close(fds[0]);
            close(fds[1]);
            forked = false;
            break;
        }
        if (pid == 0) {
            close(fds[0]);
            for (const int fd : pipes) {
                close(fd);
            }
            int status = 0;
            std::string text;
            try {
                const auto r = run_member(t, id, load, socket, key, start, end);
                text = r.f.serialize() + "\n" + r.lat.serialize() + "\n";
            } catch (const std::exception& e) {
                std::cerr << "minapp-bench: fleet process " << p << ": " << e.what() << "\n";
                status = 1;
            }
            if (!write_all(fds[1], text)) {
                status = 1;
            }
            std::_Exit(status);
        }
        close(fds[1]);
        children.push_back(pid);
        pipes.push_back(fds[0]);
    }

    // The emulator's and Redis's CPU over the same phase (polling instants, not synchronisation).
    std::this_thread::sleep_until(start);
    const auto server_before = process_cpu_time(server_pid);
    const auto redis_before = redis != nullptr ? redis->cpu_time() : std::chrono::microseconds(0);
    std::this_thread::sleep_until(end);
    total.server_cpu_us =
        static_cast<double>((process_cpu_time(server_pid) - server_before).count());
    const auto redis_after = redis != nullptr ? redis->cpu_time() : std::chrono::microseconds(0);
    total.redis_cpu_us = redis_before.count() < 0 || redis_after.count() < 0
                             ? -1
                             : static_cast<double>((redis_after - redis_before).count());

    bool ok = forked;
    latencies all;
    total.process_requests_min = std::numeric_limits<std::size_t>::max();
    for (std::size_t p = 0; p < children.size(); ++p) {
        const std::string text = read_all(pipes[p]);
        close(pipes[p]);
        int status = 0;
        waitpid(children[p], &status, 0);
        const auto line_end = text.find('\n');
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || line_end == std::string::npos) {
            ok = false;
            continue;
        }
        const auto f = figures::parse(text.substr(0, line_end));
        all.merge(latencies::parse(text.substr(line_end + 1)));
        total.requests += f.requests;
        total.errors += f.errors;
        total.cpu_us += f.cpu_us;
        total.allocations =
            total.allocations < 0 || f.allocations < 0 ? -1 : total.allocations + f.allocations;
        total.peak_rss_kib = std::max(total.peak_rss_kib, f.peak_rss_kib);
        total.connections += f.connections;
        total.handshakes += f.handshakes;
        total.round_trips += f.round_trips;
        total.fallbacks += f.fallbacks;
        total.wakeups += f.wakeups;
        total.process_requests_min = std::min(total.process_requests_min, f.requests);
        total.process_requests_max = std::max(total.process_requests_max, f.requests);
    }
    if (!ok) {
        throw std::runtime_error("a fleet process failed (" + total.scenario + " " + total.impl +
                                 ")");
    }
    total.p50_ms = all.quantile_ms(0.50);
    total.p99_ms = all.quantile_ms(0.99);
    return total;
}

} // namespace minapp::bench
