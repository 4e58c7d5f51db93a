#include "reply.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace minapp::emulator::detail {

api_response json_reply(std::string body, unsigned status) {
    api_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

api_response error_reply(unsigned status, std::string_view message) {
    boost::json::object body;
    body["status"] = "error";
    body["error_msg"] = message;
    return json_reply(boost::json::serialize(body), status);
}

std::string json_string_or_null(const std::optional<std::string>& text) {
    return text ? boost::json::serialize(boost::json::value(*text)) : std::string("null");
}

} // namespace minapp::emulator::detail
