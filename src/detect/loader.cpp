#include "firebreak/detect/loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "firebreak/core/fs.h"
#include "firebreak/core/json.h"
#include "firebreak/core/yaml.h"
#include "modifiers.h"

namespace firebreak::detect {

// ---- small value types ----

std::string SourceLocation::describe() const {
  if (line == 0) return file;
  if (column == 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string_view to_string(Level l) noexcept {
  switch (l) {
    case Level::kInformational: return "informational";
    case Level::kLow: return "low";
    case Level::kMedium: return "medium";
    case Level::kHigh: return "high";
    case Level::kCritical: return "critical";
  }
  return "medium";
}

std::optional<Level> parse_level(std::string_view t) noexcept {
  for (Level l :
       {Level::kInformational, Level::kLow, Level::kMedium, Level::kHigh, Level::kCritical}) {
    if (to_string(l) == t) return l;
  }
  return std::nullopt;
}

std::string_view to_string(Correlation::Type t) noexcept {
  switch (t) {
    case Correlation::Type::kEventCount: return "event_count";
    case Correlation::Type::kValueCount: return "value_count";
    case Correlation::Type::kTemporal: return "temporal";
    case Correlation::Type::kTemporalOrdered: return "temporal_ordered";
  }
  return "event_count";
}

const std::string& Rule::key() const noexcept {
  if (!id.empty()) return id;
  if (!name.empty()) return name;
  return title;
}

std::string Rejection::describe() const {
  if (rule.empty()) return fmt::format("{}: {}", where.describe(), reason);
  return fmt::format("{}: rule '{}': {}", where.describe(), rule, reason);
}

std::string Diagnostic::describe() const {
  if (rule.empty()) return fmt::format("{}: {}", where.describe(), message);
  return fmt::format("{}: rule '{}': {}", where.describe(), rule, message);
}

void RuleSet::append(RuleSet&& o) {
  for (auto& r : o.rules) rules.push_back(std::move(r));
  for (auto& r : o.filters) filters.push_back(std::move(r));
  for (auto& r : o.rejected) rejected.push_back(std::move(r));
  for (auto& r : o.warnings) warnings.push_back(std::move(r));
  files += o.files;
  documents += o.documents;
}

// The largest count a gt/gte correlation condition may require (the correlator's sliding
// windows keep one 4-byte timestamp per counted event, docs/detection.md).
constexpr std::int64_t kMaxCorrelationCount = 65535;
// The longest correlation timespan: ten years.
constexpr std::int64_t kMaxTimespanSeconds = 3650LL * 86400;

// ---- placeholders ----

void Placeholders::set(std::string name, std::vector<std::string> values) {
  values_[std::move(name)] = std::move(values);
}

const std::vector<std::string>* Placeholders::find(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

void Placeholders::merge(const Placeholders& o) {
  for (const auto& [k, v] : o.values_) values_[k] = v;
}

namespace {

// What a loader error carries: where and what (turned into a Rejection by the caller).
struct LoadError {
  SourceLocation where;
  std::string reason;
};
template <class T>
using LResult = std::expected<T, LoadError>;
using LStatus = std::expected<void, LoadError>;

SourceLocation loc(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, m.line + 1, m.column + 1};
}

std::unexpected<LoadError> lfail(SourceLocation where, std::string reason) {
  return std::unexpected(LoadError{std::move(where), std::move(reason)});
}

std::string_view type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Undefined: return "nothing";
  }
  return "nothing";
}

// A plain (unquoted) scalar is resolved like YAML 1.2 core: null, booleans and numbers; quoted
// scalars are strings.
bool is_plain(const YAML::Node& n) { return n.Tag() == "?"; }

RuleValue scalar_value(const YAML::Node& n, const std::string& file) {
  RuleValue v;
  v.where = loc(file, n.Mark());
  if (n.IsNull()) {
    v.kind = RuleValue::Kind::kNull;
    v.text = "null";
    return v;
  }
  v.text = n.Scalar();
  if (is_plain(n)) {
    if (v.text == "true" || v.text == "false" || v.text == "True" || v.text == "False" ||
        v.text == "TRUE" || v.text == "FALSE") {
      v.kind = RuleValue::Kind::kBool;
      v.text = (v.text[0] == 't' || v.text[0] == 'T') ? "true" : "false";
    } else if (detail::parse_number(v.text)) {
      v.kind = RuleValue::Kind::kNumber;
    }
  }
  return v;
}

LResult<std::string> get_string(const YAML::Node& n, std::string_view key,
                                const std::string& file) {
  if (!n.IsScalar()) {
    return lfail(loc(file, n.Mark()),
                 fmt::format("'{}' must be a string, not {}", key, type_name(n)));
  }
  return n.Scalar();
}

LResult<std::vector<std::string>> get_string_list(const YAML::Node& n, std::string_view key,
                                                  const std::string& file) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) {
    return lfail(loc(file, n.Mark()),
                 fmt::format("'{}' must be a list of strings, not {}", key, type_name(n)));
  }
  for (const auto& e : n) {
    if (!e.IsScalar()) {
      return lfail(
          loc(file, e.Mark()),
          fmt::format("'{}' must be a list of strings; this element is {}", key, type_name(e)));
    }
    out.push_back(e.Scalar());
  }
  return out;
}

// YAML (test events) -> JSON text, with a node budget against alias bombs and a depth bound.
LStatus yaml_to_json(const YAML::Node& n, std::string& out, const std::string& file, int depth,
                     std::size_t& budget) {
  if (depth > 64) return lfail(loc(file, n.Mark()), "test event nested deeper than 64 levels");
  if (budget == 0) return lfail(loc(file, n.Mark()), "test event too large");
  --budget;
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: out += "null"; return {};
    case YAML::NodeType::Scalar: {
      const RuleValue v = scalar_value(n, file);
      if (v.kind == RuleValue::Kind::kBool || v.kind == RuleValue::Kind::kNumber) {
        // Numbers are kept as JSON numbers only when they are valid JSON numbers.
        if (v.kind == RuleValue::Kind::kBool || parse_json(v.text).has_value()) {
          out += v.text;
          return {};
        }
      }
      append_json_string(out, n.Scalar());
      return {};
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const auto& e : n) {
        if (!first) out += ',';
        first = false;
        FIREBREAK_TRY_STATUS(yaml_to_json(e, out, file, depth + 1, budget));
      }
      out += ']';
      return {};
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          return lfail(loc(file, kv.first.Mark()), "test event keys must be strings");
        }
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv.first.Scalar());
        out += ':';
        FIREBREAK_TRY_STATUS(yaml_to_json(kv.second, out, file, depth + 1, budget));
      }
      out += '}';
      return {};
    }
  }
  return {};
}

