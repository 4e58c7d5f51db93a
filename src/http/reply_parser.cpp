#include "reply_parser.hpp"

#include <boost/beast/core/string.hpp>

namespace minapp::http::detail {

namespace bhttp = boost::beast::http;

void reply_parser::on_field_impl(bhttp::field name, boost::beast::string_view name_string,
                                 boost::beast::string_view value, boost::beast::error_code&) {
    if (name == bhttp::field::retry_after) {
        retry_after_.assign(value.data(), value.size());
    }
    if (headers_ != nullptr) {
        headers_->emplace_back(std::string(name_string), std::string(value));
    }
}

void reply_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                     boost::beast::error_code&) {
    to_reader_ = typed_ != nullptr && status_ >= 200 && status_ < 300;
    if (!to_reader_ && content_length) {
        // Bounded by the parser's body limit, checked before this call.
        text_.reserve(static_cast<std::size_t>(*content_length));
    }
}

std::size_t reply_parser::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
    if (to_reader_) {
        // A body that is not JSON is reported by the reader once the exchange is complete; the
        // rest is still read, so the connection stays usable.
        typed_->write(std::string_view(body.data(), body.size()));
    } else {
        text_.append(body.data(), body.size());
    }
    return body.size();
}

void reply_parser::on_finish_impl(boost::beast::error_code&) {
    if (typed_ != nullptr && status_ >= 200 && status_ < 300) {
        // Also for a 2xx without a body, which the reader then reports as incomplete JSON.
        to_reader_ = true;
        typed_->finish();
    }
}

} // namespace minapp::http::detail
