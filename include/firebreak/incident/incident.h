#pragma once
// Incidents: findings grouped by the entities they share, with a state, a severity, a timeline
// and the playbook runs started for them. Stored in SQLite (WAL) beside the run journal.
//
// Grouping rule (documented in docs/incidents.md): a finding joins the open incident (state
// open, containing or contained) that shares one of its grouping entities — instance,
// access_key, principal, bucket, user, role — and whose last finding is within `window` of this
// one (default 24h); if several match, the most recently active wins (incidents are never
// merged automatically). Otherwise it opens a new incident. The same finding (same id) is
// ingested once. IPs and accounts do not group: they are shared by unrelated activity.
//
// States: open → containing (a response run started) → contained (containment succeeded) →
// released (release run, after approval) → closed. Any state may be closed; closed is final.
//
// Thread-safe (one internal lock); several processes may share the file.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"
#include "firebreak/core/sqlite.h"

namespace firebreak::incident {

enum class State : std::uint8_t { kOpen, kContaining, kContained, kReleased, kClosed };
[[nodiscard]] std::string_view to_string(State s) noexcept;
[[nodiscard]] std::optional<State> parse_state(std::string_view s) noexcept;

// Sigma levels, ordered.
enum class Severity : std::uint8_t { kInformational, kLow, kMedium, kHigh, kCritical };
[[nodiscard]] std::string_view to_string(Severity s) noexcept;
[[nodiscard]] std::optional<Severity> parse_severity(std::string_view s) noexcept;

struct Entity {
  std::string type;  // "instance", "access_key", "principal", "bucket", "user", "role", "ip", ...
  std::string value;
  friend bool operator==(const Entity&, const Entity&) = default;
  friend auto operator<=>(const Entity&, const Entity&) = default;
};

// What the incident store needs of a finding (the detection engine's findings convert to it).
struct FindingInput {
  std::string id;  // stable: the same detection of the same event always has the same id
  std::string rule_id;
  std::string title;
  Severity severity = Severity::kMedium;
  TimePoint time{};
  std::vector<Entity> entities;
  Json detail = nullptr;  // the whole finding as JSON
};

struct Incident {
  std::string id;  // "inc-<yyyymmdd>-<nnnn>"
  std::string title;
  State state = State::kOpen;
  Severity severity = Severity::kMedium;
  TimePoint created_at{};
  TimePoint updated_at{};
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::vector<Entity> entities;  // sorted, unique
  std::int64_t finding_count = 0;
  std::vector<std::string> runs;  // run ids, oldest first

  // The summary playbooks see as `incident` in expressions.
  [[nodiscard]] Json to_json() const;
};

struct TimelineEntry {
  TimePoint at{};
  std::string kind;  // "finding", "state", "run", "note"
  std::string text;
  Json data = nullptr;
};

struct IngestResult {
  std::string incident_id;
  bool created = false;    // a new incident was opened
  bool duplicate = false;  // the finding had been ingested before; nothing changed
};

struct ListFilter {
  std::optional<State> state;
  std::optional<Severity> min_severity;
  std::size_t limit = 1000;
};

class IncidentStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<IncidentStore>> open(
      const std::filesystem::path& path, Clock& clock);

  [[nodiscard]] Result<IngestResult> ingest(const FindingInput& finding,
                                            Duration window = std::chrono::hours(24));
  // Opens an incident by hand (e.g. `firebreak respond` on a target with no incident yet).
  [[nodiscard]] Result<std::string> create(std::string_view title, Severity severity,
                                           const std::vector<Entity>& entities,
                                           std::string_view actor);

  [[nodiscard]] Result<Incident> get(std::string_view id);
  // Newest activity first.
  [[nodiscard]] Result<std::vector<Incident>> list(const ListFilter& filter = {});
  // The open incident holding `entity`, if any (most recently active).
  [[nodiscard]] Result<std::optional<std::string>> find_open(const Entity& entity);
  [[nodiscard]] Result<std::vector<FindingInput>> findings(std::string_view id);
  [[nodiscard]] Result<std::vector<TimelineEntry>> timeline(std::string_view id);

  // Moves the incident to `state` (checked against the state machine) and notes who and why.
  [[nodiscard]] Status set_state(std::string_view id, State state, std::string_view actor,
                                 std::string_view note = {});
  [[nodiscard]] Status add_run(std::string_view id, std::string_view run_id,
                               std::string_view playbook_id, std::string_view actor);
  [[nodiscard]] Status add_note(std::string_view id, std::string_view actor, std::string_view text);

 private:
  IncidentStore(Database db, Clock& clock) : db_(std::move(db)), clock_(clock) {}
  [[nodiscard]] Status migrate();
  [[nodiscard]] Result<Incident> get_locked(std::string_view id);
  [[nodiscard]] Status add_timeline_locked(std::string_view id, std::string_view kind,
                                           std::string_view text, const Json& data);
  std::mutex mu_;
  Database db_;
  Clock& clock_;
};

// Whether `from` → `to` is a permitted transition.
[[nodiscard]] bool transition_allowed(State from, State to) noexcept;

// Entity types that group findings into one incident.
[[nodiscard]] bool is_grouping_entity(std::string_view type) noexcept;

}  // namespace firebreak::incident
