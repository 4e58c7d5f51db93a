// minapp-bench: throughput, latency, client CPU and heap allocations per request and memory of
// minapp::client against the emulator in a separate process, beside a hand-written Beast floor,
// libcurl and wrk measured in the same invocation. Figures, never pass/fail (but a run with errors
// exits non-zero).
//
//   minapp-bench [--quick] [--emulator PATH] [--only SCENARIO,...] [--no-wrk] [--requests N]
//                [--rounds N]
//
// Scenarios: get, token, put, page, list-all, update-many, reconnect, fleet (when built with the
// fleet library), and soak (only with --only soak, or tiny in --quick). --quick uses tiny sizes
// (the CI smoke). get, token, page and put run their implementations in N alternating rounds (3
// by default, 1 in --quick) and compare each one's median round.
#ifdef MINAPP_BENCH_FLEET
#include "fleet.hpp"
#endif
#include "measure.hpp"
#include "scenarios.hpp"
#include "server_process.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace minapp::bench;

namespace {

struct sizes {
    std::size_t users;        ///< users of the shared emulator
    std::size_t get_warmup;   ///< warm-up requests per get run
    std::size_t get_requests; ///< measured requests per get run
    std::size_t page_requests;
    std::size_t list_users; ///< users of the list-all emulator
    std::size_t updates;    ///< update-many, unlimited
    double rate;            ///< update-many at a rate: requests per second
    double rate_seconds;    ///< ... for this long
    std::size_t reconnect_requests;
    double wrk_seconds;
    std::size_t soak_requests;
    std::size_t fleet_processes; ///< fleet: client processes on one budget
    double fleet_warmup;         ///< ... loaded this long before the timed phase
    double fleet_seconds;        ///< ... timed phase
};

constexpr sizes full{10000, 2000, 20000, 300, 1000000, 10000, 500, 10, 30000, 5, 1000000, 4, 1, 10};
constexpr sizes quick{1200, 64, 400, 4, 3000, 200, 200, 1, 2500, 1, 3000, 2, 0.3, 1.5};

const char* token = "bench-token";

/// With MINAPP_BENCH_PID_LOG set, appends "pid scenario impl concurrency requests" for the run
/// of this process to that file: bench/callgrind.sh pairs each callgrind output (named by pid)
/// with its run through it.
void log_pid(const figures& f) {
    const char* path = std::getenv("MINAPP_BENCH_PID_LOG");
    if (path == nullptr) {
        return;
    }
    std::ofstream out(path, std::ios::app);
    out << getpid() << ' ' << f.scenario << ' ' << f.impl << ' ' << f.concurrency << ' '
        << f.requests << '\n';
}

/// Runs `run` in a child process so that its peak RSS and CPU are its own; returns its figures.
figures isolated(const std::function<figures()>& run) {
    std::cout.flush();
    int fds[2];
    if (pipe(fds) != 0) {
        throw std::runtime_error("pipe failed");
    }
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int status = 0;
        std::string line;
        try {
            const figures f = run();
            line = f.serialize() + "\n";
            log_pid(f);
        } catch (const std::exception& e) {
            std::cerr << "minapp-bench: " << e.what() << "\n";
            status = 1;
        }
        if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
            status = 1;
        }
        std::_Exit(status);
    }
    close(fds[1]);
    std::string text;
    char buffer[1024];
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
        throw std::runtime_error("a benchmark run failed");
    }
    return figures::parse(text.substr(0, text.find('\n')));
}

void print_header() {
    std::cout << std::left << std::setw(17) << "scenario" << std::setw(8) << "impl" << std::right
              << std::setw(5) << "conc" << std::setw(10) << "requests" << std::setw(10) << "req/s"
              << std::setw(9) << "p50 ms" << std::setw(9) << "p99 ms" << std::setw(11)
              << "cpu us/req" << std::setw(11) << "allocs/req" << std::setw(10) << "peak MiB"
              << std::setw(7) << "conns" << std::setw(7) << "hshk" << std::setw(7) << "errors"
              << "\n";
}

