// `firebreak sim`: the simulated AWS organisation from the command line.
//   sim logs   realistic telemetry (background + optional attack) written like AWS delivers it
//   sim check  validates a world file (and attack scripts) and prints what it describes
#include <fmt/format.h>

#include <filesystem>

#include "command.h"
#include "firebreak/cloud/sim/attack.h"
#include "firebreak/cloud/sim/logs.h"
#include "firebreak/cloud/sim/world_yaml.h"
#include "firebreak/core/log.h"

namespace firebreak::cli {
namespace {

struct SimLogsArgs {
  std::string world;
  std::string duration = "6h";
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string attack;
  std::string attack_at;
  std::string out = "sim-logs";
};

int run_logs(const SimLogsArgs& a) {
  const auto duration = parse_duration(a.duration);
  if (!duration || *duration <= Duration::zero()) {
    fmt::print(stderr, "firebreak sim logs: --duration '{}' is not a duration (e.g. 30m, 6h, 2d)\n",
               a.duration);
    return kExitUsage;
  }
  std::optional<Duration> attack_at;
  if (!a.attack_at.empty()) {
    attack_at = parse_duration(a.attack_at);
    if (!attack_at) {
      fmt::print(stderr, "firebreak sim logs: --attack-at '{}' is not a duration\n", a.attack_at);
      return kExitUsage;
    }
  }
  cloud::sim::WorldLoadOptions opts;
  if (a.seed_given) opts.seed = a.seed;
  opts.base.keep_records = false;
  auto world = cloud::sim::load_world_file(a.world, opts);
  if (!world) {
    fmt::print(stderr, "firebreak sim logs: {}\n", world.error().describe());
    return kExitFailure;
  }
  cloud::sim::LogsOptions lo;
  lo.duration = *duration;
  lo.attack_at = attack_at;
  if (!a.attack.empty()) {
    auto script = cloud::sim::load_attack_file(a.attack);
    if (!script) {
      fmt::print(stderr, "firebreak sim logs: {}\n", script.error().describe());
      return kExitFailure;
    }
    lo.attack = std::move(*script);
  }
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) {
    fmt::print(stderr, "firebreak sim logs: {}: {}\n", a.out, ec.message());
    return kExitFailure;
  }
  auto dir = std::make_shared<cloud::sim::DirectorySink>(a.out);
  auto summary = cloud::sim::generate_logs(*world, lo, {dir});
  if (!summary) {
    fmt::print(stderr, "firebreak sim logs: {}\n", summary.error().describe());
    return kExitFailure;
  }
  if (!dir->status()) {
    fmt::print(stderr, "firebreak sim logs: {}\n", dir->status().error().describe());
    return kExitFailure;
  }
  const auto& s = *summary;
  fmt::print("world {} (seed {}), {} simulated, written to {}\n", world->name, world->seed,
             a.duration, a.out);
  fmt::print("  cloudtrail records   {:>10}  in {} delivery files\n", s.cloudtrail_records,
             s.cloudtrail_files);
  fmt::print("  eventbridge events   {:>10}  ({}/eventbridge.jsonl)\n", s.eventbridge_envelopes,
             a.out);
  fmt::print("  flow-log files       {:>10}  ({} workload flows, {} internet probes)\n",
             s.flow_log_files, s.background_flows, s.scans);
  fmt::print("  guardduty findings   {:>10}  in {} export files\n", s.findings, s.guardduty_files);
  fmt::print("  background api calls {:>10}\n", s.background_calls);
  if (lo.attack) {
    std::size_t failed = 0;
    for (const auto& o : s.attack) failed += o.ok ? 0 : 1;
    fmt::print("  attack '{}': {} steps, {} refused by the world\n", lo.attack->name,
               s.attack.size(), failed);
    for (const auto& o : s.attack)
      fmt::print("    {} {:<32} {} {}\n", format_iso8601(o.time), o.step,
                 o.ok ? "ok     " : "refused", o.detail);
  }
  return kExitOk;
}

int run_check(const std::string& world_path, const std::vector<std::string>& attacks) {
  auto world = cloud::sim::load_world_file(world_path);
  if (!world) {
    fmt::print(stderr, "{}\n", world.error().describe());
    return kExitFailure;
  }
  const auto instances = world->world->instances();
  fmt::print("{}: world '{}' ok: {} accounts, {} instances, {} user keys, seed {}, starts {}\n",
             world_path, world->name, world->world->account_ids().size(), instances.size(),
             world->user_keys.size(), world->seed, format_iso8601(world->start));
  int rc = kExitOk;
  for (const auto& path : attacks) {
    auto script = cloud::sim::load_attack_file(path);
    if (!script) {
      fmt::print(stderr, "{}\n", script.error().describe());
      rc = kExitFailure;
      continue;
    }
    fmt::print("{}: attack '{}' ok: {} steps over {}\n", path, script->name, script->steps.size(),
               format_duration(script->length()));
  }
  return rc;
}

}  // namespace

void add_sim_command(CLI::App& app, Context& ctx) {
  auto* sim =
      app.add_subcommand("sim", "The simulated AWS organisation: telemetry and world files");
  sim->require_subcommand(1);

  auto args = std::make_shared<SimLogsArgs>();
  auto* logs = sim->add_subcommand(
      "logs",
      "Write realistic telemetry from a world: CloudTrail delivery files, EventBridge events, "
      "GuardDuty findings and VPC Flow Logs, with an optional attack");
  logs->add_option("--world", args->world, "World file (YAML, see worlds/README.md)")->required();
  logs->add_option("--duration", args->duration, "Simulated time to cover (e.g. 30m, 6h, 2d)")
      ->capture_default_str();
  logs->add_option("--seed", args->seed, "Seed (default: the world file's); same seed, same bytes")
      ->each([args](const std::string&) { args->seed_given = true; });
  logs->add_option("--attack", args->attack,
                   "Attack script (YAML, see scenarios/attacks/README.md)");
  logs->add_option("--attack-at", args->attack_at,
                   "When the attack starts (default: a third of the way)");
  logs->add_option("--out", args->out, "Output directory (files under <bucket>/<AWS key>)")
      ->capture_default_str();
  logs->callback([args, &ctx] { ctx.exit_code = run_logs(*args); });

  auto world_path = std::make_shared<std::string>();
  auto attacks = std::make_shared<std::vector<std::string>>();
  auto* check = sim->add_subcommand("check", "Validate a world file and attack scripts");
  check->add_option("--world", *world_path, "World file (YAML)")->required();
  check->add_option("--attack", *attacks, "Attack scripts to validate too");
  check->callback(
      [world_path, attacks, &ctx] { ctx.exit_code = run_check(*world_path, *attacks); });
}

}  // namespace firebreak::cli
