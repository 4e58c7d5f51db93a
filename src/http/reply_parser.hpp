// An HTTP/1.1 response parser that keeps only what the client reads: the status, a few headers,
// and the body, handed to its consumer as it arrives instead of being stored first.
#pragma once

#include "../api/reply_reader.hpp"

#include <minapp/http/message.hpp>

#include <boost/beast/http/basic_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minapp::http::detail {

/// Parses one response (Beast's basic_parser: limits, chunked and content-length framing,
/// keep-alive). A 2xx body goes to the typed reader when one is given; any other body, or every
/// body without a reader, is kept as text (an error body is needed whole for its message).
/// Header fields are not stored, except Retry-After, and all of them when `all_headers` is set
/// (for connection_pool::send's public response).
class reply_parser : public boost::beast::http::basic_parser<false> {
public:
    /// `typed` may be null; `all_headers` may be null.
    reply_parser(minapp::detail::reply_reader* typed, std::vector<field>* all_headers)
        : typed_(typed)
        , headers_(all_headers) {}

    unsigned status() const noexcept { return status_; }
    /// The Retry-After value, or empty.
    const std::string& retry_after() const noexcept { return retry_after_; }
    /// The body, when it was not given to the typed reader.
    std::string& text() noexcept { return text_; }
    /// Whether the body went to the typed reader.
    bool typed_body() const noexcept { return to_reader_; }

private:
    void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                         boost::beast::string_view, int, boost::beast::error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view, int,
                          boost::beast::error_code&) override {
        status_ = static_cast<unsigned>(code);
    }
    void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                       boost::beast::string_view value, boost::beast::error_code&) override;
    void on_header_impl(boost::beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           boost::beast::error_code&) override;
    std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code&) override;
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                              boost::beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   boost::beast::error_code& ec) override {
        return on_body_impl(body, ec);
    }
    void on_finish_impl(boost::beast::error_code&) override;

    minapp::detail::reply_reader* typed_;
    std::vector<field>* headers_;
    unsigned status_ = 0;
    bool to_reader_ = false;
    std::string retry_after_;
    std::string text_;
};

} // namespace minapp::http::detail
