// A request budget kept outside the process (shared by a fleet of clients), as a source of
// tokens for a rate_limiter.
#pragma once

#include <minapp/rate_limiter.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace minapp {

/// The limiter side of a `rate_budget`: where the budget delivers tokens. It refers to the
/// limiter's state weakly, so a budget may keep it after the limiter is gone (every call then
/// does nothing and returns false or 0). Every member function may be called from any thread.
class token_sink {
public:
    using clock = std::chrono::steady_clock;

    /// A sink attached to no limiter.
    token_sink() = default;

    /// Adds one token per instant: the request of the caller that receives it may go from that
    /// instant until `instant + lease`; a token nobody spent by then is dropped, never spent
    /// late. Callers receive tokens in arrival order. Returns false when the limiter is gone.
    bool supply(std::span<const clock::time_point> instants, clock::duration lease) const;

    /// Fails every caller waiting now with `code` (callers arriving later wait for tokens as
    /// usual); `reason` (why there is no token, e.g. the budget's last failure) goes into the
    /// diagnostics of the calls it fails. Returns false when the limiter is gone.
    bool refuse(boost::system::error_code code, std::string reason = {}) const;

    /// Drops the tokens not spent yet (the budget learnt of a pause they must not outlast).
    /// Returns false when the limiter is gone.
    bool drop_tokens() const;

    /// How many waiting callers have no token yet (0 when the limiter is gone).
    std::size_t shortfall() const;

    /// Whether the limiter still exists.
    bool attached() const noexcept { return !state_.expired(); }

private:
    friend class rate_limiter;
    explicit token_sink(std::weak_ptr<rate_limiter::impl> s) noexcept
        : state_(std::move(s)) {}
    std::weak_ptr<rate_limiter::impl> state_;
};

/// A source of request tokens for a `rate_limiter` (see `rate_limiter(rate_limit,
/// std::shared_ptr<rate_budget>)`), e.g. a budget shared by several processes. The limiter keeps
/// its callers in a FIFO queue and gives them the tokens the budget supplies through its sink;
/// the budget decides when and how many, and what happens when it cannot get any.
///
/// The limiter calls these from the threads of its callers, sometimes concurrently, never while
/// holding its own lock: implementations must be thread-safe and must not block (post work to an
/// executor of their own instead).
class rate_budget {
public:
    virtual ~rate_budget() = default;

    /// Once, from the limiter's constructor: where to deliver tokens.
    virtual void attach(token_sink sink) = 0;

    /// Callers are waiting without a token (`token_sink::shortfall()` says how many). Called
    /// often under load: should be as cheap as setting a flag.
    virtual void on_demand() noexcept = 0;

    /// The server throttled a request (429): every holder of the budget should pause for
    /// `retry_after`. The limiter has already dropped the tokens it held.
    virtual void on_throttled(std::chrono::steady_clock::duration retry_after) = 0;

    /// The limiter's state is being destroyed (its object and every caller are gone): stop
    /// supplying and release what the budget holds.
    virtual void detach() noexcept = 0;
};

} // namespace minapp
