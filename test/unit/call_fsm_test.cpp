// The call state machine as tables: a scripted series of attempt results (and waits that end
// early) in, the actions and the final failure out, with its code, its diagnostics and the
// verdict on whether a write may have been applied. These are the fault matrix's rules without
// sockets.
#include "api/call_fsm.hpp"

#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using minapp::error;
using minapp::write_applied;
using namespace minapp::detail;

namespace {

enum class kind { get, put_set, put_incr };

// One step of a script: an attempt's result, or how a wait ended.
struct step {
    enum class what { sent, acquired, refused, slept } type = what::sent;
    attempt_report report;
    call_stop stop = call_stop::none;
};

step answered(unsigned status, std::string_view retry_after = {}) {
    step s;
    s.report.status = status;
    s.report.request_sent = true;
    s.report.retry_after = retry_after;
    s.report.server_message = "server says no";
    return s;
}

step transport(error ec, bool sent, int sends = 1, bool unanswered = false) {
    step s;
    s.report.ec = ec;
    s.report.request_sent = sent;
    s.report.sends = sends;
    s.report.earlier_attempt_unanswered = unanswered;
    s.report.detail = "socket detail";
    return s;
}

step wait_ended(step::what type, call_stop stop) {
    step s;
    s.type = type;
    s.stop = stop;
    return s;
}

struct outcome {
    bool succeeded = false;
    error code{};
    write_applied applied = write_applied::no;
    int attempts = 0;
    bool request_sent = false;
    std::vector<call_fsm::action> actions;
    std::string detail;
    std::chrono::milliseconds first_delay{0};
    std::optional<std::chrono::milliseconds> pause;
    int tokens_refused = 0; ///< times the driver was told to invalidate its token
    std::string server_message;
};

// Runs a script the way the driver does: performs each action with the next step.
outcome run(kind k, bool limited, const std::vector<step>& script, double budget_tokens = 100,
            int max_attempts = 4, bool renewable = false, retry_budget* shared_budget = nullptr) {
    minapp::retry_policy policy;
    policy.max_attempts = max_attempts;
    retry_budget own_budget(budget_tokens, 0.2);
    call_fsm::settings s;
    s.policy = &policy;
    s.budget = shared_budget != nullptr ? shared_budget : &own_budget;
    s.renewable = renewable;
    s.idempotent = k != kind::put_incr;
    s.write = k != kind::get;
    s.limited = limited;
    call_fsm fsm(s, minapp::failure{});
    outcome out;
    auto action = fsm.start();
    std::size_t next = 0;
    const auto now = std::chrono::system_clock::from_time_t(1445412480);
    while (action != call_fsm::action::done) {
        out.actions.push_back(action);
        BOOST_TEST_REQUIRE(next < script.size(), "the script ended before the call");
        const step& st = script[next++];
        switch (action) {
        case call_fsm::action::acquire:
            if (st.type == step::what::refused) {
                action = fsm.on_refused(error::rate_budget_unavailable, "Redis at r:1 is down");
                break;
            }
            BOOST_TEST_REQUIRE((st.type == step::what::acquired));
            action = fsm.on_acquired(st.stop);
            break;
        case call_fsm::action::send:
            BOOST_TEST_REQUIRE((st.type == step::what::sent));
            action = fsm.on_sent(st.report, now);
            out.tokens_refused += fsm.token_refused() ? 1 : 0;
            if (fsm.throttle_pause()) {
                out.pause = fsm.throttle_pause();
            }
            if (action == call_fsm::action::sleep && out.first_delay == 0ms) {
                out.first_delay = fsm.delay(0.0);
            }
            break;
        case call_fsm::action::sleep:
            BOOST_TEST_REQUIRE((st.type == step::what::slept));
            action = fsm.on_slept(st.stop);
            break;
        case call_fsm::action::done:
            break;
        }
    }
    BOOST_TEST(next == script.size(), "the call ended before the script");
    out.succeeded = fsm.succeeded();
    out.attempts = fsm.attempts();
    if (!out.succeeded) {
        const auto& f = fsm.failure_info();
        out.code = static_cast<error>(f.code.value());
        out.applied = f.diagnostics.applied;
        out.request_sent = f.diagnostics.request_sent;
        out.detail = f.diagnostics.detail;
        out.server_message = f.diagnostics.server_message;
    }
    return out;
}

const step slept = wait_ended(step::what::slept, call_stop::none);
const step granted = wait_ended(step::what::acquired, call_stop::none);

} // namespace

BOOST_AUTO_TEST_SUITE(call_fsm_rules)

