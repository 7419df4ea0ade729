#include "run_view.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "command.h"
#include "firebreak/core/log.h"

namespace firebreak::cli {
namespace {

using respond::RunState;
using respond::StepState;

// Moves the incident to `state` when the state machine allows it; a refusal is only logged (the
// run's outcome does not depend on the incident's bookkeeping).
void move_incident(ResponseEnv& env, const std::string& id, incident::State state,
                   std::string_view actor, std::string_view note) {
  if (id.empty() || id == "manual") return;
  auto inc = env.incidents().get(id);
  if (!inc || inc->state == state) return;
  if (!incident::transition_allowed(inc->state, state)) return;
  if (auto s = env.incidents().set_state(id, state, actor, note); !s) {
    log::warn("incident {}: {}", id, s.error().describe());
  }
}

bool ask(const respond::RunRecord& run, const respond::StepRecord& step) {
  fmt::print(stderr, "\nrun {} ({} on {}) waits for approval of step '{}'\n  params: {}\n",
             run.id, run.playbook_id, run.target.value("id", ""), step.step_id,
             step.params.is_null() ? "{}" : step.params.dump());
  fmt::print(stderr, "approve? [y/N] ");
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

std::string when(const std::optional<TimePoint>& t) {
  return t ? format_iso8601(*t) : std::string("-");
}

}  // namespace

Result<respond::RunRecord> drive_run(ResponseEnv& env, std::string_view run_id,
                                     ApprovalPolicy policy, std::string_view actor) {
  auto& exec = env.executor();
  FIREBREAK_TRY(respond::RunRecord run, env.journal().run(run_id));
  move_incident(env, run.incident_id, incident::State::kContaining, actor,
                fmt::format("run {} ({})", run.id, run.playbook_id));
  if (policy == ApprovalPolicy::kPrompt && isatty(STDIN_FILENO) == 0) {
    policy = ApprovalPolicy::kPark;
  }
  for (;;) {
    FIREBREAK_TRY(RunState state, exec.run_until_idle(run_id));
    if (state != RunState::kAwaitingApproval || policy == ApprovalPolicy::kPark) break;
    FIREBREAK_TRY(auto steps, env.journal().steps(run_id));
    FIREBREAK_TRY(run, env.journal().run(run_id));
    for (const auto& s : steps) {
      if (s.state != StepState::kAwaitingApproval) continue;
      if (policy == ApprovalPolicy::kYes) {
        FIREBREAK_TRY_STATUS(exec.approve(run_id, s.step_id, actor, "--yes"));
      } else if (ask(run, s)) {
        FIREBREAK_TRY_STATUS(exec.approve(run_id, s.step_id, actor, "at the prompt"));
      } else {
        FIREBREAK_TRY_STATUS(exec.deny(run_id, s.step_id, actor, "at the prompt"));
      }
    }
  }
  FIREBREAK_TRY(run, env.journal().run(run_id));
  if (run.state == RunState::kSucceeded) {
    move_incident(env, run.incident_id, incident::State::kContained, actor,
                  fmt::format("run {} ({}) succeeded", run.id, run.playbook_id));
  } else if (respond::is_terminal(run.state)) {
    (void)env.incidents().add_note(
        run.incident_id, actor,
        fmt::format("run {} ({}) ended {}: {}", run.id, run.playbook_id,
                    respond::to_string(run.state), run.error));
  }
  return run;
}

Result<std::string> show_run(respond::Journal& journal, std::string_view run_id, bool json,
                             bool with_log) {
  FIREBREAK_TRY(respond::RunRecord run, journal.run(run_id));
  FIREBREAK_TRY(auto steps, journal.steps(run_id));
  if (json) {
    Json out{{"id", run.id},
             {"playbook", run.playbook_id},
             {"playbook_digest", run.playbook_digest},
             {"incident", run.incident_id},
             {"target", run.target},
             {"inputs", run.inputs},
             {"state", respond::to_string(run.state)},
             {"dry_run", run.dry_run},
             {"backend", run.backend},
             {"actor", run.actor},
             {"created_at", format_iso8601(run.created_at)},
             {"finished_at", run.finished_at ? Json(format_iso8601(*run.finished_at)) : Json()},
             {"error", run.error},
             {"outputs", run.outputs}};
    Json js = Json::array();
    for (const auto& s : steps) {
      Json step{{"id", s.step_id},         {"state", respond::to_string(s.state)},
                {"attempts", s.attempts},  {"params", s.params},
                {"outputs", s.outputs},    {"error", s.error},
                {"started_at", when(s.started_at)}, {"finished_at", when(s.finished_at)}};
      if (auto a = journal.approval(run.id, s.step_id); a && *a) {
        step["approval"] = {{"approved", (*a)->approved},
                            {"actor", (*a)->actor},
                            {"reason", (*a)->reason},
                            {"at", format_iso8601((*a)->at)}};
      }
      js.push_back(std::move(step));
    }
    out["steps"] = std::move(js);
    if (with_log) {
      FIREBREAK_TRY(auto entries, journal.log_entries(run_id));
      Json lj = Json::array();
      for (const auto& e : entries) {
        lj.push_back({{"at", format_iso8601(e.at)},
                      {"step", e.step_id},
                      {"kind", e.kind},
                      {"message", e.message}});
      }
      out["log"] = std::move(lj);
    }
    return out.dump(2) + "\n";
  }
  std::string t;
  t += fmt::format("run {}  {}{}  {} on {} {}{}\n", run.id, respond::to_string(run.state),
                   run.dry_run ? " (dry run)" : "", run.playbook_id,
                   run.target.value("type", ""), run.target.value("id", ""),
                   run.target.value("account", "").empty()
                       ? ""
                       : " in " + run.target.value("account", ""));
  t += fmt::format("  incident {}  backend {}  started {} by {}  finished {}\n", run.incident_id,
                   run.backend, format_iso8601(run.created_at), run.actor, when(run.finished_at));
  if (!run.error.empty()) t += fmt::format("  error: {}\n", run.error);
  for (const auto& s : steps) {
    std::string extra = s.error;
    if (auto a = journal.approval(run.id, s.step_id); a && *a) {
      extra = fmt::format("{} by {}{}", (*a)->approved ? "approved" : "denied", (*a)->actor,
                          extra.empty() ? "" : "; " + extra);
    }
    if (s.state == StepState::kAwaitingApproval) {
      extra = fmt::format("firebreak runs approve {} {}", run.id, s.step_id);
    }
    t += fmt::format("  {:<24} {:<18} {:>2}  {}\n", s.step_id, respond::to_string(s.state),
                     s.attempts, extra);
  }
  if (with_log) {
    FIREBREAK_TRY(auto entries, journal.log_entries(run_id));
    t += "log:\n";
    for (const auto& e : entries) {
      t += fmt::format("  {} {:<16} {:<14} {}\n", format_iso8601(e.at), e.step_id, e.kind,
                       e.message);
    }
  }
  return t;
}

int exit_code_for(respond::RunState state) {
  switch (state) {
    case RunState::kSucceeded: return kExitOk;
    case RunState::kPending:
    case RunState::kRunning:
    case RunState::kWaiting:
    case RunState::kAwaitingApproval: return kExitPartial;
    case RunState::kFailed:
    case RunState::kCancelled:
    case RunState::kRolledBack: return kExitFailure;
  }
  return kExitFailure;
}

Result<Json> parse_inputs(const std::vector<std::string>& inputs) {
  Json out = Json::object();
  for (const auto& kv : inputs) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--input '{}': expected name=value", kv));
    }
    const std::string value = kv.substr(eq + 1);
    auto parsed = parse_json(value);
    out[kv.substr(0, eq)] = parsed ? *parsed : Json(value);
  }
  return out;
}

}  // namespace firebreak::cli
