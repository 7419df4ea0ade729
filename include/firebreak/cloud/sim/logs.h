#pragma once
// Realistic telemetry from a simulated world (`firebreak sim logs`): hours of background activity
// (the world's users and instance roles making ordinary calls, workload traffic, internet scans
// against public addresses) plus, optionally, an attack script, delivered as AWS delivers them:
// CloudTrail delivery files, EventBridge envelopes, GuardDuty findings and their S3 exports, VPC
// Flow Logs files. Everything is deterministic for a world file and a seed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "firebreak/cloud/sim/attack.h"
#include "firebreak/cloud/sim/world.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud::sim {

struct LogsOptions {
  Duration duration = std::chrono::hours(6);
  std::optional<AttackScript> attack;
  std::optional<Duration> attack_at;  // default: a third of the way through
  // Extra simulated time after `duration` so that pending deliveries (CloudTrail files ~5 min,
  // GuardDuty ~5 min, flow-log windows) happen; then everything left is flushed.
  Duration drain = std::chrono::minutes(15);
};

struct LogsSummary {
  std::uint64_t cloudtrail_records = 0;  // records emitted (all accounts)
  std::uint64_t files = 0;               // delivered files of every kind
  std::uint64_t cloudtrail_files = 0, flow_log_files = 0, guardduty_files = 0;
  std::uint64_t eventbridge_envelopes = 0;
  std::uint64_t background_calls = 0, background_flows = 0, scans = 0;
  std::uint64_t findings = 0;
  std::vector<StepOutcome> attack;  // what each attack step did
};

// Runs the world for options.duration (+ drain), writing everything to `sinks`.
[[nodiscard]] Result<LogsSummary> generate_logs(LoadedWorld& world, const LogsOptions& options,
                                                const std::vector<std::shared_ptr<LogSink>>& sinks);

}  // namespace firebreak::cloud::sim
