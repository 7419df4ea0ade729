#pragma once
// Playbooks: YAML documents (playbooks/*.yml) that say how to answer an incident. Documented in
// docs/playbooks.md. Loading validates everything that can be checked before a run — unknown
// keys, unknown actions, missing or unknown parameters, literal parameter types, expression
// syntax, references to steps that do not come earlier, duplicate step ids — and every error
// names file:line:column.
//
//   id: ec2-contain
//   title: Contain a compromised EC2 instance
//   description: …
//   target: ec2-instance
//   triggers: {rules: [...], finding_types: ["Backdoor:EC2/*"], response_tags: [Isolate],
//              manual: true}
//   inputs:
//     memory_capture: {type: bool, default: true, response_tag: MemoryCapture, description: …}
//   steps:
//     - id: record
//       action: ec2.record_instance
//       params: {instance_id: "{{ target.id }}"}
//     - id: drain
//       branches:                                  # a decision: first matching case runs
//         - when: "steps.record.outputs.auto_scaling_group != null"
//           steps: [ {id: detach, action: autoscaling.detach_instance, params: {…}} ]
//         - steps: [ … ]                           # default case (no `when`)
//     - id: isolate
//       action: ec2.isolate_instance
//       approval: {when: "steps.record.outputs.tags.Environment == 'prod'"}   # or auto|required
//       on_failure: rollback                       # stop (default) | continue | rollback
//       timeout: 10m
//       retries: 3
//   outputs: {snapshot_ids: "{{ steps.snapshots.outputs.snapshot_ids }}"}

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/respond/action.h"
#include "firebreak/respond/expression.h"

namespace firebreak::respond {

enum class TargetType : std::uint8_t {
  kEc2Instance,  // "ec2-instance": an instance id
  kAccessKey,    // "access-key": an access key id
  kIamUser,      // "iam-user"
  kIamRole,      // "iam-role"
  kS3Bucket,     // "s3-bucket"
  kTrail,        // "cloudtrail-trail"
  kAccount,      // "account"
};
[[nodiscard]] std::string_view to_string(TargetType t) noexcept;
[[nodiscard]] std::optional<TargetType> parse_target_type(std::string_view s) noexcept;

enum class ApprovalMode : std::uint8_t { kAuto, kRequired, kConditional };
enum class OnFailure : std::uint8_t { kStop, kContinue, kRollback };
[[nodiscard]] std::string_view to_string(OnFailure f) noexcept;

struct SourceLocation {
  std::string file;
  int line = 0;                                // 1-based
  int column = 0;                              // 1-based
  [[nodiscard]] std::string describe() const;  // "file:line:column"
};

struct Step;

struct Branch {
  std::optional<Expression> when;  // absent: the default case (must be last)
  std::vector<Step> steps;
  SourceLocation where;
};

struct Step {
  std::string id;
  std::string description;
  std::string action;  // empty for a decision step (branches) or a pure approval gate
  Template params;     // an object
  std::optional<Expression> when;
  ApprovalMode approval = ApprovalMode::kAuto;
  std::optional<Expression> approval_when;  // kConditional
  OnFailure on_failure = OnFailure::kStop;
  Duration timeout = std::chrono::minutes(30);
  int retries = 3;  // attempts after the first for retryable errors
  bool verify = true;
  std::vector<Branch> branches;  // non-empty: a decision step
  SourceLocation where;
};

struct TriggerSpec {
  std::vector<std::string> rules;          // detection rule ids
  std::vector<std::string> finding_types;  // GuardDuty/ASFF types, '*' wildcards
  // Verbs of a `Response=A+B` tag on an EC2 instance that start this playbook (any one of them
  // does; see respond/response_tag.h). Only ec2-instance playbooks may declare them.
  std::vector<std::string> response_tags;
  bool manual = true;
};

struct InputSpec {
  std::string name;
  ParamType type = ParamType::kString;
  Json default_value = nullptr;
  bool required = false;
  std::string description;
  // A Response tag verb this (bool) input follows in a tag-driven run: true when the tag names
  // the verb, false when it does not. Empty: the input keeps its default in such runs.
  std::string response_tag;
};

struct Playbook {
  std::string id;
  std::string title;
  std::string description;
  TargetType target_type = TargetType::kEc2Instance;
  TriggerSpec triggers;
  std::vector<InputSpec> inputs;
  std::vector<Step> steps;
  std::map<std::string, Template> outputs;
  std::string file;    // where it was loaded from
  std::string text;    // the YAML as loaded (a run pins this exact text)
  std::string digest;  // SHA-256 hex of `text`

  // Any step by id, including steps inside branches; nullptr when absent.
  [[nodiscard]] const Step* find_step(std::string_view id) const;
  // Every step id in document order (depth first through branches).
  [[nodiscard]] std::vector<std::string> step_ids() const;
};

struct PlaybookLimits {
  std::size_t max_bytes = 1u << 20;
  int max_depth = 32;  // YAML nesting
  std::size_t max_steps = 500;
};

// Parses and validates one playbook. `file` is used in error locations.
[[nodiscard]] Result<Playbook> parse_playbook(std::string_view yaml, std::string_view file,
                                              const ActionRegistry& registry,
                                              const PlaybookLimits& limits = {});
[[nodiscard]] Result<Playbook> load_playbook(const std::filesystem::path& path,
                                             const ActionRegistry& registry);

struct PlaybookSet {
  std::vector<Playbook> playbooks;
  std::vector<Error> errors;  // one per file that failed; the others still load
  [[nodiscard]] const Playbook* find(std::string_view id) const;
};
// Loads every *.yml / *.yaml under the given files and directories.
[[nodiscard]] PlaybookSet load_playbooks(const std::vector<std::filesystem::path>& paths,
                                         const ActionRegistry& registry);

}  // namespace firebreak::respond
