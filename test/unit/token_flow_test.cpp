// The token flow's pure parts: the cookie jar and where a redirect may lead.
#include "api/token_flow.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using minapp::detail::cookie_jar;
using minapp::detail::redirect_target;

BOOST_AUTO_TEST_SUITE(token_flow_parts)

BOOST_AUTO_TEST_CASE(the_cookie_jar_keeps_name_value_pairs) {
    cookie_jar jar;
    BOOST_TEST(jar.empty());
    BOOST_TEST(jar.header().empty());
    jar.take("flow=abc123; Path=/; HttpOnly");
    jar.take(" step = 2 ;Secure");
    BOOST_TEST(jar.header() == "flow=abc123; step=2");
    jar.take("flow=def; Max-Age=60"); // replaced
    BOOST_TEST(jar.header() == "flow=def; step=2");
    jar.take("step=gone; Max-Age=0"); // deleted
    BOOST_TEST(jar.header() == "flow=def");
    jar.take("flow=; Path=/"); // an empty value deletes too
    BOOST_TEST(jar.empty());
    jar.take("no-equals-sign");
    jar.take("=value-without-name");
    BOOST_TEST(jar.empty());
}

BOOST_AUTO_TEST_CASE(redirects_stay_on_the_origin) {
    const minapp::http::origin https(minapp::http::scheme::https, "cloud.minapp.com", 443);
    const std::string from = "/api/oauth2/hydrogen/openapi/authorize/";
    std::string why;
    // Absolute path, relative reference, and an absolute URL on the same origin.
    BOOST_TEST(redirect_target(https, from, "/api/next/?flow=1", why).value() ==
               "/api/next/?flow=1");
    BOOST_TEST(redirect_target(https, "/api/next/?flow=1", "done/?x=2", why).value() ==
               "/api/next/done/?x=2");
    BOOST_TEST(redirect_target(https, from, "../code/", why).value() ==
               "/api/oauth2/hydrogen/openapi/code/");
    BOOST_TEST(redirect_target(https, from, "https://CLOUD.minapp.com:443/a/#frag", why).value() ==
               "/a/");
    BOOST_TEST(redirect_target(https, from, "//cloud.minapp.com/b/", why).value() == "/b/");

    // Anything else is refused, with the reason.
    for (const char* location : {"https://evil.example/steal/", "http://cloud.minapp.com/a/",
                                 "https://cloud.minapp.com:8443/a/", "//evil.example/a/"}) {
        why.clear();
        BOOST_TEST(!redirect_target(https, from, location, why).has_value(), location);
        BOOST_TEST(why == "a redirect to another origin, refused");
    }
    why.clear();
    BOOST_TEST(!redirect_target(https, from, "", why).has_value());
    BOOST_TEST(why == "a redirect without a Location");
    why.clear();
    BOOST_TEST(!redirect_target(https, from, "http://[bad", why).has_value());
    BOOST_TEST(why == "a redirect to an unparsable Location");

    const minapp::http::origin local(minapp::http::scheme::http, "127.0.0.1", 8080);
    BOOST_TEST(redirect_target(local, from, "http://127.0.0.1:8080/c/", why).value() == "/c/");
    BOOST_TEST(!redirect_target(local, from, "http://127.0.0.1/c/", why).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
