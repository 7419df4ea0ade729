#include "firebreak/incident/incident.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "firebreak/core/ids.h"

namespace firebreak::incident {

namespace {

constexpr std::array<std::pair<State, std::string_view>, 5> kStates{{
    {State::kOpen, "open"},
    {State::kContaining, "containing"},
    {State::kContained, "contained"},
    {State::kReleased, "released"},
    {State::kClosed, "closed"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 5> kSeverities{{
    {Severity::kInformational, "informational"},
    {Severity::kLow, "low"},
    {Severity::kMedium, "medium"},
    {Severity::kHigh, "high"},
    {Severity::kCritical, "critical"},
}};

std::string time_text(TimePoint t) { return format_iso8601(t, TimePrecision::kMicros); }
TimePoint parse_time(const std::string& s) { return parse_iso8601(s).value_or(TimePoint{}); }

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  title TEXT NOT NULL,
  state TEXT NOT NULL,
  severity INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  finding_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_entities (
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (incident_id, type, value)
);
CREATE INDEX IF NOT EXISTS incident_entities_by_value ON incident_entities(type, value);
CREATE TABLE IF NOT EXISTS incident_findings (
  finding_id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  rule_id TEXT NOT NULL,
  title TEXT NOT NULL,
  severity INTEGER NOT NULL,
  time TEXT NOT NULL,
  entities TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_findings_by_incident ON incident_findings(incident_id);
CREATE TABLE IF NOT EXISTS incident_runs (
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  run_id TEXT NOT NULL,
  playbook_id TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (incident_id, run_id)
);
CREATE TABLE IF NOT EXISTS incident_timeline (
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (incident_id, seq)
);
)sql";

Json entities_json(const std::vector<Entity>& es) {
  Json out = Json::array();
  for (const auto& e : es) out.push_back({{"type", e.type}, {"value", e.value}});
  return out;
}

std::vector<Entity> entities_from_json(const Json& j) {
  std::vector<Entity> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_object()) out.push_back({e.value("type", ""), e.value("value", "")});
  }
  return out;
}

}  // namespace

std::string_view to_string(State s) noexcept {
  for (const auto& [k, v] : kStates) {
    if (k == s) return v;
  }
  return "open";
}
std::optional<State> parse_state(std::string_view s) noexcept {
  for (const auto& [k, v] : kStates) {
    if (v == s) return k;
  }
  return std::nullopt;
}
std::string_view to_string(Severity s) noexcept {
  for (const auto& [k, v] : kSeverities) {
    if (k == s) return v;
  }
  return "medium";
}
std::optional<Severity> parse_severity(std::string_view s) noexcept {
  for (const auto& [k, v] : kSeverities) {
    if (v == s) return k;
  }
  return std::nullopt;
}

bool transition_allowed(State from, State to) noexcept {
  if (from == to) return false;
  if (from == State::kClosed) return false;
  if (to == State::kClosed) return true;
  switch (from) {
    case State::kOpen: return to == State::kContaining || to == State::kContained;
    case State::kContaining: return to == State::kContained || to == State::kOpen;
    case State::kContained: return to == State::kReleased || to == State::kContaining;
    case State::kReleased: return to == State::kContaining || to == State::kOpen;
    case State::kClosed: return false;
  }
  return false;
}

bool is_grouping_entity(std::string_view type) noexcept {
  return type == "instance" || type == "access_key" || type == "principal" || type == "bucket" ||
         type == "user" || type == "role";
}

Json Incident::to_json() const {
  Json ents = Json::object();
  for (const auto& e : entities) ents[e.type].push_back(e.value);
  return {{"id", id},
          {"title", title},
          {"state", to_string(state)},
          {"severity", to_string(severity)},
          {"created_at", format_iso8601(created_at)},
          {"updated_at", format_iso8601(updated_at)},
          {"first_seen", format_iso8601(first_seen)},
          {"last_seen", format_iso8601(last_seen)},
          {"entities", ents},
          {"finding_count", finding_count},
          {"runs", runs}};
}

Result<std::unique_ptr<IncidentStore>> IncidentStore::open(const std::filesystem::path& path,
                                                           Clock& clock) {
  FIREBREAK_TRY(Database db, Database::open(path));
  std::unique_ptr<IncidentStore> s(new IncidentStore(std::move(db), clock));
  FIREBREAK_TRY_STATUS(s->migrate());
  return s;
}

Status IncidentStore::migrate() {
  std::lock_guard lock(mu_);
  return db_.exec(kSchema);
}

Status IncidentStore::add_timeline_locked(std::string_view id, std::string_view kind,
                                          std::string_view text, const Json& data) {
  FIREBREAK_TRY(Statement q,
                db_.prepare("INSERT INTO incident_timeline (incident_id, seq, at, kind, text, "
                            "data) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM "
                            "incident_timeline WHERE incident_id = ?1), ?2, ?3, ?4, ?5)"));
  return q.bind(id, time_text(clock_.now()), kind, text, dump_json(data)).run();
}

Result<IngestResult> IncidentStore::ingest(const FindingInput& f, Duration window) {
  if (f.id.empty()) return fail(ErrorCode::kInvalidArgument, "a finding needs an id");
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Result<IngestResult> {
    {
      FIREBREAK_TRY(Statement q, db_.prepare("SELECT incident_id FROM incident_findings WHERE "
                                             "finding_id = ?"));
      q.bind(f.id);
      FIREBREAK_TRY(bool row, q.step());
      if (row) return IngestResult{q.text(0), false, true};
    }
    // Candidate incidents: open, sharing a grouping entity, active within the window.
    std::string chosen;
    TimePoint chosen_last{};
    {
      FIREBREAK_TRY(Statement q,
                    db_.prepare("SELECT i.id, i.first_seen, i.last_seen FROM incidents i JOIN "
                                "incident_entities e ON e.incident_id = i.id WHERE e.type = ? AND "
                                "e.value = ? AND i.state IN ('open', 'containing', 'contained')"));
      for (const auto& e : f.entities) {
        if (!is_grouping_entity(e.type) || e.value.empty()) continue;
        q.bind(e.type, e.value);
        for (;;) {
          FIREBREAK_TRY(bool row, q.step());
          if (!row) break;
          const TimePoint first = parse_time(q.text(1)), last = parse_time(q.text(2));
          if (f.time + window < first || f.time > last + window) continue;
          if (chosen.empty() || last > chosen_last) {
            chosen = q.text(0);
            chosen_last = last;
          }
        }
      }
    }
    const TimePoint now = clock_.now();
    IngestResult result;
    if (chosen.empty()) {
      std::int64_t seq = 1;
      {
        FIREBREAK_TRY(Statement q, db_.prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM incidents"));
        FIREBREAK_TRY(bool row, q.step());
        if (row) seq = q.int64(0);
      }
      const std::string day = format_iso8601(f.time == TimePoint{} ? now : f.time).substr(0, 10);
      chosen = fmt::format("inc-{}{}{}-{:04}", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2),
                           seq);
      std::string title = f.title;
      for (const auto& e : f.entities) {
        if (is_grouping_entity(e.type) && !e.value.empty()) {
          title += fmt::format(" ({} {})", e.type, e.value);
          break;
        }
      }
      FIREBREAK_TRY(Statement q,
                    db_.prepare("INSERT INTO incidents (id, seq, title, state, severity, "
                                "created_at, updated_at, first_seen, last_seen, finding_count) "
                                "VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, 0)"));
      FIREBREAK_TRY_STATUS(q.bind(chosen, seq, title, static_cast<int>(f.severity), time_text(now),
                                  time_text(now), time_text(f.time), time_text(f.time))
                               .run());
      FIREBREAK_TRY_STATUS(add_timeline_locked(chosen, "state", "opened", nullptr));
      result.created = true;
    }
    result.incident_id = chosen;
    {
      FIREBREAK_TRY(
          Statement q,
          db_.prepare("INSERT INTO incident_findings (finding_id, incident_id, rule_id, "
                      "title, severity, time, entities, detail) VALUES (?,?,?,?,?,?,?,?)"));
      FIREBREAK_TRY_STATUS(q.bind(f.id, chosen, f.rule_id, f.title, static_cast<int>(f.severity),
                                  time_text(f.time), dump_json(entities_json(f.entities)),
                                  dump_json(f.detail))
                               .run());
    }
    {
      FIREBREAK_TRY(Statement q, db_.prepare("INSERT OR IGNORE INTO incident_entities "
                                             "(incident_id, type, value) VALUES (?, ?, ?)"));
      for (const auto& e : f.entities) {
        if (!e.value.empty()) FIREBREAK_TRY_STATUS(q.bind(chosen, e.type, e.value).run());
      }
    }
    {
      FIREBREAK_TRY(Statement q,
                    db_.prepare("UPDATE incidents SET severity = MAX(severity, ?), updated_at = ?, "
                                "first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?), "
                                "finding_count = finding_count + 1 WHERE id = ?"));
      FIREBREAK_TRY_STATUS(q.bind(static_cast<int>(f.severity), time_text(now), time_text(f.time),
                                  time_text(f.time), chosen)
                               .run());
    }
    FIREBREAK_TRY_STATUS(add_timeline_locked(
        chosen, "finding", fmt::format("{} [{}]", f.title, to_string(f.severity)),
        {{"finding_id", f.id}, {"rule_id", f.rule_id}, {"time", format_iso8601(f.time)}}));
    return result;
  });
}

Result<std::string> IncidentStore::create(std::string_view title, Severity severity,
                                          const std::vector<Entity>& entities,
                                          std::string_view actor) {
  FindingInput f;
  IdGenerator ids(random_seed());
  f.id = "manual-" + ids.uuid();
  f.rule_id = "manual";
  f.title = std::string(title);
  f.severity = severity;
  f.time = clock_.now();
  f.entities = entities;
  f.detail = {{"opened_by", actor}};
  // A manual incident is always new: bypass grouping by giving it no window.
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Result<std::string> {
    std::int64_t seq = 1;
    {
      FIREBREAK_TRY(Statement q, db_.prepare("SELECT COALESCE(MAX(seq), 0) + 1 FROM incidents"));
      FIREBREAK_TRY(bool row, q.step());
      if (row) seq = q.int64(0);
    }
    const std::string day = format_iso8601(f.time).substr(0, 10);
    const std::string id =
        fmt::format("inc-{}{}{}-{:04}", day.substr(0, 4), day.substr(5, 2), day.substr(8, 2), seq);
    const std::string now = time_text(f.time);
    FIREBREAK_TRY(Statement q,
                  db_.prepare("INSERT INTO incidents (id, seq, title, state, severity, created_at, "
                              "updated_at, first_seen, last_seen, finding_count) VALUES "
                              "(?, ?, ?, 'open', ?, ?, ?, ?, ?, 0)"));
    FIREBREAK_TRY_STATUS(
        q.bind(id, seq, title, static_cast<int>(severity), now, now, now, now).run());
    FIREBREAK_TRY(Statement e, db_.prepare("INSERT OR IGNORE INTO incident_entities (incident_id, "
                                           "type, value) VALUES (?, ?, ?)"));
    for (const auto& ent : entities) FIREBREAK_TRY_STATUS(e.bind(id, ent.type, ent.value).run());
    FIREBREAK_TRY_STATUS(
        add_timeline_locked(id, "state", fmt::format("opened by {}", actor), {{"actor", actor}}));
    return id;
  });
}

