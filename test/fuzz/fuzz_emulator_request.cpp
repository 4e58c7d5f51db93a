// Fuzz target: the emulator's request handling, minapp::emulator::user_api::handle, and its
// query-parameter parsing (src/emulator/core/query_params.hpp) called directly.
//
// Why: the emulator is a server. Tests, the CLI and the bench point clients at it, and anything
// that can open a socket can send it a request: no target, query or body may crash it, trigger
// undefined behaviour, leak or hang it. Checked besides: the status is one the API uses, never
// 500 (handle() turns exceptions into 500 replies, which would hide bugs), the body is JSON, and
// the `next`/`previous` links the emulator builds lead back to the window they name.
//
// Input layout (the seed corpus follows it):
//   byte 0       bits 0-1: method GET, PUT, POST, DELETE; bit 2: X-Hydrogen-Env-ID "env-b"
//                (else production); bits 3-5 all set: no Authorization header (else the valid
//                token, so that requests reach the endpoints); bit 6: Content-Type set.
//   then         the request target up to the first '\n', the body after it.
//
// One user_api (50 users in each of two environments) serves every input. It is built once:
// seeding takes ~50 ms per environment under ASan (the store allocates its text in 32 MiB
// blocks), far too slow per input. After a successful PUT (the only write) every user of its
// environment is put back as it was, so that a crash found after a write reproduces from its
// input alone and stored users do not grow run after run.
#include "emulator/core/endpoint_context.hpp"
#include "emulator/core/query_params.hpp"
#include "emulator/core/schema.hpp"

#include <minapp/emulator/api.hpp>
#include <minapp/emulator/user_api.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace {

namespace json = boost::json;
namespace core = minapp::emulator::detail;
using minapp::emulator::api_request;
using minapp::emulator::api_response;
using minapp::emulator::user_api;
using minapp::emulator::user_api_config;

void check(bool ok, const char* what, std::string_view context = {}) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_emulator_request: check failed: %s\n  %.*s\n", what,
                     static_cast<int>(context.size()), context.data());
        std::abort();
    }
}

constexpr std::string_view environments[] = {"", "env-b"};

/// The shared API and every stored user as seeded, to restore after writes.
struct shared_state {
    user_api api;
    std::vector<std::tuple<std::string_view, std::int64_t, std::string>> users;

    shared_state()
        : api(config()) {
        for (const auto env : environments) {
            api_request list;
            list.method = "GET";
            list.target = "/oserve/v2.2/miniapp/user_profile/?limit=1000&keys=id";
            list.authorization = "Bearer test-token";
            list.env_id = std::string(env);
            const api_response reply = api.handle(list);
            check(reply.status == 200, "the seeded users can be listed", reply.body);
            const json::value page = json::parse(reply.body);
            for (const auto& u : page.at("objects").as_array()) {
                const std::int64_t id = u.at("id").as_int64();
                users.emplace_back(env, id, api.stored_user_json(env, id).value());
            }
        }
        check(users.size() == 2 * config().users_per_environment, "every user is snapshotted");
        restore(); // from now on every user's text is in the form a restore writes
    }

    static user_api_config config() {
        user_api_config c;
        c.users_per_environment = 50;
        c.environments = {std::string(environments[1])};
        return c;
    }

    /// Puts back every user of `env` (all environments by default) as snapshotted.
    void restore(std::optional<std::string_view> env = std::nullopt) {
        for (const auto& [user_env, id, text] : users) {
            if (!env || *env == user_env) {
                check(api.upsert_user(user_env, text) == id, "a snapshotted user is restored");
            }
        }
    }
};

shared_state& shared() {
    static shared_state state;
    return state;
}

const core::schema& columns() {
    static const core::schema s = core::schema::seeded();
    return s;
}

