// The error model of the API layer: every awaitable returns `minapp::result<T>`, holding either a
// value or a `failure` (a stable error code plus diagnostics). `result::value()` throws
// `api_error` on failure, so code that prefers exceptions writes `(co_await
// c.get_user(id)).value()`.
#pragma once

#include <minapp/error.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>

#include <string>
#include <utility>

namespace minapp {

/// Whether the server may have applied a write whose call failed.
enum class write_applied {
    no,    ///< Not applied: refused, never sent, or a read.
    maybe, ///< May or may not have been applied (error::outcome_unknown): its answer was lost.
    yes,   ///< Applied (a 2xx came back) but its body could not be read.
};

/// What is known about a failed call. Never contains the access token or other header values.
struct diagnostics {
    diagnostics() = default;

    unsigned http_status = 0;   ///< HTTP status of the last response; 0 when none arrived.
    std::string server_message; ///< The server's `error_msg`, else `message`, else raw body text
                                ///< (truncated to 512 bytes).
    std::string method;         ///< "GET" or "PUT".
    std::string path;           ///< Request path (without the query string).
    std::string detail;         ///< Transport or validation detail (e.g. TLS verify reason).
    bool request_sent = false;  ///< Whether the request may have reached the server.
    write_applied applied = write_applied::no; ///< The verdict on a write (see write_applied).
    int attempts = 0; ///< Requests sent for this call: retries and the pool's transparent
                      ///< re-send after a stale keep-alive connection included.

    /// One line for logs: "GET /oserve/... -> 404: user not exist after 2 attempts"; for a
    /// call refused before anything was sent, the reason alone ("where: not valid JSON at line
    /// 1, column 9: incomplete JSON").
    std::string to_string() const;
};

/// A failed call: the stable code (a `minapp::error`) and its diagnostics.
struct failure {
    failure() = default;
    failure(boost::system::error_code error, minapp::diagnostics details = {})
        : code(error)
        , diagnostics(std::move(details)) {}

    boost::system::error_code code;
    minapp::diagnostics diagnostics;
};

/// The exception `result<T>::value()` throws: a system_error with the diagnostics attached.
class api_error : public boost::system::system_error {
public:
    explicit api_error(minapp::failure f);
    /// The diagnostics of the failed call.
    const minapp::diagnostics& diagnostics() const noexcept { return failure_.diagnostics; }
    /// The code and diagnostics, as the result held them.
    const minapp::failure& failure_info() const noexcept { return failure_; }

private:
    minapp::failure failure_;
};

/// Found by `boost::system::result` through ADL: throws api_error.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

/// The outcome of every API call.
template <class T>
using result = boost::system::result<T, failure>;

} // namespace minapp
