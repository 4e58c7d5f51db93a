// Requests written as HTTP/1.1 text straight into a connection's scratch string: the request
// line and header fields, the body following as a buffer of its own (a gathered write).
#pragma once

#include <minapp/http/message.hpp>
#include <minapp/http/origin.hpp>

#include <string>
#include <string_view>

namespace minapp::http::detail {

/// What connection_pool::send writes: the request's own fields, plus Host, User-Agent and
/// Content-Length (not for a GET or DELETE without a body), as Beast's prepare_payload did.
struct request_head {
    const request& req;
    const origin& target;
    const std::string& user_agent;
};

/// The serialiser of a request_head (`head` points to one).
void write_request_head(const void* head, std::string& out);

/// The first line of a request: "GET /target HTTP/1.1\r\n", the target being `path`, then
/// '?' and `query` when it is not empty.
void append_request_line(std::string& out, method m, std::string_view path,
                         std::string_view query = {});

/// "Content-Length: N\r\n".
void append_content_length(std::string& out, std::size_t length);

} // namespace minapp::http::detail