// ---- one document ----

class DocumentLoader {
 public:
  DocumentLoader(const std::string& file, const LoadOptions& opts) : file_(file), opts_(opts) {}

  // Fills `rule` from `doc`; errors name the precise location.
  LStatus load(const YAML::Node& doc, Rule& rule) {
    rule.where = loc(file_, doc.Mark());
    if (!doc.IsMap()) {
      return lfail(rule.where, fmt::format("a Sigma document is a map, not {}", type_name(doc)));
    }
    // Title first so that later errors can name the rule.
    const YAML::Node title = doc["title"];
    if (!title) return lfail(rule.where, "missing required attribute 'title'");
    FIREBREAK_TRY(rule.title, get_string(title, "title", file_));
    if (rule.title.size() > 256) {
      return lfail(loc(file_, title.Mark()), "'title' is longer than 256 characters");
    }

    const bool has_detection = static_cast<bool>(doc["detection"]);
    const bool has_correlation = static_cast<bool>(doc["correlation"]);
    const bool has_filter = static_cast<bool>(doc["filter"]);
    if (int(has_detection) + int(has_correlation) + int(has_filter) != 1) {
      return lfail(rule.where,
                   "a document needs exactly one of 'detection' (a rule), 'correlation' (a "
                   "correlation rule) or 'filter' (a Sigma filter)");
    }
    rule.kind = has_detection     ? Rule::Kind::kDetection
                : has_correlation ? Rule::Kind::kCorrelation
                                  : Rule::Kind::kFilter;

    for (const auto& kv : doc) {
      if (!kv.first.IsScalar()) {
        return lfail(loc(file_, kv.first.Mark()), "attribute names must be strings");
      }
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "title" || key == "detection" || key == "correlation" || key == "filter") {
        continue;
      } else if (key == "id") {
        FIREBREAK_TRY(rule.id, get_string(v, key, file_));
      } else if (key == "name") {
        FIREBREAK_TRY(rule.name, get_string(v, key, file_));
      } else if (key == "status") {
        FIREBREAK_TRY(rule.status, get_string(v, key, file_));
      } else if (key == "description") {
        FIREBREAK_TRY(rule.description, get_string(v, key, file_));
      } else if (key == "author") {
        // A list of authors is joined: the DRL asks that every author be credited.
        FIREBREAK_TRY(auto authors, get_string_list(v, key, file_));
        for (std::size_t i = 0; i < authors.size(); ++i) {
          if (i != 0) rule.author += ", ";
          rule.author += authors[i];
        }
      } else if (key == "license") {
        FIREBREAK_TRY(rule.license, get_string(v, key, file_));
      } else if (key == "date") {
        FIREBREAK_TRY(rule.date, get_string(v, key, file_));
      } else if (key == "modified") {
        FIREBREAK_TRY(rule.modified, get_string(v, key, file_));
      } else if (key == "taxonomy") {
        FIREBREAK_TRY(rule.taxonomy, get_string(v, key, file_));
      } else if (key == "references") {
        FIREBREAK_TRY(rule.references, get_string_list(v, key, file_));
      } else if (key == "falsepositives") {
        FIREBREAK_TRY(rule.falsepositives, get_string_list(v, key, file_));
      } else if (key == "tags") {
        FIREBREAK_TRY(rule.tags, get_string_list(v, key, file_));
      } else if (key == "fields") {
        FIREBREAK_TRY(rule.fields, get_string_list(v, key, file_));
      } else if (key == "scope") {
        FIREBREAK_TRY(rule.scope, get_string_list(v, key, file_));
      } else if (key == "level") {
        FIREBREAK_TRY(std::string l, get_string(v, key, file_));
        auto level = parse_level(l);
        if (!level) {
          return lfail(loc(file_, v.Mark()),
                       fmt::format("level '{}' is not one of informational, low, medium, high, "
                                   "critical",
                                   l));
        }
        rule.level = level;
      } else if (key == "related") {
        FIREBREAK_TRY_STATUS(load_related(v, rule));
      } else if (key == "logsource") {
        FIREBREAK_TRY_STATUS(load_logsource(v, rule));
      } else if (key == "firebreak-tests") {
        FIREBREAK_TRY_STATUS(load_tests(v, rule));
      } else if (key == "timeframe") {
        return lfail(loc(file_, kv.first.Mark()),
                     "'timeframe' belongs to the obsolete aggregation syntax: express the "
                     "time-based logic as a Sigma correlation rule");
      }
      // Other attributes are custom fields, allowed by the specification.
    }