Result<Incident> IncidentStore::get(std::string_view id) {
  std::lock_guard lock(mu_);
  return get_locked(id);
}

Result<Incident> IncidentStore::get_locked(std::string_view id) {
  FIREBREAK_TRY(Statement q,
                db_.prepare("SELECT id, title, state, severity, created_at, updated_at, "
                            "first_seen, last_seen, finding_count FROM incidents WHERE id = ?"));
  q.bind(id);
  FIREBREAK_TRY(bool row, q.step());
  if (!row) return fail(ErrorCode::kNotFound, fmt::format("no incident '{}'", id));
  Incident i;
  i.id = q.text(0);
  i.title = q.text(1);
  i.state = parse_state(q.text(2)).value_or(State::kOpen);
  i.severity = static_cast<Severity>(std::clamp<std::int64_t>(q.int64(3), 0, 4));
  i.created_at = parse_time(q.text(4));
  i.updated_at = parse_time(q.text(5));
  i.first_seen = parse_time(q.text(6));
  i.last_seen = parse_time(q.text(7));
  i.finding_count = q.int64(8);
  FIREBREAK_TRY(Statement e, db_.prepare("SELECT type, value FROM incident_entities WHERE "
                                         "incident_id = ? ORDER BY type, value"));
  e.bind(id);
  for (;;) {
    FIREBREAK_TRY(bool more, e.step());
    if (!more) break;
    i.entities.push_back({e.text(0), e.text(1)});
  }
  FIREBREAK_TRY(Statement r, db_.prepare("SELECT run_id FROM incident_runs WHERE incident_id = ? "
                                         "ORDER BY at, rowid"));
  r.bind(id);
  for (;;) {
    FIREBREAK_TRY(bool more, r.step());
    if (!more) break;
    i.runs.push_back(r.text(0));
  }
  return i;
}

