// Fuzz target: the client's reply parsers (src/api/reply_reader.cpp, behind json_reply.hpp).
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
#include "support/reply_reference.hpp"

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

bool same_meta(const page_meta& a, const page_meta& b) {
    return a.limit == b.limit && a.offset == b.offset && a.next == b.next &&
           a.previous == b.previous && a.total_count == b.total_count;
}

bool same(const user_page& a, const user_page& b) {
    return same_meta(a.meta, b.meta) && a.objects == b.objects;
}
bool same(const basic_page<user_v1>& a, const basic_page<user_v1>& b) {
    return same_meta(a.meta, b.meta) && a.objects == b.objects;
}
bool same(const batch_update_result& a, const batch_update_result& b) {
    if (a.results.size() != b.results.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.results.size(); ++i) {
        const auto* s = std::get_if<batch_success>(&a.results[i]);
        const auto* t = std::get_if<batch_success>(&b.results[i]);
        const auto* e = std::get_if<batch_error>(&a.results[i]);
        const auto* f = std::get_if<batch_error>(&b.results[i]);
        if ((s != nullptr) != (t != nullptr) ||
            (s != nullptr && (s->id != t->id || s->updated_at != t->updated_at)) ||
            (e != nullptr && (e->message != f->message || e->code != f->code))) {
            return false;
        }
    }
    return a.succeed == b.succeed && a.total_count == b.total_count && a.offset == b.offset &&
           a.limit == b.limit && a.next == b.next;
}
template <class T>
bool same(const T& a, const T& b) {
    return a == b;
}

// The SAX reader must give what the DOM-based reference gives: the same value, or the same
// message.
template <class T>
void agree(const parsed<T>& sax, const parsed<T>& dom, const char* what) {
    check(sax.has_value() == dom.has_value(), what);
    if (sax) {
        check(same(*sax, *dom), what);
    } else {
        check(sax.error().message == dom.error().message, what);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    namespace ref = minapp::test::reference;
    const auto page = parse_user_page(body);
    run(page);
    agree(page, ref::parse_user_page(body), "user page agrees with the reference");
    const auto user = parse_user(body);
    run(user);
    agree(user, ref::parse_user(body), "user agrees with the reference");
    const auto total = parse_total_count(body);
    run(total);
    agree(total, ref::parse_total_count(body), "total count agrees with the reference");
    const auto batch = parse_batch_update(body);
    run(batch);
    agree(batch, ref::parse_batch_update(body), "batch agrees with the reference");
    const auto account = parse_account(body);
    run(account);
    agree(account, ref::parse_account(body), "account agrees with the reference");
    const auto v1_page = parse_v1_page(body);
    run(v1_page);
    agree(v1_page, ref::parse_v1_page(body), "v1 page agrees with the reference");
    const auto v1_user = parse_v1_user(body);
    run(v1_user);
    agree(v1_user, ref::parse_v1_user(body), "v1 user agrees with the reference");

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