void print(const figures& f) {
    std::cout << std::left << std::setw(17) << f.scenario << std::setw(8) << f.impl << std::right
              << std::fixed << std::setw(5) << f.concurrency << std::setw(10) << f.requests
              << std::setw(10) << std::setprecision(0) << f.per_second() << std::setw(9)
              << std::setprecision(2) << f.p50_ms << std::setw(9) << f.p99_ms << std::setw(11)
              << std::setprecision(1) << f.cpu_per_request_us() << std::setw(11);
    if (f.allocations < 0) {
        std::cout << "-";
    } else {
        std::cout << f.allocations_per_request();
    }
    std::cout << std::setw(10) << static_cast<double>(f.peak_rss_kib) / 1024.0 << std::setw(7)
              << f.connections << std::setw(7) << f.handshakes << std::setw(7) << f.errors << "\n";
}

std::string ratio(double a, double b) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << (b > 0 ? a / b : 0.0) << "x";
    return out.str();
}

#ifdef MINAPP_BENCH_FLEET
/// Two summary lines for the fleet at one rate: the budget in Redis, and the local limits of the
/// same load as the reference (absent, requests 0, in --quick at the low rate).
std::string fleet_summary(double target, const figures& r, const figures& l) {
    const std::string head = "fleet at " + std::to_string(std::llround(target)) + "/s";
    if (r.requests == 0) {
        return head + ": the run with the redis budget failed\n";
    }
    std::ostringstream o;
    o << std::fixed;
    const auto busy = [](double cpu_us, double seconds) {
        return seconds > 0 ? cpu_us / (seconds * 1e6) : 0.0;
    };
    // A rate more than 2% short: which side ran out of CPU, if either did.
    const auto shortfall = [&](const figures& f) {
        std::ostringstream s;
        if (f.requests == 0 || f.per_second() >= 0.98 * target) {
            return s.str();
        }
        const double server = busy(f.server_cpu_us, f.seconds);
        const double clients = busy(f.cpu_us, f.seconds);
        s << std::fixed << std::setprecision(0) << " [below the target: ";
        if (server >= 0.9) {
            s << "the emulator is the bottleneck, " << server * 100 << "% of a CPU busy";
        } else if (clients >= 0.9) {
            s << "the clients are the bottleneck, " << clients * 100 << "% of a CPU busy";
        } else {
            s << "neither the emulator (" << server * 100 << "% busy) nor the clients ("
              << clients * 100 << "%) saturated";
        }
        s << "]";
        return s.str();
    };
    // How evenly the processes shared the rate: the fewest and most requests of one, against an
    // equal share.
    const auto shares = [](const figures& f) {
        std::ostringstream s;
        const double equal = static_cast<double>(f.requests) / static_cast<double>(f.processes);
        s << std::fixed << std::setprecision(2) << "; one process "
          << static_cast<double>(f.process_requests_min) / equal << "x.."
          << static_cast<double>(f.process_requests_max) / equal << "x an equal share";
        return s.str();
    };
    o << head << " (" << r.processes << " processes x "
      << r.concurrency / std::max<std::size_t>(1, r.processes) << ", " << std::setprecision(1)
      << r.seconds << " s): redis budget " << r.per_second() << "/s (" << std::setprecision(4)
      << r.per_second() / target << "x the target" << shares(r) << ")" << shortfall(r);
    if (l.requests > 0) {
        o << ", local limits of " << std::setprecision(0)
          << target / static_cast<double>(l.processes) << "/s each " << std::setprecision(1)
          << l.per_second() << "/s (" << std::setprecision(4) << l.per_second() / target << "x"
          << shares(l) << ")" << shortfall(l);
    }
    o << "\n"
      << head << ": cpu/request redis " << std::setprecision(1) << r.cpu_per_request_us() << " us";
    if (l.requests > 0) {
        o << ", local " << l.cpu_per_request_us() << " us, added " << std::showpos
          << r.cpu_per_request_us() - l.cpu_per_request_us() << std::noshowpos << " us ("
          << ratio(r.cpu_per_request_us(), l.cpu_per_request_us()) << ")";
    }
    // A paced client sleeps between requests: each wake-up (a voluntary context switch) costs
    // CPU of its own, whatever woke it.
    const auto per_request = [](std::uint64_t n, const figures& f) {
        return static_cast<double>(n) / static_cast<double>(f.requests);
    };
    o << "; wake-ups/request redis " << std::setprecision(2) << per_request(r.wakeups, r);
    if (l.requests > 0) {
        o << ", local " << per_request(l.wakeups, l);
    }
    o << "; " << std::setprecision(1) << r.round_trips_per_1000()
      << " Redis round trips per 1000 requests";
    if (r.round_trips > 0) {
        o << " (1 per " << static_cast<double>(r.requests) / static_cast<double>(r.round_trips)
          << " requests)";
    }
    o << ", " << r.fallbacks << " fallbacks";
    if (r.redis_cpu_us >= 0 && r.requests > 0) {
        o << ", redis-server " << std::setprecision(2)
          << r.redis_cpu_us / static_cast<double>(r.requests) << " us cpu/request";
    }
    o << std::setprecision(0) << "; busy: emulator " << busy(r.server_cpu_us, r.seconds) * 100
      << "%, clients " << busy(r.cpu_us, r.seconds) * 100 << "% of a CPU\n";
    return o.str();
}

