#include "call_fsm.hpp"

#include "retry_decisions.hpp"

#include <minapp/error.hpp>

namespace minapp::detail {

namespace {

// Transport failures after which a request that may have reached the server may also have
// been processed by it.
bool ambiguous_transport_failure(const boost::system::error_code& ec) {
    return ec == error::connection_closed || ec == error::connection_reset ||
           ec == error::request_timeout || ec == error::protocol_error || ec == error::cancelled ||
           ec == error::pool_shut_down || ec == error::body_limit_exceeded ||
           ec == error::header_limit_exceeded;
}

std::string joined(const std::string& first, const std::string& second) {
    return second.empty() ? first : first + " (" + second + ")";
}

} // namespace

call_fsm::action call_fsm::stopped(call_stop stop, const char* where) {
    const bool by_shutdown = stop == call_stop::shut_down;
    f_.code = by_shutdown ? error::pool_shut_down : error::cancelled;
    f_.diagnostics.http_status = 0;
    f_.diagnostics.server_message.clear();
    f_.diagnostics.detail =
        std::string(by_shutdown ? "the client was shut down" : "cancelled") + " while " + where;
    if (s_.write && may_have_applied_) {
        f_.diagnostics.detail += "; the write may have reached the server";
        f_.code = error::outcome_unknown;
        f_.diagnostics.applied = write_applied::maybe;
    }
    return action::done;
}

// A write whose answer was lost may have been applied even if a later attempt is refused: its
// caller must hear "unknown", not the last attempt's error.
call_fsm::action call_fsm::give_up() {
    if (s_.write && may_have_applied_ && f_.code != error::outcome_unknown) {
        f_.diagnostics.detail =
            joined("an earlier attempt may have been applied; the last one failed with: " +
                       f_.code.message(),
                   f_.diagnostics.detail);
        f_.code = error::outcome_unknown;
    }
    if (f_.code == error::outcome_unknown) {
        f_.diagnostics.applied = write_applied::maybe;
    }
    return action::done;
}

call_fsm::action call_fsm::on_acquired(call_stop stop) {
    if (stop != call_stop::none) {
        return stopped(stop, "waiting for the rate limiter");
    }
    return action::send;
}

call_fsm::action call_fsm::on_refused(boost::system::error_code code, std::string_view reason) {
    f_.code = code;
    f_.diagnostics.http_status = 0;
    f_.diagnostics.server_message.clear();
    f_.diagnostics.detail =
        "not sent: " +
        (reason.empty() ? std::string("the shared rate budget refused it") : std::string(reason));
    return give_up();
}

call_fsm::action call_fsm::on_slept(call_stop stop) {
    if (stop != call_stop::none) {
        return stopped(stop, "waiting to retry");
    }
    return start();
}

std::chrono::milliseconds call_fsm::delay(double jitter01) const {
    return backoff_delay(*s_.policy, attempt_ - 1, jitter01, throttled_, retry_after_);
}

call_fsm::action call_fsm::on_sent(const attempt_report& r,
                                   std::chrono::system_clock::time_point now) {
    throttle_pause_.reset();
    token_refused_ = false;
    sends_ += r.sends;
    auto& d = f_.diagnostics;
    d.attempts = sends_;
    d.request_sent = d.request_sent || r.request_sent;
    if (r.earlier_attempt_unanswered && s_.write) {
        may_have_applied_ = true;
    }
    const auto& policy = *s_.policy;
    retry_verdict verdict;
    std::optional<std::chrono::milliseconds> retry_after;
    if (r.ec) {
        const bool ambiguous = r.request_sent && ambiguous_transport_failure(r.ec);
        if (ambiguous && s_.write) {
            may_have_applied_ = true;
        }
        if (r.ec == error::cancelled || r.ec == error::pool_shut_down) {
            return stopped(r.ec == error::cancelled ? call_stop::cancelled : call_stop::shut_down,
                           r.request_sent ? "waiting for the answer" : "waiting for a connection");
        }
        d.detail = std::string(r.detail);
        d.http_status = 0;
        d.server_message.clear();
        verdict = decide_retry(r.ec, 0, r.request_sent, s_.idempotent, !s_.write);
        if (!s_.idempotent && ambiguous) {
            // An atomic update may have been applied: say so instead of a transport error.
            f_.code = error::outcome_unknown;
            d.detail = r.ec.message() + (r.detail.empty() ? "" : ": " + std::string(r.detail));
            d.applied = write_applied::maybe;
            return action::done;
        }
        f_.code = r.ec;
    } else {
        if (r.status >= 200 && r.status < 300) {
            s_.budget->on_success();
            succeeded_ = true;
            return action::done;
        }
        f_.code = status_error(r.status);
        d.http_status = r.status;
        d.server_message = std::string(r.server_message);
        d.detail.clear();
        if (r.status == 401 && s_.renewable && !replayed_) {
            // The token was refused, so the request was not applied: replay it once with a
            // new token, outside the retry policy and the retry budget.
            replayed_ = true;
            token_refused_ = true;
            return start();
        }
        if (r.status >= 300 && r.status < 400) {
            d.detail = "redirects are not followed";
        }
        verdict = decide_retry({}, r.status, true, s_.idempotent, !s_.write);
        retry_after = parse_retry_after(r.retry_after, now);
        if (r.status == 429) {
            // Everyone sharing the limiter pauses, not only this caller.
            throttle_pause_ = retry_after.value_or(policy.throttle_floor);
        }
    }
    // A 429 says nothing about the server's health and is paced by the floor and the limiter;
    // every other retryable failure draws on the client's retry budget.
    const bool budgeted = verdict.retry && d.http_status != 429;
    if (budgeted) {
        s_.budget->on_failure();
    }
    if (!verdict.retry || attempt_ >= policy.max_attempts) {
        return give_up();
    }
    if (budgeted && !s_.budget->retry_allowed()) {
        d.detail += d.detail.empty() ? "" : "; ";
        d.detail += "not retried: the client's retry budget is exhausted";
        return give_up();
    }
    throttled_ = verdict.throttled;
    retry_after_ = retry_after;
    ++attempt_;
    return action::sleep;
}

} // namespace minapp::detail
