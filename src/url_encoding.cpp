#include <minapp/detail/url_encoding.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace minapp::detail {

std::string encode_query_value(std::string_view value) {
    // Boost.URL's params().append would leave '+' (and other sub-delimiters) as they are, and
    // servers read a literal '+' in a query as a space: encode everything but unreserved.
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

} // namespace minapp::detail
