// `firebreak respond PLAYBOOK --target ID`: run a playbook by hand.
// `firebreak plan PLAYBOOK --target ID`: what it would do — the ordered API calls and the IAM
// permissions they need — without changing anything.
#include <fmt/format.h>

#include <cstdio>

#include "command.h"
#include "firebreak/core/log.h"
#include "response_env.h"
#include "run_view.h"

namespace firebreak::cli {
namespace {

struct RespondArgs {
  StateOptions state;
  BackendOptions backend;
  std::string playbook;
  std::string playbooks_dir = "playbooks";
  std::string target;
  std::string account;
  std::string region;
  std::string incident;
  std::vector<std::string> inputs;
  bool yes = false;
  bool no_prompt = false;
  bool json = false;
};

int report(std::string_view cmd, const Error& e) {
  fmt::print(stderr, "firebreak {}: {}\n", cmd, e.describe());
  return e.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// What respond and plan share: the environment, the playbook, the resolved target and inputs.
struct Prepared {
  std::unique_ptr<ResponseEnv> env;
  respond::Playbook playbook;
  respond::StartRequest request;
};

Result<Prepared> prepare(const RespondArgs& a) {
  Prepared p;
  FIREBREAK_TRY(p.env, ResponseEnv::open(a.state, &a.backend));
  for (const auto& line : p.env->attack_log()) log::info("attack: {}", line);
  FIREBREAK_TRY(p.playbook, p.env->playbook(a.playbook, a.playbooks_dir));
  FIREBREAK_TRY(p.request.target,
                p.env->resolve_target(p.playbook.target_type, a.target, a.account));
  p.request.target.region = a.region;
  FIREBREAK_TRY(p.request.inputs, parse_inputs(a.inputs));
  p.request.actor = default_actor();
  return p;
}

int run_respond(const RespondArgs& a) {
  auto prepared = prepare(a);
  if (!prepared) return report("respond", prepared.error());
  auto& [env, playbook, req] = *prepared;
  auto incident_id =
      incident_for(env->incidents(), req.target, a.incident, playbook.title, req.actor);
  if (!incident_id) return report("respond", incident_id.error());
  req.incident_id = *incident_id;
  if (auto inc = env->incidents().get(req.incident_id)) req.incident = inc->to_json();

  auto run_id = env->executor().start(playbook, req);
  if (!run_id) return report("respond", run_id.error());
  if (auto s = env->incidents().add_run(req.incident_id, *run_id, playbook.id, req.actor); !s) {
    log::warn("incident {}: {}", req.incident_id, s.error().describe());
  }
  fmt::print(stderr, "run {}: {} on {} {} (incident {}, backend {})\n", *run_id, playbook.id,
             respond::to_string(req.target.type), req.target.id, req.incident_id,
             env->backend());
  const ApprovalPolicy policy = a.yes         ? ApprovalPolicy::kYes
                                : a.no_prompt ? ApprovalPolicy::kPark
                                              : ApprovalPolicy::kPrompt;
  auto run = drive_run(*env, *run_id, policy, req.actor);
  if (!run) return report("respond", run.error());
  if (env->world() != nullptr && !respond::is_terminal(run->state)) {
    // The simulated world ends with this process: a parked simulator run could never continue,
    // so it is cancelled rather than left looking resumable.
    if (auto s = env->executor().cancel(*run_id, "firebreak (simulated world ended)"); !s) {
      log::warn("{}", s.error().describe());
    }
    fmt::print(stderr,
               "run {} waited for approval on the simulator, whose world ends with this "
               "command; it was cancelled. Answer at the prompt, or pass --yes.\n",
               *run_id);
    run = env->journal().run(*run_id);
    if (!run) return report("respond", run.error());
  }
  auto text = show_run(env->journal(), *run_id, a.json, false);
  if (!text) return report("respond", text.error());
  std::fwrite(text->data(), 1, text->size(), stdout);
  if (run->state == respond::RunState::kAwaitingApproval) {
    fmt::print(stderr, "run {} is parked for approval: firebreak runs show {}\n", *run_id,
               *run_id);
  }
  return exit_code_for(run->state);
}

int run_plan(const RespondArgs& a) {
  auto prepared = prepare(a);
  if (!prepared) return report("plan", prepared.error());
  auto& [env, playbook, req] = *prepared;
  const auto before = env->simulated_mutating_calls();
  // A plan belongs to the target's open incident when there is one; it never opens one.
  if (!a.incident.empty()) {
    req.incident_id = a.incident;
  } else if (auto open = env->incidents().find_open(
                 {entity_type_for(req.target.type), req.target.id});
             open && *open) {
    req.incident_id = **open;
  } else {
    req.incident_id = "plan";
  }
  auto report_or = env->executor(/*dry_run=*/true).plan(playbook, req);
  if (!report_or) return report("plan", report_or.error());
  const auto& rep = *report_or;
  const auto after = env->simulated_mutating_calls();
  const std::size_t mutated = before && after ? *after - *before : 0;

  if (a.json) {
    Json out{{"run", rep.run_id},
             {"playbook", playbook.id},
             {"target", {{"type", respond::to_string(req.target.type)},
                         {"id", req.target.id},
                         {"account", req.target.account}}},
             {"backend", env->backend()},
             {"permissions", rep.permissions}};
    Json steps = Json::array();
    for (const auto& s : rep.steps) {
      Json calls = Json::array();
      for (const auto& c : s.calls) {
        calls.push_back({{"service", c.service},
                         {"operation", c.operation},
                         {"mutating", c.mutating},
                         {"detail", c.detail}});
      }
      steps.push_back({{"step", s.step_id},
                       {"action", s.action},
                       {"disposition", s.disposition},
                       {"note", s.note},
                       {"calls", std::move(calls)}});
    }
    out["steps"] = std::move(steps);
    if (after) out["simulator_mutating_calls"] = mutated;
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("plan {}: {} on {} {}{} ({}) — a dry run: nothing was changed\n", rep.run_id,
               playbook.id, respond::to_string(req.target.type), req.target.id,
               req.target.account.empty() ? "" : " in " + req.target.account, env->backend());
    int n = 0;
    for (const auto& s : rep.steps) {
      fmt::print("{:>3}. {:<24} {:<30} {}{}\n", ++n, s.step_id, s.action, s.disposition,
                 s.note.empty() ? "" : "  (" + s.note + ")");
      for (const auto& c : s.calls) {
        fmt::print("       {} {:<40} {}\n", c.mutating ? "*" : " ", c.iam_action(), c.detail);
      }
    }
    fmt::print("(* marks a call that changes something)\nIAM permissions needed ({}):\n",
               rep.permissions.size());
    for (const auto& p : rep.permissions) fmt::print("  {}\n", p);
    if (after) {
      fmt::print("simulator CloudTrail: {} mutating calls by firebreak during this plan\n",
                 mutated);
    }
  }
  if (mutated != 0) {
    // Cannot happen while the dry-run hook refuses mutations; if it ever does, say it loudly.
    fmt::print(stderr, "firebreak plan: BUG: the dry run made {} mutating calls\n", mutated);
    return kExitFailure;
  }
  return kExitOk;
}

void add_common(CLI::App* cmd, RespondArgs& a) {
  cmd->add_option("playbook", a.playbook, "Playbook id (in --playbooks) or path to a YAML file")
      ->required();
  cmd->add_option("--target", a.target,
                  "What to respond to: an instance id, access key id, user, ... (on the "
                  "simulator also a world name such as web-asg-1)")
      ->required();
  cmd->add_option("--account", a.account, "The target's account (default: found, or home)");
  cmd->add_option("--target-region", a.region, "The target's region (default: the backend's)");
  cmd->add_option("--incident", a.incident,
                  "Incident to attach to (default: the target's open incident, else a new one)");
  cmd->add_option("--input", a.inputs, "Playbook input name=value (repeatable; JSON values)");
  cmd->add_option("--playbooks", a.playbooks_dir, "Playbook directory (default playbooks)");
  cmd->add_flag("--json", a.json, "Print JSON");
  add_state_options(*cmd, a.state);
  add_backend_options(*cmd, a.backend);
}

}  // namespace

void add_respond_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RespondArgs>();
  auto* cmd = app.add_subcommand(
      "respond",
      "Run a playbook against a target now. Exit 0 when the run succeeded, 3 when it waits for "
      "approval, 4 when it failed");
  add_common(cmd, *args);
  cmd->add_flag("--yes", args->yes,
                "Approve every step that needs approval (recorded as approved by you)");
  cmd->add_flag("--no-prompt", args->no_prompt,
                "Never ask: leave approval steps parked for `firebreak runs approve`");
  cmd->callback([args, &ctx] { ctx.exit_code = run_respond(*args); });

  auto pargs = std::make_shared<RespondArgs>();
  auto* plan = app.add_subcommand(
      "plan",
      "Dry run: the ordered API calls a playbook would make against a target and the IAM "
      "permissions they need; makes no mutating call");
  add_common(plan, *pargs);
  plan->callback([pargs, &ctx] { ctx.exit_code = run_plan(*pargs); });
}

}  // namespace firebreak::cli
