#pragma once
// Private to the simulator: one API call on its way through the world.
//
// Every seam operation of every service runs as:
//   hooks.before → lock → catch up with the clock → check the caller's credentials → throttle
//   → handler (which authorises, validates, acts and writes requestParameters/responseElements)
//   → CloudTrail record (success or error) → unlock → hooks.after
// so that authorisation, error spelling and recording are identical for every operation.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/json.h"
#include "state.h"

namespace firebreak::cloud::sim {

struct OpDesc {
  std::string service;       // IAM prefix and signing name: "ec2"
  std::string name;          // "DescribeInstances"
  std::string event_source;  // "ec2.amazonaws.com"
  std::string action;        // lower-case "ec2:describeinstances"
  bool read_only = false;
  bool data_event = false;  // S3 object-level operations
  bool global = false;      // IAM, STS: recorded in us-east-1
};

// The descriptor of `service`:`name` (created once, then cached).
const OpDesc& op_desc(std::string_view service, std::string_view name, bool data_event = false);

class Call {
 public:
  Call(World::State& s, const Caller& caller, std::uint16_t scope, const OpDesc& op);

  World::State& s;
  const Caller& caller;
  std::uint16_t scope;  // the caller's account in the session's region
  const OpDesc& op;

  std::string params;      // requestParameters (a JSON object), empty: null
  std::string response;    // responseElements, empty: null
  std::string additional;  // additionalEventData, empty: absent
  std::vector<std::pair<std::string, std::string>> resources;          // (type, ARN) for the record
  std::vector<std::pair<std::string, std::string>> history_resources;  // (type, name)
  std::string request_id;
  std::string error_code, error_message;
  std::uint16_t recipient;             // account that receives the record
  std::vector<std::uint16_t> also_to;  // other accounts that receive it (cross-account)
  std::string region;                  // awsRegion of the record
  bool record = true;
  bool read_only_override = false;  // for operations whose readOnly differs by request
  // Runs after the record is emitted (StopLogging: the trail records its own stop).
  std::vector<std::function<void()>> after_record;

  [[nodiscard]] std::uint16_t account() const { return s.scopes[scope].account; }
  [[nodiscard]] const std::string& account_id() const { return s.accounts[account()].id; }
  [[nodiscard]] const std::string& session_region() const { return s.scopes[scope].region; }

  // Authorises `action` (default: this operation's) on `resource` (ARN or "*"). Extra condition
  // keys (e.g. ec2:ResourceTag/...) may be given. `resource_policy` is a resource-based policy
  // that may grant access on its own (same account) or must grant it (cross-account when
  // `resource_account` differs from the caller's).
  [[nodiscard]] Status authorize(std::string_view resource = "*",
                                 std::span<const ContextValue> extra = {},
                                 const Policy* resource_policy = nullptr,
                                 std::optional<std::uint16_t> resource_account = std::nullopt,
                                 std::string_view action = {});
  // Same evaluation, without failing: true when allowed.
  [[nodiscard]] bool allowed(std::string_view action, std::string_view resource,
                             std::span<const ContextValue> extra = {},
                             const Policy* resource_policy = nullptr,
                             std::optional<std::uint16_t> resource_account = std::nullopt);

  // Builds the error returned to the caller (AWS code, HTTP status, request id) and remembers it
  // for the CloudTrail record.
  [[nodiscard]] std::unexpected<Error> error(ErrorCode code, std::string_view aws_code,
                                             std::string_view message, int http_status = 400);
  // Shorthands for the usual ones.
  [[nodiscard]] std::unexpected<Error> not_found(std::string_view aws_code,
                                                 std::string_view message) {
    return error(ErrorCode::kNotFound, aws_code, message, 400);
  }
  [[nodiscard]] std::unexpected<Error> invalid(std::string_view aws_code,
                                               std::string_view message) {
    return error(ErrorCode::kInvalidArgument, aws_code, message, 400);
  }
  [[nodiscard]] std::unexpected<Error> precondition(std::string_view aws_code,
                                                    std::string_view message) {
    return error(ErrorCode::kFailedPrecondition, aws_code, message, 400);
  }

  // Re-raises an error built outside the call (it must carry an AWS code).
  [[nodiscard]] std::unexpected<Error> from(const Error& e) {
    return error(e.code(), e.context().aws_code, e.message(),
                 e.context().http_status == 0 ? 400 : e.context().http_status);
  }

  // Writers for requestParameters / responseElements.
  JsonWriter params_writer() { return JsonWriter(params); }
  JsonWriter response_writer() { return JsonWriter(response); }

  // Emits the CloudTrail record (called by the pipeline).
  void finish();

 private:
  [[nodiscard]] std::unexpected<Error> denied(std::string_view action, std::string_view resource,
                                              bool explicit_deny);
};

// Policy evaluation outside a call (the SSM agent's own requests, GuardDuty's view).
bool caller_allowed(const World::State& s, const Caller& c, std::string_view action,
                    std::string_view resource, std::string_view region,
                    const Policy* resource_policy = nullptr,
                    std::optional<std::uint16_t> resource_account = std::nullopt);

// Condition keys of the caller for policy evaluation.
std::vector<ContextValue> caller_context(const World::State& s, const Caller& c,
                                         std::string_view region);

// Maps an AWS error code to firebreak's ErrorCode the way the AWS client does.
[[nodiscard]] ErrorCode error_code_for(std::string_view aws_code, int http_status);

// CloudTrail's time format in some responseElements ("Jun 1, 2024, 12:00:00 AM").
[[nodiscard]] std::string cloudtrail_console_time(TimePoint t, bool comma_after_year = true);

// Appends a JSON string literal.
inline void jstr(std::string& out, std::string_view s) { append_json_string(out, s); }

}  // namespace firebreak::cloud::sim