/// One summary line for the limiter alone at one rate: what the budget adds per acquisition.
std::string fleet_limiter_summary(double target, const figures& r, const figures& l) {
    std::ostringstream o;
    o << std::fixed << "fleet limiter alone at " << std::llround(target) << "/s (" << r.processes
      << " processes x " << r.concurrency / std::max<std::size_t>(1, r.processes)
      << " callers of acquire(), nothing sent): redis budget " << std::setprecision(1)
      << r.per_second() << "/s, local limits " << l.per_second() << "/s; cpu/acquisition redis "
      << std::setprecision(2) << r.cpu_per_request_us() << " us, local " << l.cpu_per_request_us()
      << " us, added " << std::showpos << r.cpu_per_request_us() - l.cpu_per_request_us()
      << std::noshowpos << " us (" << ratio(r.cpu_per_request_us(), l.cpu_per_request_us())
      << "); allocations/acquisition redis " << r.allocations_per_request() << ", local "
      << l.allocations_per_request() << "; wake-ups/acquisition redis "
      << static_cast<double>(r.wakeups) / static_cast<double>(r.requests) << ", local "
      << static_cast<double>(l.wakeups) / static_cast<double>(l.requests) << "; "
      << std::setprecision(1) << r.round_trips_per_1000() << " Redis round trips per 1000\n";
    return o.str();
}
#endif

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) {
        out.push_back(item);
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    bool is_quick = false;
    std::size_t requests_override = 0;
    std::size_t rounds = 0; // 0: the default of the run's size
    bool with_wrk = true;
    std::string emulator = "minapp-emulator";
    std::set<std::string> only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            is_quick = true;
        } else if (a == "--no-wrk") {
            with_wrk = false;
        } else if (a == "--emulator" && i + 1 < argc) {
            emulator = argv[++i];
        } else if (a == "--requests" && i + 1 < argc) {
            requests_override = std::stoul(argv[++i]);
        } else if (a == "--rounds" && i + 1 < argc) {
            rounds = std::max<std::size_t>(1, std::stoul(argv[++i]));
        } else if (a == "--only" && i + 1 < argc) {
            for (auto& s : split(argv[++i])) {
                only.insert(s);
            }
        } else {
            std::cerr << "usage: minapp-bench [--quick] [--emulator PATH] [--only "
                         "get,token,put,page,list-all,update-many,reconnect,fleet,fleet-limiter,"
                         "soak] [--no-wrk] "
                         "[--requests N] [--rounds N]\n";
            return 2;
        }
    }
    sizes z = is_quick ? quick : full;
    if (rounds == 0) {
        rounds = is_quick ? 1 : 3;
    }
    if (requests_override != 0) {
        // Instruction counts per request come from two runs that differ only in this number.
        z.get_requests = requests_override;
        z.page_requests = requests_override / 10;
        z.soak_requests = requests_override;
    }
    auto wanted = [&only](const char* s) {
        return only.empty() || only.count(s) != 0;
    };
    // The soak (a million requests in a full run) only when asked for, or tiny in --quick.
    const bool soak = only.count("soak") != 0 || (is_quick && only.empty());
    if (with_wrk && std::system("command -v wrk >/dev/null 2>&1") != 0) {
        std::cerr << "minapp-bench: wrk not found (scripts/install-deps wrk); running without\n";
        with_wrk = false;
    }

    // The client side (this process, its runs and wrk) on CPU 0, the server on CPU 1.
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const bool pinned = cpus >= 2 && pin_to_cpu(0);
    std::cout << "minapp-bench: " << (is_quick ? "quick" : "full") << " run, " << cpus << " CPUs, "
              << (pinned ? "client on CPU 0, server on CPU 1" : "not pinned") << "\n";
    const int server_cpu = pinned ? 1 : -1;
    std::vector<figures> all;
    bool failed = false;
    // `isolate`: in a child process of its own (the fleet forks its processes itself).
    auto record = [&](const std::function<figures()>& run, bool isolate = true) -> figures {
        figures f;
        try {
            f = isolate ? isolated(run) : run();
        } catch (const std::exception& e) {
            std::cerr << "minapp-bench: " << e.what() << "\n";
            failed = true;
            return f;
        }
        // The soak injects faults: only errors of an unexpected kind, or unbalanced connection
        // counters, are failures there.
        failed = failed || (f.scenario == "soak" ? f.unexpected_errors != 0 || !f.counters_balance
                                                 : f.errors != 0);
        print(f);
        all.push_back(f);
        return f;
    };
    // Runs each of `runs` in turn, `rounds` times over, and returns each one's median round by
    // CPU per request: alternating, a slow spell of this shared machine falls on every
    // implementation instead of on one, and the median drops a round it spoiled.
    auto alternate = [&](const std::vector<std::function<figures()>>& runs) {
        std::vector<std::vector<figures>> got(runs.size());
        for (std::size_t r = 0; r < rounds; ++r) {
            for (std::size_t i = 0; i < runs.size(); ++i) {
                got[i].push_back(record(runs[i]));
            }
        }
        std::vector<figures> medians;
        for (auto& g : got) {
            std::sort(g.begin(), g.end(), [](const figures& a, const figures& b) {
                return a.cpu_per_request_us() < b.cpu_per_request_us();
            });
            medians.push_back(g[g.size() / 2]);
        }
        return medians;
    };
    std::ostringstream summary;
