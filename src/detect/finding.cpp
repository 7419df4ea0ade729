#include "firebreak/detect/finding.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "firebreak/core/json.h"
#include "modifiers.h"

namespace firebreak::detect {

EventRef EventRef::of(const event::Event& e) {
  EventRef r;
  r.file = e.ref().file;
  r.index = e.ref().index;
  r.line = e.ref().line;
  r.event_id = std::string(e.id());
  return r;
}

namespace {

class EntityCollector {
 public:
  explicit EntityCollector(const event::Event& e) : e_(e) {}

  void add(std::string_view type, std::string_view value) {
    if (value.empty() || value.size() > 2048) return;
    Entity en{std::string(type), std::string(value)};
    if (std::find(out_.begin(), out_.end(), en) == out_.end()) out_.push_back(std::move(en));
  }
  // Every string value at `path` (arrays fan out).
  void path(std::string_view type, std::string_view dotted) {
    const event::FieldPath p(dotted);
    e_.visit(p, [&](event::Value v) {
      if (auto s = v.string()) {
        add(type, *s);
      } else if (v.kind() == event::Value::Kind::kArray) {
        v.for_each_element([&](event::Value x) {
          if (auto xs = x.string()) add(type, *xs);
        });
      }
    });
  }
  void ip(std::string_view dotted) {
    const event::FieldPath p(dotted);
    e_.visit(p, [&](event::Value v) {
      if (auto s = v.string()) {
        std::array<std::uint8_t, 16> a;
        bool v6 = false;
        if (detail::parse_address(*s, a, v6)) add("ip", *s);
      }
    });
  }
  // An instance id out of an id or ARN ("arn:aws:ec2:r:a:instance/i-0abc").
  void instance_from(std::string_view s) {
    const auto pos = s.find("i-");
    if (pos == std::string_view::npos) return;
    if (pos != 0 && s[pos - 1] != '/') return;
    add("instance", s.substr(pos));
  }
  std::vector<Entity> take() { return std::move(out_); }

 private:
  const event::Event& e_;
  std::vector<Entity> out_;
};

}  // namespace

std::vector<Entity> extract_entities(const event::Event& e) {
  EntityCollector c(e);
  using event::SourceKind;
  switch (e.source()) {
    case SourceKind::kCloudTrail: {
      c.path("principal", "userIdentity.arn");
      c.path("access_key", "userIdentity.accessKeyId");
      c.ip("sourceIPAddress");
      c.path("user", "requestParameters.userName");
      c.path("role", "requestParameters.roleName");
      c.path("access_key", "requestParameters.accessKeyId");
      c.path("access_key", "responseElements.accessKey.accessKeyId");
      c.path("instance", "requestParameters.instanceId");
      c.path("instance", "requestParameters.instanceIds");
      c.path("instance", "requestParameters.instancesSet.items.instanceId");
      c.path("instance", "responseElements.instancesSet.items.instanceId");
      e.visit(event::FieldPath("requestParameters.resourcesSet.items.resourceId"),
              [&](event::Value v) {
                if (auto s = v.string(); s && s->starts_with("i-")) c.instance_from(*s);
              });
      e.visit(event::FieldPath("requestParameters.target"), [&](event::Value v) {
        if (auto s = v.string()) c.instance_from(*s);
      });
      c.path("bucket", "requestParameters.bucketName");
      c.path("snapshot", "requestParameters.snapshotId");
      c.path("image", "requestParameters.imageId");
      c.path("security_group", "requestParameters.groupId");
      break;
    }
    case SourceKind::kGuardDuty: {
      c.path("instance", "resource.instanceDetails.instanceId");
      c.path("access_key", "resource.accessKeyDetails.accessKeyId");
      c.path("principal", "resource.accessKeyDetails.principalId");
      c.path("user", "resource.accessKeyDetails.userName");
      c.path("bucket", "resource.s3BucketDetails.name");
      c.ip("service.action.awsApiCallAction.remoteIpDetails.ipAddressV4");
      c.ip("service.action.networkConnectionAction.remoteIpDetails.ipAddressV4");
      c.ip("service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4");
      break;
    }
    case SourceKind::kSecurityHub: {
      e.visit(event::FieldPath("Resources"), [&](event::Value list) {
        list.for_each_element([&](event::Value r) {
          const auto type = r.member("Type");
          const auto id = r.member("Id");
          if (!type || !id || !type->string() || !id->string()) return;
          const std::string_view t = *type->string(), v = *id->string();
          if (t == "AwsEc2Instance") {
            c.instance_from(v);
          } else if (t == "AwsS3Bucket") {
            c.add("bucket", v.starts_with("arn:aws:s3:::") ? v.substr(13) : v);
          } else if (t == "AwsIamAccessKey") {
            c.add("access_key", v);
          } else if (t == "AwsIamUser" || t == "AwsIamRole") {
            c.add("principal", v);
          }
        });
      });
      break;
    }
    case SourceKind::kVpcFlow: {
      c.ip("srcaddr");
      c.ip("dstaddr");
      c.path("instance", "instance-id");
      break;
    }
  }
  c.add("account", e.account());
  return c.take();
}

void set_rule(Finding& f, const Rule& rule) {
  f.rule_id = rule.id;
  f.rule_title = rule.title;
  f.level = rule.effective_level();
  f.tags = rule.tags;
  f.author = rule.author;
}

std::string to_json(const Finding& f) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
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