BOOST_AUTO_TEST_CASE(successes_and_retries) {
    using a = call_fsm::action;
    {
        const auto o = run(kind::get, false, {answered(200)});
        BOOST_TEST(o.succeeded);
        BOOST_TEST(o.attempts == 1);
    }
    {
        // A 503 is throttling: the floor of 1 s applies to the backoff.
        const auto o =
            run(kind::get, true, {granted, answered(503), slept, granted, answered(200)});
        BOOST_TEST(o.succeeded);
        BOOST_TEST(o.attempts == 2);
        BOOST_TEST(
            (o.actions == std::vector<a>{a::acquire, a::send, a::sleep, a::acquire, a::send}));
        BOOST_TEST(o.first_delay.count() == 1000);
    }
    {
        // The pool's transparent re-send counts as an attempt.
        const auto o =
            run(kind::get, false, {transport(error::connection_closed, true, 2)}, 100, 1);
        BOOST_TEST(o.attempts == 2);
    }
}

BOOST_AUTO_TEST_CASE(what_is_retried_and_the_final_error) {
    struct row {
        const char* what;
        kind k;
        std::vector<step> script;
        error code;
        write_applied applied;
        int attempts;
    };
    const std::vector<row> rows = {
        {"GET 500 retried to the limit",
         kind::get,
         {answered(500), slept, answered(500), slept, answered(500), slept, answered(500)},
         error::server_error,
         write_applied::no,
         4},
        {"PUT $set 500 not retried",
         kind::put_set,
         {answered(500)},
         error::server_error,
         write_applied::no,
         1},
        {"PUT $incr_by 502 not retried",
         kind::put_incr,
         {answered(502)},
         error::server_error,
         write_applied::no,
         1},
        {"PUT $set 502 retried",
         kind::put_set,
         {answered(502), slept, answered(404)},
         error::not_found,
         write_applied::no,
         2},
        {"400 never retried", kind::get, {answered(400)}, error::bad_request, write_applied::no, 1},
        {"redirect not followed",
         kind::get,
         {answered(302)},
         error::unexpected_status,
         write_applied::no,
         1},
        {"atomic update lost its answer",
         kind::put_incr,
         {transport(error::connection_reset, true)},
         error::outcome_unknown,
         write_applied::maybe,
         1},
        {"atomic update timed out after sending",
         kind::put_incr,
         {transport(error::request_timeout, true)},
         error::outcome_unknown,
         write_applied::maybe,
         1},
        {"atomic update refused before sending is retried",
         kind::put_incr,
         {transport(error::connect_failed, false), slept, answered(200)},
         error{},
         write_applied::no,
         2},
        {"idempotent write lost, then refused: unknown",
         kind::put_set,
         {transport(error::connection_reset, true), slept, answered(400)},
         error::outcome_unknown,
         write_applied::maybe,
         2},
        {"idempotent write re-sent by the pool, then refused: unknown",
         kind::put_set,
         {transport(error::connection_closed, true, 2, true), slept, answered(400)},
         error::outcome_unknown,
         write_applied::maybe,
         3},
        {"a read lost is only a transport error",
         kind::get,
         {transport(error::connection_reset, true), slept, answered(404)},
         error::not_found,
         write_applied::no,
         2},
        {"TLS verification never retried",
         kind::get,
         {transport(error::tls_verification_failed, false)},
         error::tls_verification_failed,
         write_applied::no,
         1},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            const auto o = run(r.k, false, r.script);
            BOOST_TEST(o.succeeded == (r.code == error{}));
            if (!o.succeeded) {
                BOOST_TEST((o.code == r.code), static_cast<int>(o.code));
                BOOST_TEST((o.applied == r.applied));
            }
            BOOST_TEST(o.attempts == r.attempts);
        }
    }
}

BOOST_AUTO_TEST_CASE(cancellation_and_shutdown_at_every_wait) {
    struct row {
        const char* what;
        kind k;
        std::vector<step> script;
        error code;
        write_applied applied;
    };
    const std::vector<row> rows = {
        {"cancelled in the limiter",
         kind::put_incr,
         {wait_ended(step::what::acquired, call_stop::cancelled)},
         error::cancelled,
         write_applied::no},
        {"shut down in the limiter",
         kind::get,
         {wait_ended(step::what::acquired, call_stop::shut_down)},
         error::pool_shut_down,
         write_applied::no},
        {"cancelled waiting for a connection",
         kind::put_set,
         {granted, transport(error::cancelled, false)},
         error::cancelled,
         write_applied::no},
        {"GET cancelled on the wire",
         kind::get,
         {granted, transport(error::cancelled, true)},
         error::cancelled,
         write_applied::no},
        {"write cancelled on the wire",
         kind::put_set,
         {granted, transport(error::cancelled, true)},
         error::outcome_unknown,
         write_applied::maybe},
        {"write shut down on the wire",
         kind::put_incr,
         {granted, transport(error::pool_shut_down, true)},
         error::outcome_unknown,
         write_applied::maybe},
        {"write cancelled in the backoff after a refusal",
         kind::put_set,
         {granted, answered(503), wait_ended(step::what::slept, call_stop::cancelled)},
         error::cancelled,
         write_applied::no},
        {"write shut down in the backoff after a lost answer",
         kind::put_set,
         {granted, transport(error::connection_reset, true),
          wait_ended(step::what::slept, call_stop::shut_down)},
         error::outcome_unknown,
         write_applied::maybe},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            const auto o = run(r.k, true, r.script);
            BOOST_TEST(!o.succeeded);
            BOOST_TEST((o.code == r.code), static_cast<int>(o.code));
            BOOST_TEST((o.applied == r.applied));
            BOOST_TEST(!o.detail.empty());
        }
    }
}

