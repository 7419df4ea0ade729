#include "firebreak/detect/finding.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "firebreak/core/hash.h"
#include "firebreak/core/json.h"
#include "firebreak/event/entities.h"

namespace firebreak::detect {

EventRef EventRef::of(const event::Event& e) {
  EventRef r;
  r.file = e.ref().file;
  r.index = e.ref().index;
  r.line = e.ref().line;
  r.event_id = std::string(e.id());
  return r;
}

std::vector<Entity> extract_entities(const event::Event& e) {
  // The event module's extraction (canonical ids, shared with incident grouping), named the way
  // findings and incidents name entity types.
  auto found = event::entities(e);
  std::vector<Entity> out;
  out.reserve(found.size() + 1);
  for (auto& en : found) {
    std::string_view type;
    switch (en.kind) {
      case event::EntityKind::kPrincipal: type = "principal"; break;
      case event::EntityKind::kIamUser: type = "user"; break;
      case event::EntityKind::kIamRole: type = "role"; break;
      case event::EntityKind::kAccessKey: type = "access_key"; break;
      case event::EntityKind::kIpAddress: type = "ip"; break;
      case event::EntityKind::kInstance: type = "instance"; break;
      case event::EntityKind::kNetworkInterface: type = "network_interface"; break;
      case event::EntityKind::kSecurityGroup: type = "security_group"; break;
      case event::EntityKind::kBucket: type = "bucket"; break;
      case event::EntityKind::kSnapshot: type = "snapshot"; break;
      case event::EntityKind::kVolume: type = "volume"; break;
    }
    out.push_back({std::string(type), std::move(en.id)});
  }
  if (!e.account().empty()) out.push_back({"account", std::string(e.account())});
  return out;
}

void set_rule(Finding& f, const Rule& rule) {
  f.rule_id = rule.id;
  f.rule_title = rule.title;
  f.level = rule.effective_level();
  f.tags = rule.tags;
  f.author = rule.author;
}

void capture_fields(Finding& f, const Rule& rule, const event::Event& e) {
  std::size_t budget = kMaxFieldBytes;
  for (const auto& name : rule.fields) {
    const event::FieldPath path(name);
    std::vector<std::string> values;
    std::size_t bytes = 0;
    e.visit(path, [&](event::Value v) {
      if (bytes > budget) return;  // over budget already: the field is dropped below
      std::string json;
      v.append_json(json);
      bytes += json.size() + 1;
      values.push_back(std::move(json));
    });
    if (values.empty() || bytes > budget) continue;
    std::string out;
    if (values.size() == 1) {
      out = std::move(values.front());
    } else {
      out.reserve(bytes + 1);
      out += '[';
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += values[i];
      }
      out += ']';
    }
    budget -= std::min(budget, out.size());
    f.fields.emplace_back(name, std::move(out));
  }
}

void assign_id(Finding& f) {
  std::string key = f.rule_id.empty() ? f.rule_title : f.rule_id;
  key += '\x1f';
  if (!f.event.event_id.empty()) {
    key += f.event.event_id;
  } else {
    key += f.event.file ? *f.event.file : std::string();
    key += fmt::format("#{}", f.event.index);
  }
  if (!f.correlation_type.empty()) {
    for (const auto& [k, v] : f.group) key += fmt::format("\x1f{}={}", k, v);
    key += fmt::format("\x1f{}", to_unix_seconds(f.window_start));
  }
  f.id = sha256_hex(key).substr(0, 32);
}

std::string to_json(const Finding& f) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("id", f.id);
  w.key("rule").begin_object();
  w.field("id", f.rule_id).field("title", f.rule_title).field("level", to_string(f.level));
  w.key("tags").begin_array();
  for (const auto& t : f.tags) w.value(t);
  w.end_array();
  w.field("author", f.author);
  w.end_object();
  w.field("time", format_iso8601(f.time));
  w.field("source", event::to_string(f.source));
  w.field("event_name", f.event_name);
  w.key("event").begin_object();
  w.field("file", f.event.file ? std::string_view(*f.event.file) : std::string_view());
  w.field("record", f.event.index);
  if (f.event.line != 0) w.field("line", f.event.line);
  w.field("id", f.event.event_id);
  w.end_object();
  w.key("entities").begin_object();
  {
    // Grouped by type, in first-seen order of types.
    std::vector<std::string> types;
    for (const auto& e : f.entities)
      if (std::find(types.begin(), types.end(), e.type) == types.end()) types.push_back(e.type);
    for (const auto& t : types) {
      w.key(t).begin_array();
      for (const auto& e : f.entities)
        if (e.type == t) w.value(e.value);
      w.end_array();
    }
  }
  w.end_object();
  if (!f.fields.empty()) {
    w.key("fields").begin_object();
    for (const auto& [k, v] : f.fields) w.key(k).raw(v);
    w.end_object();
  }
  if (!f.correlation_type.empty()) {
    w.key("correlation").begin_object();
    w.field("type", f.correlation_type);
    w.key("group").begin_object();
    for (const auto& [k, v] : f.group) w.field(k, v);
    w.end_object();
    w.field("count", f.count);
    w.field("window_start", format_iso8601(f.window_start));
    w.end_object();
  }
  w.end_object();
  return out;
}

std::string to_table(const std::vector<Finding>& findings) {
  struct Row {
    std::string time, level, rule, event, principal, source;
  };
  std::vector<Row> rows;
  rows.push_back({"TIME", "LEVEL", "RULE", "EVENT", "PRINCIPAL", "SOURCE"});
  std::map<std::string, std::string> authors;  // title -> author
  for (const auto& f : findings) {
    std::string principal;
    for (const auto& e : f.entities) {
      if (e.type == "principal" || (principal.empty() && e.type == "access_key")) {
        principal = e.value;
        if (e.type == "principal") break;
      }
    }
    if (principal.empty()) {
      for (const auto& e : f.entities)
        if (e.type == "ip") principal = e.value;
    }
    std::string where =
        f.event.file ? std::filesystem::path(*f.event.file).filename().string() : std::string();
    where +=
        f.event.line != 0 ? fmt::format(":{}", f.event.line) : fmt::format("#{}", f.event.index);
    std::string rule = f.rule_title;
    if (!f.correlation_type.empty()) rule += fmt::format(" [{} {}]", f.correlation_type, f.count);
    rows.push_back({format_iso8601(f.time), std::string(to_string(f.level)), rule,
                    f.event_name.empty() ? where : f.event_name + " " + where, principal,
                    std::string(event::to_string(f.source))});
    authors[f.rule_title] = f.author;
  }
  std::size_t w[6] = {0, 0, 0, 0, 0, 0};
  for (const auto& r : rows) {
    const std::string* c[6] = {&r.time, &r.level, &r.rule, &r.event, &r.principal, &r.source};
    for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], std::min<std::size_t>(c[i]->size(), 80));
  }
  std::string out;
  for (const auto& r : rows) {
    const std::string* c[6] = {&r.time, &r.level, &r.rule, &r.event, &r.principal, &r.source};
    std::string line;
    for (int i = 0; i < 6; ++i) {
      std::string cell = *c[i];
      if (cell.size() > 80) cell = cell.substr(0, 77) + "...";
      line += cell;
      if (i != 5) line += std::string(w[i] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  if (!authors.empty()) {
    out += "\nRule authors (Sigma rules are credited per the Detection Rule License):\n";
    for (const auto& [title, author] : authors) {
      out += fmt::format("  {}: {}\n", title, author.empty() ? "(no author given)" : author);
    }
  }
  return out;
}

}  // namespace firebreak::detect
