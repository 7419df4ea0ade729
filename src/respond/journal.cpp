#include "firebreak/respond/journal.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "firebreak/core/ids.h"

namespace firebreak::respond {

namespace {

constexpr std::array<std::pair<RunState, std::string_view>, 8> kRunStates{{
    {RunState::kPending, "pending"},
    {RunState::kRunning, "running"},
    {RunState::kWaiting, "waiting"},
    {RunState::kAwaitingApproval, "awaiting_approval"},
    {RunState::kSucceeded, "succeeded"},
    {RunState::kFailed, "failed"},
    {RunState::kCancelled, "cancelled"},
    {RunState::kRolledBack, "rolled_back"},
}};

constexpr std::array<std::pair<StepState, std::string_view>, 14> kStepStates{{
    {StepState::kPending, "pending"},
    {StepState::kSkipped, "skipped"},
    {StepState::kAwaitingApproval, "awaiting_approval"},
    {StepState::kApproved, "approved"},
    {StepState::kRunning, "running"},
    {StepState::kWaiting, "waiting"},
    {StepState::kApplied, "applied"},
    {StepState::kVerified, "verified"},
    {StepState::kDecided, "decided"},
    {StepState::kPlanned, "planned"},
    {StepState::kFailed, "failed"},
    {StepState::kDenied, "denied"},
    {StepState::kRolledBack, "rolled_back"},
    {StepState::kRollbackFailed, "rollback_failed"},
}};

std::string time_text(TimePoint t) { return format_iso8601(t, TimePrecision::kMicros); }
std::optional<std::string> time_text(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return time_text(*t);
}
TimePoint parse_time(const std::string& s) { return parse_iso8601(s).value_or(TimePoint{}); }
std::optional<TimePoint> parse_time(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return parse_iso8601(*s);
}
Json parse_stored(const std::string& s) {
  if (s.empty()) return nullptr;
  auto j = parse_json(s);
  return j ? *j : Json(nullptr);
}

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  playbook_id TEXT NOT NULL,
  playbook_digest TEXT NOT NULL,
  playbook_text TEXT NOT NULL,
  playbook_file TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  incident TEXT NOT NULL,
  target TEXT NOT NULL,
  inputs TEXT NOT NULL,
  trigger TEXT NOT NULL,
  state TEXT NOT NULL,
  dry_run INTEGER NOT NULL,
  backend TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT,
  not_before TEXT,
  error TEXT NOT NULL,
  outputs TEXT NOT NULL,
  owner TEXT,
  lease_until TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_incident ON runs(incident_id);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs(state);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL REFERENCES runs(id),
  step_id TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  params TEXT NOT NULL,
  outputs TEXT NOT NULL,
  scratch TEXT NOT NULL,
  error TEXT NOT NULL,
  not_before TEXT,
  started_at TEXT,
  finished_at TEXT,
  branch INTEGER NOT NULL,
  completion INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE TABLE IF NOT EXISTS approvals (
  run_id TEXT NOT NULL REFERENCES runs(id),
  step_id TEXT NOT NULL,
  approved INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE TABLE IF NOT EXISTS run_log (
  run_id TEXT NOT NULL REFERENCES runs(id),
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  step_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
PRAGMA user_version = 1;
)sql";

constexpr std::string_view kRunColumns =
    "id, playbook_id, playbook_digest, playbook_text, playbook_file, incident_id, incident, "
    "target, inputs, trigger, state, dry_run, backend, actor, created_at, updated_at, "
    "finished_at, not_before, error, outputs";

RunRecord read_run(const Statement& q) {
  RunRecord r;
  r.id = q.text(0);
  r.playbook_id = q.text(1);
  r.playbook_digest = q.text(2);
  r.playbook_text = q.text(3);
  r.playbook_file = q.text(4);
  r.incident_id = q.text(5);
  r.incident = parse_stored(q.text(6));
  r.target = parse_stored(q.text(7));
  r.inputs = parse_stored(q.text(8));
  r.trigger = parse_stored(q.text(9));
  r.state = parse_run_state(q.text(10)).value_or(RunState::kFailed);
  r.dry_run = q.int64(11) != 0;
  r.backend = q.text(12);
  r.actor = q.text(13);
  r.created_at = parse_time(q.text(14));
  r.updated_at = parse_time(q.text(15));
  r.finished_at = parse_time(q.optional_text(16));
  r.not_before = parse_time(q.optional_text(17));
  r.error = q.text(18);
  r.outputs = parse_stored(q.text(19));
  return r;
}

constexpr std::string_view kStepColumns =
    "run_id, step_id, state, attempts, params, outputs, scratch, error, not_before, started_at, "
    "finished_at, branch, completion";

StepRecord read_step(const Statement& q) {
  StepRecord s;
  s.run_id = q.text(0);
  s.step_id = q.text(1);
  s.state = parse_step_state(q.text(2)).value_or(StepState::kFailed);
  s.attempts = static_cast<int>(q.int64(3));
  s.params = parse_stored(q.text(4));
  s.outputs = parse_stored(q.text(5));
  s.scratch = parse_stored(q.text(6));
  s.error = q.text(7);
  s.not_before = parse_time(q.optional_text(8));
  s.started_at = parse_time(q.optional_text(9));
  s.finished_at = parse_time(q.optional_text(10));
  s.branch = static_cast<int>(q.int64(11));
  s.order = static_cast<int>(q.int64(12));
  return s;
}

// Whether a lease owner "<host>:<pid>:<nonce>" names a dead process on this host.
bool owner_is_dead_local_process(std::string_view owner) {
  const auto c1 = owner.find(':');
  const auto c2 = owner.find(':', c1 + 1);
  if (c1 == std::string_view::npos || c2 == std::string_view::npos) return false;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || owner.substr(0, c1) != host) return false;
  const std::string pid_text(owner.substr(c1 + 1, c2 - c1 - 1));
  char* end = nullptr;
  const long pid = std::strtol(pid_text.c_str(), &end, 10);
  if (end == pid_text.c_str() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string_view to_string(RunState s) noexcept {
  for (const auto& [k, v] : kRunStates) {
    if (k == s) return v;
  }
  return "failed";
}
std::optional<RunState> parse_run_state(std::string_view s) noexcept {
  for (const auto& [k, v] : kRunStates) {
    if (v == s) return k;
  }
  return std::nullopt;
}
bool is_terminal(RunState s) noexcept {
  return s == RunState::kSucceeded || s == RunState::kFailed || s == RunState::kCancelled ||
         s == RunState::kRolledBack;
}

std::string_view to_string(StepState s) noexcept {
  for (const auto& [k, v] : kStepStates) {
    if (k == s) return v;
  }
  return "failed";
}
std::optional<StepState> parse_step_state(std::string_view s) noexcept {
  for (const auto& [k, v] : kStepStates) {
    if (v == s) return k;
  }
  return std::nullopt;
}
bool is_complete(StepState s) noexcept {
  return s == StepState::kSkipped || s == StepState::kApplied || s == StepState::kVerified ||
         s == StepState::kDecided || s == StepState::kPlanned;
}

Result<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& path, Clock& clock) {
  FIREBREAK_TRY(Database db, Database::open(path));
  std::unique_ptr<Journal> j(new Journal(std::move(db), clock));
  FIREBREAK_TRY_STATUS(j->migrate());
  return j;
}

Status Journal::migrate() {
  std::lock_guard lock(mu_);
  return db_.exec(kSchema);
}

Status Journal::create_run(const RunRecord& r) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare(fmt::format("INSERT INTO runs ({}) VALUES "
                                                     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                                     kRunColumns)));
  return q
      .bind(r.id, r.playbook_id, r.playbook_digest, r.playbook_text, r.playbook_file, r.incident_id,
            dump_json(r.incident), dump_json(r.target), dump_json(r.inputs), dump_json(r.trigger),
            to_string(r.state), r.dry_run, r.backend, r.actor, time_text(r.created_at),
            time_text(r.updated_at), time_text(r.finished_at), time_text(r.not_before), r.error,
            dump_json(r.outputs))
      .run();
}

Result<RunRecord> Journal::run(std::string_view id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns)));
  q.bind(id);
  FIREBREAK_TRY(bool row, q.step());
  if (!row) return fail(ErrorCode::kNotFound, fmt::format("no run '{}'", id));
  return read_run(q);
}

