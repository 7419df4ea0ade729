// `firebreak watch`: the closed loop over telemetry files — detect with Sigma rules, group the
// findings into incidents, and start the playbooks whose triggers the findings meet (once per
// incident and playbook), acting on the backend.
//
// Triggers (playbook `triggers:`): `rules` lists rule ids; `finding_types` lists GuardDuty /
// Security Hub finding types with '*' wildcards, matched against the type of a GuardDuty or
// Security Hub event a rule matched. The run's target is the finding's entity of the playbook's
// target type (instance for ec2-instance, access_key for access-key, ...; temporary ASIA keys are
// not access-key targets); a finding without one starts nothing (said in the summary). Each
// incident starts each of these playbooks once.
//
// Tag-driven response (`triggers.response_tags`): a finding whose rule carries the CreateTags
// request in its fields (rules/cloudtrail/fb_ec2_response_tag_trigger.yml) is read with
// respond/response_tag.h; every playbook the Response tag's verbs name starts on every tagged
// instance (once per incident, playbook and instance) with its verb-linked inputs set. What
// starts nothing (unknown verbs, ...) is printed and noted on the incident.
#include <fmt/format.h>

#include <set>
#include <tuple>

#include "command.h"
#include "firebreak/core/log.h"
#include "firebreak/detect/detector.h"
#include "firebreak/detect/loader.h"
#include "firebreak/respond/response_tag.h"
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
  std::vector<std::string> inputs;
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

// The part of the event a finding carries in its fields, as a record again: "userIdentity.arn"
// becomes {"userIdentity": {"arn": ...}}. Values that do not parse, and paths that collide with a
// value already placed, are left out.
Json fields_record(const detect::Finding& f) {
  Json rec = Json::object();
  for (const auto& [path, json] : f.fields) {
    auto value = parse_json(json, JsonLimits{.max_bytes = detect::kMaxFieldBytes, .max_depth = 64});
    if (!value) continue;
    Json* at = &rec;
    std::string_view rest = path;
    while (at->is_object()) {
      const auto dot = rest.find('.');
      if (dot == std::string_view::npos) {
        (*at)[std::string(rest)] = std::move(*value);
        break;
      }
      at = &(*at)[std::string(rest.substr(0, dot))];
      if (at->is_null()) *at = Json::object();
      rest.remove_prefix(dot + 1);
    }
  }
  return rec;
}

std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

