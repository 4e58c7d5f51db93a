// Unit tests of detail::encode_query_value (notes §1.4, design notes §2).
#include <minapp/detail/url_encoding.hpp>
#include <minapp/where.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url.hpp>

#include <string>

using minapp::detail::encode_query_value;

namespace {

/// Decodes a percent-encoded string with Boost.URL; fails the test if it is malformed.
std::string decode(const std::string& encoded) {
    auto pct = boost::urls::make_pct_string_view(encoded);
    BOOST_TEST_REQUIRE(pct.has_value(), "not valid percent-encoding: " << encoded);
    return pct->decode();
}

/// Whether `s` holds only unreserved characters and %XX escapes with upper-case hex digits.
bool only_unreserved_and_escapes(const std::string& s) {
    const std::string unreserved =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    const std::string upper_hex = "0123456789ABCDEF";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size() || upper_hex.find(s[i + 1]) == std::string::npos ||
                upper_hex.find(s[i + 2]) == std::string::npos) {
                return false;
            }
            i += 2;
        } else if (unreserved.find(s[i]) == std::string::npos) {
            return false;
        }
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(url_encoding)

BOOST_AUTO_TEST_CASE(encodes_exactly) {
    struct row {
        const char* value;
        const char* encoded;
    };
    const row rows[] = {
        {"", ""},
        {"AZaz09-._~", "AZaz09-._~"},
        {" ", "%20"},
        {"+", "%2B"},
        {"a+b@x.com", "a%2Bb%40x.com"},
        {"a b", "a%20b"},
        {"&=%/?#", "%26%3D%25%2F%3F%23"},
        {"!*'();:@$,[]", "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D"},
        {"广州", "%E5%B9%BF%E5%B7%9E"},
        {"\xF0\x9F\x98\x80", "%F0%9F%98%80"}, // U+1F600, an emoji outside the BMP
        {"{}", "%7B%7D"},
        // The documented example of notes §1.4.
        {R"({"status":{"$eq":"deleted"}})",
         "%7B%22status%22%3A%7B%22%24eq%22%3A%22deleted%22%7D%7D"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.value) {
            BOOST_TEST(encode_query_value(r.value) == r.encoded);
        }
    }
}

BOOST_AUTO_TEST_CASE(survives_decoding) {
    const std::string rows[] = {
        "a+b c&d=e%f/g?h#i",
        "广州 + 深圳",
        "\xF0\x9F\x98\x80 emoji \xE2\x9C\x85",
        R"({"nickname":{"$regex":"^a+b c","$options":"i"}})",
        std::string("nul\0byte", 8),
    };
    for (const auto& value : rows) {
        BOOST_TEST_CONTEXT(value) {
            const std::string encoded = encode_query_value(value);
            BOOST_TEST(only_unreserved_and_escapes(encoded));
            BOOST_TEST(decode(encoded) == value);

            // Through a URL's query, read back the way a server reads it: with '+' meaning a
            // space. Only an encoded '+' survives that.
            boost::urls::url u("https://cloud.minapp.com/oserve/v2.2/miniapp/user_profile/");
            u.encoded_params().append({"where", encoded});
            u.encoded_params().append({"limit", "20"});
            const auto reparsed = boost::urls::parse_uri(u.buffer());
            BOOST_TEST_REQUIRE(reparsed.has_value());
            const auto params = reparsed->params();
            const auto it = params.find("where");
            BOOST_TEST_REQUIRE((it != params.end()));
            BOOST_TEST((*it).value == value);
        }
    }
}

BOOST_AUTO_TEST_CASE(round_trips_every_byte) {
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) {
        all_bytes += static_cast<char>(b);
    }
    const std::string encoded = encode_query_value(all_bytes);
    BOOST_TEST(only_unreserved_and_escapes(encoded));
    BOOST_TEST(decode(encoded) == all_bytes);
    // 66 unreserved characters stay as they are; the other 190 bytes take three characters.
    BOOST_TEST(encoded.size() == 66U + 190U * 3U);
}

BOOST_AUTO_TEST_CASE(carries_a_where_document) {
    const auto w =
        minapp::where::contains("city", "广州") && minapp::where::regex("nickname", "^a+b c", "i");
    BOOST_TEST_REQUIRE(w.problem() == "");
    const std::string decoded = decode(encode_query_value(w.to_json()));
    BOOST_TEST(boost::json::parse(decoded).as_object() == w.document());
}

BOOST_AUTO_TEST_SUITE_END()