// A limiter on a shared budget that is unavailable (policy `closed`) refuses an attempt: the
// call ends with the budget's error, unless an earlier attempt of a write may have been applied.
BOOST_AUTO_TEST_CASE(an_attempt_refused_by_the_shared_budget) {
    const step refused = wait_ended(step::what::refused, call_stop::none);
    const auto first = run(kind::put_incr, true, {refused});
    BOOST_TEST(!first.succeeded);
    BOOST_TEST((first.code == error::rate_budget_unavailable));
    BOOST_TEST((first.applied == write_applied::no));
    BOOST_TEST(first.attempts == 0);
    BOOST_TEST(!first.request_sent);
    BOOST_TEST(first.detail.find("Redis at r:1 is down") != std::string::npos);

    const auto after_refusal = run(kind::get, true, {granted, answered(503), slept, refused});
    BOOST_TEST((after_refusal.code == error::rate_budget_unavailable));
    BOOST_TEST(after_refusal.attempts == 1);
    BOOST_TEST(after_refusal.server_message.empty());

    const auto after_lost_answer = run(
        kind::put_set, true, {granted, transport(error::connection_reset, true), slept, refused});
    BOOST_TEST((after_lost_answer.code == error::outcome_unknown));
    BOOST_TEST((after_lost_answer.applied == write_applied::maybe));
}

BOOST_AUTO_TEST_CASE(throttling_and_the_retry_budget) {
    {
        // A 429 pauses every caller of the limiter (Retry-After, else the floor), and is not
        // charged to the retry budget.
        const auto o = run(kind::put_incr, false,
                           {answered(429, "7"), slept, answered(429), slept, answered(200)}, 1);
        BOOST_TEST(o.succeeded);
        BOOST_TEST(o.attempts == 3);
        BOOST_TEST(o.pause.has_value());
        BOOST_TEST(o.first_delay.count() == 7000);
    }
    {
        // With 4 tokens, retries stop while half or fewer remain: the second failure is final.
        const auto o = run(kind::get, false, {answered(503), slept, answered(503)}, 4);
        BOOST_TEST(!o.succeeded);
        BOOST_TEST(o.attempts == 2);
        BOOST_TEST(o.detail.find("retry budget is exhausted") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(a_401_is_replayed_once_with_a_renewable_token) {
    using a = call_fsm::action;
    {
        // Renewed: the replay succeeds; both sends count, the retry budget is not charged.
        retry_budget budget(1, 1.0);
        const auto o = run(kind::put_incr, true, {granted, answered(401), granted, answered(200)},
                           100, 1, true, &budget);
        BOOST_TEST(o.succeeded);
        BOOST_TEST(o.attempts == 2);
        BOOST_TEST(o.tokens_refused == 1);
        BOOST_TEST((o.actions == std::vector<a>{a::acquire, a::send, a::acquire, a::send}));
        BOOST_TEST(budget.retry_allowed());
    }
    {
        // A second 401 is final, with the server's message; a write refused twice was not
        // applied.
        const auto o = run(kind::put_set, false, {answered(401), answered(401)}, 100, 4, true);
        BOOST_TEST(!o.succeeded);
        BOOST_TEST((o.code == error::unauthorized));
        BOOST_TEST(o.attempts == 2);
        BOOST_TEST(o.tokens_refused == 1);
        BOOST_TEST((o.applied == write_applied::no));
        BOOST_TEST(o.server_message == "server says no");
    }
    {
        // A fixed token cannot be renewed: the first 401 is final.
        const auto o = run(kind::get, false, {answered(401)}, 100, 4, false);
        BOOST_TEST((o.code == error::unauthorized));
        BOOST_TEST(o.attempts == 1);
        BOOST_TEST(o.tokens_refused == 0);
    }
    {
        // The replay's own failures follow the retry policy as usual.
        const auto o = run(kind::get, false, {answered(401), answered(503), slept, answered(200)},
                           100, 4, true);
        BOOST_TEST(o.succeeded);
        BOOST_TEST(o.attempts == 3);
    }
    {
        // Cancelled while waiting for the limiter before the replay.
        const auto o =
            run(kind::get, true,
                {granted, answered(401), wait_ended(step::what::acquired, call_stop::cancelled)},
                100, 4, true);
        BOOST_TEST((o.code == error::cancelled));
        BOOST_TEST(o.attempts == 1);
    }
}

BOOST_AUTO_TEST_SUITE_END()
