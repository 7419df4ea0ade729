// `firebreak watch`: the closed loop over telemetry files — detect with Sigma rules, group the
// findings into incidents, and start the playbooks whose triggers the findings meet (once per
// incident and playbook), acting on the backend.
//
// Triggers (playbook `triggers:`): `rules` lists rule ids; `finding_types` lists GuardDuty /
// Security Hub finding types with '*' wildcards, matched against the type of a GuardDuty or
// Security Hub event a rule matched. The run's target is the finding's entity of the playbook's
// target type (instance for ec2-instance, access_key for access-key, ...; temporary ASIA keys are
// not access-key targets); a finding without one starts nothing (said in the summary).
#include <fmt/format.h>

#include <map>

#include "command.h"
#include "firebreak/core/log.h"
#include "firebreak/detect/detector.h"
#include "firebreak/detect/loader.h"
#include "response_env.h"
#include "rules_common.h"
#include "run_view.h"

namespace firebreak::cli {
namespace {

struct WatchArgs {
  StateOptions state;
  BackendOptions backend;
  std::vector<std::string> rules{"rules"};
  std::string playbooks_dir = "playbooks";
  std::vector<std::string> files;
  bool yes = false;
  bool dry_run = false;
  std::size_t threads = 1;
};

int report(const Error& e) {
  fmt::print(stderr, "firebreak watch: {}\n", e.describe());
  return e.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// '*' matches any run of characters (finding types such as "Backdoor:EC2/C&CActivity.B!DNS").
bool wildcard_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool triggers(const respond::Playbook& pb, const detect::Finding& f) {
  for (const auto& r : pb.triggers.rules) {
    if (r == f.rule_id) return true;
  }
  if (f.source == event::SourceKind::kGuardDuty || f.source == event::SourceKind::kSecurityHub) {
    for (const auto& t : pb.triggers.finding_types) {
      if (wildcard_match(t, f.event_name)) return true;
    }
  }
  return false;
}

incident::FindingInput to_input(const detect::Finding& f) {
  incident::FindingInput in;
  in.id = f.id;
  in.rule_id = f.rule_id;
  in.title = f.rule_title;
  in.severity = static_cast<incident::Severity>(f.level);  // both follow Sigma's level order
  in.time = f.time;
  for (const auto& e : f.entities) in.entities.push_back({e.type, e.value});
  auto detail = parse_json(detect::to_json(f));
  in.detail = detail ? *detail : Json();
  return in;
}

struct Tally {
  std::size_t findings = 0, incidents_opened = 0, runs = 0, no_target = 0, failed = 0,
              parked = 0;
};

int run_watch(const WatchArgs& a) {
  auto loaded = load_rule_dirs(a.rules, {}, {});
  if (!loaded) return report(loaded.error());
  std::vector<detect::Rejection> rejected = loaded->rejected;
  auto engine = detect::Engine::compile(*loaded, {}, &rejected);
  if (!engine) return report(engine.error());
  for (const auto& r : rejected) log::warn("rule rejected: {}", r.describe());

  auto env_or = ResponseEnv::open(a.state, &a.backend);
  if (!env_or) return report(env_or.error());
  ResponseEnv& env = **env_or;
  for (const auto& line : env.attack_log()) log::info("attack: {}", line);
  auto set = respond::load_playbooks({a.playbooks_dir}, env.registry());
  for (const auto& e : set.errors) log::warn("playbook not loaded: {}", e.describe());
  if (set.playbooks.empty()) {
    fmt::print(stderr, "firebreak watch: no playbook loaded from {}\n", a.playbooks_dir);
    return kExitFailure;
  }

  std::vector<detect::Finding> findings;
  detect::DetectOptions opts;
  opts.threads = a.threads;
  std::uint64_t read_errors = 0;
  std::vector<std::filesystem::path> paths(a.files.begin(), a.files.end());
  auto summary = detect::detect_files(
      *engine, paths, opts, [&](const detect::Finding& f) { findings.push_back(f); },
      [&](const Error& e) {
        if (++read_errors <= 20) log::warn("{}", e.describe());
      });
  if (!summary) return report(summary.error());

  Tally tally;
  tally.findings = findings.size();
  const std::string actor = default_actor();
  // (incident, playbook) pairs already answered, so one incident starts each playbook once.
  std::map<std::pair<std::string, std::string>, bool> started;
  for (const auto& f : findings) {
    const incident::FindingInput input = to_input(f);
    auto ingested = env.incidents().ingest(input);
    if (!ingested) return report(ingested.error());
    if (ingested->created) ++tally.incidents_opened;
    for (const auto& pb : set.playbooks) {
      if (!triggers(pb, f)) continue;
      const auto key = std::make_pair(ingested->incident_id, pb.id);
      if (started.contains(key)) continue;
      auto previous = env.journal().runs(std::nullopt, ingested->incident_id);
      if (!previous) return report(previous.error());
      bool answered = false;
      for (const auto& r : *previous) answered |= r.playbook_id == pb.id && !r.dry_run;
      started[key] = true;
      if (answered) continue;

      const std::string type = entity_type_for(pb.target_type);
      const detect::Entity* entity = nullptr;
      for (const auto& e : f.entities) {
        // Temporary credentials (ASIA…) belong to a role session, not to a user's access key:
        // they are answered by revoking the role's sessions (ec2-contain), not by key response.
        if (e.type == type && !(type == "access_key" && e.value.starts_with("ASIA"))) {
          entity = &e;
          break;
        }
      }
      if (entity == nullptr) {
        ++tally.no_target;
        log::warn("finding {} ({}) triggers {} but names no {}", f.id, f.rule_title, pb.id, type);
        continue;
      }
      std::string account;
      for (const auto& e : f.entities) {
        if (e.type == "account") account = e.value;
      }
      auto target = env.resolve_target(pb.target_type, entity->value, account);
      if (!target) return report(target.error());
      respond::StartRequest req;
      req.incident_id = ingested->incident_id;
      if (auto inc = env.incidents().get(req.incident_id)) req.incident = inc->to_json();
      req.target = *target;
      req.trigger = input.detail;
      req.actor = "firebreak watch";
      if (a.dry_run) {
        auto plan = env.executor(true).plan(pb, req);
        if (!plan) return report(plan.error());
        fmt::print("{}: would run {} on {} (plan {}: {} steps, {} permissions)\n",
                   req.incident_id, pb.id, req.target.id, plan->run_id, plan->steps.size(),
                   plan->permissions.size());
        continue;
      }
      auto run_id = env.executor().start(pb, req);
      if (!run_id) return report(run_id.error());
      (void)env.incidents().add_run(req.incident_id, *run_id, pb.id, req.actor);
      ++tally.runs;
      auto run = drive_run(env, *run_id, a.yes ? ApprovalPolicy::kYes : ApprovalPolicy::kPark,
                           a.yes ? actor : std::string_view("firebreak watch"));
      if (!run) return report(run.error());
      if (run->state == respond::RunState::kAwaitingApproval) {
        ++tally.parked;
        if (env.world() != nullptr) {
          (void)env.executor().cancel(*run_id, "firebreak (simulated world ended)");
        }
      } else if (run->state != respond::RunState::kSucceeded) {
        ++tally.failed;
      }
      fmt::print("{}: {} on {} {} -> run {} {}{}\n", req.incident_id, pb.id,
                 respond::to_string(req.target.type), req.target.id, *run_id,
                 respond::to_string(run->state), run->error.empty() ? "" : ": " + run->error);
    }
  }
  fmt::print(
      "{} findings from {} events in {} files; {} incidents opened; {} runs started ({} failed, "
      "{} awaiting approval); {} triggered findings named no target\n",
      tally.findings, summary->read.events, summary->read.files, tally.incidents_opened,
      tally.runs, tally.failed, tally.parked, tally.no_target);
  if (tally.parked > 0 && env.world() != nullptr) {
    fmt::print(stderr,
               "runs waiting for approval on the simulator were cancelled (its world ends with "
               "this command): pass --yes to approve\n");
  }
  if (tally.failed > 0) return kExitFailure;
  if (tally.parked > 0 || summary->read.skipped > 0 || summary->read.failed_files > 0) {
    return kExitPartial;
  }
  return tally.findings > 0 ? kExitFound : kExitOk;
}

}  // namespace

void add_watch_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<WatchArgs>();
  auto* cmd = app.add_subcommand(
      "watch",
      "Detect over telemetry files, group findings into incidents and run the playbooks their "
      "triggers name. Exit 1 when something was found and answered, 3 when a run waits for "
      "approval or input was bad, 4 when a run failed");
  cmd->add_option("--rules", a->rules, "Rule directories or files (default rules)")->take_all();
  cmd->add_option("--playbooks", a->playbooks_dir, "Playbook directory (default playbooks)");
  cmd->add_flag("--yes", a->yes, "Approve every approval step of the runs it starts");
  cmd->add_flag("--dry-run", a->dry_run, "Plan the runs instead of running them");
  cmd->add_option("--threads", a->threads, "Files read in parallel (default 1)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("files", a->files, "Telemetry files or directories")->required();
  add_state_options(*cmd, a->state);
  add_backend_options(*cmd, a->backend);
  cmd->callback([a, &ctx] { ctx.exit_code = run_watch(*a); });
}

}  // namespace firebreak::cli
