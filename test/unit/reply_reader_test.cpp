// The SAX reply reader against the DOM-based conversions it replaced (test/support/
// reply_reference): for every body, every shape, the same value or the same message, whether the
// body arrives whole or in pieces split anywhere (a network read can end inside a key, a string
// escape or a number).
#include "api/json_reply.hpp"
#include "api/reply_reader.hpp"
#include "support/reply_reference.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace minapp;
using namespace minapp::detail;
namespace reference = minapp::test::reference;

namespace {

bool same_meta(const page_meta& a, const page_meta& b) {
    return a.limit == b.limit && a.offset == b.offset && a.next == b.next &&
           a.previous == b.previous && a.total_count == b.total_count;
}

template <class T>
bool same_value(const T& a, const T& b) {
    if constexpr (std::is_same_v<T, user_page> || std::is_same_v<T, basic_page<user_v1>>) {
        return same_meta(a.meta, b.meta) && a.objects == b.objects;
    } else if constexpr (std::is_same_v<T, batch_update_result>) {
        if (a.results.size() != b.results.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.results.size(); ++i) {
            const auto& x = a.results[i];
            const auto& y = b.results[i];
            if (x.index() != y.index()) {
                return false;
            }
            if (const auto* s = std::get_if<batch_success>(&x)) {
                const auto& t = std::get<batch_success>(y);
                if (s->id != t.id || s->updated_at != t.updated_at) {
                    return false;
                }
            } else {
                const auto& e = std::get<batch_error>(x);
                const auto& f = std::get<batch_error>(y);
                if (e.message != f.message || e.code != f.code) {
                    return false;
                }
            }
        }
        return a.succeed == b.succeed && a.total_count == b.total_count && a.offset == b.offset &&
               a.limit == b.limit && a.next == b.next;
    } else {
        return a == b;
    }
}

template <class T>
std::string describe(const parsed<T>& r) {
    if (!r) {
        return "error: " + r.error().message;
    }
    if constexpr (std::is_same_v<T, std::int64_t>) {
        return "value " + std::to_string(*r);
    } else {
        return "a value";
    }
}

template <class T>
void agree(const parsed<T>& sax, const parsed<T>& dom, const std::string& what) {
    BOOST_TEST_CONTEXT(what) {
        BOOST_TEST_REQUIRE(sax.has_value() == dom.has_value(),
                           "reader: " << describe(sax) << "; reference: " << describe(dom));
        if (sax) {
            BOOST_TEST(same_value(*sax, *dom));
        } else {
            BOOST_TEST(sax.error().message == dom.error().message);
        }
    }
}

// Feeds `body` in the pieces `cuts` makes, as the network would.
template <class T>
parsed<T> read_in_pieces(std::string_view body, reply_shape shape,
                         parsed<T> (reply_reader::*take)(), const std::vector<std::size_t>& cuts) {
    reply_reader reader(shape);
    std::size_t at = 0;
    bool ok = true;
    for (std::size_t cut : cuts) {
        if (ok && cut > at && cut < body.size()) {
            ok = reader.write(body.substr(at, cut - at));
            at = cut;
        }
    }
    if (ok && reader.write(body.substr(at))) {
        reader.finish();
    }
    return (reader.*take)();
}

template <class T>
void check_shape(std::string_view body, reply_shape shape, parsed<T> (*whole)(std::string_view),
                 parsed<T> (*dom)(std::string_view), parsed<T> (reply_reader::*take)(),
                 const char* name, std::mt19937_64& rng) {
    const auto expected = dom(body);
    agree(whole(body), expected, std::string(name) + " whole");
    // Every single cut for short bodies, random sets of cuts for all.
    if (body.size() <= 200) {
        for (std::size_t cut = 1; cut < body.size(); ++cut) {
            agree(read_in_pieces(body, shape, take, {cut}), expected,
                  std::string(name) + " cut at " + std::to_string(cut));
        }
    }
    for (int round = 0; round < 4 && body.size() > 1; ++round) {
        std::vector<std::size_t> cuts;
        std::uniform_int_distribution<std::size_t> pick(1, body.size() - 1);
        const std::size_t n = 1 + rng() % 16;
        for (std::size_t i = 0; i < n; ++i) {
            cuts.push_back(pick(rng));
        }
        std::sort(cuts.begin(), cuts.end());
        agree(read_in_pieces(body, shape, take, cuts), expected,
              std::string(name) + " in " + std::to_string(n + 1) + " pieces");
    }
}

void check_all_shapes(std::string_view body, std::mt19937_64& rng) {
    BOOST_TEST_CONTEXT("body: " << body.substr(0, 300)) {
        check_shape(body, reply_shape::user, &parse_user, &reference::parse_user,
                    &reply_reader::take_user, "user", rng);
        check_shape(body, reply_shape::user_page, &parse_user_page, &reference::parse_user_page,
                    &reply_reader::take_user_page, "user page", rng);
        check_shape(body, reply_shape::total_count, &parse_total_count,
                    &reference::parse_total_count, &reply_reader::take_total_count, "total count",
                    rng);
        check_shape(body, reply_shape::batch_update, &parse_batch_update,
                    &reference::parse_batch_update, &reply_reader::take_batch_update, "batch", rng);
        check_shape(body, reply_shape::account, &parse_account, &reference::parse_account,
                    &reply_reader::take_account, "account", rng);
        check_shape(body, reply_shape::v1_page, &parse_v1_page, &reference::parse_v1_page,
                    &reply_reader::take_v1_page, "v1 page", rng);
        check_shape(body, reply_shape::v1_user, &parse_v1_user, &reference::parse_v1_user,
                    &reply_reader::take_v1_user, "v1 user", rng);
    }
}

const char* const crafted[] = {
    // Users: lenient types, duplicates (the last wins), containers where scalars are read,
    // escapes that make a built-in key, custom fields of every kind.
    R"({"id":1099511926111,"nickname":"小明","avatar":"https://a/b.jpg","gender":2,"country":"中国","province":"广东","city":"广州","language":"zh_CN","openid":"oABC","unionid":null,"is_authorized":true,"created_at":1600000000,"updated_at":1600000001,"created_by":1099511926111,"score":10,"tags":["a","b"],"profile":{"level":3,"deep":{"x":[1,{"y":null}]}},"_group":[1,2],"user_id":5,"balance":3826.05})",
    R"({"id":"123","gender":"2","created_at":1.6e9,"updated_at":-5,"created_by":1.5})",
    R"({"id":1.0})",
    R"({"id":1.5})",
    R"({"id":"9223372036854775807"})",
    R"({"id":"9223372036854775808"})",
    R"({"id":"9999999999999999999"})",
    R"({"id":18446744073709551615})",
    R"({"id":"12a"})",
    R"({"id":""})",
    R"({"id":-3})",
    R"({"nickname":"x"})",
    R"({"id":1,"id":{"a":1}})",
    R"({"id":{"a":1},"id":2})",
    R"({"id":1,"nickname":"a","nickname":5,"unionid":"u","unionid":3,"x":1,"y":2,"x":3})",
    R"({"\u0069d":7,"nick\u006eame":"esc\"aped\\\n","k\u00e9y":"\ud83d\ude00"})",
    R"({"id":1,"is_authorized":"true","gender":[2],"city":{"name":"x"},"language":null})",
    R"({"id":1,"custom":{},"empty":[],"nested":[[[[]]]],"str":"","neg":-0.0,"big":1e308})",
    R"([1,2,3])",
    R"("a string")",
    R"(42)",
    R"(null)",
    R"({})",
    // Pages and counts.
    R"({"meta":{"limit":2,"offset":0,"next":"/oserve/v2.2/miniapp/user_profile/?offset=2","previous":null,"total_count":5},"objects":[{"id":1,"nickname":"a"},{"id":2,"x":[1,2]}]})",
    R"({"objects":[{"id":1}],"meta":{"limit":"3","offset":1.0,"next":7,"total_count":"12"}})",
    R"({"meta":{"limit":1},"objects":[]})",
    R"({"meta":[],"objects":[]})",
    R"({"meta":{},"objects":{}})",
    R"({"objects":[]})",
    R"({"meta":{}})",
    R"({"meta":{},"objects":[{"id":1},2,{"nickname":"no id"}]})",
    R"({"meta":{},"objects":[{"nickname":"no id"},"x"]})",
    R"({"meta":{},"objects":[{"nickname":"no id"}],"objects":[{"id":4}]})",
    R"({"meta":{"total_count":1},"meta":5,"objects":[]})",
    R"({"meta":5,"meta":{"total_count":1},"objects":[]})",
    R"({"meta":{"total_count":null},"objects":[]})",
    R"({"meta":{"total_count":1,"total_count":"x"},"objects":[]})",
    // v1.
    R"({"meta":{"limit":20},"objects":[{"id":3,"user_id":1099511926111,"nickname":"v1","user_group":[1,"2",3.0,{"a":1},[4],null]}]})",
    R"({"meta":{},"objects":[{"id":3}]})",
    R"({"meta":{},"objects":[{"user_id":"7","user_group":{"a":1}}]})",
    R"({"id":3,"user_id":9,"city":"x","user_group":[5]})",
    R"({"id":3,"user_id":9,"objects":{"a":1}})",
    R"({"user_id":9,"objects":[]})",
    R"({"objects":[{"user_id":1},{"user_id":2}]})",
    R"({"objects":[5]})",
    R"({"objects":[{"user_id":1}],"user_id":4})",
    R"({"objects":[{"user_id":1}],"objects":7})",
    // Batch.
    R"({"operation_result":[{"success":{"id":"5bad87ab","updated_at":1600000000}},{"error":{"err_msg":"bad","code":400}},{"success":{"id":12}}],"succeed":2,"total_count":3,"offset":0,"limit":1000,"next":null})",
    R"({"operation_result":[{"success":5,"error":{"err_msg":"e"}}]})",
    R"({"operation_result":[{"success":{"id":[1]},"error":{"code":"4"}}]})",
    R"({"operation_result":[{}]})",
    R"({"operation_result":[[]]})",
    R"({"operation_result":[3]})",
    R"({"operation_result":{}})",
    R"({"operation_result":[{"success":{}}],"operation_result":[]})",
    R"({"succeed":"3"})",
    // Account.
    R"({"username":"u","email":"e@x","email_verified":true,"phone":null,"phone_verified":1})",
    R"({"username":5,"email":["e"],"email_verified":"true"})",
    // Syntax: every error comes first, whatever the shape.
    R"({"id":1)",
    R"({"id":1}x)",
    R"({"id":1} )",
    " \n\t{\"id\":1}\n ",
    R"({"id":1,})",
    R"({"id":1}{})",
    R"({"id":01})",
    R"({"id":1e999})",
    R"({"nickname":"\uD800"})",
    "{\"nickname\":\"\xff\"}",
    "",
    " ",
    R"([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])",
    R"({"id":1,"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}])",
    R"(/* comment */ {"id":1})",
};

