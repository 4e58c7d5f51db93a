#include <minapp/error.hpp>

#include <cstdio>
#include <string>

namespace minapp {
namespace {

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "minapp"; }

    std::string message(int ev) const override { return describe(static_cast<error>(ev)); }

    char const* message(int ev, char* buffer, std::size_t len) const noexcept override {
        const char* text = describe(static_cast<error>(ev));
        if (len > 0) {
            static_cast<void>(std::snprintf(buffer, len, "%s", text)); // truncation is fine
        }
        return buffer;
    }

private:
    static const char* describe(error e) noexcept {
        switch (e) {
        case error::invalid_origin:
            return "invalid origin (expected http://host:port or https://host[:port])";
        case error::resolve_failed:
            return "host name could not be resolved";
        case error::connect_failed:
            return "connection could not be established";
        case error::tls_handshake_failed:
            return "TLS handshake failed";
        case error::tls_verification_failed:
            return "TLS certificate verification failed";
        case error::request_timeout:
            return "request deadline expired";
        case error::pool_wait_timeout:
            return "deadline expired while waiting for a pooled connection";
        case error::connection_closed:
            return "server closed the connection before a complete response";
        case error::connection_reset:
            return "connection failed while exchanging data";
        case error::body_limit_exceeded:
            return "response body exceeds the configured limit";
        case error::header_limit_exceeded:
            return "response header exceeds the configured limit";
        case error::protocol_error:
            return "response is not valid HTTP/1.1";
        case error::cancelled:
            return "operation cancelled";
        case error::pool_shut_down:
            return "connection pool was shut down";
        case error::invalid_request:
            return "request contains a value not allowed in HTTP";
        case error::invalid_argument:
            return "invalid argument";
        case error::url_too_long:
            return "request URL would exceed the API limit of 16386 characters";
        case error::bad_request:
            return "the API rejected the request (400)";
        case error::unauthorized:
            return "not authorized (401): check the access token and environment";
        case error::payment_required:
            return "application in arrears (402)";
        case error::forbidden:
            return "forbidden (403)";
        case error::not_found:
            return "not found (404)";
        case error::rate_limited:
            return "rate limited by the server (429)";
        case error::server_error:
            return "server error (5xx)";
        case error::unexpected_status:
            return "unexpected HTTP status";
        case error::malformed_response:
            return "response body is not of the documented shape";
        case error::outcome_unknown:
            return "outcome unknown: the request may or may not have been applied";
        case error::not_attempted:
            return "not attempted";
        case error::token_flow_failed:
            return "the access token could not be obtained";
        case error::rate_budget_unavailable:
            return "the shared rate budget is unavailable";
        }
        return "unknown minapp error";
    }
};

} // namespace

const boost::system::error_category& error_category() noexcept {
    static const category_impl instance;
    return instance;
}

} // namespace minapp
