#include "query_string.hpp"

#include <minapp/detail/url_encoding.hpp>

namespace minapp::detail {

query_string& query_string::add(std::string_view name, std::string_view value) {
    if (!text_.empty()) {
        text_ += '&';
    }
    text_ += name;
    text_ += '=';
    text_ += encode_query_value(value);
    return *this;
}

query_string& query_string::add(std::string_view name, std::int64_t value) {
    return add(name, std::string_view(std::to_string(value)));
}

} // namespace minapp::detail