    switch (rule.kind) {
      case Rule::Kind::kDetection: {
        if (!doc["logsource"]) return lfail(rule.where, "missing required attribute 'logsource'");
        FIREBREAK_TRY_STATUS(load_detection(doc["detection"], rule, false));
        break;
      }
      case Rule::Kind::kFilter: {
        if (!doc["logsource"]) return lfail(rule.where, "missing required attribute 'logsource'");
        FIREBREAK_TRY_STATUS(load_detection(doc["filter"], rule, true));
        break;
      }
      case Rule::Kind::kCorrelation:
        FIREBREAK_TRY_STATUS(load_correlation(doc["correlation"], rule));
        break;
    }
    return {};
  }

 private:
  LStatus load_related(const YAML::Node& v, Rule& rule) {
    if (!v.IsSequence()) return lfail(loc(file_, v.Mark()), "'related' must be a list");
    for (const auto& e : v) {
      if (!e.IsMap() || !e["id"] || !e["type"] || !e["id"].IsScalar() || !e["type"].IsScalar()) {
        return lfail(loc(file_, e.Mark()), "each 'related' entry needs 'id' and 'type'");
      }
      static const std::set<std::string> kTypes = {"derived", "obsolete", "merged", "renamed",
                                                   "similar"};
      if (!kTypes.contains(e["type"].Scalar())) {
        return lfail(loc(file_, e["type"].Mark()),
                     fmt::format("related type '{}' is not one of derived, obsolete, merged, "
                                 "renamed, similar",
                                 e["type"].Scalar()));
      }
      rule.related.emplace_back(e["type"].Scalar(), e["id"].Scalar());
    }
    return {};
  }

  LStatus load_logsource(const YAML::Node& v, Rule& rule) {
    if (!v.IsMap()) return lfail(loc(file_, v.Mark()), "'logsource' must be a map");
    Logsource& ls = rule.logsource;
    for (const auto& kv : v) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
        return lfail(loc(file_, kv.first.Mark()), "logsource entries must be strings");
      }
      const std::string k = kv.first.Scalar();
      if (k == "product") ls.product = kv.second.Scalar();
      if (k == "service") ls.service = kv.second.Scalar();
      if (k == "category") ls.category = kv.second.Scalar();
      if (k == "definition") ls.definition = kv.second.Scalar();
    }
    using event::SourceKind;
    if (ls.product == "aws") {
      if (ls.service.empty()) {
        ls.kinds = kind_bit(SourceKind::kCloudTrail) | kind_bit(SourceKind::kGuardDuty) |
                   kind_bit(SourceKind::kSecurityHub) | kind_bit(SourceKind::kVpcFlow);
      } else if (ls.service == "cloudtrail") {
        ls.kinds = kind_bit(SourceKind::kCloudTrail);
      } else if (ls.service == "guardduty") {
        ls.kinds = kind_bit(SourceKind::kGuardDuty);
      } else if (ls.service == "securityhub") {
        ls.kinds = kind_bit(SourceKind::kSecurityHub);
      } else if (ls.service == "vpcflow" || ls.service == "vpcflowlogs") {
        ls.kinds = kind_bit(SourceKind::kVpcFlow);
      }
    }
    if (ls.kinds == 0) {
      return lfail(loc(file_, v.Mark()),
                   fmt::format("logsource product '{}' service '{}' category '{}': firebreak "
                               "reads no such events (it reads product aws with service "
                               "cloudtrail, guardduty, securityhub or vpcflow)",
                               ls.product, ls.service, ls.category));
    }
    if (!ls.category.empty() && ls.product != "aws") {
      return lfail(loc(file_, v.Mark()),
                   fmt::format("logsource category '{}' is not one firebreak maps", ls.category));
    }
    return {};
  }

  LStatus load_tests(const YAML::Node& v, Rule& rule) {
    if (!v.IsMap()) {
      return lfail(loc(file_, v.Mark()),
                   "'firebreak-tests' must be a map with 'match' and/or 'no_match' lists");
    }
    for (const auto& kv : v) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (k != "match" && k != "no_match") {
        return lfail(loc(file_, kv.first.Mark()),
                     "'firebreak-tests' keys are 'match' and 'no_match'");
      }
      if (!kv.second.IsSequence()) {
        return lfail(loc(file_, kv.second.Mark()), fmt::format("'{}' must be a list", k));
      }
      for (const auto& c : kv.second) {
        RuleTest t;
        t.should_match = k == "match";
        t.where = loc(file_, c.Mark());
        std::size_t budget = 100000;
        // A case is one event (a map), or {events: [...]} for a sequence.
        if (c.IsMap() && c.size() == 1 && c["events"]) {
          if (!c["events"].IsSequence() || c["events"].size() == 0) {
            return lfail(t.where, "'events' must be a non-empty list of events");
          }
          for (const auto& e : c["events"]) {
            if (!e.IsMap()) return lfail(loc(file_, e.Mark()), "a test event must be a map");
            std::string json;
            FIREBREAK_TRY_STATUS(yaml_to_json(e, json, file_, 0, budget));
            t.events.push_back(std::move(json));
          }
        } else if (c.IsMap()) {
          std::string json;
          FIREBREAK_TRY_STATUS(yaml_to_json(c, json, file_, 0, budget));
          t.events.push_back(std::move(json));
        } else {
          return lfail(t.where, "a test case must be an event (a map) or {events: [...]}");
        }
        rule.tests.push_back(std::move(t));
      }
    }
    return {};
  }

  LStatus expand_value(const RuleValue& v, std::vector<RuleValue>& out) {
    // `\%` is a literal percent; `%name%` a placeholder replaced by each of its values.
    std::vector<std::string> acc{""};
    const std::string& s = v.text;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '%') {
        for (auto& a : acc) a += '%';
        ++i;
      } else if (s[i] == '%') {
        const std::size_t end = s.find('%', i + 1);
        if (end == std::string::npos) {
          return lfail(v.where, fmt::format("unterminated placeholder in '{}' (write \\% for a "
                                            "literal percent)",
                                            s));
        }
        const std::string name = s.substr(i + 1, end - i - 1);
        const std::vector<std::string>* vals =
            opts_.placeholders ? opts_.placeholders->find(name) : nullptr;
        if (vals == nullptr || vals->empty()) {
          return lfail(v.where, fmt::format("placeholder '%{}%' has no values (define it in the "
                                            "placeholders file)",
                                            name));
        }
        std::vector<std::string> next;
        for (const auto& a : acc) {
          for (const auto& x : *vals) {
            if (next.size() >= opts_.max_values_per_item) {
              return lfail(v.where, "placeholder expansion exceeds the value limit");
            }
            next.push_back(a + x);
          }
        }
        acc = std::move(next);
        i = end;
      } else {
        for (auto& a : acc) a += s[i];
      }
    }
    for (auto& a : acc) {
      if (out.size() >= opts_.max_values_per_item) {
        return lfail(v.where, "placeholder expansion exceeds the value limit");
      }
      RuleValue e = v;
      e.kind = RuleValue::Kind::kString;
      e.text = std::move(a);
      out.push_back(std::move(e));
    }
    return {};
  }

  LResult<FieldItem> load_item(const std::string& key, const YAML::Node& kn, const YAML::Node& v) {
    FieldItem item;
    item.where = loc(file_, kn.Mark());
    // `field|mod|mod`
    std::size_t bar = key.find('|');
    item.field = key.substr(0, bar);
    while (bar != std::string::npos) {
      const std::size_t next = key.find('|', bar + 1);
      item.modifiers.push_back(
          key.substr(bar + 1, next == std::string::npos ? next : next - bar - 1));
      bar = next;
    }
    auto mods = detail::parse_modifiers(item.modifiers);
    if (!mods) return lfail(item.where, fmt::format("'{}': {}", key, mods.error().message()));

    if (v.IsSequence()) {
      item.value_was_list = true;
      if (v.size() == 0)
        return lfail(loc(file_, v.Mark()), fmt::format("'{}' has an empty list", key));
      for (const auto& e : v) {
        if (!e.IsScalar() && !e.IsNull()) {
          return lfail(loc(file_, e.Mark()),
                       fmt::format("values of '{}' must be scalars, not {}", key, type_name(e)));
        }
        if (item.values.size() >= opts_.max_values_per_item) {
          return lfail(loc(file_, e.Mark()), "too many values");
        }
        item.values.push_back(scalar_value(e, file_));
      }
    } else if (v.IsScalar() || v.IsNull()) {
      item.values.push_back(scalar_value(v, file_));
    } else {
      return lfail(loc(file_, v.Mark()),
                   fmt::format("the value of '{}' is {}; nested maps are not Sigma (use a dotted "
                               "field name such as a.b.c)",
                               key, type_name(v)));
    }

    // Values against modifiers.
    bool has_null = false;
    for (const auto& val : item.values) has_null = has_null || val.kind == RuleValue::Kind::kNull;
    if (has_null) {
      if (item.values.size() > 1) {
        return lfail(item.where,
                     fmt::format("'{}': null cannot be part of a list of values (the spec makes "
                                 "it its own selection)",
                                 key));
      }
      if (!item.modifiers.empty()) {
        return lfail(item.where, fmt::format("'{}': null takes no modifiers", key));
      }
      if (item.field.empty()) return lfail(item.where, "a keyword cannot be null");
    }
    if (mods->all && item.values.size() < 2) {
      return lfail(item.where,
                   fmt::format("'{}': 'all' needs a list of two or more values (the spec forbids "
                               "it on a single value)",
                               key));
    }
    if (item.field.empty() && (mods->type != detail::ValueType::kString)) {
      return lfail(item.where, "keywords take only string modifiers");
    }
    switch (mods->type) {
      case detail::ValueType::kExists:
        if (item.values.size() != 1 || item.values[0].kind != RuleValue::Kind::kBool) {
          return lfail(item.where, fmt::format("'{}': exists takes true or false", key));
        }
        break;
      case detail::ValueType::kCompare:
        for (const auto& val : item.values) {
          if (!detail::parse_number(val.text)) {
            return lfail(val.where, fmt::format("'{}': '{}' is not a number", key, val.text));
          }
        }
        break;
      case detail::ValueType::kFieldRef:
        for (const auto& val : item.values) {
          if (val.kind == RuleValue::Kind::kNull || val.text.empty()) {
            return lfail(val.where, fmt::format("'{}': fieldref takes field names", key));
          }
        }
        break;
      default: break;
    }
    if (mods->expand) {
      std::vector<RuleValue> expanded;
      for (const auto& val : item.values) FIREBREAK_TRY_STATUS(expand_value(val, expanded));
      item.values = std::move(expanded);
    }
    if (mods->type == detail::ValueType::kCidr) {
      for (const auto& val : item.values) {
        if (!detail::parse_network(val.text)) {
          return lfail(val.where,
                       fmt::format("'{}': '{}' is not an IPv4 or IPv6 network", key, val.text));
        }
      }
    }
    if (mods->type == detail::ValueType::kString && !mods->expand) {
      for (const auto& val : item.values) {
        if (val.kind == RuleValue::Kind::kString && val.text.find('%') != std::string::npos &&
            val.text.size() > 2 && val.text.front() == '%' && val.text.back() == '%') {
          warnings_.push_back(
              {val.where, "",
               fmt::format("'{}' looks like a placeholder but has no |expand: it is matched "
                           "literally",
                           val.text)});
        }
      }
    }
    return item;
  }

  LResult<Selection> load_selection(const std::string& name, const YAML::Node& kn,
                                    const YAML::Node& v) {
    Selection sel;
    sel.name = name;
    sel.where = loc(file_, kn.Mark());
    auto load_map = [&](const YAML::Node& m) -> LResult<std::vector<FieldItem>> {
      std::vector<FieldItem> items;
      if (m.size() == 0) return lfail(loc(file_, m.Mark()), "empty map in a selection");
      for (const auto& kv : m) {
        if (!kv.first.IsScalar()) {
          return lfail(loc(file_, kv.first.Mark()), "field names must be strings");
        }
        FIREBREAK_TRY(FieldItem item, load_item(kv.first.Scalar(), kv.first, kv.second));
        items.push_back(std::move(item));
      }
      return items;
    };
    if (v.IsMap()) {
      FIREBREAK_TRY(auto items, load_map(v));
      sel.alternatives.push_back(std::move(items));
    } else if (v.IsSequence()) {
      if (v.size() == 0) return lfail(sel.where, fmt::format("selection '{}' is empty", name));
      bool maps = false, scalars = false;
      for (const auto& e : v) {
        if (e.IsMap()) {
          maps = true;
        } else if (e.IsScalar()) {
          scalars = true;
        } else {
          return lfail(
              loc(file_, e.Mark()),
              fmt::format("selection '{}' lists {}: only maps or keywords", name, type_name(e)));
        }
      }
      if (maps && scalars) {
        return lfail(sel.where,
                     fmt::format("selection '{}' mixes maps and keywords in one list", name));
      }
      if (maps) {
        for (const auto& e : v) {
          FIREBREAK_TRY(auto items, load_map(e));
          sel.alternatives.push_back(std::move(items));
        }
      } else {
        FIREBREAK_TRY(FieldItem item, load_item("", kn, v));
        sel.alternatives.push_back({std::move(item)});
      }
    } else if (v.IsScalar()) {
      FIREBREAK_TRY(FieldItem item, load_item("", kn, v));
      sel.alternatives.push_back({std::move(item)});
    } else {
      return lfail(sel.where, fmt::format("selection '{}' is empty", name));
    }
    return sel;
  }

  LStatus load_detection(const YAML::Node& det, Rule& rule, bool filter) {
    const std::string section = filter ? "filter" : "detection";
    if (!det.IsMap())
      return lfail(loc(file_, det.Mark()), fmt::format("'{}' must be a map", section));
    for (const auto& kv : det) {
      if (!kv.first.IsScalar()) {
        return lfail(loc(file_, kv.first.Mark()), "search identifiers must be strings");
      }
      const std::string key = kv.first.Scalar();
      if (key == "condition") {
        rule.condition_where = loc(file_, kv.second.Mark());
        if (kv.second.IsScalar()) {
          rule.condition_texts.push_back(kv.second.Scalar());
        } else if (kv.second.IsSequence() && kv.second.size() > 0) {
          for (const auto& c : kv.second) {
            if (!c.IsScalar()) return lfail(loc(file_, c.Mark()), "conditions must be strings");
            rule.condition_texts.push_back(c.Scalar());
          }
        } else {
          return lfail(rule.condition_where, "'condition' must be a string or a list of strings");
        }
      } else if (key == "timeframe") {
        return lfail(loc(file_, kv.first.Mark()),
                     "'timeframe' belongs to the obsolete aggregation syntax: express the "
                     "time-based logic as a Sigma correlation rule");
      } else if (filter && key == "rules") {
        FIREBREAK_TRY(rule.filter_rules, get_string_list(kv.second, key, file_));
        if (rule.filter_rules.empty()) {
          return lfail(loc(file_, kv.second.Mark()), "filter 'rules' is empty");
        }
      } else {
        FIREBREAK_TRY(Selection s, load_selection(key, kv.first, kv.second));
        rule.selections.push_back(std::move(s));
      }
    }
    if (rule.condition_texts.empty()) {
      return lfail(loc(file_, det.Mark()), fmt::format("'{}' has no 'condition'", section));
    }
    if (filter && rule.filter_rules.empty()) {
      return lfail(loc(file_, det.Mark()), "a filter needs 'rules' (the rules it applies to)");
    }
    if (rule.selections.empty()) {
      return lfail(loc(file_, det.Mark()), fmt::format("'{}' has no search identifier", section));
    }
    for (const auto& text : rule.condition_texts) {
      auto c = parse_condition(text);
      if (!c) {
        return lfail(rule.condition_where,
                     fmt::format("condition '{}': {}", text, c.error().message()));
      }
      FIREBREAK_TRY_STATUS(check_identifiers(*c, rule, text));
      rule.conditions.push_back(std::move(*c));
    }
    return {};
  }

  LStatus check_identifiers(const ConditionNode& n, const Rule& rule, const std::string& text) {
    switch (n.kind) {
      case ConditionNode::Kind::kRef: {
        for (const auto& s : rule.selections)
          if (s.name == n.text) return {};
        return lfail(rule.condition_where,
                     fmt::format("condition '{}' names '{}', which is not a search identifier "
                                 "of this rule",
                                 text, n.text));
      }
      case ConditionNode::Kind::kOneOf:
      case ConditionNode::Kind::kAllOf: {
        for (const auto& s : rule.selections) {
          if (n.text == "them" ? s.name.empty() || s.name[0] != '_'
                               : identifier_matches(n.text, s.name))
            return {};
        }
        return lfail(
            rule.condition_where,
            fmt::format("condition '{}': pattern '{}' matches no search identifier", text, n.text));
      }
      default:
        for (const auto& c : n.children) FIREBREAK_TRY_STATUS(check_identifiers(c, rule, text));
        return {};
    }
  }

  LStatus load_correlation(const YAML::Node& c, Rule& rule) {
    if (!c.IsMap()) return lfail(loc(file_, c.Mark()), "'correlation' must be a map");
    Correlation corr;
    const YAML::Node type = c["type"];
    if (!type || !type.IsScalar()) return lfail(loc(file_, c.Mark()), "correlation needs a 'type'");
    const std::string t = type.Scalar();
    if (t == "event_count") {
      corr.type = Correlation::Type::kEventCount;
    } else if (t == "value_count") {
      corr.type = Correlation::Type::kValueCount;
    } else if (t == "temporal") {
      corr.type = Correlation::Type::kTemporal;
    } else if (t == "temporal_ordered") {
      corr.type = Correlation::Type::kTemporalOrdered;
    } else if (t == "value_sum" || t == "value_avg" || t == "value_percentile") {
      return lfail(loc(file_, type.Mark()),
                   fmt::format("correlation type '{}' is not supported by firebreak "
                               "(event_count, value_count, temporal, temporal_ordered are)",
                               t));
    } else {
      return lfail(loc(file_, type.Mark()), fmt::format("unknown correlation type '{}'", t));
    }
    for (const auto& kv : c) {
      const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const YAML::Node& v = kv.second;
      if (k == "type") continue;
      if (k == "rules") {
        FIREBREAK_TRY(corr.rules, get_string_list(v, k, file_));
      } else if (k == "group-by") {
        FIREBREAK_TRY(corr.group_by, get_string_list(v, k, file_));
      } else if (k == "timespan") {
        FIREBREAK_TRY(std::string ts, get_string(v, k, file_));
        // The specification's form: a positive integer and one unit letter (s, m, h, d). Parsed
        // here rather than by parse_duration so that no value can overflow a Duration.
        std::int64_t n = 0;
        std::size_t digits = 0;
        while (digits + 1 < ts.size() && ts[digits] >= '0' && ts[digits] <= '9' && digits < 9) {
          n = n * 10 + (ts[digits] - '0');
          ++digits;
        }
        const std::size_t unit_at = std::string_view("smhd").find(ts.empty() ? 'x' : ts.back());
        if (digits == 0 || digits + 1 != ts.size() || unit_at == std::string_view::npos || n == 0) {
          return lfail(loc(file_, v.Mark()),
                       fmt::format("timespan '{}' is not a number followed by s, m, h or d", ts));
        }
        constexpr std::int64_t kUnitSeconds[] = {1, 60, 3600, 86400};
        const std::int64_t seconds = n * kUnitSeconds[unit_at];
        if (seconds > kMaxTimespanSeconds) {
          return lfail(loc(file_, v.Mark()),
                       fmt::format("timespan '{}' is longer than the supported 3650d", ts));
        }
        corr.timespan = std::chrono::seconds(seconds);
      } else if (k == "condition") {
        if (!v.IsMap()) return lfail(loc(file_, v.Mark()), "correlation 'condition' must be a map");
        for (const auto& ckv : v) {
          const std::string op = ckv.first.IsScalar() ? ckv.first.Scalar() : "";
          if (op == "field") {
            FIREBREAK_TRY(corr.field, get_string(ckv.second, op, file_));
            continue;
          }
          static const std::map<std::string, Correlation::Op> kOps = {
              {"gt", Correlation::Op::kGt}, {"gte", Correlation::Op::kGte},
              {"lt", Correlation::Op::kLt}, {"lte", Correlation::Op::kLte},
              {"eq", Correlation::Op::kEq}, {"neq", Correlation::Op::kNeq}};
          auto it = kOps.find(op);
          if (it == kOps.end()) {
            return lfail(loc(file_, ckv.first.Mark()),
                         fmt::format("condition operator '{}' is not one of gt, gte, lt, lte, eq, "
                                     "neq",
                                     op));
          }
          const auto num =
              ckv.second.IsScalar() ? detail::parse_number(ckv.second.Scalar()) : std::nullopt;
          if (!num || *num < 0 || *num != static_cast<double>(static_cast<std::int64_t>(*num)) ||
              *num > 1e9) {
            return lfail(loc(file_, ckv.second.Mark()),
                         fmt::format("condition '{}' needs a non-negative integer", op));
          }
          // A sliding window keeps one timestamp per event it counts (docs/detection.md,
          // "Bounded state"), so the count that fires is bounded rather than silently capped.
          const auto fires = static_cast<std::int64_t>(*num) + (op == "gt" ? 1 : 0);
          if ((op == "gt" || op == "gte") && fires > kMaxCorrelationCount) {
            return lfail(loc(file_, ckv.second.Mark()),
                         fmt::format("condition '{}: {}' is not supported: a lower bound may "
                                     "require at most {} events or values (a sliding window "
                                     "keeps one timestamp per counted event)",
                                     op, ckv.second.Scalar(), kMaxCorrelationCount));
          }
          corr.condition.push_back({it->second, static_cast<std::int64_t>(*num)});
        }
      } else if (k == "generate") {
        if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
          return lfail(loc(file_, v.Mark()), "'generate' must be true or false");
        }
        corr.generate = v.Scalar() == "true";
      } else if (k == "aliases") {
        if (!v.IsMap()) return lfail(loc(file_, v.Mark()), "'aliases' must be a map");
        for (const auto& akv : v) {
          if (!akv.first.IsScalar() || !akv.second.IsMap()) {
            return lfail(loc(file_, akv.first.Mark()), "each alias maps rule names to field names");
          }
          for (const auto& rf : akv.second) {
            if (!rf.first.IsScalar() || !rf.second.IsScalar()) {
              return lfail(loc(file_, rf.first.Mark()), "alias entries are 'rule: field'");
            }
            corr.aliases[akv.first.Scalar()][rf.first.Scalar()] = rf.second.Scalar();
          }
        }
      } else {
        return lfail(loc(file_, kv.first.Mark()),
                     fmt::format("unknown correlation attribute '{}'", k));
      }
    }
    const SourceLocation where = loc(file_, c.Mark());
    if (corr.rules.empty()) return lfail(where, "correlation needs 'rules'");
    if (corr.timespan == Duration::zero()) return lfail(where, "correlation needs 'timespan'");
    const bool temporal = corr.type == Correlation::Type::kTemporal ||
                          corr.type == Correlation::Type::kTemporalOrdered;
    if (corr.group_by.empty() && !temporal) {
      // The schema makes group-by required for the counting types; without it every event falls
      // in one group, which is a valid (if coarse) reading, so only lint warns.
    }
    if (!temporal && corr.condition.empty()) {
      return lfail(where, fmt::format("{} needs a 'condition' (gt, gte, lt, lte, eq, neq)", t));
    }
    if (corr.type == Correlation::Type::kValueCount && corr.field.empty()) {
      return lfail(where, "value_count needs 'field' in its condition");
    }
    if (corr.type != Correlation::Type::kValueCount && !corr.field.empty()) {
      return lfail(where, "'field' in the condition applies to value_count only");
    }
    if (temporal && corr.rules.size() < 2 && corr.condition.empty()) {
      return lfail(where, fmt::format("{} needs at least two rules", t));
    }
    rule.correlation = std::move(corr);
    return {};
  }

 public:
  std::vector<Diagnostic> warnings_;

 private:
  const std::string& file_;
  const LoadOptions& opts_;
};

