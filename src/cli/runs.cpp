// `firebreak runs list|show|approve|deny|resume|cancel`: the playbook runs in the journal.
#include <fmt/format.h>

#include <cstdio>

#include "command.h"
#include "response_env.h"
#include "run_view.h"

namespace firebreak::cli {
namespace {

struct RunsArgs {
  StateOptions state;
  AwsCliOptions aws;
  std::string run;
  std::string step;
  std::string reason;
  std::string state_filter;
  std::string incident;
  bool json = false;
  bool log = false;
};

int report(const Error& e) {
  fmt::print(stderr, "firebreak runs: {}\n", e.describe());
  if (e.code() == ErrorCode::kInvalidArgument) return kExitUsage;
  return kExitFailure;
}

int run_list(const RunsArgs& a) {
  std::optional<respond::RunState> filter;
  if (!a.state_filter.empty()) {
    filter = respond::parse_run_state(a.state_filter);
    if (!filter) {
      fmt::print(stderr, "firebreak runs list: unknown state '{}'\n", a.state_filter);
      return kExitUsage;
    }
  }
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  auto runs = (*env)->journal().runs(filter, a.incident);
  if (!runs) return report(runs.error());
  if (a.json) {
    Json out = Json::array();
    for (const auto& r : *runs) {
      out.push_back({{"id", r.id},
                     {"playbook", r.playbook_id},
                     {"incident", r.incident_id},
                     {"target", r.target},
                     {"state", respond::to_string(r.state)},
                     {"dry_run", r.dry_run},
                     {"backend", r.backend},
                     {"actor", r.actor},
                     {"created_at", format_iso8601(r.created_at)}});
    }
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  fmt::print("{:<18} {:<20} {:<20} {:<24} {:<18} {:<5} {}\n", "RUN", "STARTED", "PLAYBOOK",
             "TARGET", "STATE", "BACK", "INCIDENT");
  for (const auto& r : *runs) {
    fmt::print("{:<18} {:<20} {:<20} {:<24} {:<18} {:<5} {}\n", r.id, format_iso8601(r.created_at),
               r.playbook_id, r.target.value("id", ""),
               std::string(respond::to_string(r.state)) + (r.dry_run ? "*" : ""), r.backend,
               r.incident_id);
  }
  if (runs->empty()) fmt::print("(no runs)\n");
  return kExitOk;
}

int run_show(const RunsArgs& a) {
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  auto text = show_run((*env)->journal(), a.run, a.json, a.log);
  if (!text) return report(text.error());
  std::fwrite(text->data(), 1, text->size(), stdout);
  return kExitOk;
}

// approve, deny and resume continue the run, so they need the backend it was started on.
enum class Decision { kApprove, kDeny, kResume };

int run_decide(const RunsArgs& a, Decision d) {
  auto peek = ResponseEnv::open(a.state, nullptr);
  if (!peek) return report(peek.error());
  auto run = (*peek)->journal().run(a.run);
  if (!run) return report(run.error());
  if (run->backend == "sim") {
    fmt::print(stderr,
               "firebreak runs: run {} ran on the simulator, whose world ended with the command "
               "that started it; start it again with `firebreak respond ... --yes` or answer "
               "its approvals at the prompt\n",
               a.run);
    return kExitFailure;
  }
  peek->reset();
  BackendOptions backend;
  backend.backend = run->backend;
  backend.aws = a.aws;
  auto env = ResponseEnv::open(a.state, &backend);
  if (!env) return report(env.error());
  auto& exec = (*env)->executor();
  const std::string actor = default_actor();
  Status decided;
  switch (d) {
    case Decision::kApprove: decided = exec.approve(a.run, a.step, actor, a.reason); break;
    case Decision::kDeny: decided = exec.deny(a.run, a.step, actor, a.reason); break;
    case Decision::kResume: decided = exec.resume(a.run, actor); break;
  }
  if (!decided) return report(decided.error());
  auto after = drive_run(**env, a.run, ApprovalPolicy::kPark, actor);
  if (!after) return report(after.error());
  auto text = show_run((*env)->journal(), a.run, a.json, false);
  if (!text) return report(text.error());
  std::fwrite(text->data(), 1, text->size(), stdout);
  return exit_code_for(after->state);
}

int run_cancel(const RunsArgs& a) {
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  if (auto s = (*env)->executor().cancel(a.run, default_actor()); !s) return report(s.error());
  fmt::print("run {} cancelled\n", a.run);
  return kExitOk;
}

}  // namespace

void add_runs_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<RunsArgs>();
  auto* runs =
      app.add_subcommand("runs", "Playbook runs: list, show, approve, deny, resume, cancel");
  runs->require_subcommand(1);
  add_state_options(*runs, a->state);

  auto* list = runs->add_subcommand("list", "Runs, newest first (* marks a dry run)");
  list->add_option("--state", a->state_filter,
                   "Only runs in this state (pending, awaiting_approval, succeeded, failed, ...)");
  list->add_option("--incident", a->incident, "Only runs of this incident");
  list->add_flag("--json", a->json, "Print JSON");
  list->callback([a, &ctx] { ctx.exit_code = run_list(*a); });

  auto* show = runs->add_subcommand("show", "One run: its steps, approvals and errors");
  show->add_option("run", a->run, "Run id")->required();
  show->add_flag("--json", a->json, "Print JSON");
  show->add_flag("--log", a->log, "Include the run's log");
  show->callback([a, &ctx] { ctx.exit_code = run_show(*a); });

  auto decision = [&](const char* name, const char* help, Decision d, bool has_step) {
    auto* cmd = runs->add_subcommand(name, help);
    cmd->add_option("run", a->run, "Run id")->required();
    if (has_step) cmd->add_option("step", a->step, "Step id")->required();
    cmd->add_option("--reason", a->reason, "Why (recorded with the decision)");
    cmd->add_flag("--json", a->json, "Print the run as JSON afterwards");
    add_aws_options(*cmd, a->aws);
    cmd->callback([a, d, &ctx] { ctx.exit_code = run_decide(*a, d); });
  };
  decision("approve",
           "Approve a parked step (you are recorded as the approver) and continue the run",
           Decision::kApprove, true);
  decision("deny", "Deny a parked step: the run stops", Decision::kDeny, true);
  decision("resume",
           "Continue a run from its first unfinished step: a failed or cancelled one, or one "
           "left unfinished by a process that died (refused while a live process drives it)",
           Decision::kResume, false);

  auto* cancel = runs->add_subcommand("cancel", "Cancel a run that has not finished");
  cancel->add_option("run", a->run, "Run id")->required();
  cancel->callback([a, &ctx] { ctx.exit_code = run_cancel(*a); });
}

}  // namespace firebreak::cli
