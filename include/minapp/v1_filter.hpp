// Filters of the deprecated v1 user list (`GET /oserve/v1/miniapp/user-profile/`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace minapp {

/// Django-style filters of the v1 list; unset members are not sent (a setter given nullopt
/// unsets). Chainable setters, each getter named like its setter: `v1_filter().gender(2)`. Not an
/// aggregate on purpose: see README, "Compilers".
class v1_filter {
public:
    /// The only sortable field of v1 is created_at.
    enum class order { none, created_at, created_at_desc };

    v1_filter() = default;

    /// nickname=
    v1_filter& nickname(std::optional<std::string> v) {
        nickname_ = std::move(v);
        return *this;
    }
    const std::optional<std::string>& nickname() const noexcept { return nickname_; }
    /// nickname__contains=
    v1_filter& nickname_contains(std::optional<std::string> v) {
        nickname_contains_ = std::move(v);
        return *this;
    }
    const std::optional<std::string>& nickname_contains() const noexcept {
        return nickname_contains_;
    }
    /// gender= (1 male, 2 female)
    v1_filter& gender(std::optional<int> v) {
        gender_ = v;
        return *this;
    }
    const std::optional<int>& gender() const noexcept { return gender_; }
    /// created_at__gte= (Unix seconds)
    v1_filter& created_at_gte(std::optional<std::int64_t> v) {
        created_at_gte_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& created_at_gte() const noexcept { return created_at_gte_; }
    /// created_at__lte=
    v1_filter& created_at_lte(std::optional<std::int64_t> v) {
        created_at_lte_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& created_at_lte() const noexcept { return created_at_lte_; }
    /// created_at__gt=
    v1_filter& created_at_gt(std::optional<std::int64_t> v) {
        created_at_gt_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& created_at_gt() const noexcept { return created_at_gt_; }
    /// created_at__lt=
    v1_filter& created_at_lt(std::optional<std::int64_t> v) {
        created_at_lt_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& created_at_lt() const noexcept { return created_at_lt_; }
    /// group__in=258,360 (empty: not sent)
    v1_filter& group_in(std::vector<std::int64_t> v) {
        group_in_ = std::move(v);
        return *this;
    }
    const std::vector<std::int64_t>& group_in() const noexcept { return group_in_; }
    /// openid=
    v1_filter& openid(std::optional<std::string> v) {
        openid_ = std::move(v);
        return *this;
    }
    const std::optional<std::string>& openid() const noexcept { return openid_; }
    /// unionid=
    v1_filter& unionid(std::optional<std::string> v) {
        unionid_ = std::move(v);
        return *this;
    }
    const std::optional<std::string>& unionid() const noexcept { return unionid_; }
    /// user_id=
    v1_filter& user_id(std::optional<std::int64_t> v) {
        user_id_ = v;
        return *this;
    }
    const std::optional<std::int64_t>& user_id() const noexcept { return user_id_; }
    /// limit=, 1..1000 (default 20)
    v1_filter& limit(std::int64_t v) {
        limit_ = v;
        return *this;
    }
    std::int64_t limit() const noexcept { return limit_; }
    /// offset= (default 0)
    v1_filter& offset(std::int64_t v) {
        offset_ = v;
        return *this;
    }
    std::int64_t offset() const noexcept { return offset_; }
    /// order_by= (default: not sent)
    v1_filter& order_by(order v) {
        order_by_ = v;
        return *this;
    }
    order order_by() const noexcept { return order_by_; }

private:
    std::optional<std::string> nickname_;
    std::optional<std::string> nickname_contains_;
    std::optional<int> gender_;
    std::optional<std::int64_t> created_at_gte_, created_at_lte_, created_at_gt_, created_at_lt_;
    std::vector<std::int64_t> group_in_;
    std::optional<std::string> openid_;
    std::optional<std::string> unionid_;
    std::optional<std::int64_t> user_id_;
    std::int64_t limit_ = 20;
    std::int64_t offset_ = 0;
    order order_by_ = order::none;
};

} // namespace minapp
