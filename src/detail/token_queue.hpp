// The arithmetic of a rate limiter fed by a rate_budget: a FIFO of waiting callers matched by
// position to the tokens the budget supplied. Pure, like gcra_schedule: every instant is an
// argument, nothing sleeps or locks.
#pragma once

#include <minapp/detail/ticket_position.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

namespace minapp::detail {

/// Tokens are spendable from their instant until it plus their lease; they are kept sorted by
/// instant. The caller at position p of the queue owns token p: it may go at that token's instant,
/// and a caller beyond the last token waits for a supply (its instant is `time_point::max()`).
/// A caller that leaves without going (cancellation) leaves its token in the pool, so everyone
/// behind moves up one token; a caller that goes spends its own and nobody else's instant
/// changes. Tokens nobody spent before their lease ran out are dropped rather than spent late.
///
/// Not thread-safe: the owner serialises calls.
template <class Clock>
class token_queue {
public:
    using duration = typename Clock::duration;
    using time_point = typename Clock::time_point;
    using ticket = std::uint64_t;

    /// The result of `reserve`: pending under `id` unless the caller may go at once.
    struct reservation {
        ticket id;
        bool pending;
    };

    /// What a pending caller finds when its timer fires (see `take`).
    enum class verdict { wait, go, refused };

    /// The caller arriving at `now` goes at once when nobody waits and the first token is due;
    /// otherwise it queues.
    reservation reserve(time_point now) {
        expire(now);
        const ticket id = next_ticket_++;
        if (tickets_.empty() && !tokens_.empty() && tokens_.front().at <= now) {
            tokens_.pop_front();
            return {id, false};
        }
        tickets_.push_back({id, time_point::max(), false});
        return {id, true};
    }

    /// The instant pending caller `id` may go at (`time_point::min()` once refused, `max()`
    /// while it has no token), recorded as the instant it was told; nullopt when not pending.
    std::optional<time_point> arm(ticket id) {
        const auto p = find(id);
        if (!p) {
            return std::nullopt;
        }
        auto& e = tickets_[*p];
        e.told = e.refused ? time_point::min() : token_at(*p);
        return e.told;
    }

    /// Pending caller `id` woke at `now`: it goes (spending its token), is refused (leaving the
    /// queue), or waits on. `wake` names a caller to wake because this one left.
    struct take_result {
        verdict v = verdict::wait;
        std::optional<ticket> wake;
    };
    take_result take(ticket id, time_point now) {
        expire(now);
        take_result r;
        const auto p = find(id);
        if (!p) {
            return r;
        }
        if (tickets_[*p].refused) {
            r.v = verdict::refused;
            r.wake = cancel(id);
            return r;
        }
        if (*p < tokens_.size() && tokens_[*p].at <= now) {
            tickets_.erase(tickets_.begin() + static_cast<std::ptrdiff_t>(*p));
            tokens_.erase(tokens_.begin() + static_cast<std::ptrdiff_t>(*p));
            r.v = verdict::go;
            r.wake = stale(*p);
        }
        return r;
    }

    /// Pending caller `id` gave up; its token stays for the callers behind it. Returns the caller
    /// to wake because it moved up to an earlier token.
    std::optional<ticket> cancel(ticket id) {
        const auto p = find(id);
        if (!p) {
            return std::nullopt;
        }
        tickets_.erase(tickets_.begin() + static_cast<std::ptrdiff_t>(*p));
        return stale(*p);
    }

    /// Adds tokens spendable from each instant for `lease`; returns the callers whose instant
    /// became earlier than the one they were told (they must be woken to re-arm).
    std::vector<ticket> supply(std::span<const time_point> instants, duration lease,
                               time_point now) {
        expire(now);
        for (const auto at : instants) {
            const token t{at, at + lease};
            const auto it =
                std::upper_bound(tokens_.begin(), tokens_.end(), at,
                                 [](const time_point& v, const token& e) { return v < e.at; });
            tokens_.insert(it, t);
        }
        std::vector<ticket> wake;
        const std::size_t n = std::min(tickets_.size(), tokens_.size());
        for (std::size_t p = 0; p < n; ++p) {
            if (tickets_[p].told > tokens_[p].at) {
                wake.push_back(tickets_[p].id);
            }
        }
        return wake;
    }

    /// Refuses every caller waiting now; returns them all, to be woken.
    std::vector<ticket> refuse() {
        std::vector<ticket> wake;
        wake.reserve(tickets_.size());
        for (auto& e : tickets_) {
            e.refused = true;
            wake.push_back(e.id);
        }
        return wake;
    }

    /// Drops every unspent token (a pause: tokens granted before it must not be spent after).
    void drop_tokens() { tokens_.clear(); }

    /// Callers waiting without a token, once tokens past their lease at `now` are dropped.
    std::size_t shortfall(time_point now) {
        expire(now);
        const std::size_t refused = static_cast<std::size_t>(std::count_if(
            tickets_.begin(), tickets_.end(), [](const entry& e) { return e.refused; }));
        const std::size_t waiting = tickets_.size() - refused;
        return waiting > tokens_.size() ? waiting - tokens_.size() : 0;
    }

    /// Unspent tokens held now.
    std::size_t tokens() const noexcept { return tokens_.size(); }
    /// Callers waiting now.
    std::size_t pending() const noexcept { return tickets_.size(); }

private:
    struct entry {
        ticket id;
        time_point told;
        bool refused;
    };
    struct token {
        time_point at;
        time_point expires;
    };

    time_point token_at(std::size_t p) const {
        return p < tokens_.size() ? tokens_[p].at : time_point::max();
    }

    void expire(time_point now) {
        std::erase_if(tokens_, [now](const token& t) { return t.expires <= now; });
    }

    std::optional<std::size_t> find(ticket id) const { return ticket_position(tickets_, id); }

    // The caller now at `p` was told a later instant than its token's when a removal moved it
    // up; the ones behind are woken in turn as the queue advances.
    std::optional<ticket> stale(std::size_t p) const {
        if (p < tickets_.size() && !tickets_[p].refused && tickets_[p].told > token_at(p)) {
            return tickets_[p].id;
        }
        return std::nullopt;
    }

    ticket next_ticket_ = 1;
    std::deque<entry> tickets_;
    std::deque<token> tokens_;
};

} // namespace minapp::detail