#ifdef MINAPP_BENCH_FLEET
    // `fleet-limiter` alone: the limiter's own cost (part of `fleet`).
    const bool fleet_limiter = wanted("fleet-limiter") || only.count("fleet") != 0;
    const bool fleet = wanted("fleet") || fleet_limiter;
#else
    const bool fleet = false;
    if (only.count("fleet") != 0 || only.count("fleet-limiter") != 0) {
        std::cerr << "minapp-bench: the fleet scenario is not built (MINAPP_BUILD_FLEET)\n";
        failed = true;
    } else if (only.empty()) {
        summary << "fleet: not built (needs MINAPP_BUILD_FLEET and hiredis)\n";
    }
#endif

    try {
        if (wanted("get") || wanted("put") || wanted("page") || wanted("update-many") ||
            wanted("token") || fleet) {
            server_process server(emulator, {"--users", std::to_string(z.users), "--token", token},
                                  server_cpu);
            const target t{server.url(), server.host(), server.port(), server.ca_file(), token};
            const auto ids = first_ids(t, z.updates);
            const std::string get_path =
                "/oserve/v2.2/miniapp/user_profile/" + std::to_string(ids.front()) + "/";
            print_header();
            if (wanted("get")) {
                const reference_request get{{get_path}};
                for (std::size_t c : {1, 16, 64}) {
                    const auto n = c == 1 ? z.get_requests / 4 : z.get_requests;
                    std::vector<std::function<figures()>> runs{
                        [&] { return minapp_get(t, ids.front(), c, z.get_warmup, n); },
                        [&] {
                            return reference_run(t, "floor", get, c, z.get_warmup, n, "get");
                        }};
                    if (c == 16) {
                        runs.emplace_back([&] {
                            return reference_run(t, "curl", get, c, z.get_warmup, n, "get");
                        });
                    }
                    const auto medians = alternate(runs);
                    const figures& ours = medians[0];
                    const figures& base = medians[1];
                    summary << "get c=" << c << ": cpu/request minapp/floor "
                            << ratio(ours.cpu_per_request_us(), base.cpu_per_request_us());
                    figures curl;
                    if (c == 16) {
                        curl = medians[2];
                        summary << ", minapp/curl "
                                << ratio(ours.cpu_per_request_us(), curl.cpu_per_request_us());
                    }
                    if (with_wrk && c == 16) {
                        const auto w =
                            record([&] { return wrk_get(t, get_path, c, z.wrk_seconds, "get"); });
                        summary << ", minapp/wrk "
                                << ratio(ours.cpu_per_request_us(), w.cpu_per_request_us());
                    }
                    summary << "; req/s minapp/floor "
                            << ratio(ours.per_second(), base.per_second());
                    if (c == 16) {
                        summary << ", minapp/curl " << ratio(ours.per_second(), curl.per_second());
                    }
                    summary << "\n";
                }
            }
            if (wanted("token")) {
                // The token cache's lookup per attempt against a fixed token, same workload.
                const std::size_t c = 16;
                const auto medians =
                    alternate({[&] {
                                   return minapp_get(t, ids.front(), c, z.get_warmup,
                                                     z.get_requests, "token");
                               },
                               [&] {
                                   return minapp_get(t, ids.front(), c, z.get_warmup,
                                                     z.get_requests, "token", true);
                               }});
                const figures& fixed = medians[0];
                const figures& fetched = medians[1];
                summary << "token (get c=16): cpu/request fetched token/fixed token "
                        << ratio(fetched.cpu_per_request_us(), fixed.cpu_per_request_us())
                        << ", allocs/request " << fetched.allocations_per_request() << " vs "
                        << fixed.allocations_per_request() << "\n";
            }
            if (wanted("page")) {
                const reference_request page{
                    {"/oserve/v2.2/miniapp/user_profile/?order_by=id&limit=1000&offset=0"}};
                const auto medians = alternate(
                    {[&] { return minapp_page(t, 2, z.page_requests); },
                     [&] { return reference_run(t, "floor", page, 1, 2, z.page_requests, "page"); },
                     [&] {
                         return reference_run(t, "curl", page, 1, 2, z.page_requests, "page");
                     }});
                const figures& ours = medians[0];
                const figures& base = medians[1];
                const figures& curl = medians[2];
                summary << "page (1000 users): cpu/page minapp/floor "
                        << ratio(ours.cpu_per_request_us(), base.cpu_per_request_us())
                        << ", minapp/curl "
                        << ratio(ours.cpu_per_request_us(), curl.cpu_per_request_us()) << "\n";
            }
            // After page, so that page reads the users that earlier results read (put changes 16
            // of them).
            if (wanted("put")) {
                const std::size_t c = 16;
                reference_request put{{}, true};
                for (std::size_t w = 0; w < c; ++w) {
                    put.targets.push_back("/oserve/v2.6/miniapp/user_profile/" +
                                          std::to_string(ids[w % ids.size()]) + "/");
                }
                const auto medians =
                    alternate({[&] { return minapp_put(t, ids, c, z.get_warmup, z.get_requests); },
                               [&] {
                                   return reference_run(t, "floor", put, c, z.get_warmup,
                                                        z.get_requests, "put");
                               },
                               [&] {
                                   return reference_run(t, "curl", put, c, z.get_warmup,
                                                        z.get_requests, "put");
                               }});
                const figures& ours = medians[0];
                const figures& base = medians[1];
                const figures& curl = medians[2];
                summary << "put c=" << c << ": cpu/request minapp/floor "
                        << ratio(ours.cpu_per_request_us(), base.cpu_per_request_us())
                        << ", minapp/curl "
                        << ratio(ours.cpu_per_request_us(), curl.cpu_per_request_us())
                        << "; req/s minapp/floor " << ratio(ours.per_second(), base.per_second())
                        << ", minapp/curl " << ratio(ours.per_second(), curl.per_second()) << "\n";
            }
            if (wanted("update-many")) {
                const auto free_run = record([&] { return minapp_update_many(t, ids, 0); });
                const auto n = static_cast<std::size_t>(z.rate * z.rate_seconds);
                const std::vector<std::int64_t> some(
                    ids.begin(),
                    ids.begin() + static_cast<std::ptrdiff_t>(std::min(n, ids.size())));
                const auto paced = record([&] { return minapp_update_many(t, some, z.rate); });
                const double achieved = paced.per_second();
                summary << "update-many: " << std::fixed << std::setprecision(0)
                        << free_run.per_second() << " updates/s unlimited; at " << z.rate
                        << "/s achieved " << std::setprecision(1) << achieved << "/s (error "
                        << std::setprecision(2) << (achieved - z.rate) / z.rate * 100 << "%)\n";
            }
#ifdef MINAPP_BENCH_FLEET
            if (fleet) {
                // P processes x 16 workers on local limits of rate / P each (the reference),
                // then the same load on one budget in one redis-server.
                fleet_redis redis;
                const auto make_load = [&z](double rate, bool limiter_only) {
                    fleet_load load;
                    load.rate = rate;
                    load.processes = z.fleet_processes;
                    load.concurrency = 16;
                    load.warmup_seconds = z.fleet_warmup;
                    load.seconds = z.fleet_seconds;
                    load.limiter_only = limiter_only;
                    return load;
                };
                for (const double rate : {5000.0, 200.0}) {
                    if (!wanted("fleet")) {
                        break;
                    }
                    const fleet_load load = make_load(rate, false);
                    figures local;
                    // --quick keeps to a few seconds: no reference at the low rate, where the
                    // round trips are the figure of interest.
                    if (!is_quick || rate > 1000) {
                        local = record(
                            [&] { return fleet_run(t, ids.front(), load, nullptr, server.pid()); },
                            false);
                    }
                    const auto shared = record(
                        [&] { return fleet_run(t, ids.front(), load, &redis, server.pid()); },
                        false);
                    summary << fleet_summary(rate, shared, local);
                }
                // The limiter alone, without the HTTP path whose CPU varies from run to run by
                // more than the budget costs: what the budget adds per acquisition.
                if (fleet_limiter) {
                    const fleet_load alone = make_load(5000, true);
                    const auto local = record(
                        [&] { return fleet_run(t, ids.front(), alone, nullptr, server.pid()); },
                        false);
                    const auto shared = record(
                        [&] { return fleet_run(t, ids.front(), alone, &redis, server.pid()); },
                        false);
                    summary << fleet_limiter_summary(alone.rate, shared, local);
                }
            }
#endif
        }
        if (wanted("reconnect")) {
            server_process server(
                emulator,
                {"--users", "100", "--token", token, "--max-requests-per-connection", "1000"},
                server_cpu);
            const target t{server.url(), server.host(), server.port(), server.ca_file(), token};
            const auto id = first_ids(t, 1).front();
            const auto f = record(
                [&] { return minapp_get(t, id, 16, 16, z.reconnect_requests, "reconnect"); });
            // Each connection serves exactly 1000 requests: at least requests / 1000 of them,
            // at most that plus one partly used connection per worker.
            const auto total = f.requests + 16;
            summary << "reconnect (server closes after 1000 requests): " << f.errors << " errors, "
                    << f.connections << " connections opened for " << total << " requests (bounds "
                    << (total + 999) / 1000 << ".." << total / 1000 + 16 << ")\n";
        }
        if (soak) {
            server_process server(emulator,
                                  {"--users", "1000", "--token", token, "--fault-rate",
                                   "500=0.0025", "--fault-rate", "502=0.0025", "--fault-rate",
                                   "reset-after=0.0025", "--fault-rate", "close=0.0025"},
                                  server_cpu);
            const target t{server.url(), server.host(), server.port(), server.ca_file(), token};
            const auto ids = first_ids(t, 1000);
            const auto f = record([&] { return minapp_soak(t, ids, z.soak_requests); });
            summary << "soak (1% faults): " << f.requests << " requests, " << f.errors
                    << " errors (" << f.unexpected_errors << " of an unexpected kind), RSS growth "
                    << f.rss_growth_kib << " KiB after warm-up (" << f.rss_growth_second_half_kib
                    << " KiB of it in the second half), connection counters "
                    << (f.counters_balance ? "balance" : "DO NOT balance") << "\n";
        }
        if (wanted("list-all")) {
            server_process server(
                emulator, {"--users", std::to_string(z.list_users), "--token", token}, server_cpu);
            const target t{server.url(), server.host(), server.port(), server.ca_file(), token};
            const auto f = record([&] { return minapp_list_all(t); });
            summary << "list-all: " << f.requests << " users at " << std::fixed
                    << std::setprecision(0) << f.per_second() << " users/s, client peak RSS "
                    << std::setprecision(1) << static_cast<double>(f.peak_rss_kib) / 1024.0
                    << " MiB\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "minapp-bench: " << e.what() << "\n";
        failed = true;
    }
    std::cout << "\n";
    if (rounds > 1 && (wanted("get") || wanted("token") || wanted("page") || wanted("put"))) {
        std::cout << "get, token, page, put: each implementation's median of " << rounds
                  << " alternating rounds\n";
    }
    std::cout << summary.str();
    return failed ? 1 : 0;
}
