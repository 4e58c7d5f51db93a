#include "member_scanner.hpp"

namespace minapp::emulator::detail {

member_scanner::member_scanner(std::string_view json) noexcept
    : text_(json) {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '{') {
        fail();
        return;
    }
    ++pos_;
}

bool member_scanner::fail() noexcept {
    failed_ = true;
    pos_ = text_.size();
    return false;
}

void member_scanner::skip_space() noexcept {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
        ++pos_;
    }
}

bool member_scanner::skip_string() noexcept {
    // At the opening quote.
    for (++pos_; pos_ < text_.size(); ++pos_) {
        if (text_[pos_] == '\\') {
            ++pos_;
        } else if (text_[pos_] == '"') {
            ++pos_;
            return true;
        }
    }
    return fail();
}

bool member_scanner::skip_value() noexcept {
    if (pos_ >= text_.size()) {
        return fail();
    }
    if (text_[pos_] == '"') {
        return skip_string();
    }
    if (text_[pos_] == '{' || text_[pos_] == '[') {
        int depth = 0;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '"') {
                if (!skip_string()) {
                    return false;
                }
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) {
                    ++pos_;
                    return true;
                }
            }
            ++pos_;
        }
        return fail();
    }
    // A scalar: runs to the next delimiter.
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ' ' &&
           text_[pos_] != '\n' && text_[pos_] != '\t' && text_[pos_] != '\r') {
        ++pos_;
    }
    return pos_ > start || fail();
}

bool member_scanner::next(std::string_view& key, std::string_view& value) noexcept {
    if (done_ || failed_) {
        return false;
    }
    skip_space();
    if (pos_ >= text_.size()) {
        return fail(); // no closing brace
    }
    if (text_[pos_] == '}') {
        done_ = true;
        return false;
    }
    if (!first_) {
        if (pos_ >= text_.size() || text_[pos_] != ',') {
            return fail();
        }
        ++pos_;
        skip_space();
    }
    first_ = false;
    if (pos_ >= text_.size() || text_[pos_] != '"') {
        return fail();
    }
    const std::size_t key_start = pos_ + 1;
    if (!skip_string()) {
        return false;
    }
    key = text_.substr(key_start, pos_ - 1 - key_start);
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != ':') {
        return fail();
    }
    ++pos_;
    skip_space();
    const std::size_t value_start = pos_;
    if (!skip_value()) {
        return false;
    }
    value = text_.substr(value_start, pos_ - value_start);
    return true;
}

} // namespace minapp::emulator::detail
