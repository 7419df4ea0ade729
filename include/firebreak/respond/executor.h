#pragma once
// The executor: advances playbook runs step by step against a CloudProvider, durably.
//
// Guarantees
//  - Every transition is journaled before the next begins. Killed at any instant and started
//    again, runs continue where the journal says: a step found "running" is applied again, and
//    because actions are idempotent (they read state first and tag what they create with the
//    step's idempotency token), completed side effects are not repeated.
//  - A step that fails with a retryable error (throttling, 5xx, timeouts) is retried with
//    exponential backoff and jitter; throttling retries do not consume `retries` but stop at the
//    step's timeout. Other runs proceed while one waits.
//  - At most `max_active_per_account_region` runs are active at once in one account and region;
//    the rest queue (waves of containment stay under API limits).
//  - Approval: a step needing approval parks its run until approve() or deny(); who decided is
//    journaled and recorded. Deny stops the run.
//  - on_failure: stop (the run fails), continue (the run goes on), rollback (applied steps with a
//    rollback are undone in reverse completion order; the run ends rolled_back).
//  - Dry run: record-only actions (spec().mutating == false) run for real so decisions see real
//    state; mutating actions only plan. A hook refuses every mutating API call in a dry-run
//    session, so a bug cannot turn a plan into a change (fail closed).
//  - firebreak's calls use a role session named for the incident (cloud::role_session_name_for).
//  - A run is advanced only by an executor on the backend it was started on (sim or aws): a
//    simulator run never acts on AWS, nor the reverse.
//  - Waiting uses Clock::sleep_for: a RealClock sleeps, a SimClock jumps ahead, so game days run
//    in simulated time.
//
// Threading: the executor advances runs on `workers` threads (1 = deterministic, for the
// simulator and tests). Public methods are thread-safe.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/cloud/session.h"
#include "firebreak/core/clock.h"
#include "firebreak/core/ids.h"
#include "firebreak/respond/action.h"
#include "firebreak/respond/journal.h"
#include "firebreak/respond/playbook.h"
#include "firebreak/respond/recorder.h"

namespace firebreak::respond {

struct Target {
  TargetType type = TargetType::kEc2Instance;
  std::string id;
  std::string account;  // empty: the provider's home account
  std::string region;   // empty: the provider's default region
};

struct StartRequest {
  std::string incident_id;
  Json incident = Json::object();  // summary exposed to expressions as `incident`
  Target target;
  Json inputs = Json::object();    // overrides of the playbook's input defaults
  Json trigger = nullptr;          // the finding that started it (as `finding`)
  std::string actor = "operator";  // who started it
  bool dry_run = false;
};

struct ExecutorOptions {
  int workers = 1;
  int max_active_per_account_region = 20;
  Duration lease = std::chrono::minutes(2);
  Duration retry_base = std::chrono::seconds(1);
  Duration retry_cap = std::chrono::seconds(60);
  std::uint64_t seed = 0;  // jitter; 0: random
  std::string owner;       // lease owner; empty: process_owner_id()
};

// One step of a dry-run plan.
struct PlannedStep {
  std::string step_id;
  std::string action;
  std::string disposition;  // "plan", "run (read-only)", "skip", "branch N", "approval required"
  std::vector<ApiCall> calls;
  std::string note;
};

struct PlanReport {
  std::string run_id;
  std::vector<PlannedStep> steps;
  std::vector<std::string> permissions;  // sorted, unique IAM actions the run needs
};

class Executor {
 public:
  Executor(Journal& journal, const ActionRegistry& registry, cloud::CloudProvider& cloud,
           Clock& clock, IncidentRecorder& recorder, ExecutorOptions options = {});
  ~Executor();

  // Journals a new run of `playbook` (state pending) and returns its id. Inputs are checked
  // against the playbook's declared inputs.
  [[nodiscard]] Result<std::string> start(const Playbook& playbook, const StartRequest& req);

  // Advances every non-terminal run until each is finished or parked for approval. Waits out
  // backoffs and step waits (sleeping, or advancing a SimClock when configured). Returns the ids
  // of runs it touched.
  [[nodiscard]] Result<std::vector<std::string>> run_until_idle();
  // The same for one run only (other runs in the journal are left alone); returns its state.
  [[nodiscard]] Result<RunState> run_until_idle(std::string_view run_id);
  // Advances one run as far as it can go without waiting; returns its state afterwards.
  [[nodiscard]] Result<RunState> advance(std::string_view run_id);

  [[nodiscard]] Status approve(std::string_view run_id, std::string_view step_id,
                               std::string_view actor, std::string_view reason = {});
  [[nodiscard]] Status deny(std::string_view run_id, std::string_view step_id,
                            std::string_view actor, std::string_view reason = {});
  [[nodiscard]] Status cancel(std::string_view run_id, std::string_view actor);
  // Makes a failed or cancelled run pending again from its first unfinished step (for
  // transient failures an operator has fixed). Completed steps are not repeated.
  // An unfinished run (pending, running, waiting) - typically one whose process was killed -
  // is left as the journal has it and only checked: it is refused (kFailedPrecondition) while
  // another live executor holds its lease (Journal::claim), so a run is never driven by two
  // processes at once; advancing it afterwards continues it. Awaiting-approval and succeeded
  // runs are refused.
  [[nodiscard]] Status resume(std::string_view run_id, std::string_view actor);

  // Dry run: journals a run with dry_run = true, advances it, and reports what it would do.
  [[nodiscard]] Result<PlanReport> plan(const Playbook& playbook, const StartRequest& req);

  struct Impl;  // implementation detail (executor.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace firebreak::respond