Result<std::vector<Incident>> IncidentStore::list(const ListFilter& filter) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare("SELECT id FROM incidents WHERE (?1 = '' OR state = ?1) AND "
                            "severity >= ?2 ORDER BY updated_at DESC, seq DESC LIMIT ?3"));
  q.bind(filter.state ? std::string(to_string(*filter.state)) : std::string(),
         static_cast<int>(filter.min_severity.value_or(Severity::kInformational)),
         static_cast<std::int64_t>(filter.limit));
  std::vector<std::string> ids;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    ids.push_back(q.text(0));
  }
  std::vector<Incident> out;
  for (const auto& id : ids) {
    FIREBREAK_TRY(Incident i, get_locked(id));
    out.push_back(std::move(i));
  }
  return out;
}

Result<std::optional<std::string>> IncidentStore::find_open(const Entity& entity) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare("SELECT i.id FROM incidents i JOIN incident_entities e ON "
                            "e.incident_id = i.id WHERE e.type = ? AND e.value = ? AND i.state IN "
                            "('open', 'containing', 'contained') ORDER BY i.last_seen DESC, "
                            "i.seq DESC LIMIT 1"));
  q.bind(entity.type, entity.value);
  FIREBREAK_TRY(bool row, q.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.text(0));
}

Result<std::vector<FindingInput>> IncidentStore::findings(std::string_view id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q,
                db_.prepare("SELECT finding_id, rule_id, title, severity, time, entities, detail "
                            "FROM incident_findings WHERE incident_id = ? ORDER BY time, rowid"));
  q.bind(id);
  std::vector<FindingInput> out;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    FindingInput f;
    f.id = q.text(0);
    f.rule_id = q.text(1);
    f.title = q.text(2);
    f.severity = static_cast<Severity>(std::clamp<std::int64_t>(q.int64(3), 0, 4));
    f.time = parse_time(q.text(4));
    auto ents = parse_json(q.text(5));
    if (ents) f.entities = entities_from_json(*ents);
    auto detail = parse_json(q.text(6));
    f.detail = detail ? *detail : Json(nullptr);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<TimelineEntry>> IncidentStore::timeline(std::string_view id) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY(Statement q, db_.prepare("SELECT at, kind, text, data FROM incident_timeline "
                                         "WHERE incident_id = ? ORDER BY seq"));
  q.bind(id);
  std::vector<TimelineEntry> out;
  for (;;) {
    FIREBREAK_TRY(bool row, q.step());
    if (!row) break;
    auto data = parse_json(q.text(3));
    out.push_back({parse_time(q.text(0)), q.text(1), q.text(2), data ? *data : Json(nullptr)});
  }
  return out;
}

