#include <minapp/error.hpp>
#include <minapp/http/origin.hpp>

#include <boost/test/unit_test.hpp>

using minapp::http::parse_origin;
using minapp::http::scheme;

BOOST_AUTO_TEST_SUITE(origin)

BOOST_AUTO_TEST_CASE(parses_valid_origins) {
    struct row {
        const char* text;
        scheme s;
        const char* host;
        std::uint16_t port;
        const char* canonical;
        const char* host_header;
    };
    const row rows[] = {
        {"https://cloud.minapp.com", scheme::https, "cloud.minapp.com", 443,
         "https://cloud.minapp.com", "cloud.minapp.com"},
        {"https://cloud.minapp.com/", scheme::https, "cloud.minapp.com", 443,
         "https://cloud.minapp.com", "cloud.minapp.com"},
        {"HTTPS://Cloud.MinApp.com:8443", scheme::https, "cloud.minapp.com", 8443,
         "https://cloud.minapp.com:8443", "cloud.minapp.com:8443"},
        {"http://127.0.0.1:8080", scheme::http, "127.0.0.1", 8080, "http://127.0.0.1:8080",
         "127.0.0.1:8080"},
        {"http://localhost", scheme::http, "localhost", 80, "http://localhost", "localhost"},
        {"https://[::1]:9443", scheme::https, "::1", 9443, "https://[::1]:9443", "[::1]:9443"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.text) {
            auto o = parse_origin(r.text);
            BOOST_TEST_REQUIRE(o.has_value());
            BOOST_TEST((o->scheme == r.s));
            BOOST_TEST(o->host == r.host);
            BOOST_TEST(o->port == r.port);
            BOOST_TEST(o->to_string() == r.canonical);
            BOOST_TEST(o->host_header() == r.host_header);
        }
    }
}

BOOST_AUTO_TEST_CASE(rejects_invalid_origins) {
    const char* rows[] = {
        "",
        "cloud.minapp.com",
        "ftp://cloud.minapp.com",
        "https://user:pass@cloud.minapp.com",
        "https://cloud.minapp.com/oserve/",
        "https://cloud.minapp.com?x=1",
        "https://cloud.minapp.com#frag",
        "https://cloud.minapp.com:0",
        "https://:443",
        "https://cloud.minapp.com:99999",
    };
    for (const char* text : rows) {
        BOOST_TEST_CONTEXT(text) {
            auto o = parse_origin(text);
            BOOST_TEST_REQUIRE(o.has_error());
            BOOST_TEST((o.error() == minapp::error::invalid_origin));
        }
    }
}

BOOST_AUTO_TEST_CASE(detects_ip_literals) {
    BOOST_TEST(parse_origin("http://127.0.0.1:1")->host_is_ip_literal());
    BOOST_TEST(parse_origin("http://[::1]:1")->host_is_ip_literal());
    BOOST_TEST(!parse_origin("http://localhost:1")->host_is_ip_literal());
}

BOOST_AUTO_TEST_SUITE_END()
