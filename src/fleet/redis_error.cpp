#include "redis_error.hpp"

#include <string>

namespace minapp::fleet {
namespace {

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "minapp.redis"; }

    std::string message(int ev) const override {
        switch (static_cast<redis_errc>(ev)) {
        case redis_errc::timeout:
            return "Redis deadline expired";
        case redis_errc::connection_closed:
            return "Redis connection closed";
        case redis_errc::protocol_error:
            return "Redis protocol error";
        case redis_errc::error_reply:
            return "Redis answered with an error";
        case redis_errc::unexpected_reply:
            return "unexpected Redis reply";
        }
        return "unknown Redis error";
    }
};

} // namespace

const boost::system::error_category& redis_category() noexcept {
    static const category_impl category;
    return category;
}

} // namespace minapp::fleet