Status IncidentStore::set_state(std::string_view id, State state, std::string_view actor,
                                std::string_view note) {
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Status {
    FIREBREAK_TRY(Incident i, get_locked(id));
    if (!transition_allowed(i.state, state)) {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("incident {} is {}: it cannot become {}", id, to_string(i.state),
                              to_string(state)));
    }
    FIREBREAK_TRY(Statement q, db_.prepare("UPDATE incidents SET state = ?, updated_at = ? WHERE "
                                           "id = ?"));
    FIREBREAK_TRY_STATUS(q.bind(to_string(state), time_text(clock_.now()), id).run());
    return add_timeline_locked(
        id, "state",
        fmt::format("{} → {} by {}{}", to_string(i.state), to_string(state), actor,
                    note.empty() ? "" : ": " + std::string(note)),
        {{"from", to_string(i.state)}, {"to", to_string(state)}, {"actor", actor}});
  });
}

Status IncidentStore::add_run(std::string_view id, std::string_view run_id,
                              std::string_view playbook_id, std::string_view actor) {
  std::lock_guard lock(mu_);
  return db_.transaction([&]() -> Status {
    FIREBREAK_TRY([[maybe_unused]] Incident i, get_locked(id));
    FIREBREAK_TRY(Statement q, db_.prepare("INSERT OR IGNORE INTO incident_runs (incident_id, "
                                           "run_id, playbook_id, at) VALUES (?, ?, ?, ?)"));
    FIREBREAK_TRY_STATUS(q.bind(id, run_id, playbook_id, time_text(clock_.now())).run());
    return add_timeline_locked(
        id, "run", fmt::format("run {} of {} started by {}", run_id, playbook_id, actor),
        {{"run_id", run_id}, {"playbook", playbook_id}, {"actor", actor}});
  });
}

Status IncidentStore::add_note(std::string_view id, std::string_view actor, std::string_view text) {
  std::lock_guard lock(mu_);
  FIREBREAK_TRY([[maybe_unused]] Incident i, get_locked(id));
  return add_timeline_locked(id, "note", text, {{"actor", actor}});
}

}  // namespace firebreak::incident
