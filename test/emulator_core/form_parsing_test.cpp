// The parsers under the token endpoints: parameterized header values, multipart/form-data,
// Cookie headers and token request bodies in their three encodings.
#include "emulator/core/cookie_header.hpp"
#include "emulator/core/header_params.hpp"
#include "emulator/core/multipart_form.hpp"
#include "emulator/core/oauth_body.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace minapp::emulator::detail;

namespace {

constexpr std::string_view boundary = "------------------------d74496d66958873e";

/// A well-formed body with the given parts, as curl -F writes it.
std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string body;
    for (const auto& [name, value] : fields) {
        body += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" +
                name + "\"\r\n\r\n" + value + "\r\n";
    }
    return body + "--" + std::string(boundary) + "--\r\n";
}

std::vector<form_field> fields_of(std::string_view b, std::string_view body) {
    auto parsed = parse_multipart_form(b, body);
    BOOST_TEST_REQUIRE(parsed.index() == 0U, (parsed.index() == 1 ? std::get<1>(parsed) : ""));
    return std::get<0>(parsed);
}

bool refused(std::string_view b, std::string_view body) {
    return parse_multipart_form(b, body).index() == 1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_form_parsing)

BOOST_AUTO_TEST_CASE(parameterized_values) {
    auto json = parse_parameterized("Application/JSON; Charset=\"UTF-8\"");
    BOOST_TEST_REQUIRE(json.has_value());
    BOOST_TEST(json->value == "application/json");
    BOOST_TEST(*json->param("charset") == "UTF-8"); // values keep their case
    BOOST_TEST(json->param("boundary") == nullptr);

    auto multipart = parse_parameterized("multipart/form-data;boundary=AbC'()+_,-./:=?x");
    BOOST_TEST_REQUIRE(!multipart.has_value()); // ' ( ) , / : = ? are not tchars: quote them
    multipart = parse_parameterized("multipart/form-data ; boundary=\"AbC'()+_,-./:=? x\" ");
    BOOST_TEST_REQUIRE(multipart.has_value());
    BOOST_TEST(*multipart->param("boundary") == "AbC'()+_,-./:=? x");

    auto disposition = parse_parameterized(R"(form-data; name="a\"b"; filename=x.txt)");
    BOOST_TEST_REQUIRE(disposition.has_value());
    BOOST_TEST(disposition->value == "form-data");
    BOOST_TEST(*disposition->param("name") == "a\"b");
    BOOST_TEST(*disposition->param("filename") == "x.txt");

    for (const char* bad : {"", ";a=b", "text/", "/plain", "text/plain;", "text/plain; a",
                            "text/plain; a=", "text/plain; a=\"x", "text/plain; a=b; A=c",
                            "text/plain a=b", "text/plain; a=b c"}) {
        BOOST_TEST(!parse_parameterized(bad).has_value(), "'" << bad << "'");
    }
}

BOOST_AUTO_TEST_CASE(multipart_as_clients_write_it) {
    const auto fields =
        fields_of(boundary, form({{"client_id", "a"},
                                  {"client_secret", ""},
                                  {"code", "line\r\nbreak --" + std::string(boundary)}}));
    BOOST_TEST_REQUIRE(fields.size() == 3U);
    BOOST_TEST(fields[0].name == "client_id");
    BOOST_TEST(fields[0].value == "a");
    BOOST_TEST(fields[1].value == "");
    // A boundary not preceded by CRLF is content.
    BOOST_TEST(fields[2].value == "line\r\nbreak --" + std::string(boundary));

    // Python requests: a hex boundary, no trailing CRLF after the close delimiter; a part
    // Content-Type and header case vary.
    const std::string b = "3f1b8e0c2d4a";
    const std::string body = "--" + b +
                             "\r\ncontent-disposition: form-data; name=grant_type\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n\r\nrefresh_token\r\n--" +
                             b + "--";
    const auto python = fields_of(b, body);
    BOOST_TEST_REQUIRE(python.size() == 1U);
    BOOST_TEST(python[0].name == "grant_type");
    BOOST_TEST(python[0].value == "refresh_token");

    const auto repeated = fields_of(boundary, form({{"a", "1"}, {"a", "2"}}));
    BOOST_TEST(repeated.size() == 2U); // the caller decides about repeats
}

