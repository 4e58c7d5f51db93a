#include <minapp/http/message.hpp>

#include <strings.h>

namespace minapp::http {

std::string_view response::header(std::string_view name) const noexcept {
    for (const auto& f : headers) {
        if (f.name.size() == name.size() &&
            ::strncasecmp(f.name.data(), name.data(), name.size()) == 0) {
            return f.value;
        }
    }
    return {};
}

} // namespace minapp::http