api_request request_from(std::string_view input) {
    api_request r;
    const auto flags = static_cast<unsigned char>(input.empty() ? 0 : input.front());
    input.remove_prefix(input.empty() ? 0 : 1);
    static constexpr const char* methods[] = {"GET", "PUT", "POST", "DELETE"};
    r.method = methods[flags & 3u];
    if ((flags & 4u) != 0) {
        r.env_id = "env-b";
    }
    if ((flags & 0x38u) != 0x38u) {
        r.authorization = "Bearer test-token";
    }
    if ((flags & 0x40u) != 0) {
        r.content_type = "application/json";
    }
    const auto newline = input.find('\n');
    r.target = std::string(input.substr(0, newline));
    if (newline != std::string_view::npos) {
        r.body = std::string(input.substr(newline + 1));
    }
    return r;
}

void check_reply(const api_request& request, const api_response& reply) {
    const std::string context = request.method + " " + request.target;
    switch (reply.status) {
    case 200:
    case 400:
    case 401:
    case 404:
    case 405:
    case 502:
        break;
    case 500:
        check(false, "handle() caught an exception (500)", context + "\n  " + reply.body);
        break;
    default:
        check(false, "an unexpected status", context);
    }
    // Every body is JSON text (Content-Type: application/json): clients parse it. Replies nest
    // stored users, whose values may be as deep as a request body allows, so no depth limit.
    json::parse_options deep;
    deep.max_depth = 4096;
    boost::system::error_code ec;
    static_cast<void>(json::parse(reply.body, ec, {}, deep));
    check(!ec, "the reply body is JSON", context + "\n  " + reply.body);
}

/// The query-parameter parsers, called directly on the target's query: handle() stops at the
/// first problem (route, token, window), these see every parameter of every input.
void fuzz_query_params(std::string_view target) {
    const auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        return;
    }
    const auto params = url->params();
    for (const auto& p : params) {
        static_cast<void>(core::parse_integer(p.value));
    }
    const auto segments = url->segments();
    if (!segments.empty()) {
        static_cast<void>(core::path_user_id(segments.back()));
    }

    const auto window = core::parse_page_window(params);
    if (const auto* w = std::get_if<core::page_window>(&window)) {
        check(w->limit >= 1 && w->limit <= 1000 && w->offset >= 0, "the window is in range",
              target);
        // The links of a list reply are requests clients send next: they must parse, keep the
        // other parameters and name the window they were built for.
        constexpr std::string_view path = "/oserve/v2.2/miniapp/user_profile/";
        std::vector<core::page_window> expected{*w};
        std::vector<std::string> links{core::page_link(path, *url, w->limit, w->offset)};
        if (auto previous = core::previous_page_link(path, *url, *w)) {
            expected.push_back(
                {w->limit, std::max<std::int64_t>(0, w->offset - w->limit), w->want_total});
            links.push_back(std::move(*previous));
        }
        for (std::size_t i = 0; i < links.size(); ++i) {
            const auto parsed = boost::urls::parse_origin_form(links[i]);
            check(parsed.has_value(), "a page link is a valid request target", links[i]);
            const auto again = core::parse_page_window(parsed->params());
            const auto* got = std::get_if<core::page_window>(&again);
            check(got != nullptr && got->limit == expected[i].limit &&
                      got->offset == expected[i].offset &&
                      got->want_total == expected[i].want_total,
                  "a page link names the window it was built for", links[i]);
        }
    }

    const auto order = core::parse_order_by(core::query_param(params, "order_by"), columns());
    if (const auto* keys = std::get_if<std::vector<core::order_key>>(&order)) {
        check(!keys->empty() && keys->back().field == "id", "an order ends with id", target);
    }

    if (const auto text = core::query_param(params, "keys")) {
        const auto keys = core::parse_keys(*text, columns());
        if (const auto* selection = std::get_if<core::key_selection>(&keys)) {
            json::object user =
                json::parse(R"({"id":1,"nickname":"a","score":2,"tags":[]})").as_object();
            core::apply_keys(user, *selection);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const api_request request =
        request_from(std::string_view(reinterpret_cast<const char*>(data), size));
    shared_state& state = shared();
    const api_response reply = state.api.handle(request);
    check_reply(request, reply);
    // Only a successful PUT writes (the endpoints validate everything before changing anything).
    if (request.method == "PUT" && reply.status == 200) {
        state.restore(request.env_id);
    }
    fuzz_query_params(request.target);
    return 0;
}
