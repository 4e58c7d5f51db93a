#include "curl_client.hpp"

#include <boost/json/parse.hpp>

#include <curl/curl.h>

#include <chrono>
#include <stdexcept>
#include <vector>

namespace minapp::bench {

namespace {

void check(CURLcode rc, const char* what) {
    if (rc != CURLE_OK) {
        throw std::runtime_error(std::string("curl: ") + what + ": " + curl_easy_strerror(rc));
    }
}

void check(CURLMcode rc, const char* what) {
    if (rc != CURLM_OK) {
        throw std::runtime_error(std::string("curl: ") + what + ": " + curl_multi_strerror(rc));
    }
}

/// One easy handle: one concurrent connection's requests, one after the other.
struct transfer {
    CURL* easy = nullptr;
    std::size_t warmup = 0;
    std::size_t count = 0; ///< Measured requests.
    std::size_t done = 0;  ///< Requests completed, the warm-up included.
    std::string body;      ///< The reply being received.
    std::string put_body;  ///< libcurl sends CURLOPT_POSTFIELDS from here without copying it.
    std::chrono::steady_clock::time_point start;
    latencies latency;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* body) {
    static_cast<std::string*>(body)->append(data, size * n);
    return size * n;
}

/// Owns the handles; removes every easy handle from the multi handle before freeing either, as
/// libcurl requires, also when a run stops on an exception.
struct session {
    CURLM* multi = nullptr;
    curl_slist* headers = nullptr;
    std::vector<transfer> transfers;

    session() {
        check(curl_global_init(CURL_GLOBAL_DEFAULT), "global init");
        multi = curl_multi_init();
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session() {
        for (auto& t : transfers) {
            if (t.easy != nullptr) {
                curl_multi_remove_handle(multi, t.easy);
                curl_easy_cleanup(t.easy);
            }
        }
        curl_multi_cleanup(multi);
        curl_slist_free_all(headers);
        curl_global_cleanup();
    }
};

} // namespace

reference_result run_curl(const std::string& url, const std::string& ca_file,
                          const std::string& token, const reference_request& request,
                          std::size_t concurrency, std::size_t warmup, std::size_t requests,
                          void (*timed_start)(void*), void* context) {
    session s;
    if (s.multi == nullptr) {
        throw std::runtime_error("curl: multi init failed");
    }
    // What the floor sends: Host, Authorization (and a PUT's Content-Type), no Accept.
    std::vector<std::string> lines{"Authorization: Bearer " + token, "Accept:"};
    if (request.put) {
        lines.emplace_back("Content-Type: application/json");
        // Never an Expect: 100-continue round trip, whatever the body's size: the floor has none.
        lines.emplace_back("Expect:");
    }
    for (const auto& line : lines) {
        auto* more = curl_slist_append(s.headers, line.c_str());
        if (more == nullptr) {
            throw std::runtime_error("curl: out of memory");
        }
        s.headers = more;
    }

    s.transfers.resize(concurrency);
    for (std::size_t c = 0; c < concurrency; ++c) {
        auto& t = s.transfers[c];
        t.easy = curl_easy_init();
        if (t.easy == nullptr) {
            throw std::runtime_error("curl: easy init failed");
        }
        t.warmup = warmup;
        t.count = requests / concurrency + (c < requests % concurrency ? 1 : 0);
        t.latency.reserve(t.count);
        const auto address = url + request.targets[c % request.targets.size()];
        check(curl_easy_setopt(t.easy, CURLOPT_URL, address.c_str()), "URL");
        check(curl_easy_setopt(t.easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}),
              "HTTP version");
        check(curl_easy_setopt(t.easy, CURLOPT_CAINFO, ca_file.c_str()), "CA file");
        // Trust the emulator's CA alone, as the floor and minapp do.
        check(curl_easy_setopt(t.easy, CURLOPT_CAPATH, nullptr), "CA path");
        check(curl_easy_setopt(t.easy, CURLOPT_SSL_VERIFYPEER, 1L), "verify peer");
        check(curl_easy_setopt(t.easy, CURLOPT_SSL_VERIFYHOST, 2L), "verify host");
        check(curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, s.headers), "headers");
        check(curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, on_data), "write function");
        check(curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, static_cast<void*>(&t.body)),
              "write data");
        check(curl_easy_setopt(t.easy, CURLOPT_PRIVATE, static_cast<void*>(&t)), "private");
        if (request.put) {
            check(curl_easy_setopt(t.easy, CURLOPT_CUSTOMREQUEST, "PUT"), "method");
        }
    }

    reference_result result;
    std::size_t warming = concurrency;
    std::size_t active = 0;
    auto warmed_up = [&] {
        if (--warming == 0 && timed_start != nullptr) {
            timed_start(context);
        }
    };
    auto begin = [&](transfer& t) {
        t.body.clear();
        if (request.put) {
            t.put_body = "{\"score\":" + std::to_string(t.done) + "}";
            check(curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, t.put_body.c_str()), "body");
            check(curl_easy_setopt(t.easy, CURLOPT_POSTFIELDSIZE,
                                   static_cast<long>(t.put_body.size())),
                  "body size");
        }
        t.start = std::chrono::steady_clock::now();
        check(curl_multi_add_handle(s.multi, t.easy), "add handle");
        ++active;
    };
    for (auto& t : s.transfers) {
        if (t.warmup == 0) {
            warmed_up();
        }
        if (t.warmup + t.count != 0) {
            begin(t);
        }
    }

    while (active != 0) {
        int running = 0;
        check(curl_multi_perform(s.multi, &running), "perform");
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(s.multi, &left)) {
            if (m->msg != CURLMSG_DONE) {
                continue;
            }
            CURL* easy = m->easy_handle;
            const CURLcode outcome = m->data.result; // m dies with the removal below
            char* p = nullptr;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
            auto& t = *reinterpret_cast<transfer*>(p);
            check(curl_multi_remove_handle(s.multi, easy), "remove handle");
            --active;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            long opened = 0;
            curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &opened);
            result.connections += static_cast<std::uint64_t>(opened);
            boost::system::error_code ec;
            auto doc = boost::json::parse(t.body, ec);
            if (t.done >= t.warmup) {
                t.latency.add(std::chrono::steady_clock::now() - t.start);
                result.body_bytes += t.body.size();
                ++result.requests;
                if (outcome != CURLE_OK || ec || status != 200) {
                    ++result.errors;
                }
            }
            if (++t.done == t.warmup) {
                warmed_up();
            }
            if (t.done < t.warmup + t.count) {
                begin(t);
            }
        }
        if (active != 0) {
            check(curl_multi_poll(s.multi, nullptr, 0, 1000, nullptr), "poll");
        }
    }
    for (auto& t : s.transfers) {
        result.latency.merge(t.latency);
    }
    return result;
}

} // namespace minapp::bench
