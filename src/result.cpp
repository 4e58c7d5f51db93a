#include <minapp/result.hpp>

namespace minapp {

std::string diagnostics::to_string() const {
    if (method.empty() && path.empty() && http_status == 0 && server_message.empty()) {
        return detail; // refused before anything was sent: the reason is the whole story
    }
    std::string out = method.empty() ? std::string("request") : method;
    if (!path.empty()) {
        out += ' ';
        out += path;
    }
    if (http_status != 0) {
        out += " -> ";
        out += std::to_string(http_status);
    }
    if (!server_message.empty()) {
        out += ": ";
        out += server_message;
    }
    if (!detail.empty()) {
        out += " (";
        out += detail;
        out += ')';
    }
    if (attempts > 1) {
        out += " after ";
        out += std::to_string(attempts);
        out += " attempts";
    }
    return out;
}

api_error::api_error(minapp::failure f)
    : boost::system::system_error(f.code, f.diagnostics.to_string())
    , failure_(std::move(f)) {}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
    throw api_error(f);
}

} // namespace minapp
