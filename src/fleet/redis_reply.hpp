// One Redis (RESP2) reply as an owned C++ value, independent of the parser that produced it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace minapp::fleet {

/// A reply of Redis: nil, an integer, a bulk string, a status, an error or an array of replies.
/// A value type; not an aggregate, so it may be built inside a `co_await` expression on g++ 12.
class redis_reply {
public:
    /// What the reply holds.
    enum class kind : std::uint8_t { nil, integer, string, status, error, array };

    /// A nil reply.
    redis_reply() noexcept = default;

    /// An integer reply.
    static redis_reply integer(std::int64_t value) {
        redis_reply r(kind::integer);
        r.integer_ = value;
        return r;
    }
    /// A bulk string, status or error reply (`k` is one of those three).
    static redis_reply text(kind k, std::string value) {
        redis_reply r(k);
        r.text_ = std::move(value);
        return r;
    }
    /// An array reply.
    static redis_reply array(std::vector<redis_reply> elements) {
        redis_reply r(kind::array);
        r.elements_ = std::move(elements);
        return r;
    }

    kind type() const noexcept { return kind_; }
    bool is_nil() const noexcept { return kind_ == kind::nil; }
    bool is_integer() const noexcept { return kind_ == kind::integer; }
    bool is_string() const noexcept { return kind_ == kind::string; }
    bool is_status() const noexcept { return kind_ == kind::status; }
    bool is_error() const noexcept { return kind_ == kind::error; }
    bool is_array() const noexcept { return kind_ == kind::array; }

    /// The value of an integer reply; 0 for any other kind.
    std::int64_t as_integer() const noexcept { return integer_; }
    /// The bytes of a string, status or error reply (an error's text starts with its code, as
    /// "NOSCRIPT ..." or "ERR ..."); empty for any other kind.
    const std::string& as_text() const noexcept { return text_; }
    /// The elements of an array reply; empty for any other kind.
    const std::vector<redis_reply>& elements() const noexcept { return elements_; }

private:
    explicit redis_reply(kind k) noexcept
        : kind_(k) {}

    kind kind_ = kind::nil;
    std::int64_t integer_ = 0;
    std::string text_;
    std::vector<redis_reply> elements_;
};

} // namespace minapp::fleet