// A small generator of user-like documents with the mistakes servers and proxies make.
std::string random_document(std::mt19937_64& rng) {
    static const char* const keys[] = {"id",
                                       "user_id",
                                       "nickname",
                                       "avatar",
                                       "gender",
                                       "city",
                                       "unionid",
                                       "is_authorized",
                                       "created_at",
                                       "meta",
                                       "objects",
                                       "limit",
                                       "total_count",
                                       "next",
                                       "operation_result",
                                       "success",
                                       "error",
                                       "err_msg",
                                       "code",
                                       "user_group",
                                       "score",
                                       "tags",
                                       "x"};
    static const char* const scalars[] = {"1",
                                          "-2",
                                          "3.5",
                                          "1e3",
                                          "18446744073709551615",
                                          "\"12\"",
                                          "\"abc\"",
                                          "\"\"",
                                          "true",
                                          "false",
                                          "null",
                                          "\"\\u00e9\\n\"",
                                          "9223372036854775808"};
    std::function<std::string(int)> value = [&](int depth) -> std::string {
        const auto roll = rng() % 10;
        if (depth > 4 || roll < 5) {
            return scalars[rng() % std::size(scalars)];
        }
        std::string out;
        const std::size_t n = rng() % 5;
        if (roll < 8) {
            out = "{";
            for (std::size_t i = 0; i < n; ++i) {
                out += (i ? "," : "");
                out += '"';
                out += keys[rng() % std::size(keys)];
                out += "\":";
                out += value(depth + 1);
            }
            return out + "}";
        }
        out = "[";
        for (std::size_t i = 0; i < n; ++i) {
            out += i ? "," : "";
            out += value(depth + 1);
        }
        return out + "]";
    };
    std::string doc = "{";
    const std::size_t n = 1 + rng() % 8;
    for (std::size_t i = 0; i < n; ++i) {
        doc += (i ? "," : "");
        // Appended piecewise: g++ 12 reports a false -Wrestrict for chained operator+ here.
        doc += '"';
        doc += keys[rng() % std::size(keys)];
        doc += "\":";
        doc += value(1);
    }
    doc += "}";
    if (rng() % 20 == 0) {
        doc.resize(rng() % doc.size()); // truncated
    }
    return doc;
}

} // namespace

