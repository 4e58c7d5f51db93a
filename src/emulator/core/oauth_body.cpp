#include "oauth_body.hpp"

#include "header_params.hpp"
#include "multipart_form.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

namespace minapp::emulator::detail {
namespace {

using result = std::variant<oauth_params, std::string>;

result failure(std::string message) {
    return result(std::in_place_index<1>, std::move(message));
}

result from_json(std::string_view body) {
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        return failure("the body is not a JSON object");
    }
    oauth_params out;
    for (const auto& [key, value] : parsed.as_object()) {
        if (!value.is_string()) {
            return failure("parameter '" + std::string(key) + "' must be a string");
        }
        out.emplace(std::string(key), std::string(value.get_string()));
    }
    return out;
}

result from_fields(std::vector<form_field> fields) {
    oauth_params out;
    for (form_field& field : fields) {
        const std::string name = field.name;
        if (!out.emplace(std::move(field.name), std::move(field.value)).second) {
            return failure("parameter '" + name + "' given more than once");
        }
    }
    return out;
}

result from_urlencoded(std::string_view body) {
    auto query = boost::urls::parse_query(body);
    if (!query) {
        return failure("malformed application/x-www-form-urlencoded body");
    }
    boost::urls::encoding_opts options;
    options.space_as_plus = true; // HTML form encoding writes a space as '+'
    std::vector<form_field> fields;
    // Validated above, so this constructor (the one libboost_url 1.81 exports with options)
    // cannot throw.
    const boost::urls::params_view decoded(body, options);
    for (const auto& param : decoded) {
        if (!param.key.empty()) {
            fields.push_back(form_field{param.key, param.value});
        }
    }
    return from_fields(std::move(fields));
}

} // namespace

std::variant<oauth_params, std::string> parse_oauth_body(std::string_view content_type,
                                                         std::string_view body) {
    if (content_type.empty()) {
        return from_json(body);
    }
    const auto media = parse_parameterized(content_type);
    if (!media) {
        return failure("malformed Content-Type");
    }
    if (media->value == "application/json") {
        return from_json(body);
    }
    if (media->value == "multipart/form-data") {
        const std::string* boundary = media->param("boundary");
        if (boundary == nullptr) {
            return failure("multipart/form-data without a boundary");
        }
        auto fields = parse_multipart_form(*boundary, body);
        if (fields.index() == 1) {
            return failure(std::move(std::get<1>(fields)));
        }
        return from_fields(std::move(std::get<0>(fields)));
    }
    if (media->value == "application/x-www-form-urlencoded") {
        return from_urlencoded(body);
    }
    return failure("unsupported Content-Type '" + media->value + "'");
}

} // namespace minapp::emulator::detail
