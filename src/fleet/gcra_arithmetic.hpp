// The GCRA of redis_gcra's Lua script, in C++: the fallback budget of a process that lost
// Redis, and the reference the script is tested against. Integer microseconds, like the script.
#pragma once

#include <algorithm>
#include <cstdint>

namespace minapp::fleet {

/// A budget's state: the theoretical arrival time of the next token and the end of a cooldown,
/// in microseconds on whatever clock the caller uses.
struct gcra_state {
    std::int64_t tat = 0;
    std::int64_t cooldown = 0;
};

/// What a take found (as redis_gcra's `gcra_grant`, without the clock reading).
struct gcra_outcome {
    std::int64_t granted = 0;
    std::int64_t wait = 0;     ///< until the next token conforms, after the grant
    std::int64_t first = 0;    ///< when the first granted token conforms, from now
    std::int64_t cooldown = 0; ///< what is left of a cooldown
};

/// Grants up to `n` tokens conforming by `now + lookahead` (interval `t`, tolerance `tau`).
inline gcra_outcome gcra_take(gcra_state& s, std::int64_t t, std::int64_t tau, std::int64_t n,
                              std::int64_t lookahead, std::int64_t now) {
    gcra_outcome out;
    std::int64_t tat = std::max(s.tat, now);
    if (s.cooldown <= now && tat - tau <= now + lookahead) {
        out.granted = std::min(n, (now + lookahead + tau - tat) / t + 1);
        out.first = std::max<std::int64_t>(0, tat - tau - now);
        tat += out.granted * t;
    }
    out.wait = std::max({std::int64_t{0}, s.cooldown - now, tat - tau - now});
    out.cooldown = std::max<std::int64_t>(0, s.cooldown - now);
    if (out.granted > 0) {
        s.tat = tat;
    }
    return out;
}

/// Starts or extends a cooldown of `d` from `now`; the schedule restarts after it without a
/// burst. Returns the wait until the next token.
inline std::int64_t gcra_pause(gcra_state& s, std::int64_t tau, std::int64_t d, std::int64_t now) {
    s.cooldown = std::max(s.cooldown, now + d);
    s.tat = std::max({s.tat, now, s.cooldown + tau});
    return std::max({std::int64_t{0}, s.cooldown - now, s.tat - tau - now});
}

} // namespace minapp::fleet