Result<std::vector<RunRecord>> Journal::runs(std::optional<RunState> state,
                                             std::string_view incident_id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare(fmt::format("SELECT {} FROM runs WHERE (?1 IS NULL OR state = ?1) "
                                        "AND (?2 = '' OR incident_id = ?2) "
                                        "ORDER BY created_at DESC, rowid DESC",
                                        kRunColumns)));
  q.bind(state ? std::optional<std::string>(std::string(to_string(*state)))
               : std::optional<std::string>(),
         incident_id);
  std::vector<RunRecord> out;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    out.push_back(read_run(q));
  }
  return out;
}

Status Journal::update_run(const RunRecord& r) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("UPDATE runs SET state = ?, updated_at = ?, "
                                         "finished_at = ?, not_before = ?, error = ?, "
                                         "outputs = ? WHERE id = ?"));
  FIREBREAK_TRY_STATUS(q.bind(to_string(r.state), time_text(clock_.now()), time_text(r.finished_at),
                              time_text(r.not_before), r.error, dump_json(r.outputs), r.id)
                           .run());
  if (db_.changes() == 0) return fail(ErrorCode::kNotFound, fmt::format("no run '{}'", r.id));
  return {};
}

Result<std::vector<StepRecord>> Journal::steps(std::string_view run_id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare(fmt::format("SELECT {} FROM steps WHERE run_id = ? ORDER BY rowid",
                                        kStepColumns)));
  q.bind(run_id);
  std::vector<StepRecord> out;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    out.push_back(read_step(q));
  }
  return out;
}

