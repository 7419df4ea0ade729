#pragma once
// The durable journal of playbook runs (SQLite, WAL, synchronous=FULL): every run, every step's
// state, attempts, parameters, outputs and persistent scratch state, every approval and a
// per-run log. Each state transition is one committed transaction, so after kill -9 the journal
// says exactly which steps finished; the executor resumes from it. Several processes may share
// one journal file (the CLI approving while a watcher executes); a lease per run keeps two
// executors from advancing the same run at once. Thread-safe (one internal lock).

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"
#include "firebreak/core/sqlite.h"

namespace firebreak::respond {

enum class RunState : std::uint8_t {
  kPending,           // created or runnable again (after approval, waiting, resume)
  kRunning,           // an executor is advancing it
  kWaiting,           // a step waits (retry backoff, snapshot completion) until not_before
  kAwaitingApproval,  // parked until `runs approve|deny`
  kSucceeded,
  kFailed,
  kCancelled,
  kRolledBack,
};
[[nodiscard]] std::string_view to_string(RunState s) noexcept;
[[nodiscard]] std::optional<RunState> parse_run_state(std::string_view s) noexcept;
[[nodiscard]] bool is_terminal(RunState s) noexcept;

enum class StepState : std::uint8_t {
  kPending,
  kSkipped,  // `when` was false, or the branch was not chosen
  kAwaitingApproval,
  kApproved,
  kRunning,  // apply started; if found at startup, apply runs again (idempotent)
  kWaiting,  // apply asked to be called again later, or a retry is scheduled
  kApplied,  // apply finished (verification pending or disabled)
  kVerified,
  kDecided,  // a decision step chose its branch
  kPlanned,  // dry run: plan recorded, nothing applied
  kFailed,
  kDenied,
  kRolledBack,
  kRollbackFailed,
};
[[nodiscard]] std::string_view to_string(StepState s) noexcept;
[[nodiscard]] std::optional<StepState> parse_step_state(std::string_view s) noexcept;
// Done with success: the run may move past it.
[[nodiscard]] bool is_complete(StepState s) noexcept;

struct RunRecord {
  std::string id;
  std::string playbook_id;
  std::string playbook_digest;
  std::string playbook_text;  // the exact YAML the run started with
  std::string playbook_file;
  std::string incident_id;
  Json incident = Json::object();  // snapshot of the incident summary at start
  Json target = Json::object();    // {type, id, account, region}
  Json inputs = Json::object();
  Json trigger = nullptr;  // the finding that started it, if any
  RunState state = RunState::kPending;
  bool dry_run = false;
  std::string backend;  // "sim" or "aws"
  std::string actor;    // who started it
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> finished_at;
  std::optional<TimePoint> not_before;  // earliest time a waiting run has work
  std::string error;
  Json outputs = nullptr;
};

struct StepRecord {
  std::string run_id;
  std::string step_id;
  StepState state = StepState::kPending;
  int attempts = 0;
  Json params = nullptr;
  Json outputs = nullptr;
  Json scratch = nullptr;  // the action's persistent state (ActionContext::state)
  std::string error;
  std::optional<TimePoint> not_before;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  int branch = -1;  // decision steps: the chosen branch
  int order = 0;    // completion order, for rollback in reverse
};

struct ApprovalRecord {
  std::string run_id;
  std::string step_id;
  bool approved = false;
  std::string actor;
  std::string reason;
  TimePoint at{};
};

struct LogEntry {
  std::string run_id;
  std::int64_t seq = 0;
  TimePoint at{};
  std::string step_id;
  std::string kind;  // "run", "step", "approval", "observation", "action_request", ...
  std::string message;
  Json data = nullptr;
};

class Journal {
 public:
  // Opens (creating) the journal at `path` (":memory:" for tests).
  [[nodiscard]] static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& path,
                                                             Clock& clock);

  [[nodiscard]] Status create_run(const RunRecord& run);
  [[nodiscard]] Result<RunRecord> run(std::string_view id);
  // Newest first; empty filters match everything.
  [[nodiscard]] Result<std::vector<RunRecord>> runs(std::optional<RunState> state = {},
                                                    std::string_view incident_id = {});
  [[nodiscard]] Status update_run(const RunRecord& run);  // state, error, outputs, not_before

  [[nodiscard]] Result<std::vector<StepRecord>> steps(std::string_view run_id);
  [[nodiscard]] Result<std::optional<StepRecord>> step(std::string_view run_id,
                                                       std::string_view step_id);
  // Inserts or replaces the step (its completion order is kept or assigned on completion).
  [[nodiscard]] Status put_step(const StepRecord& step);

  [[nodiscard]] Status add_approval(const ApprovalRecord& approval);
  [[nodiscard]] Result<std::optional<ApprovalRecord>> approval(std::string_view run_id,
                                                               std::string_view step_id);

  [[nodiscard]] Status log(std::string_view run_id, std::string_view step_id, std::string_view kind,
                           std::string_view message, const Json& data = nullptr);
  [[nodiscard]] Result<std::vector<LogEntry>> log_entries(std::string_view run_id);

  // Leases: an executor claims a run before advancing it (one Executor::advance, i.e. one walk
  // of its steps) and releases it afterwards; the owner and expiry are columns of the run's row,
  // set in one transaction. A claim succeeds when the run is unowned, owned by `owner`, its
  // lease expired, or its owner was a process on this host that no longer exists (so a
  // restarted firebreak, e.g. `runs resume`, continues at once after kill -9; a reaped pid that
  // was reused, or another host's owner, waits for the expiry instead). Between advances (a
  // run waiting out a backoff) nothing is held: two executors may then take turns on one run,
  // never at once, each re-reading it from the journal.
  [[nodiscard]] Result<bool> claim(std::string_view run_id, std::string_view owner, Duration lease);
  [[nodiscard]] Status release(std::string_view run_id, std::string_view owner);

  [[nodiscard]] Clock& clock() { return clock_; }

 private:
  Journal(Database db, Clock& clock) : db_(std::move(db)), clock_(clock) {}
  [[nodiscard]] Status migrate();
  std::mutex mu_;
  Database db_;
  Clock& clock_;
};

// "<hostname>:<pid>:<random>" — identifies this executor process in leases.
[[nodiscard]] std::string process_owner_id();

}  // namespace firebreak::respond