// "file:line:column" (as core/yaml.h writes locations) back into a SourceLocation.
SourceLocation parse_where(const std::string& where, const std::string& file) {
  SourceLocation loc{file, 0, 0};
  if (!where.starts_with(file) || where.size() <= file.size() + 1) return loc;
  const std::string rest = where.substr(file.size() + 1);
  const auto colon = rest.find(':');
  try {
    loc.line = std::stoi(rest.substr(0, colon));
    if (colon != std::string::npos) loc.column = std::stoi(rest.substr(colon + 1));
  } catch (const std::exception&) {
    loc.line = loc.column = 0;
  }
  return loc;
}

void load_text_into(std::string_view yaml, const std::string& file, const LoadOptions& opts,
                    RuleSet& out) {
  YamlLimits limits;
  limits.max_bytes = opts.max_file_bytes;
  limits.max_documents = opts.max_documents;
  auto loaded = load_yaml_documents(yaml, file, limits);
  if (!loaded) {
    out.rejected.push_back({parse_where(loaded.error().context().where, file), "",
                            fmt::format("YAML: {}", loaded.error().message())});
    return;
  }
  const std::vector<YAML::Node>& docs = *loaded;
  for (const auto& doc : docs) {
    if (doc.IsNull()) continue;  // empty document (e.g. a trailing ---)
    ++out.documents;
    Rule rule;
    DocumentLoader dl(file, opts);
    LStatus st;
    try {
      st = dl.load(doc, rule);
    } catch (const YAML::Exception& e) {
      st = lfail(loc(file, e.mark), fmt::format("YAML: {}", e.msg));
    }
    for (auto& w : dl.warnings_) {
      w.rule = rule.title;
      out.warnings.push_back(std::move(w));
    }
    if (!st) {
      out.rejected.push_back(
          {st.error().where, rule.title.empty() ? rule.id : rule.title, st.error().reason});
      continue;
    }
    (rule.kind == Rule::Kind::kFilter ? out.filters : out.rules).push_back(std::move(rule));
  }
}

}  // namespace

