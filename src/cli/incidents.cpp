// `firebreak incidents list|show|close`: findings grouped into incidents, and what was done.
#include <fmt/format.h>

#include "command.h"
#include "response_env.h"

namespace firebreak::cli {
namespace {

struct IncidentsArgs {
  StateOptions state;
  std::string id;
  std::string state_filter;
  std::string min_severity;
  std::string reason;
  bool json = false;
};

int report(const Error& e) {
  fmt::print(stderr, "firebreak incidents: {}\n", e.describe());
  return e.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

std::string entities_text(const std::vector<incident::Entity>& entities, std::size_t max = 3) {
  std::string s;
  std::size_t n = 0;
  for (const auto& e : entities) {
    if (e.type == "account" || e.type == "ip") continue;
    if (n++ == max) {
      s += " …";
      break;
    }
    s += (s.empty() ? "" : " ") + e.type + "=" + e.value;
  }
  return s;
}

int run_list(const IncidentsArgs& a) {
  incident::ListFilter filter;
  if (!a.state_filter.empty()) {
    filter.state = incident::parse_state(a.state_filter);
    if (!filter.state) {
      fmt::print(stderr, "firebreak incidents list: unknown state '{}'\n", a.state_filter);
      return kExitUsage;
    }
  }
  if (!a.min_severity.empty()) {
    filter.min_severity = incident::parse_severity(a.min_severity);
    if (!filter.min_severity) {
      fmt::print(stderr, "firebreak incidents list: unknown severity '{}'\n", a.min_severity);
      return kExitUsage;
    }
  }
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  auto list = (*env)->incidents().list(filter);
  if (!list) return report(list.error());
  if (a.json) {
    Json out = Json::array();
    for (const auto& i : *list) out.push_back(i.to_json());
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  fmt::print("{:<18} {:<10} {:<13} {:<20} {:>8} {:>4}  {}\n", "INCIDENT", "STATE", "SEVERITY",
             "LAST SEEN", "FINDINGS", "RUNS", "TITLE / ENTITIES");
  for (const auto& i : *list) {
    fmt::print("{:<18} {:<10} {:<13} {:<20} {:>8} {:>4}  {}\n", i.id, incident::to_string(i.state),
               incident::to_string(i.severity), format_iso8601(i.last_seen), i.finding_count,
               i.runs.size(), i.title);
    const std::string ents = entities_text(i.entities);
    if (!ents.empty()) fmt::print("{:>88}{}\n", "", ents);
  }
  if (list->empty()) fmt::print("(no incidents)\n");
  return kExitOk;
}

int run_show(const IncidentsArgs& a) {
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  auto& store = (*env)->incidents();
  auto inc = store.get(a.id);
  if (!inc) return report(inc.error());
  auto timeline = store.timeline(a.id);
  if (!timeline) return report(timeline.error());
  auto findings = store.findings(a.id);
  if (!findings) return report(findings.error());
  auto runs = (*env)->journal().runs(std::nullopt, a.id);
  if (!runs) return report(runs.error());
  if (a.json) {
    Json out = inc->to_json();
    Json tl = Json::array();
    for (const auto& t : *timeline) {
      tl.push_back({{"at", format_iso8601(t.at)}, {"kind", t.kind}, {"text", t.text}});
    }
    out["timeline"] = std::move(tl);
    Json fs = Json::array();
    for (const auto& f : *findings) {
      fs.push_back({{"id", f.id},
                    {"rule_id", f.rule_id},
                    {"title", f.title},
                    {"severity", incident::to_string(f.severity)},
                    {"time", format_iso8601(f.time)}});
    }
    out["findings"] = std::move(fs);
    Json rs = Json::array();
    for (const auto& r : *runs) {
      rs.push_back({{"id", r.id},
                    {"playbook", r.playbook_id},
                    {"state", respond::to_string(r.state)},
                    {"dry_run", r.dry_run}});
    }
    out["run_details"] = std::move(rs);
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  const auto& i = *inc;
  fmt::print("incident {}  {}  {}\n  {}\n", i.id, incident::to_string(i.state),
             incident::to_string(i.severity), i.title);
  fmt::print("  first seen {}  last seen {}  {} findings\n", format_iso8601(i.first_seen),
             format_iso8601(i.last_seen), i.finding_count);
  fmt::print("entities:\n");
  for (const auto& e : i.entities) fmt::print("  {:<18} {}\n", e.type, e.value);
  if (!runs->empty()) {
    fmt::print("runs:\n");
    for (const auto& r : *runs) {
      fmt::print("  {:<18} {:<20} {}{}\n", r.id, r.playbook_id, respond::to_string(r.state),
                 r.dry_run ? " (dry run)" : "");
    }
  }
  fmt::print("timeline:\n");
  for (const auto& t : *timeline) {
    fmt::print("  {} {:<8} {}\n", format_iso8601(t.at), t.kind, t.text);
  }
  return kExitOk;
}

int run_close(const IncidentsArgs& a) {
  auto env = ResponseEnv::open(a.state, nullptr);
  if (!env) return report(env.error());
  if (auto s = (*env)->incidents().set_state(a.id, incident::State::kClosed, default_actor(),
                                             a.reason);
      !s) {
    return report(s.error());
  }
  fmt::print("incident {} closed\n", a.id);
  return kExitOk;
}

}  // namespace

void add_incidents_command(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<IncidentsArgs>();
  auto* inc = app.add_subcommand(
      "incidents", "Incidents: findings grouped by the entities they share, and the runs for them");
  inc->require_subcommand(1);
  add_state_options(*inc, a->state);

  auto* list = inc->add_subcommand("list", "Incidents, most recently active first");
  list->add_option("--state", a->state_filter,
                   "Only this state (open, containing, contained, released, closed)");
  list->add_option("--min-severity", a->min_severity,
                   "Only this severity or higher (informational, low, medium, high, critical)");
  list->add_flag("--json", a->json, "Print JSON");
  list->callback([a, &ctx] { ctx.exit_code = run_list(*a); });

  auto* show = inc->add_subcommand("show", "One incident: entities, runs and timeline");
  show->add_option("id", a->id, "Incident id")->required();
  show->add_flag("--json", a->json, "Print JSON");
  show->callback([a, &ctx] { ctx.exit_code = run_show(*a); });

  auto* close = inc->add_subcommand("close", "Close an incident (final)");
  close->add_option("id", a->id, "Incident id")->required();
  close->add_option("--reason", a->reason, "Why (recorded in the timeline)");
  close->callback([a, &ctx] { ctx.exit_code = run_close(*a); });
}

}  // namespace firebreak::cli
