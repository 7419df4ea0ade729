#include "firebreak/core/error.h"

#include <fmt/format.h>

#include "firebreak/core/redact.h"

namespace firebreak {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kLimitExceeded: return "limit_exceeded";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kThrottled: return "throttled";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kFailedPrecondition: return "failed_precondition";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kAws: return "aws";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

Error::Error(ErrorCode code, std::string_view message, ErrorContext context)
    : code_(code), message_(redact(message)), context_(std::move(context)) {}

Error Error::at(std::string_view where) const& {
  Error copy = *this;
  return std::move(copy).at(where);
}

Error Error::at(std::string_view where) && {
  if (context_.where.empty()) context_.where = std::string(where);
  return std::move(*this);
}

Error Error::wrap(std::string_view what) const {
  Error copy = *this;
  copy.message_ = redact(fmt::format("{}: {}", what, message_));
  return copy;
}

bool Error::retryable() const noexcept {
  return code_ == ErrorCode::kThrottled || code_ == ErrorCode::kUnavailable ||
         code_ == ErrorCode::kTimeout;
}

std::string Error::describe() const {
  std::string out;
  if (!context_.where.empty()) out = context_.where + ": ";
  out += message_;
  std::string extra;
  auto add = [&](const std::string& s) {
    if (!extra.empty()) extra += ", ";
    extra += s;
  };
  if (!context_.aws_code.empty()) add(context_.aws_code);
  if (!context_.request_id.empty()) add("request " + context_.request_id);
  if (context_.http_status != 0) add(fmt::format("HTTP {}", context_.http_status));
  if (!extra.empty()) out += " [" + extra + "]";
  return out;
}

}  // namespace firebreak