BOOST_AUTO_TEST_SUITE(reply_reader_agrees_with_the_dom_conversions)

BOOST_AUTO_TEST_CASE(crafted_bodies) {
    std::mt19937_64 rng(1);
    for (const char* body : crafted) {
        check_all_shapes(body, rng);
    }
}

BOOST_AUTO_TEST_CASE(fuzz_corpus_and_regressions) {
    std::mt19937_64 rng(2);
    std::size_t files = 0;
    for (const char* dir : {MINAPP_SOURCE_DIR "/test/fuzz/corpus/fuzz_json_reply",
                            MINAPP_SOURCE_DIR "/test/fuzz/regressions/fuzz_json_reply"}) {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().filename() == "README") {
                continue;
            }
            std::ifstream in(entry.path(), std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            check_all_shapes(text.str(), rng);
            ++files;
        }
    }
    BOOST_TEST(files >= 10u);
}

BOOST_AUTO_TEST_CASE(generated_documents) {
    std::mt19937_64 rng(3);
    for (int i = 0; i < 1500; ++i) {
        check_all_shapes(random_document(rng), rng);
    }
}

// Custom fields keep the server's order (the DOM version reordered them when it erased the
// built-ins), and a big page is read in any pieces.
BOOST_AUTO_TEST_CASE(custom_fields_keep_their_order_and_pages_read_in_pieces) {
    const auto u = parse_user(R"({"z":1,"id":5,"a":2,"nickname":"n","m":3})").value();
    BOOST_TEST(boost::json::serialize(u.custom_fields) == R"({"z":1,"a":2,"m":3})");

    std::string page =
        R"({"meta":{"limit":1000,"offset":0,"next":null,"total_count":1000},"objects":[)";
    for (int i = 1; i <= 1000; ++i) {
        page += (i > 1 ? "," : "");
        page +=
            R"({"id":)" + std::to_string(i) + R"(,"nickname":"user )" + std::to_string(i) +
            R"(","avatar":"https://media.ifanrusercontent.com/tavatar/0123456789abcdef.jpg","score":)" +
            std::to_string(i * 3) + R"(,"tags":["a","b"],"profile":{"k":"v"}})";
    }
    page += "]}";
    reply_reader reader(reply_shape::user_page);
    for (std::size_t at = 0; at < page.size(); at += 1777) {
        BOOST_TEST_REQUIRE(reader.write(std::string_view(page).substr(at, 1777)));
    }
    BOOST_TEST_REQUIRE(reader.finish());
    const auto read = reader.take_user_page().value();
    const auto dom = reference::parse_user_page(page).value();
    BOOST_TEST(read.objects.size() == 1000u);
    BOOST_TEST(read.objects == dom.objects);
    BOOST_TEST(read.objects[999].custom_fields.at("score") == 3000);
}

BOOST_AUTO_TEST_SUITE_END()
