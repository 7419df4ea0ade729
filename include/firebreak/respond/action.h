#pragma once
// Response actions: the C++ built-ins that playbook steps name. Each action declares its
// parameters, the outputs it produces and the IAM permissions it needs, and provides:
//   plan     no side effects: reads current state, returns the exact API calls apply would make;
//   apply    idempotent: reads current state first, so repeating it after a crash changes
//            nothing twice (mutations carry the step's idempotency token as a client token or a
//            tag, so a half-finished apply can find what it already created);
//   verify   re-reads state: did it take effect?
//   rollback where meaningful (restores the before-state the action recorded).
// Long waits (snapshots completing, SSM commands finishing) are not slept through: apply returns
// `wait` and is called again later; progress survives in the step's persistent state.
// Before/after state goes to the incident's record through ActionContext::record.
//
// Actions are stateless and shared between runs and threads; all per-run data lives in the
// ActionContext.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloud/session.h"
#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::respond {

enum class ParamType : std::uint8_t { kString, kBool, kInt, kStringList, kObject, kAny };
[[nodiscard]] std::string_view to_string(ParamType t) noexcept;
// Whether `value` has the declared type (null never does).
[[nodiscard]] bool param_type_matches(ParamType t, const Json& value) noexcept;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  bool required = true;
  Json default_value = nullptr;  // used when not required and not given
  std::string description;
};

struct ActionSpec {
  std::string name;  // "<service>.<verb>", e.g. "ec2.enable_termination_protection"
  std::string description;
  std::vector<ParamSpec> params;
  std::vector<std::string> outputs;      // output names it produces
  std::vector<std::string> permissions;  // IAM actions apply/verify may call
  bool mutating = true;                  // false for record-only actions
  bool has_rollback = false;
};

// One API call a plan says apply would make.
struct ApiCall {
  std::string service;    // "ec2"
  std::string operation;  // "ModifyInstanceAttribute"
  bool mutating = false;
  std::string detail;  // human summary: "DisableApiTermination=true on i-0abc"
  [[nodiscard]] std::string iam_action() const { return service + ":" + operation; }
};

struct ApplyResult {
  Json outputs = Json::object();
  bool changed = false;          // false when the state already was as wanted
  std::optional<Duration> wait;  // set: not finished; call apply again after this long
  std::string summary;           // one line for the run log
};

struct Verification {
  bool ok = false;
  std::string detail;
};

class ActionContext {
 public:
  virtual ~ActionContext() = default;
  [[nodiscard]] virtual cloud::CloudSession& cloud() = 0;
  [[nodiscard]] virtual Clock& clock() = 0;
  // Rendered, validated parameters (defaults applied).
  [[nodiscard]] virtual const Json& params() const = 0;
  [[nodiscard]] virtual std::string_view run_id() const = 0;
  [[nodiscard]] virtual std::string_view step_id() const = 0;
  [[nodiscard]] virtual std::string_view incident_id() const = 0;
  // Stable for this run and step across crashes and retries ("<run>-<step>", ≤ 64 characters
  // of [A-Za-z0-9-]): use as ClientToken or as the value of a FirebreakStep tag.
  [[nodiscard]] virtual std::string idempotency_token() const = 0;
  // Appends to the incident's record (kind: "observation", "action_request", "action_result").
  virtual void record(std::string_view kind, const Json& payload) = 0;
  // Persistent per-step scratch state (survives waits and crashes): read, then replace.
  [[nodiscard]] virtual const Json& state() const = 0;
  [[nodiscard]] virtual Status save_state(Json state) = 0;
  [[nodiscard]] virtual bool cancelled() const = 0;
};

class Action {
 public:
  virtual ~Action() = default;
  [[nodiscard]] virtual const ActionSpec& spec() const = 0;
  [[nodiscard]] virtual Result<std::vector<ApiCall>> plan(ActionContext& ctx) = 0;
  [[nodiscard]] virtual Result<ApplyResult> apply(ActionContext& ctx) = 0;
  [[nodiscard]] virtual Result<Verification> verify(ActionContext& ctx, const Json& outputs) = 0;
  // Default: kUnsupported. Actions with spec().has_rollback override it.
  [[nodiscard]] virtual Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs);
};

// The set of actions playbooks may name. Built once (register_builtin_actions) and then only
// read: thread-safe for lookups.
class ActionRegistry {
 public:
  void add(std::unique_ptr<Action> action);
  [[nodiscard]] const Action* find(std::string_view name) const;
  [[nodiscard]] Action* find_mutable(std::string_view name) const;
  [[nodiscard]] std::vector<const ActionSpec*> specs() const;

 private:
  std::vector<std::unique_ptr<Action>> actions_;
};

// Registers every built-in action (src/respond/actions/registry.cpp): the one place they are
// listed.
void register_builtin_actions(ActionRegistry& registry);

}  // namespace firebreak::respond