struct Tally {
  std::size_t findings = 0, incidents_opened = 0, runs = 0, no_target = 0, failed = 0, parked = 0;
  std::size_t tag_requests = 0;  // Response tag requests read
  std::size_t tag_refused = 0;   // unreadable requests, unknown and idle verbs: nothing started
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
  auto watch_inputs = parse_inputs(a.inputs);
  if (!watch_inputs) return report(watch_inputs.error());
  for (auto it = watch_inputs->begin(); it != watch_inputs->end(); ++it) {
    bool declared = false;
    for (const auto& pb : set.playbooks) {
      for (const auto& in : pb.inputs) declared |= in.name == it.key();
    }
    if (!declared) {
      return report(Error(ErrorCode::kInvalidArgument,
                          fmt::format("--input {}: no loaded playbook has that input", it.key())));
    }
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
  // Playbooks each incident has started: on which targets, so that a trigger starts a playbook
  // once per incident (rules, finding types) or once per incident and instance (Response tags).
  std::set<std::pair<std::string, std::string>> started;
  std::set<std::tuple<std::string, std::string, std::string>> started_on;

  // Starts `pb` on `target_id` for the finding's incident and drives the run. Returns an exit
  // code when watch must stop.
  auto launch = [&](const respond::Playbook& pb, const detect::Finding& f,
                    const incident::FindingInput& input, const std::string& incident_id,
                    const std::string& target_id, const Json& tag_inputs) -> std::optional<int> {
    std::string account;
    for (const auto& e : f.entities) {
      if (e.type == "account") account = e.value;
    }
    auto target = env.resolve_target(pb.target_type, target_id, account);
    if (!target) return report(target.error());
    respond::StartRequest req;
    req.incident_id = incident_id;
    if (auto inc = env.incidents().get(req.incident_id)) req.incident = inc->to_json();
    req.target = *target;
    req.trigger = input.detail;
    req.actor = "firebreak watch";
    // --input values for the inputs this playbook declares, then what the tag's verbs set.
    for (const auto& in : pb.inputs) {
      if (watch_inputs->contains(in.name)) req.inputs[in.name] = (*watch_inputs)[in.name];
    }
    for (auto it = tag_inputs.begin(); it != tag_inputs.end(); ++it) req.inputs[it.key()] = *it;
    started.emplace(incident_id, pb.id);
    started_on.emplace(incident_id, pb.id, req.target.id);
    if (a.dry_run) {
      auto plan = env.executor(true).plan(pb, req);
      if (!plan) return report(plan.error());
      fmt::print("{}: would run {} on {} (plan {}: {} steps, {} permissions)\n", req.incident_id,
                 pb.id, req.target.id, plan->run_id, plan->steps.size(), plan->permissions.size());
      return std::nullopt;
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
    return std::nullopt;
  };

  // Whether the incident's journal already holds a real run of `pb` (on `target_id`, if given).
  auto answered = [&](const std::string& incident_id, const respond::Playbook& pb,
                      const std::string* target_id) -> Result<bool> {
    FIREBREAK_TRY(auto previous, env.journal().runs(std::nullopt, incident_id));
    for (const auto& r : previous) {
      if (r.playbook_id != pb.id || r.dry_run) continue;
      if (target_id == nullptr || r.target.value("id", std::string()) == *target_id) return true;
    }
    return false;
  };

  // Tag-driven response for one finding (see the header comment).
  auto respond_to_tag = [&](const detect::Finding& f, const incident::FindingInput& input,
                            const std::string& incident_id) -> std::optional<int> {
    auto parsed = respond::parse_response_tag_request(fields_record(f));
    if (!parsed) {
      ++tally.tag_refused;
      fmt::print("{}: Response tag request unreadable, nothing started: {}\n", incident_id,
                 parsed.error().message());
      (void)env.incidents().add_note(
          incident_id, "firebreak watch",
          fmt::format("Response tag request unreadable, nothing started: {}",
                      parsed.error().message()));
      return std::nullopt;
    }
    if (!*parsed) return std::nullopt;
    const respond::ResponseTagRequest& tag = **parsed;
    ++tally.tag_requests;
    const auto plan = respond::plan_response_tag(tag, set.playbooks);
    const std::string who =
        tag.principal.empty() ? std::string("an unknown principal") : tag.principal;
    std::vector<std::string> starts;
    for (const auto& r : plan.runs) {
      std::string inputs;
      for (auto it = r.inputs.begin(); it != r.inputs.end(); ++it) {
        inputs += fmt::format("{}{}={}", inputs.empty() ? "" : ", ", it.key(), dump_json(*it));
      }
      starts.push_back(fmt::format("{} on {} ({}{}{})", r.playbook->id, r.instance_id,
                                   respond::join_verbs(r.verbs), inputs.empty() ? "" : "; ",
                                   inputs));
    }
    const std::string headline = fmt::format(
        "Response={} on {} by {}: {}", tag.value,
        tag.instance_ids.empty() ? std::string("no instance") : joined(tag.instance_ids), who,
        starts.empty() ? std::string("starts nothing") : "starts " + joined(starts, "; "));
    fmt::print("{}: {}\n", incident_id, headline);
    for (const auto& p : plan.problems) fmt::print("{}: Response tag: {}\n", incident_id, p);
    if (tag.self.empty()) {
      tally.tag_refused += plan.unknown_verbs.size() + plan.idle_verbs.size();
    }
    std::string note = headline;
    for (const auto& p : plan.problems) note += "\n- " + p;
    (void)env.incidents().add_note(incident_id, "firebreak watch", note);
    for (const auto& r : plan.runs) {
      const auto key = std::make_tuple(incident_id, r.playbook->id, r.instance_id);
      if (started_on.contains(key)) continue;
      auto done = answered(incident_id, *r.playbook, &r.instance_id);
      if (!done) return report(done.error());
      if (*done) {
        started_on.insert(key);
        fmt::print("{}: {} already ran on {}: not started again\n", incident_id, r.playbook->id,
                   r.instance_id);
        continue;
      }
      if (auto rc = launch(*r.playbook, f, input, incident_id, r.instance_id, r.inputs)) return rc;
    }
    return std::nullopt;
  };

  for (const auto& f : findings) {
    const incident::FindingInput input = to_input(f);
    auto ingested = env.incidents().ingest(input);
    if (!ingested) return report(ingested.error());
    if (ingested->created) ++tally.incidents_opened;
    if (!f.fields.empty()) {
      if (auto rc = respond_to_tag(f, input, ingested->incident_id)) return *rc;
    }
    for (const auto& pb : set.playbooks) {
      if (!triggers(pb, f)) continue;
      const auto key = std::make_pair(ingested->incident_id, pb.id);
      if (started.contains(key)) continue;
      auto done = answered(ingested->incident_id, pb, nullptr);
      if (!done) return report(done.error());
      if (*done) {
        started.insert(key);
        continue;
      }

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
        started.insert(key);
        ++tally.no_target;
        log::warn("finding {} ({}) triggers {} but names no {}", f.id, f.rule_title, pb.id, type);
        continue;
      }
      if (auto rc = launch(pb, f, input, ingested->incident_id, entity->value, Json::object())) {
        return *rc;
      }
    }
  }
  fmt::print(
      "{} findings from {} events in {} files; {} incidents opened; {} runs started ({} failed, "
      "{} awaiting approval); {} triggered findings named no target{}\n",
      tally.findings, summary->read.events, summary->read.files, tally.incidents_opened, tally.runs,
      tally.failed, tally.parked, tally.no_target,
      tally.tag_requests == 0 && tally.tag_refused == 0
          ? std::string()
          : fmt::format("; {} Response tag requests ({} verbs or requests not acted on)",
                        tally.tag_requests, tally.tag_refused));
  if (tally.parked > 0 && env.world() != nullptr) {
    fmt::print(stderr,
               "runs waiting for approval on the simulator were cancelled (its world ends with "
               "this command): pass --yes to approve\n");
  }
  if (tally.failed > 0) return kExitFailure;
  if (tally.parked > 0 || tally.tag_refused > 0 || summary->read.skipped > 0 ||
      summary->read.failed_files > 0) {
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
      "triggers name, including Response tags on instances (Response=Isolate+MemoryCapture). "
      "Exit 1 when something was found and answered, 3 when a run waits for approval or input "
      "was bad (a Response tag with a verb no playbook knows, too), 4 when a run failed");
  cmd->add_option("--rules", a->rules, "Rule directories or files (default rules)")->take_all();
  cmd->add_option("--playbooks", a->playbooks_dir, "Playbook directory (default playbooks)");
  cmd->add_option("--input", a->inputs,
                  "Playbook input name=value for every run whose playbook declares it (repeatable; "
                  "JSON values; a Response tag's verbs override it)");
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
