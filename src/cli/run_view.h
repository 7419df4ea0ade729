#pragma once
// Private to the CLI: driving a run to where it stops (finished, or parked for approval) with
// the operator's approval policy, and showing runs.

#include <string>
#include <string_view>

#include "firebreak/respond/journal.h"
#include "response_env.h"

namespace firebreak::cli {

enum class ApprovalPolicy {
  kPark,    // leave approval steps parked for `firebreak runs approve|deny`
  kPrompt,  // ask on the terminal (when standard input is one; else park)
  kYes,     // approve every approval step as the actor ("--yes")
};

// Advances `run_id` until it finishes or parks; approves parked steps per `policy`. Also moves
// the run's incident along: containing when it starts acting, contained when it succeeds.
[[nodiscard]] Result<respond::RunRecord> drive_run(ResponseEnv& env, std::string_view run_id,
                                                   ApprovalPolicy policy, std::string_view actor);

// A run as text (header, one line per step in playbook order, approvals, waiting steps) or as
// one JSON object (run, steps, approvals, and the log when `with_log`).
[[nodiscard]] Result<std::string> show_run(respond::Journal& journal, std::string_view run_id,
                                           bool json, bool with_log);

// 0 succeeded, 3 parked for approval or still waiting, 4 failed/cancelled/rolled back.
[[nodiscard]] int exit_code_for(respond::RunState state);

// Parses --input name=value: the value as JSON when it is valid JSON (true, 3, ["a"]), else as a
// string.
[[nodiscard]] Result<Json> parse_inputs(const std::vector<std::string>& inputs);

}  // namespace firebreak::cli
