#include "scenarios.hpp"

#include "curl_client.hpp"
#include "floor_client.hpp"
#include "measure.hpp"

#include <minapp/bulk_update.hpp>
#include <minapp/client.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <functional>
#include <regex>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace minapp::bench {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

minapp::client_options client_options_for(const target& t, std::size_t connections) {
    minapp::client_options o;
    o.base_url(t.url);
    o.access_token(t.token);
    o.pool().tls().use_system_ca(false);
    o.pool().tls().ca_file(t.ca_file);
    o.pool().max_connections(std::max<std::size_t>(1, connections));
    return o;
}

namespace {

/// Runs `n` copies of `body` concurrently and waits for all of them.
asio::awaitable<void> all_of(std::size_t n,
                             std::function<asio::awaitable<void>(std::size_t)> body) {
    auto ex = co_await asio::this_coro::executor;
    std::size_t left = n;
    asio::steady_timer done(ex, asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex, body(i), [&](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
            if (--left == 0) {
                done.cancel();
            }
        });
    }
    while (left != 0) {
        co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

/// Measures the timed phase of a run: wall time, CPU and heap allocations from `start()` to
/// `stop()`.
struct stopwatch {
    clock_type::time_point wall;
    std::chrono::microseconds cpu{};
    std::uint64_t allocations = 0;
    void start() {
        wall = clock_type::now();
        cpu = cpu_time();
        allocations = allocation_count();
    }
    void stop(figures& f) const {
        const auto allocated = allocation_count() - allocations;
        f.seconds = std::chrono::duration<double>(clock_type::now() - wall).count();
        f.cpu_us = static_cast<double>((cpu_time() - cpu).count());
        f.allocations = allocations_counted() ? static_cast<std::int64_t>(allocated) : -1;
    }
};

void finish(figures& f, minapp::client& c, latencies& lat) {
    const auto s = c.pool_stats();
    f.connections = s.connections_opened;
    f.handshakes = s.tls_handshakes - s.tls_resumptions;
    f.p50_ms = lat.quantile_ms(0.50);
    f.p99_ms = lat.quantile_ms(0.99);
    f.peak_rss_kib = peak_rss_kib();
}

template <class Body>
void run_client(minapp::client_options options, Body body) {
    asio::io_context ioc(1);
    minapp::client c(ioc.get_executor(), std::move(options));
    std::exception_ptr failure;
    asio::co_spawn(ioc, body(c), [&](std::exception_ptr e) {
        failure = e;
        c.shutdown();
    });
    ioc.run();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

} // namespace

std::vector<std::int64_t> first_ids(const target& t, std::size_t n) {
    std::vector<std::int64_t> ids;
    run_client(client_options_for(t, 1), [&](minapp::client& c) -> asio::awaitable<void> {
        minapp::user_query q;
        q.keyset(true);
        q.page_size(1000);
        q.max_items(static_cast<std::int64_t>(n));
        auto pager = c.list_users(q);
        for (;;) {
            auto user = (co_await pager.next()).value();
            if (!user) {
                break;
            }
            ids.push_back(user->id);
        }
    });
    return ids;
}

figures minapp_get(const target& t, std::int64_t id, std::size_t concurrency, std::size_t warmup,
                   std::size_t requests, const std::string& scenario, bool fetched_token) {
    figures f;
    f.scenario = scenario;
    f.impl = fetched_token ? "minapp-tf" : "minapp";
    f.concurrency = concurrency;
    latencies lat;
    lat.reserve(requests);
    auto options = client_options_for(t, concurrency);
    if (fetched_token) {
        options.token_fetcher(
            [token = t.token]() -> asio::awaitable<minapp::result<minapp::token_grant>> {
                co_return minapp::token_grant(token, std::chrono::hours(1));
            });
    }
    run_client(options, [&](minapp::client& c) -> asio::awaitable<void> {
        auto loop = [&](std::size_t share, bool timed) {
            return [&c, &f, &lat, id, share, timed](std::size_t) -> asio::awaitable<void> {
                for (std::size_t i = 0; i < share; ++i) {
                    const auto start = clock_type::now();
                    auto user = co_await c.get_user(id);
                    if (timed) {
                        lat.add(clock_type::now() - start);
                        f.errors += user ? 0 : 1;
                    }
                }
            };
        };
        co_await all_of(concurrency, loop(std::max<std::size_t>(1, warmup / concurrency), false));
        stopwatch w;
        w.start();
        co_await all_of(concurrency, loop(requests / concurrency, true));
        w.stop(f);
        f.requests = lat.size();
        finish(f, c, lat);
    });
    return f;
}

figures minapp_put(const target& t, const std::vector<std::int64_t>& ids, std::size_t concurrency,
                   std::size_t warmup, std::size_t requests) {
    figures f;
    f.scenario = "put";
    f.impl = "minapp";
    f.concurrency = concurrency;
    latencies lat;
    lat.reserve(requests);
    run_client(client_options_for(t, concurrency), [&](minapp::client& c) -> asio::awaitable<void> {
        auto loop = [&](std::size_t share, bool timed) {
            return [&c, &f, &lat, &ids, share, timed](std::size_t worker) -> asio::awaitable<void> {
                const auto id = ids[worker % ids.size()];
                for (std::size_t i = 0; i < share; ++i) {
                    const auto start = clock_type::now();
                    auto user = co_await c.update_user(
                        id, minapp::update().set("score", static_cast<std::int64_t>(i)));
                    if (timed) {
                        lat.add(clock_type::now() - start);
                        f.errors += user ? 0 : 1;
                    }
                }
            };
        };
        co_await all_of(concurrency, loop(std::max<std::size_t>(1, warmup / concurrency), false));
        stopwatch w;
        w.start();
        co_await all_of(concurrency, loop(requests / concurrency, true));
        w.stop(f);
        f.requests = lat.size();
        finish(f, c, lat);
    });
    return f;
}

figures reference_run(const target& t, const std::string& impl, const reference_request& request,
                      std::size_t concurrency, std::size_t warmup, std::size_t requests,
                      const std::string& scenario) {
    figures f;
    f.scenario = scenario;
    f.impl = impl;
    f.concurrency = concurrency;
    const auto per_connection = std::max<std::size_t>(1, warmup / concurrency);
    stopwatch w;
    auto start = [](void* p) {
        static_cast<stopwatch*>(p)->start();
    };
    auto r = impl == "curl" ? run_curl(t.url, t.ca_file, t.token, request, concurrency,
                                       per_connection, requests, start, &w)
                            : run_floor(t.host, t.port, t.ca_file, t.token, request, concurrency,
                                        per_connection, requests, start, &w);
    w.stop(f);
    f.requests = r.requests;
    f.errors = r.errors;
    f.p50_ms = r.latency.quantile_ms(0.50);
    f.p99_ms = r.latency.quantile_ms(0.99);
    f.peak_rss_kib = peak_rss_kib();
    f.connections = r.connections;
    // Neither reference says whether it resumed a TLS session: count each connection as full.
    f.handshakes = r.connections;
    return f;
}

figures minapp_page(const target& t, std::size_t warmup, std::size_t requests) {
    figures f;
    f.scenario = "page";
    f.impl = "minapp";
    f.concurrency = 1;
    latencies lat;
    run_client(client_options_for(t, 1), [&](minapp::client& c) -> asio::awaitable<void> {
        minapp::user_query q;
        q.page_size(1000);
        q.order(minapp::order_by().asc("id"));
        stopwatch w;
        for (std::size_t i = 0; i < warmup + requests; ++i) {
            if (i == warmup) {
                w.start();
            }
            const auto start = clock_type::now();
            auto page = co_await c.list_users_page(q);
            if (i >= warmup) {
                lat.add(clock_type::now() - start);
                f.errors += page && page->objects.size() == 1000 ? 0 : 1;
            }
        }
        w.stop(f);
        f.requests = lat.size();
        finish(f, c, lat);
    });
    return f;
}

figures minapp_list_all(const target& t) {
    figures f;
    f.scenario = "list-all";
    f.impl = "minapp";
    f.concurrency = 1;
    latencies lat;
    run_client(client_options_for(t, 1), [&](minapp::client& c) -> asio::awaitable<void> {
        minapp::user_query q;
        q.keyset(true);
        q.page_size(1000);
        auto pager = c.list_users(q);
        stopwatch w;
        w.start();
        std::size_t users = 0;
        for (;;) {
            auto page = co_await pager.next_page();
            if (!page) {
                ++f.errors;
                break;
            }
            if (!*page) {
                break;
            }
            users += (*page)->objects.size();
        }
        w.stop(f);
        f.requests = users; // users, not requests: the figure of interest is users/s
        finish(f, c, lat);
    });
    return f;
}

figures minapp_update_many(const target& t, const std::vector<std::int64_t>& ids, double rate) {
    figures f;
    f.scenario = rate > 0 ? "update-many@rate" : "update-many";
    f.impl = "minapp";
    f.concurrency = 16;
    f.target_rate = rate;
    auto options = client_options_for(t, 16);
    if (rate > 0) {
        // Burst 1: the achieved rate is the configured one from the first request on.
        options.rate_limit(minapp::rate_limit{rate, 1});
    }
    latencies lat;
    run_client(options, [&](minapp::client& c) -> asio::awaitable<void> {
        std::vector<minapp::user_update> items;
        items.reserve(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            minapp::user_update u;
            u.id = ids[i];
            u.change.set("score", static_cast<std::int64_t>(i));
            items.push_back(std::move(u));
        }
        minapp::bulk_options bulk;
        bulk.concurrency(16);
        bulk.on_outcome([&f](minapp::update_outcome&& o) {
            f.errors += o.status == minapp::outcome_status::succeeded ? 0 : 1;
        });
        stopwatch w;
        w.start();
        const auto report = (co_await minapp::update_users(c, items, bulk)).value();
        w.stop(f);
        f.requests = report.totals.done;
        finish(f, c, lat);
    });
    return f;
}

figures wrk_get(const target& t, const std::string& path, std::size_t concurrency, double seconds,
                const std::string& scenario) {
    figures f;
    f.scenario = scenario;
    f.impl = "wrk";
    f.concurrency = concurrency;
    const std::string command = "wrk -t1 -c" + std::to_string(concurrency) + " -d" +
                                std::to_string(static_cast<int>(seconds)) + "s --latency -H " +
                                "'Authorization: Bearer " + t.token + "' " + t.url + path + " 2>&1";
    const auto cpu_before = cpu_time(true);
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("cannot run wrk");
    }
    std::string output;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        output += buffer;
    }
    const int status = pclose(pipe);
    if (status != 0) {
        throw std::runtime_error("wrk failed: " + output);
    }
    f.cpu_us = static_cast<double>((cpu_time(true) - cpu_before).count());
    std::smatch m;
    if (std::regex_search(output, m, std::regex(R"((\d+) requests in ([\d.]+)(m?s))"))) {
        f.requests = std::stoul(m[1]);
        f.seconds = std::stod(m[2]) / (m[3] == "ms" ? 1000.0 : 1.0);
    }
    auto latency_ms = [&output](const char* percentile) {
        std::smatch q;
        const std::regex re(std::string(percentile) + R"(%\s+([\d.]+)(us|ms|s))");
        if (!std::regex_search(output, q, re)) {
            return 0.0;
        }
        const double v = std::stod(q[1]);
        return q[2] == "us" ? v / 1000.0 : q[2] == "s" ? v * 1000.0 : v;
    };
    f.p50_ms = latency_ms("50");
    f.p99_ms = latency_ms("99");
    if (std::regex_search(output, m, std::regex(R"(Non-2xx or 3xx responses: (\d+))"))) {
        f.errors = std::stoul(m[1]);
    }
    f.connections = concurrency;
    f.handshakes = concurrency;
    return f;
}

} // namespace minapp::bench

