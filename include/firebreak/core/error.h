#pragma once
// Errors are values. Every fallible function returns Result<T>; nothing throws across a module
// boundary. An Error carries a closed code (what kind of failure, so callers can decide to retry,
// skip or stop), a human message, and context saying where: the input location (file, line or
// record) and, for AWS calls, the service's error code, request id and HTTP status.
//
// Messages are passed through the central redactor when the Error is built, so a secret that slips
// into a message never reaches a log or a terminal.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace firebreak {

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,     // the caller asked for something malformed (flag, rule, playbook)
  kParse,               // outside input could not be parsed
  kLimitExceeded,       // input exceeded a size, depth or count bound
  kNotFound,            // the thing named does not exist (file, instance, key)
  kAlreadyExists,       // creating something that is already there
  kPermissionDenied,    // AccessDenied, UnauthorizedOperation, WORM refusal
  kThrottled,           // RequestLimitExceeded, Throttling, SlowDown: retry later
  kUnavailable,         // 5xx, connection refused/reset: retry later
  kTimeout,             // a deadline passed
  kFailedPrecondition,  // the state forbids it (OperationNotPermitted, IncorrectState, retention)
  kUnsupported,         // valid but not something firebreak implements
  kCancelled,           // stopped on request
  kIo,                  // local file system or OS error
  kAws,                 // any other error a service returned (see context().aws_code)
  kInternal,            // a bug in firebreak
};

// Stable lower-case name of a code ("not_found"), used in JSON output and exit summaries.
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

struct ErrorContext {
  std::string where;       // "rules/x.yml:12:3", "trail.json.gz record 17", "line 9"
  std::string aws_code;    // service error code, e.g. "InvalidInstanceID.NotFound"
  std::string request_id;  // service request id, when the service sent one
  int http_status = 0;     // HTTP status of the failed call, 0 when not an HTTP error
};

class Error {
 public:
  Error(ErrorCode code, std::string_view message, ErrorContext context = {});

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] const ErrorContext& context() const noexcept { return context_; }

  // Returns a copy whose location is `where` (kept if already set, so the innermost wins).
  [[nodiscard]] Error at(std::string_view where) const&;
  [[nodiscard]] Error at(std::string_view where) &&;
  // Prefixes the message with `what: ` (e.g. the operation that failed).
  [[nodiscard]] Error wrap(std::string_view what) const;

  // True for codes a retry may cure: throttling, unavailability, timeouts.
  [[nodiscard]] bool retryable() const noexcept;

  // One line: "<where>: <message> [<aws code>, request <id>, HTTP <status>]".
  [[nodiscard]] std::string describe() const;

 private:
  ErrorCode code_;
  std::string message_;
  ErrorContext context_;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Shorthand for `return std::unexpected(Error(...))`.
[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string_view message,
                                                 ErrorContext context = {}) {
  return std::unexpected(Error(code, message, std::move(context)));
}
[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
  return std::unexpected(std::move(error));
}

}  // namespace firebreak

// Propagates an error: `FIREBREAK_TRY(auto x, compute());` or `FIREBREAK_TRY_STATUS(do_it());`.
// FIREBREAK_TRY expands to several statements: under an `if`, use braces.
#define FIREBREAK_CONCAT_INNER(a, b) a##b
#define FIREBREAK_CONCAT(a, b) FIREBREAK_CONCAT_INNER(a, b)
#define FIREBREAK_TRY(decl, expr) \
  FIREBREAK_TRY_IMPL(FIREBREAK_CONCAT(fb_try_, __LINE__), decl, expr)
#define FIREBREAK_TRY_IMPL(tmp, decl, expr)                   \
  auto tmp = (expr);                                          \
  if (!tmp) return ::std::unexpected(std::move(tmp).error()); \
  decl = std::move(tmp).value()
#define FIREBREAK_TRY_STATUS(expr)                                            \
  do {                                                                        \
    auto fb_status_ = (expr);                                                 \
    if (!fb_status_) return ::std::unexpected(std::move(fb_status_).error()); \
  } while (false)