namespace {
Result<Placeholders> parse_placeholders(const YAML::Node& root,
                                        const std::filesystem::path& base_dir,
                                        const std::string& file);
}  // namespace

Result<Placeholders> Placeholders::parse(std::string_view yaml,
                                         const std::filesystem::path& base_dir,
                                         std::string_view name) {
  // Bounded like rule files (size, nesting depth; one document): a placeholder file is outside
  // input too.
  const std::string file(name);
  YamlLimits limits;
  limits.max_documents = 1;
  FIREBREAK_TRY(YAML::Node root, load_yaml(yaml, file, limits));
  try {
    return parse_placeholders(root, base_dir, file);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kParse, fmt::format("YAML: {}", e.msg),
                ErrorContext{.where = loc(file, e.mark).describe()});
  }
}

namespace {

Result<Placeholders> parse_placeholders(const YAML::Node& root,
                                        const std::filesystem::path& base_dir,
                                        const std::string& file) {
  Placeholders p;
  const YAML::Node ph = root.IsMap() ? root["placeholders"] : YAML::Node();
  if (!ph || !ph.IsMap()) {
    return fail(ErrorCode::kInvalidArgument, "expected a map 'placeholders: {name: values}'",
                ErrorContext{.where = yaml_where(file, ph ? ph : root)});
  }
  for (const auto& kv : ph) {
    if (!kv.first.IsScalar()) {
      return fail(ErrorCode::kInvalidArgument, "placeholder names must be strings",
                  ErrorContext{.where = loc(file, kv.first.Mark()).describe()});
    }
    std::vector<std::string> values;
    const YAML::Node& v = kv.second;
    if (v.IsMap() && v["file"] && v["file"].IsScalar()) {
      const std::filesystem::path path = base_dir / v["file"].Scalar();
      FIREBREAK_TRY(std::string text, read_file(path, 64u << 20));
      std::size_t start = 0;
      while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
          line.pop_back();
        std::size_t lead = 0;
        while (lead < line.size() && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
        if (lead < line.size()) values.push_back(line.substr(lead));
        start = end + 1;
      }
    } else if (v.IsSequence()) {
      for (const auto& e : v) {
        if (!e.IsScalar()) {
          return fail(ErrorCode::kInvalidArgument, "placeholder values must be strings",
                      ErrorContext{.where = loc(file, e.Mark()).describe()});
        }
        values.push_back(e.Scalar());
      }
    } else if (v.IsScalar()) {
      values.push_back(v.Scalar());
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "a placeholder is a value, a list of values or {file: path}",
                  ErrorContext{.where = loc(file, v.Mark()).describe()});
    }
    p.set(kv.first.Scalar(), std::move(values));
  }
  return p;
}

}  // namespace

