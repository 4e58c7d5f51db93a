// Fuzz target: the client's reply parsers (src/api/json_reply.cpp).
//
// Why: every reply body comes off the network, from the real service, a proxy or anything in
// between. Whatever the bytes, each parser must return a value or a shape_error: no crash, no
// undefined behaviour (UBSan aborts), no leak (LeakSanitizer at exit), no runaway time or memory.
//
// Every parser runs on every input rather than one chosen by a leading byte: the corpus files
// stay plain reply bodies (readable, and replayable with any tool), and the shapes overlap (a
// list reply is a page, a total count and a v1 lookup envelope at once), so one interesting
// input exercises several parsers.
#include "api/json_reply.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace minapp;
using namespace minapp::detail;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_json_reply: check failed: %s\n", what);
        std::abort();
    }
}

// Copies a result, which reads every byte of every string and JSON value it holds: ASan then
// reports any part still pointing into a parse arena that is gone (the parsers parse some replies
// into a per-call monotonic_resource, and users are moved out of the parsed DOM).
template <class T>
void run(const parsed<T>& result) {
    if (result) {
        const T copy = *result;
        static_cast<void>(copy);
    } else {
        check(!result.error().message.empty(), "a shape_error says what was wrong");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    const auto page = parse_user_page(body);
    run(page);
    run(parse_user(body));
    const auto total = parse_total_count(body);
    run(total);
    run(parse_batch_update(body));
    run(parse_account(body));
    run(parse_v1_page(body));
    run(parse_v1_user(body));

    // A list reply that parses as a page has the same meta for the count idiom: both read the
    // envelope with the same rules, one from an arena, one from the default storage.
    if (page) {
        check(total.has_value() == page->meta.total_count.has_value(),
              "parse_total_count agrees with parse_user_page on meta.total_count");
        if (total) {
            check(*total == *page->meta.total_count, "the two total counts are equal");
        }
    }

    // server_message documents its bounds: at most 512 bytes plus "...", no control characters.
    const std::string message = server_message(body);
    check(message.size() <= 515, "server_message is truncated to 512 bytes");
    for (const char c : message) {
        check(static_cast<unsigned char>(c) >= 0x20, "server_message has no control characters");
    }
    return 0;
}