Result<std::optional<StepRecord>> Journal::step(std::string_view run_id, std::string_view step_id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare(fmt::format("SELECT {} FROM steps WHERE run_id = ? AND step_id = ?",
                                        kStepColumns)));
  q.bind(run_id, step_id);
  FIREBREAK_TRY(bool row, q.step());
  if (!row) return std::optional<StepRecord>();
  return std::optional<StepRecord>(read_step(q));
}

Status Journal::put_step(const StepRecord& s) {
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Status {
    // Completion order: kept once assigned; assigned when the step first completes.
    std::int64_t order = 0;
    {
      FIREBREAK_TRY(Statement q, db_.prepare("SELECT completion FROM steps WHERE run_id = ? AND "
                                             "step_id = ?"));
      q.bind(s.run_id, s.step_id);
      FIREBREAK_TRY(bool row, q.step());
      if (row) order = q.int64(0);
    }
    if (order == 0 && (s.state == StepState::kApplied || s.state == StepState::kVerified)) {
      FIREBREAK_TRY(Statement q,
                    db_.prepare("SELECT COALESCE(MAX(completion), 0) + 1 FROM steps WHERE "
                                "run_id = ?"));
      q.bind(s.run_id);
      FIREBREAK_TRY(bool row, q.step());
      if (row) order = q.int64(0);
    }
    FIREBREAK_TRY(Statement q,
                  db_.prepare(fmt::format(
                      "INSERT INTO steps ({}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT(run_id, step_id) DO UPDATE SET state = excluded.state, "
                      "attempts = excluded.attempts, params = excluded.params, "
                      "outputs = excluded.outputs, scratch = excluded.scratch, "
                      "error = excluded.error, not_before = excluded.not_before, "
                      "started_at = excluded.started_at, finished_at = excluded.finished_at, "
                      "branch = excluded.branch, completion = excluded.completion",
                      kStepColumns)));
    return q
        .bind(s.run_id, s.step_id, to_string(s.state), s.attempts, dump_json(s.params),
              dump_json(s.outputs), dump_json(s.scratch), s.error, time_text(s.not_before),
              time_text(s.started_at), time_text(s.finished_at), s.branch, order)
        .run();
  });
}