Result<Placeholders> Placeholders::load_file(const std::filesystem::path& path) {
  FIREBREAK_TRY(std::string text, read_file(path, 4u << 20));
  return parse(text, path.parent_path(), path.string());
}

RuleSet load_rules_text(std::string_view yaml, std::string_view file, const LoadOptions& opts) {
  RuleSet set;
  set.files = 1;
  load_text_into(yaml, std::string(file), opts, set);
  check_references(set);
  return set;
}

RuleSet load_rules(const std::vector<std::filesystem::path>& paths, const LoadOptions& opts) {
  RuleSet set;
  for (const auto& root : paths) {
    LoadOptions local = opts;
    Placeholders merged;
    std::filesystem::path placeholder_file;
    std::error_code ec;
    if (std::filesystem::is_directory(root, ec)) {
      placeholder_file = root / "placeholders.yml";
      if (std::filesystem::exists(placeholder_file, ec)) {
        if (opts.placeholders) merged.merge(*opts.placeholders);
        auto p = Placeholders::load_file(placeholder_file);
        if (!p) {
          set.rejected.push_back({SourceLocation{placeholder_file.string()}, "",
                                  fmt::format("placeholders: {}", p.error().describe())});
        } else {
          merged.merge(*p);
        }
        local.placeholders = &merged;
      } else {
        placeholder_file.clear();
      }
    }
    auto files = expand_paths({root});
    if (!files) {
      set.rejected.push_back({SourceLocation{root.string()}, "", files.error().describe()});
      continue;
    }
    for (const auto& f : *files) {
      const auto ext = f.extension().string();
      if (ext != ".yml" && ext != ".yaml") continue;
      if (!placeholder_file.empty() && std::filesystem::equivalent(f, placeholder_file, ec)) {
        continue;
      }
      ++set.files;
      auto text = read_file(f, opts.max_file_bytes);
      if (!text) {
        set.rejected.push_back({SourceLocation{f.string()}, "", text.error().message()});
        continue;
      }
      load_text_into(*text, f.string(), local, set);
    }
  }
  check_references(set);
  return set;
}

