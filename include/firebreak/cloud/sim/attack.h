#pragma once
// Attack scripts: a small YAML format for what an attacker does in a simulated world, so that
// `firebreak sim logs --attack SCRIPT` (and game days) produce the telemetry of a real incident.
// scenarios/attacks/README.md documents it; scenarios/attacks/*.yaml are examples.
//
//   name: leaked-key-persistence
//   description: ...
//   attacker: {ip: 198.51.100.23, user_agent: "aws-cli/2.15.30 ... kali"}
//   steps:
//     - at: 0s                                # offset from the start of the attack
//       as: {user: prod/ci-deployer}          # a leaked key ({user}), stolen instance
//                                             # credentials ({instance}), or saved ones ({saved})
//       call: sts:GetCallerIdentity
//     - after: 40s                            # or relative to the previous step
//       call: iam:CreateAccessKey
//       with: {user_name: ci-deployer}
//       save: backdoor                        # the new credentials, usable as {saved: backdoor}
//     - connect: {instance: web-asg-1, remote: 198.51.100.23, port: 4444, label: reverse-shell}
//     - steal: {instance: web-asg-1, save: webcreds}
//       repeat: 3                             # any step can repeat ...
//       every: 20s                            # ... at this interval
//
// String values may use ${name}: saved values first, then world names ("web-asg-1", "prod" for
// an account id), so scripts need no hard-coded ids. Calls the world refuses (AccessDenied, ...)
// do not stop the script: they are part of the story and recorded like any other call.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/cloud/sim/world.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::cloud::sim {

struct AttackStep {
  std::string where;          // "file:line" of the step, for messages
  Duration at{};              // absolute offset from the start of the attack (resolved from after:)
  std::string identity_kind;  // "", "user", "instance", "saved", "root"
  std::string identity;       // "prod/ci-deployer", "web-asg-1", "backdoor", "prod"
  std::string region;         // "" = the world's first region of the identity's account
  std::string user_agent;     // calls: "" = the script's attacker user agent
  std::string action;     // "call", "connect", "close", "exchange", "steal", "probe", "shutdown"
  std::string operation;  // for calls: "iam:CreateAccessKey"
  Json params = Json::object();
  std::string save;
  int repeat = 1;
  Duration every{};
};

struct AttackScript {
  std::string name;
  std::string description;
  std::string source_ip = "198.51.100.23";
  std::string user_agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024";
  std::vector<AttackStep> steps;  // sorted by `at`
  [[nodiscard]] Duration length() const;
};

[[nodiscard]] Result<AttackScript> parse_attack(std::string_view yaml, std::string_view name);
[[nodiscard]] Result<AttackScript> load_attack_file(const std::filesystem::path& path);

// The operations an attack step may call ("sts:AssumeRole", ...), for documentation and checks.
[[nodiscard]] std::vector<std::string> attack_operations();

struct StepOutcome {
  TimePoint time{};
  std::string step;  // "iam:CreateAccessKey", "connect", ...
  bool ok = true;
  std::string detail;  // error code or what was done
};

// Plays a script against a world, step by step, as the clock reaches each step. Not thread-safe.
class AttackRunner {
 public:
  AttackRunner(const LoadedWorld& world, const AttackScript& script, TimePoint start);
  ~AttackRunner();
  // Time of the next step, or nullopt when the script is over.
  [[nodiscard]] std::optional<TimePoint> next() const;
  // Runs every step due at or before the world's current time.
  void run_due();
  [[nodiscard]] const std::vector<StepOutcome>& outcomes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firebreak::cloud::sim
