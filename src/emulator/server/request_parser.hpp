// A Beast request parser that stores only what the API needs, straight into a reused
// api_request: no header container, no per-field allocation once the strings have grown.
#pragma once

#include <minapp/emulator/api.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>

namespace minapp::emulator::detail {

/// Parses one request into `out` (cleared first, capacity kept). Like every Beast parser it
/// serves a single message.
class request_parser final : public boost::beast::http::basic_parser<true> {
public:
    explicit request_parser(api_request& out);

    /// Whether the client waits for `100 Continue` before sending the body.
    bool expects_continue() const noexcept { return expect_continue_; }

private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                         int version, error_code& ec) override;
    void on_response_impl(int, string_view, int, error_code&) override {}
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                           error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
    void on_finish_impl(error_code&) override {}

    api_request& out_;
    bool expect_continue_ = false;
};

} // namespace minapp::emulator::detail
