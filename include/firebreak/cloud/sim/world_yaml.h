#pragma once
// Worlds as YAML files (worlds/README.md documents the format; worlds/acme.yaml is the sample).
//
// A world file describes an organisation: accounts and their regions, IAM (managed policies,
// groups, users with keys, roles, instance profiles), VPCs with subnets, security groups and
// network ACL entries, instances (with counts), Auto Scaling groups, target groups and classic
// load balancers, buckets (policies, ACLs, Object Lock, objects of any size), Elastic IPs,
// trails, GuardDuty detectors, threat intelligence, and the background activity `sim logs`
// generates. Resources are named; later entries refer to earlier ones by name, optionally
// qualified by account name ("prod/web-sg").
//
// Errors are precise: "<file>:<line>:<column>: accounts[1].instances[0].subnet: no subnet named
// 'prod-b' in account 'prod'". Unknown keys are errors (typos should not be silently ignored).
// Input is bounded: size, nesting depth and the number of nodes visited (anchors cannot blow up).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloud/sim/world.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud::sim {

struct WorldLimits {
  std::size_t max_bytes = 8u << 20;
  std::size_t max_depth = 48;
  std::size_t max_nodes = 2'000'000;
  std::size_t max_instances = 200'000;
};

// What `sim logs` does in the background (the world file's `background:` section).
struct BackgroundSpec {
  double api_calls_per_hour = 600;         // by the world's users and roles, across all accounts
  double flows_per_instance_per_hour = 6;  // workload traffic per instance
  double internet_scans_per_hour = 30;     // rejected probes from the internet
};

struct LoadedWorld {
  std::shared_ptr<World> world;
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  TimePoint start{};
  BackgroundSpec background;
  // Every access key created by the file, by "<account name>/<user name>" (first key).
  std::map<std::string, Credentials> user_keys;
  // The responder identity, when the file names one (`responder: {account, user}`).
  std::optional<Credentials> responder;
  std::string responder_account;
};

struct WorldLoadOptions {
  std::optional<std::uint64_t> seed;  // overrides the file's seed
  std::optional<TimePoint> start;     // overrides the file's start
  WorldOptions base;                  // other options (throttling, latencies, ...)
  WorldLimits limits;
};

[[nodiscard]] Result<LoadedWorld> load_world_file(const std::filesystem::path& path,
                                                  const WorldLoadOptions& options = {});
// Parses YAML text; `name` is used in error locations.
[[nodiscard]] Result<LoadedWorld> parse_world(std::string_view yaml, std::string_view name,
                                              const WorldLoadOptions& options = {});

}  // namespace firebreak::cloud::sim