Status Journal::add_approval(const ApprovalRecord& a) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("INSERT INTO approvals (run_id, step_id, approved, "
                                         "actor, reason, at) VALUES (?,?,?,?,?,?)"));
  auto s = q.bind(a.run_id, a.step_id, a.approved, a.actor, a.reason, time_text(a.at)).run();
  if (!s && s.error().code() == ErrorCode::kAlreadyExists) {
    return fail(
        ErrorCode::kAlreadyExists,
        fmt::format("step '{}' of run '{}' was already approved or denied", a.step_id, a.run_id));
  }
  return s;
}

Result<std::optional<ApprovalRecord>> Journal::approval(std::string_view run_id,
                                                        std::string_view step_id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("SELECT approved, actor, reason, at FROM approvals "
                                         "WHERE run_id = ? AND step_id = ?"));
  q.bind(run_id, step_id);
  FIREBREAK_TRY(bool row, q.step());
  if (!row) return std::optional<ApprovalRecord>();
  return std::optional<ApprovalRecord>(ApprovalRecord{std::string(run_id), std::string(step_id),
                                                      q.int64(0) != 0, q.text(1), q.text(2),
                                                      parse_time(q.text(3))});
}

Status Journal::log(std::string_view run_id, std::string_view step_id, std::string_view kind,
                    std::string_view message, const Json& data) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare("INSERT INTO run_log (run_id, seq, at, step_id, kind, message, data) "
                            "VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_log WHERE "
                            "run_id = ?1), ?2, ?3, ?4, ?5, ?6)"));
  return q.bind(run_id, time_text(clock_.now()), step_id, kind, message, dump_json(data)).run();
}

Result<std::vector<LogEntry>> Journal::log_entries(std::string_view run_id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("SELECT seq, at, step_id, kind, message, data FROM "
                                         "run_log WHERE run_id = ? ORDER BY seq"));
  q.bind(run_id);
  std::vector<LogEntry> out;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    out.push_back(LogEntry{std::string(run_id), q.int64(0), parse_time(q.text(1)), q.text(2),
                           q.text(3), q.text(4), parse_stored(q.text(5))});
  }
  return out;
}

Result<bool> Journal::claim(std::string_view run_id, std::string_view owner, Duration lease) {
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Result<bool> {
    FIREBREAK_TRY(Statement q, db_.prepare("SELECT owner, lease_until FROM runs WHERE id = ?"));
    q.bind(run_id);
    FIREBREAK_TRY(bool row, q.step());
    if (!row) return fail(ErrorCode::kNotFound, fmt::format("no run '{}'", run_id));
    const auto current = q.optional_text(0);
    const auto until = parse_time(q.optional_text(1));
    const TimePoint now = clock_.now();
    const bool free = !current || current->empty() || *current == owner || !until ||
                      *until <= now || owner_is_dead_local_process(*current);
    if (!free) return false;
    FIREBREAK_TRY(Statement u,
                  db_.prepare("UPDATE runs SET owner = ?, lease_until = ? WHERE id = ?"));
    FIREBREAK_TRY_STATUS(u.bind(owner, time_text(now + lease), run_id).run());
    return true;
  });
}

Status Journal::release(std::string_view run_id, std::string_view owner) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("UPDATE runs SET owner = NULL, lease_until = NULL "
                                         "WHERE id = ? AND owner = ?"));
  return q.bind(run_id, owner).run();
}

std::string process_owner_id() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  IdGenerator ids(random_seed());
  return fmt::format("{}:{}:{}", host, ::getpid(), ids.hex(8));
}

}  // namespace firebreak::respond