void check_references(RuleSet& set) {
  // Duplicate ids or names: the later one is rejected (references must be unambiguous).
  std::unordered_map<std::string, std::size_t> by_key;
  std::vector<Rule> kept;
  for (auto& r : set.rules) {
    bool dup = false;
    for (const std::string* k : {&r.id, &r.name}) {
      if (k->empty()) continue;
      auto [it, inserted] = by_key.emplace(*k, kept.size());
      if (!inserted) {
        set.rejected.push_back(
            {r.where, r.title,
             fmt::format("{} '{}' is already used by the rule at {}", k == &r.id ? "id" : "name",
                         *k, kept[it->second].where.describe())});
        dup = true;
        break;
      }
    }
    if (dup) {
      // Undo a partially inserted id when the name was the duplicate.
      if (!r.id.empty()) {
        auto it = by_key.find(r.id);
        if (it != by_key.end() && it->second == kept.size()) by_key.erase(it);
      }
      continue;
    }
    kept.push_back(std::move(r));
  }
  set.rules = std::move(kept);

  // Correlations: referenced rules must exist; no cycles. Iterate until stable, since rejecting
  // one rule may orphan a correlation that referenced it.
  for (bool changed = true; changed;) {
    changed = false;
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < set.rules.size(); ++i) {
      if (!set.rules[i].id.empty()) index.emplace(set.rules[i].id, i);
      if (!set.rules[i].name.empty()) index.emplace(set.rules[i].name, i);
    }
    std::vector<bool> bad(set.rules.size(), false);
    for (std::size_t i = 0; i < set.rules.size(); ++i) {
      const Rule& r = set.rules[i];
      if (!r.correlation) continue;
      for (const auto& ref : r.correlation->rules) {
        if (!index.contains(ref)) {
          set.rejected.push_back({r.where, r.title,
                                  fmt::format("correlation references rule '{}', which is not "
                                              "loaded",
                                              ref)});
          bad[i] = true;
          break;
        }
      }
    }
    // Cycle check: depth-first over correlation references.
    std::vector<int> state(set.rules.size(), 0);  // 0 new, 1 in progress, 2 done
    std::function<bool(std::size_t)> cyclic = [&](std::size_t i) -> bool {
      if (state[i] == 1) return true;
      if (state[i] == 2) return false;
      state[i] = 1;
      if (set.rules[i].correlation) {
        for (const auto& ref : set.rules[i].correlation->rules) {
          auto it = index.find(ref);
          if (it != index.end() && cyclic(it->second)) return true;
        }
      }
      state[i] = 2;
      return false;
    };
    for (std::size_t i = 0; i < set.rules.size(); ++i) {
      if (!bad[i] && set.rules[i].correlation) {
        std::fill(state.begin(), state.end(), 0);
        if (cyclic(i)) {
          set.rejected.push_back(
              {set.rules[i].where, set.rules[i].title, "correlation references form a cycle"});
          bad[i] = true;
        }
      }
    }
    std::vector<Rule> ok;
    for (std::size_t i = 0; i < set.rules.size(); ++i) {
      if (bad[i]) {
        changed = true;
      } else {
        ok.push_back(std::move(set.rules[i]));
      }
    }
    set.rules = std::move(ok);
  }

  // Filters naming rules that are not loaded only warn: a filter file is often shared across
  // rule packs.
  std::unordered_set<std::string> keys;
  for (const auto& r : set.rules) {
    if (!r.id.empty()) keys.insert(r.id);
    if (!r.name.empty()) keys.insert(r.name);
  }
  for (const auto& f : set.filters) {
    for (const auto& ref : f.filter_rules) {
      if (ref != "*" && !keys.contains(ref)) {
        set.warnings.push_back(
            {f.where, f.title, fmt::format("filter names rule '{}', which is not loaded", ref)});
      }
    }
  }
}