namespace minapp::bench {

figures minapp_soak(const target& t, const std::vector<std::int64_t>& ids, std::size_t requests) {
    figures f;
    f.scenario = "soak";
    f.impl = "minapp";
    f.concurrency = 16;
    // No per-request latency samples here: their storage would grow the RSS being watched.
    latencies lat;
    std::size_t done = 0;
    auto options = client_options_for(t, 16);
    options.retry().initial_backoff = std::chrono::milliseconds(5);
    run_client(options, [&](minapp::client& c) -> asio::awaitable<void> {
        const std::size_t warmup = requests / 10;
        const std::size_t halfway = warmup + (requests - warmup) / 2;
        std::size_t issued = 0;
        std::size_t rss_after_warmup = 0;
        std::size_t rss_halfway = 0;
        stopwatch w;
        w.start();
        auto worker = [&](std::size_t seed) -> asio::awaitable<void> {
            std::uint64_t state = 0x9e3779b97f4a7c15ULL * (seed + 1);
            auto next = [&state] { // splitmix64: a fixed, reproducible mix per worker
                std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                return z ^ (z >> 31);
            };
            while (issued < requests) {
                if (++issued == warmup) {
                    rss_after_warmup = current_rss_kib();
                } else if (issued == halfway) {
                    rss_halfway = current_rss_kib();
                }
                const auto pick = next();
                const auto id = ids[pick % ids.size()];
                std::optional<minapp::failure> failed;
                if (pick % 100 < 79) {
                    auto r = co_await c.get_user(id);
                    if (!r) {
                        failed = r.error();
                    }
                } else if (pick % 100 < 80) {
                    minapp::user_query q;
                    q.page_size(20);
                    minapp::list_cursor at;
                    at.offset = static_cast<std::int64_t>(pick % 200);
                    q.start(at);
                    auto r = co_await c.list_users_page(q);
                    if (!r) {
                        failed = r.error();
                    }
                } else {
                    const auto change =
                        minapp::update().set("score", static_cast<std::int64_t>(pick % 1000));
                    auto r = co_await c.update_user(id, change);
                    if (!r) {
                        failed = r.error();
                    }
                }
                ++done;
                if (failed) {
                    ++f.errors;
                    // What 1% of 500s, 502s, resets and closes can leave after retries: a 500
                    // (never retried), a 502 or a dropped connection that outlived its retries.
                    const auto& code = failed->code;
                    const bool expected = code == minapp::error::server_error ||
                                          code == minapp::error::connection_reset ||
                                          code == minapp::error::connection_closed ||
                                          code == minapp::error::outcome_unknown;
                    f.unexpected_errors += expected ? 0 : 1;
                }
            }
        };
        co_await all_of(16, [&](std::size_t i) { return worker(i); });
        w.stop(f);
        f.requests = done;
        const auto rss_end = static_cast<std::int64_t>(current_rss_kib());
        f.rss_growth_kib = rss_end - static_cast<std::int64_t>(rss_after_warmup);
        f.rss_growth_second_half_kib = rss_end - static_cast<std::int64_t>(rss_halfway);
        const auto s = c.pool_stats();
        f.counters_balance = s.in_use == 0 && s.connections_opened == s.connections_closed + s.idle;
        finish(f, c, lat);
    });
    return f;
}

} // namespace minapp::bench
