#include "api/retry_decisions.hpp"

#include <minapp/error.hpp>

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using minapp::error;
using minapp::retry_policy;
using namespace minapp::detail;

BOOST_AUTO_TEST_SUITE(retry_decisions)

BOOST_AUTO_TEST_CASE(maps_http_statuses_to_stable_codes) {
    const std::pair<unsigned, error> rows[] = {
        {400, error::bad_request},       {401, error::unauthorized},
        {402, error::payment_required},  {403, error::forbidden},
        {404, error::not_found},         {429, error::rate_limited},
        {500, error::server_error},      {502, error::server_error},
        {503, error::server_error},      {301, error::unexpected_status},
        {302, error::unexpected_status}, {405, error::unexpected_status},
        {418, error::unexpected_status}};
    for (auto [status, code] : rows) {
        BOOST_TEST_CONTEXT(status) {
            BOOST_TEST((status_error(status) == code));
        }
    }
    BOOST_TEST(!status_error(200));
    BOOST_TEST(!status_error(201));
}

BOOST_AUTO_TEST_CASE(retries_only_what_is_safe) {
    struct row {
        const char* what;
        boost::system::error_code ec;
        unsigned status;
        bool sent;
        bool idempotent;
        bool retry;
        bool throttled;
    };
    const row rows[] = {
        {"429 idempotent", {}, 429, true, true, true, true},
        {"429 atomic update: not applied", {}, 429, true, false, true, true},
        {"503 idempotent", {}, 503, true, true, true, true},
        {"503 atomic update", {}, 503, true, false, false, true},
        {"502 idempotent", {}, 502, true, true, true, false},
        {"504 atomic update", {}, 504, true, false, false, false},
        {"500 idempotent write", {}, 500, true, true, false, false},
        {"500 atomic update", {}, 500, true, false, false, false},
        {"400", {}, 400, true, true, false, false},
        {"401", {}, 401, true, true, false, false},
        {"404", {}, 404, true, true, false, false},
        {"refused", error::connect_failed, 0, false, false, true, false},
        {"unknown host", error::resolve_failed, 0, false, false, true, false},
        {"handshake", error::tls_handshake_failed, 0, false, false, true, false},
        {"untrusted certificate", error::tls_verification_failed, 0, false, true, false, false},
        {"timeout idempotent", error::request_timeout, 0, true, true, true, false},
        {"timeout atomic update", error::request_timeout, 0, true, false, false, false},
        {"closed before sending, atomic", error::connection_closed, 0, false, false, true, false},
        {"closed after sending, atomic", error::connection_closed, 0, true, false, false, false},
        {"reset after sending, idempotent", error::connection_reset, 0, true, true, true, false},
        {"cancelled", error::cancelled, 0, true, true, false, false},
        {"pool wait timeout", error::pool_wait_timeout, 0, false, true, false, false},
        {"body limit", error::body_limit_exceeded, 0, true, true, false, false},
        {"shut down", error::pool_shut_down, 0, false, true, false, false},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.what) {
            const auto v = decide_retry(r.ec, r.status, r.sent, r.idempotent, false);
            BOOST_TEST(v.retry == r.retry);
            BOOST_TEST(v.throttled == r.throttled);
        }
    }
}

// Reads are safe to retry after a 500 (as the gcloud and AWS SDKs do); every other rule is the
// same for a read as for an idempotent write.
BOOST_AUTO_TEST_CASE(reads_also_retry_a_500) {
    struct row {
        unsigned status;
        bool retry;
    };
    for (const auto& r : {row{500, true}, row{502, true}, row{503, true}, row{504, true},
                          row{429, true}, row{400, false}, row{404, false}, row{501, false}}) {
        BOOST_TEST_CONTEXT(r.status) {
            BOOST_TEST(decide_retry({}, r.status, true, true, true).retry == r.retry);
        }
    }
    BOOST_TEST(decide_retry(error::connection_reset, 0, true, true, true).retry);
    BOOST_TEST(!decide_retry(error::cancelled, 0, true, true, true).retry);
}

BOOST_AUTO_TEST_CASE(backoff_grows_is_capped_jittered_and_honours_the_server) {
    retry_policy p;
    p.initial_backoff = 100ms;
    p.multiplier = 2;
    p.max_backoff = 1000ms;
    p.throttle_floor = 1500ms;
    BOOST_TEST(backoff_delay(p, 1, 0.0, false, {}).count() == 50);
    BOOST_TEST(backoff_delay(p, 1, 0.999, false, {}).count() == 99);
    BOOST_TEST(backoff_delay(p, 2, 0.0, false, {}).count() == 100);
    BOOST_TEST(backoff_delay(p, 3, 1.0, false, {}).count() == 400);
    BOOST_TEST(backoff_delay(p, 10, 1.0, false, {}).count() == 1000);
    BOOST_TEST(backoff_delay(p, 1, 0.5, true, {}).count() == 1500);
    BOOST_TEST(backoff_delay(p, 1, 0.5, true, 3000ms).count() == 3000);
    BOOST_TEST(backoff_delay(p, 1, 0.5, false, 200ms).count() == 200);
}

BOOST_AUTO_TEST_CASE(parses_retry_after_in_both_forms) {
    // 2015-10-21 07:28:00 UTC
    const auto now = std::chrono::system_clock::from_time_t(1445412480);
    BOOST_TEST(parse_retry_after("120", now).value().count() == 120000);
    BOOST_TEST(parse_retry_after(" 0 ", now).value().count() == 0);
    BOOST_TEST(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now).value().count() == 30000);
    BOOST_TEST(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now).value().count() == 0);
    for (const char* bad : {"", "soon", "-5", "1.5", "Wed, 21 Foo 2015 07:28:30 GMT",
                            "Wed, 21 Oct 2015 07:28:30 UTC", "99999999999"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!parse_retry_after(bad, now).has_value());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