std::vector<Diagnostic> lint(const RuleSet& set) {
  std::vector<Diagnostic> out = set.warnings;
  static const std::set<std::string> kStatus = {"stable", "test", "experimental", "deprecated",
                                                "unsupported"};
  auto check_common = [&](const Rule& r) {
    if (r.id.empty()) out.push_back({r.where, r.title, "no 'id': findings cannot be tracked"});
    if (!r.status.empty() && !kStatus.contains(r.status)) {
      out.push_back({r.where, r.title, fmt::format("unknown status '{}'", r.status)});
    }
    if (r.status == "deprecated" || r.status == "unsupported") {
      out.push_back({r.where, r.title, fmt::format("status is '{}'", r.status)});
    }
    for (const auto& t : r.tags) {
      bool ok = t.find('.') != std::string::npos;
      for (char c : t) {
        ok = ok &&
             ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.');
      }
      if (!ok) {
        out.push_back(
            {r.where, r.title,
             fmt::format("tag '{}' is not namespaced lower-case (e.g. attack.t1078)", t)});
      }
    }
  };
  for (const auto& r : set.rules) {
    check_common(r);
    if (r.kind == Rule::Kind::kDetection) {
      if (!r.level) out.push_back({r.where, r.title, "no 'level': findings default to medium"});
      if (r.author.empty()) out.push_back({r.where, r.title, "no 'author'"});
      // Selections the condition never uses.
      for (const auto& s : r.selections) {
        bool used = false;
        std::function<void(const ConditionNode&)> walk = [&](const ConditionNode& n) {
          if (n.kind == ConditionNode::Kind::kRef && n.text == s.name) used = true;
          if ((n.kind == ConditionNode::Kind::kOneOf || n.kind == ConditionNode::Kind::kAllOf) &&
              (n.text == "them" ? s.name[0] != '_' : identifier_matches(n.text, s.name)))
            used = true;
          for (const auto& c : n.children) walk(c);
        };
        for (const auto& c : r.conditions) walk(c);
        if (!used) {
          out.push_back(
              {s.where, r.title,
               fmt::format("search identifier '{}' is not used by the condition", s.name)});
        }
      }
    }
    if (r.correlation && r.correlation->group_by.empty() &&
        r.correlation->type != Correlation::Type::kTemporal &&
        r.correlation->type != Correlation::Type::kTemporalOrdered) {
      out.push_back({r.where, r.title, "no 'group-by': all events fall in one group"});
    }
  }
  for (const auto& f : set.filters) check_common(f);
  return out;
}

}  // namespace firebreak::detect
