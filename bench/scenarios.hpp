// The scenarios of minapp-bench, each run by one implementation in the calling process.
#pragma once

#include "figures.hpp"
#include "floor_client.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minapp {
class client_options;
} // namespace minapp

namespace minapp::bench {

/// Where the server under load is and how to reach it.
struct target {
    std::string url;
    std::string host;
    unsigned short port = 0;
    std::string ca_file;
    std::string token;
};

/// Options of a client of `t` with a pool of at most `connections`, no rate limit.
minapp::client_options client_options_for(const target& t, std::size_t connections);

/// The ids of the first `n` users (setup, not measured).
std::vector<std::int64_t> first_ids(const target& t, std::size_t n);

/// get_user of `id` at `concurrency`: `warmup` requests, then `requests` measured.
/// With `fetched_token`, the client's token comes from a `token_fetcher` (the token cache's
/// lookup on every attempt) instead of a fixed `access_token`; the impl is "minapp-tf".
figures minapp_get(const target& t, std::int64_t id, std::size_t concurrency, std::size_t warmup,
                   std::size_t requests, const std::string& scenario = "get",
                   bool fetched_token = false);

/// update_user(id, update().set("score", i)) at `concurrency`, worker w updating
/// `ids[w % ids.size()]`: `warmup` requests, then `requests` measured.
figures minapp_put(const target& t, const std::vector<std::int64_t>& ids, std::size_t concurrency,
                   std::size_t warmup, std::size_t requests);

/// A reference client, `impl` "floor" (floor_client.hpp) or "curl" (curl_client.hpp), repeating
/// `request`: `warmup` requests in total, then `requests` measured.
figures reference_run(const target& t, const std::string& impl, const reference_request& request,
                      std::size_t concurrency, std::size_t warmup, std::size_t requests,
                      const std::string& scenario);

/// 1000-user pages into typed users, `requests` of them after `warmup`, one at a time.
figures minapp_page(const target& t, std::size_t warmup, std::size_t requests);

/// Walks every user with the keyset pager (1000 per page): users/s and peak RSS.
figures minapp_list_all(const target& t);

/// One `$set` per user of `ids`, 16 in flight; unlimited when `rate` is 0.
figures minapp_update_many(const target& t, const std::vector<std::int64_t>& ids, double rate);

/// The soak: `requests` calls from 16 workers mixing get_user (79%), a 20-user page (1%: the
/// emulator sorts the whole store for each) and a `$set` update (20%), against a server injecting
/// 1% faults. Errors are counted (and those of
/// an unexpected kind separately); RSS growth after a warm-up of a tenth of the requests.
figures minapp_soak(const target& t, const std::vector<std::int64_t>& ids, std::size_t requests);

/// wrk at `concurrency` for `seconds` against `path` (its CPU is that of the child process).
figures wrk_get(const target& t, const std::string& path, std::size_t concurrency, double seconds,
                const std::string& scenario);

} // namespace minapp::bench