BOOST_AUTO_TEST_CASE(multipart_is_strict) {
    const std::string good = form({{"a", "1"}});
    const std::string dash = "--" + std::string(boundary);
    const auto part = [&](std::string headers, std::string value = "1") {
        return dash + "\r\n" + headers + "\r\n\r\n" + value + "\r\n" + dash + "--\r\n";
    };
    BOOST_TEST(!refused(boundary, good));
    BOOST_TEST(!refused(boundary, part("Content-Disposition: form-data; name=\"a\"")));
    const std::vector<std::string> bad = {
        "",
        "preamble\r\n" + good,
        good + "epilogue",
        good + "\r\n",
        good.substr(0, good.size() - 4),               // no close delimiter
        dash + "--\r\n",                               // no part at all
        dash + " \r\n" + good.substr(dash.size() + 2), // transport padding
        part("Content-Disposition: form-data"),        // no name
        part("Content-Disposition: form-data; name=\"\""),
        part("Content-Disposition: attachment; name=\"a\""),
        part("Content-Disposition: form-data; name=\"a\"; filename=\"a.txt\""),
        part("Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; "
             "name=\"b\""),
        part("Content-Type: text/plain"),                                      // no disposition
        part("Content-Disposition: form-data; name=\"a\"\r\nX-Extra: 1"),      // unknown header
        part("Content-Disposition: form-data; name=\"a\"\r\nContent-Type: /"), // bad media type
        part("Content-Disposition: form-data; name=\"a\"\r\n folded"),
        part("Content-Disposition: form-data; name=\"a\"\nX: y"), // bare LF
        part("Content-Disposition form-data; name=\"a\""),
        dash + "\r\nContent-Disposition: form-data; name=\"a\"\n\n1\r\n" + dash + "--",
    };
    for (const std::string& body : bad) {
        BOOST_TEST(refused(boundary, body), body);
    }
    for (const std::string& b : {std::string(), std::string(71, 'a'), std::string("a "),
                                 std::string("a;b"), std::string("\xe4")}) {
        BOOST_TEST(!valid_boundary(b), b);
        BOOST_TEST(refused(b, good));
    }
    BOOST_TEST(valid_boundary(std::string(70, 'a')));
    BOOST_TEST(valid_boundary("a b"));
}

BOOST_AUTO_TEST_CASE(cookie_values) {
    BOOST_TEST(cookie_value("a=1", "a").value() == "1");
    BOOST_TEST(cookie_value("a=1; b=2", "b").value() == "2");
    BOOST_TEST(cookie_value("a=1;b=2; ", "b").value() == "2");
    BOOST_TEST(cookie_value(" b=\"x y\" ", "b").value() == "x y");
    BOOST_TEST(cookie_value("a=", "a").value() == "");
    BOOST_TEST(cookie_value("a=x=y", "a").value() == "x=y");
    BOOST_TEST(!cookie_value("", "a").has_value());
    BOOST_TEST(!cookie_value("ab=1", "a").has_value());
    BOOST_TEST(!cookie_value("A=1", "a").has_value()); // names are case-sensitive
    BOOST_TEST(!cookie_value("a=1; a=2", "a").has_value());
    BOOST_TEST(!cookie_value("a=1; junk", "a").has_value());
    BOOST_TEST(!cookie_value("=1; a=2", "a").has_value());
}

BOOST_AUTO_TEST_CASE(token_request_bodies) {
    const auto params = [](std::string_view type, std::string_view body) {
        auto parsed = parse_oauth_body(type, body);
        BOOST_TEST_REQUIRE(parsed.index() == 0U, (parsed.index() == 1 ? std::get<1>(parsed) : ""));
        return std::get<0>(parsed);
    };
    const auto error = [](std::string_view type, std::string_view body) {
        auto parsed = parse_oauth_body(type, body);
        return parsed.index() == 1 ? std::get<1>(parsed) : std::string("<accepted>");
    };
    BOOST_TEST(params("", R"({"a":"1"})").at("a") == "1");
    BOOST_TEST(params("application/json; charset=utf-8", R"({"a":"1","b":"2"})").size() == 2U);
    const auto urlencoded =
        params("application/x-www-form-urlencoded", "a=x+y%2Bz&b=&c&d=%E4%BD%A0");
    BOOST_TEST(urlencoded.at("a") == "x y+z");
    BOOST_TEST(urlencoded.at("b") == "");
    BOOST_TEST(urlencoded.at("c") == "");
    BOOST_TEST(urlencoded.at("d") == "\xe4\xbd\xa0");
    BOOST_TEST(params("multipart/form-data; boundary=\"" + std::string(boundary) + "\"",
                      form({{"code", "c"}}))
                   .at("code") == "c");

    BOOST_TEST(error("application/json", R"({"secret":5})").find("string") != std::string::npos);
    BOOST_TEST(error("application/json", R"({"a":"x")") != "<accepted>");
    BOOST_TEST(error("application/json", "[]") != "<accepted>");
    BOOST_TEST(error("application/x-www-form-urlencoded", "a=1&a=2").find("more than once") !=
               std::string::npos);
    BOOST_TEST(error("application/x-www-form-urlencoded", "a=%zz") != "<accepted>");
    BOOST_TEST(error("multipart/form-data; boundary=" + std::string(boundary),
                     form({{"a", "1"}, {"a", "2"}})) != "<accepted>");
    BOOST_TEST(error("multipart/form-data", form({{"a", "1"}})) != "<accepted>");
    BOOST_TEST(error("text/plain", "a=1") != "<accepted>");
    BOOST_TEST(error("application/json;", "{}") != "<accepted>");
    // Reasons never quote values (they are secrets).
    BOOST_TEST(error("application/json", R"({"a":"s3cr3t","b":1})").find("s3cr3t") ==
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
