#include "firebreak/respond/playbook.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "firebreak/core/fs.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/yaml.h"
#include "firebreak/respond/response_tag.h"

namespace firebreak::respond {

std::string_view to_string(TargetType t) noexcept {
  switch (t) {
    case TargetType::kEc2Instance: return "ec2-instance";
    case TargetType::kAccessKey: return "access-key";
    case TargetType::kIamUser: return "iam-user";
    case TargetType::kIamRole: return "iam-role";
    case TargetType::kS3Bucket: return "s3-bucket";
    case TargetType::kTrail: return "cloudtrail-trail";
    case TargetType::kAccount: return "account";
  }
  return "account";
}

std::optional<TargetType> parse_target_type(std::string_view s) noexcept {
  for (auto t :
       {TargetType::kEc2Instance, TargetType::kAccessKey, TargetType::kIamUser,
        TargetType::kIamRole, TargetType::kS3Bucket, TargetType::kTrail, TargetType::kAccount}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::string_view to_string(OnFailure f) noexcept {
  switch (f) {
    case OnFailure::kStop: return "stop";
    case OnFailure::kContinue: return "continue";
    case OnFailure::kRollback: return "rollback";
  }
  return "stop";
}

std::string SourceLocation::describe() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {

void collect_steps(const std::vector<Step>& steps, std::vector<const Step*>& out) {
  for (const auto& s : steps) {
    out.push_back(&s);
    for (const auto& b : s.branches) collect_steps(b.steps, out);
  }
}

}  // namespace

const Step* Playbook::find_step(std::string_view step_id) const {
  std::vector<const Step*> all;
  collect_steps(steps, all);
  for (const Step* s : all) {
    if (s->id == step_id) return s;
  }
  return nullptr;
}

std::vector<std::string> Playbook::step_ids() const {
  std::vector<const Step*> all;
  collect_steps(steps, all);
  std::vector<std::string> ids;
  for (const Step* s : all) ids.push_back(s->id);
  return ids;
}

namespace {

// Parses one playbook document. Every error says where (file:line:col) and what.
class Loader {
 public:
  Loader(std::string_view file, const ActionRegistry& registry, const PlaybookLimits& limits)
      : file_(file), registry_(registry), limits_(limits) {}

  Result<Playbook> load(std::string_view text) {
    FIREBREAK_TRY(YAML::Node root, load_yaml(text, file_,
                                             YamlLimits{.max_bytes = limits_.max_bytes,
                                                        .max_depth = limits_.max_depth}));
    if (!root.IsMap()) return error(root, "a playbook is a mapping (id, target, steps, ...)");
    FIREBREAK_TRY_STATUS(only_keys(root, {"id", "title", "description", "target", "triggers",
                                          "inputs", "steps", "outputs", "version"}));
    Playbook pb;
    pb.file = file_;
    pb.text = std::string(text);
    pb.digest = sha256_hex(text);
    FIREBREAK_TRY(pb.id, required_string(root, "id"));
    if (!valid_id(pb.id)) {
      return error(root["id"], fmt::format("playbook id '{}' must be [a-z0-9-] and start with a "
                                           "letter",
                                           pb.id));
    }
    FIREBREAK_TRY(pb.title, optional_string(root, "title"));
    FIREBREAK_TRY(pb.description, optional_string(root, "description"));
    FIREBREAK_TRY(std::string target, required_string(root, "target"));
    auto tt = parse_target_type(target);
    if (!tt) {
      return error(root["target"],
                   fmt::format("unknown target '{}' (ec2-instance, access-key, iam-user, "
                               "iam-role, s3-bucket, cloudtrail-trail, account)",
                               target));
    }
    pb.target_type = *tt;
    if (root["triggers"]) {
      FIREBREAK_TRY(pb.triggers, triggers(root["triggers"]));
    }
    if (root["inputs"]) {
      FIREBREAK_TRY(pb.inputs, inputs(root["inputs"]));
    }
    FIREBREAK_TRY_STATUS(check_response_tags(root, pb));
    const YAML::Node steps = root["steps"];
    if (!steps) return error(root, "missing 'steps'");
    prescan_ids(steps, 0);
    FIREBREAK_TRY(pb.steps, step_list(steps));
    if (pb.steps.empty()) return error(steps, "a playbook needs at least one step");
    if (const YAML::Node outs = root["outputs"]) {
      if (!outs.IsMap()) return error(outs, "'outputs' is a mapping of name to template");
      for (const auto& kv : outs) {
        FIREBREAK_TRY(Json v, yaml_to_json(kv.second, file_));
        FIREBREAK_TRY(Template t, Template::compile(v, yaml_where(file_, kv.second)));
        FIREBREAK_TRY_STATUS(check_refs(t, kv.second, /*all_known=*/true));
        pb.outputs.emplace(kv.first.Scalar(), std::move(t));
      }
    }
    return pb;
  }

 private:
  std::unexpected<Error> error(const YAML::Node& at, std::string msg) const {
    return fail(ErrorCode::kInvalidArgument, msg, ErrorContext{.where = yaml_where(file_, at)});
  }

  static bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || !(id[0] >= 'a' && id[0] <= 'z')) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
  }

  Status only_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) const {
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return error(kv.first, fmt::format("unknown key '{}' (allowed: {})", key, list));
      }
    }
    return {};
  }

  Result<std::string> required_string(const YAML::Node& map, const char* key) const {
    const YAML::Node n = map[key];
    if (!n) return error(map, fmt::format("missing '{}'", key));
    if (!n.IsScalar()) return error(n, fmt::format("'{}' must be a string", key));
    return n.Scalar();
  }

  Result<std::string> optional_string(const YAML::Node& map, const char* key) const {
    const YAML::Node n = map[key];
    if (!n) return std::string();
    if (!n.IsScalar()) return error(n, fmt::format("'{}' must be a string", key));
    return n.Scalar();
  }

  Result<std::vector<std::string>> string_list(const YAML::Node& n, const char* what) const {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) return error(n, fmt::format("'{}' must be a list of strings", what));
    for (const auto& item : n) {
      if (!item.IsScalar()) return error(item, fmt::format("'{}' must be a list of strings", what));
      out.push_back(item.Scalar());
    }
    return out;
  }

  Result<TriggerSpec> triggers(const YAML::Node& n) const {
    if (!n.IsMap()) return error(n, "'triggers' is a mapping (rules, finding_types, ...)");
    FIREBREAK_TRY_STATUS(only_keys(n, {"rules", "finding_types", "response_tags", "manual"}));
    TriggerSpec t;
    if (n["rules"]) {
      FIREBREAK_TRY(t.rules, string_list(n["rules"], "rules"));
    }
    if (n["finding_types"]) {
      FIREBREAK_TRY(t.finding_types, string_list(n["finding_types"], "finding_types"));
    }
    if (n["response_tags"]) {
      FIREBREAK_TRY(t.response_tags, string_list(n["response_tags"], "response_tags"));
      for (const auto& v : t.response_tags) {
        if (!valid_response_verb(v)) return error(n["response_tags"], bad_verb(v));
      }
    }
    if (n["manual"]) {
      FIREBREAK_TRY(Json v, yaml_to_json(n["manual"], file_));
      if (!v.is_boolean()) return error(n["manual"], "'manual' must be true or false");
      t.manual = v.get<bool>();
    }
    return t;
  }

  static std::string bad_verb(std::string_view v) {
    return fmt::format(
        "Response tag verb '{}' must be 1-128 of the characters a tag value allows "
        "other than '+' and space (letters, digits, _ . : / = @ -)",
        v);
  }

  // Tag-driven response reads Response tags from EC2 CreateTags on instances: other targets
  // would never fire, so they are refused here rather than ignored at run time.
  Status check_response_tags(const YAML::Node& root, const Playbook& pb) const {
    const bool links = std::any_of(pb.inputs.begin(), pb.inputs.end(),
                                   [](const InputSpec& i) { return !i.response_tag.empty(); });
    if (pb.triggers.response_tags.empty() && !links) return {};
    if (pb.target_type != TargetType::kEc2Instance) {
      return error(root["target"], fmt::format("Response tag verbs answer Response tags on EC2 "
                                               "instances: only an ec2-instance playbook may "
                                               "declare them (this one targets {})",
                                               to_string(pb.target_type)));
    }
    if (links && pb.triggers.response_tags.empty()) {
      return error(root["inputs"],
                   "an input follows a Response tag verb but "
                   "triggers.response_tags names none that starts the playbook");
    }
    return {};
  }

  static std::optional<ParamType> parse_param_type(std::string_view s) {
    if (s == "string") return ParamType::kString;
    if (s == "bool") return ParamType::kBool;
    if (s == "int") return ParamType::kInt;
    if (s == "list") return ParamType::kStringList;
    if (s == "object") return ParamType::kObject;
    if (s == "any") return ParamType::kAny;
    return std::nullopt;
  }

  Result<std::vector<InputSpec>> inputs(const YAML::Node& n) const {
    if (!n.IsMap()) return error(n, "'inputs' is a mapping of name to {type, default, ...}");
    std::vector<InputSpec> out;
    for (const auto& kv : n) {
      InputSpec in;
      in.name = kv.first.Scalar();
      const YAML::Node spec = kv.second;
      if (!spec.IsMap()) return error(spec, fmt::format("input '{}' needs {{type, ...}}", in.name));
      FIREBREAK_TRY_STATUS(
          only_keys(spec, {"type", "default", "required", "description", "response_tag"}));
      FIREBREAK_TRY(std::string type, optional_string(spec, "type"));
      if (type.empty()) type = "string";
      auto pt = parse_param_type(type);
      if (!pt) {
        return error(spec["type"], fmt::format("unknown input type '{}' (string, bool, int, list, "
                                               "object, any)",
                                               type));
      }
      in.type = *pt;
      if (spec["default"]) {
        FIREBREAK_TRY(in.default_value, yaml_to_json(spec["default"], file_));
        if (!in.default_value.is_null() && !param_type_matches(in.type, in.default_value)) {
          return error(spec["default"],
                       fmt::format("default of input '{}' is not a {}", in.name, type));
        }
      }
      if (spec["required"]) {
        FIREBREAK_TRY(Json r, yaml_to_json(spec["required"], file_));
        in.required = r.is_boolean() && r.get<bool>();
      }
      FIREBREAK_TRY(in.description, optional_string(spec, "description"));
      FIREBREAK_TRY(in.response_tag, optional_string(spec, "response_tag"));
      if (spec["response_tag"]) {
        if (!valid_response_verb(in.response_tag)) {
          return error(spec["response_tag"], bad_verb(in.response_tag));
        }
        if (in.type != ParamType::kBool) {
          return error(spec["response_tag"],
                       fmt::format("input '{}' follows a Response tag verb, so it must be a bool "
                                   "(true when the tag names '{}')",
                                   in.name, in.response_tag));
        }
      }
      out.push_back(std::move(in));
    }
    return out;
  }

  // Every step id in the document, so that a reference to a later step is told apart from a
  // reference to no step at all.
  void prescan_ids(const YAML::Node& steps, int depth) {
    if (!steps.IsSequence() || depth > limits_.max_depth) return;
    for (const auto& s : steps) {
      if (!s.IsMap()) continue;
      if (s["id"] && s["id"].IsScalar()) all_ids_.insert(s["id"].Scalar());
      if (const YAML::Node bs = s["branches"]; bs && bs.IsSequence()) {
        for (const auto& b : bs) {
          if (b.IsMap() && b["steps"]) prescan_ids(b["steps"], depth + 1);
        }
      }
    }
  }

  Result<std::vector<Step>> step_list(const YAML::Node& n) {
    if (!n.IsSequence()) return error(n, "'steps' is a list of steps");
    std::vector<Step> out;
    for (const auto& item : n) {
      FIREBREAK_TRY(Step s, step(item));
      out.push_back(std::move(s));
    }
    return out;
  }

  // References from expressions and templates must name steps that come earlier (or, for
  // playbook outputs, any step).
  template <class T>
  Status check_refs(const T& compiled, const YAML::Node& at, bool all_known = false) const {
    std::vector<std::string> refs;
    compiled.collect_step_refs(refs);
    for (const auto& r : refs) {
      if (all_known ? !all_ids_.contains(r) && !seen_ids_.contains(r) : !seen_ids_.contains(r)) {
        return error(
            at, fmt::format("refers to step '{}', which {}", r,
                            all_ids_.contains(r) ? "does not come earlier" : "does not exist"));
      }
    }
    return {};
  }

  Result<Expression> expression(const YAML::Node& n, const char* what) const {
    if (!n.IsScalar()) return error(n, fmt::format("'{}' must be an expression string", what));
    std::string text = n.Scalar();
    // Accept "{{ expr }}" as well as bare "expr" in conditions.
    std::string_view v = text;
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.starts_with("{{") && v.ends_with("}}") && v.find("{{", 2) == std::string_view::npos) {
      text = std::string(v.substr(2, v.size() - 4));
    }
    auto e = Expression::compile(text, yaml_where(file_, n));
    if (!e) return fail(e.error());
    FIREBREAK_TRY_STATUS(check_refs(*e, n));
    return std::move(*e);
  }

  Result<Step> step(const YAML::Node& n) {
    if (!n.IsMap()) return error(n, "a step is a mapping (id, action, params, ...)");
    FIREBREAK_TRY_STATUS(only_keys(n, {"id", "description", "action", "params", "when", "approval",
                                       "on_failure", "timeout", "retries", "verify", "branches"}));
    Step s;
    const YAML::Mark m = n.Mark();
    s.where = SourceLocation{file_, m.line + 1, m.column + 1};
    FIREBREAK_TRY(s.id, required_string(n, "id"));
    if (!valid_id(s.id)) {
      return error(n["id"],
                   fmt::format("step id '{}' must be [a-z0-9_-] and start with a letter", s.id));
    }
    if (seen_ids_.contains(s.id))
      return error(n["id"], fmt::format("duplicate step id '{}'", s.id));
    if (++step_count_ > limits_.max_steps) {
      return error(n, fmt::format("more than {} steps", limits_.max_steps));
    }
    FIREBREAK_TRY(s.description, optional_string(n, "description"));
    if (n["when"]) {
      FIREBREAK_TRY(s.when, expression(n["when"], "when"));
    }
    if (const YAML::Node a = n["approval"]) {
      if (a.IsScalar() && (a.Scalar() == "auto" || a.Scalar() == "required")) {
        s.approval = a.Scalar() == "auto" ? ApprovalMode::kAuto : ApprovalMode::kRequired;
      } else if (a.IsMap() && a["when"] && a.size() == 1) {
        s.approval = ApprovalMode::kConditional;
        FIREBREAK_TRY(s.approval_when, expression(a["when"], "approval.when"));
      } else {
        return error(a, "'approval' is auto, required, or {when: <expression>}");
      }
    }
    if (const YAML::Node f = n["on_failure"]) {
      const std::string v = f.IsScalar() ? f.Scalar() : "";
      if (v == "stop")
        s.on_failure = OnFailure::kStop;
      else if (v == "continue")
        s.on_failure = OnFailure::kContinue;
      else if (v == "rollback")
        s.on_failure = OnFailure::kRollback;
      else
        return error(f, "'on_failure' is stop, continue or rollback");
    }
    if (const YAML::Node t = n["timeout"]) {
      auto d = t.IsScalar() ? parse_duration(t.Scalar()) : std::nullopt;
      if (!d || *d <= Duration::zero())
        return error(t, "'timeout' is a duration such as 90s or 10m");
      s.timeout = *d;
    }
    if (const YAML::Node r = n["retries"]) {
      FIREBREAK_TRY(Json v, yaml_to_json(r, file_));
      if (!v.is_number_integer() || v.get<int>() < 0 || v.get<int>() > 20) {
        return error(r, "'retries' is an integer from 0 to 20");
      }
      s.retries = v.get<int>();
    }
    if (const YAML::Node v = n["verify"]) {
      FIREBREAK_TRY(Json b, yaml_to_json(v, file_));
      if (!b.is_boolean()) return error(v, "'verify' is true or false");
      s.verify = b.get<bool>();
    }

    const bool has_action = static_cast<bool>(n["action"]);
    const bool has_branches = static_cast<bool>(n["branches"]);
    if (has_action && has_branches) {
      return error(n, fmt::format("step '{}' has both 'action' and 'branches'", s.id));
    }
    if (has_action) {
      FIREBREAK_TRY(s.action, required_string(n, "action"));
      const Action* action = registry_.find(s.action);
      if (!action) {
        return error(n["action"], fmt::format("unknown action '{}'", s.action));
      }
      Json params = Json::object();
      if (n["params"]) {
        if (!n["params"].IsMap()) return error(n["params"], "'params' is a mapping");
        FIREBREAK_TRY(params, yaml_to_json(n["params"], file_));
      }
      FIREBREAK_TRY_STATUS(check_params(action->spec(), params, n));
      FIREBREAK_TRY(s.params,
                    Template::compile(params, yaml_where(file_, n["params"] ? n["params"] : n)));
      FIREBREAK_TRY_STATUS(check_refs(s.params, n["params"] ? n["params"] : n));
    } else if (n["params"]) {
      return error(n["params"], "'params' needs an 'action'");
    } else if (!has_branches && s.approval == ApprovalMode::kAuto) {
      return error(n, fmt::format("step '{}' has no action, no branches and no approval: it does "
                                  "nothing",
                                  s.id));
    }
    seen_ids_.insert(s.id);
    if (has_branches) {
      const YAML::Node bs = n["branches"];
      if (!bs.IsSequence() || bs.size() == 0) {
        return error(bs, "'branches' is a non-empty list of {when, steps}");
      }
      std::size_t i = 0;
      for (const auto& b : bs) {
        ++i;
        if (!b.IsMap()) return error(b, "a branch is a mapping {when, steps}");
        FIREBREAK_TRY_STATUS(only_keys(b, {"when", "steps"}));
        Branch br;
        const YAML::Mark bm = b.Mark();
        br.where = SourceLocation{file_, bm.line + 1, bm.column + 1};
        if (b["when"]) {
          FIREBREAK_TRY(br.when, expression(b["when"], "when"));
        } else if (i != bs.size()) {
          return error(b, "only the last branch may omit 'when' (it is the default case)");
        }
        if (!b["steps"]) return error(b, "a branch needs 'steps'");
        FIREBREAK_TRY(br.steps, step_list(b["steps"]));
        s.branches.push_back(std::move(br));
      }
    }
    return s;
  }

  // The key node of `key` in a mapping (for errors about the key itself), else the mapping.
  static YAML::Node key_node(const YAML::Node& map, const std::string& key) {
    if (map.IsMap()) {
      for (const auto& kv : map) {
        if (kv.first.Scalar() == key) return kv.first;
      }
    }
    return map;
  }

  Status check_params(const ActionSpec& spec, const Json& params, const YAML::Node& at) const {
    const YAML::Node pn = at["params"] ? at["params"] : at;
    for (auto it = params.begin(); it != params.end(); ++it) {
      const bool known = std::any_of(spec.params.begin(), spec.params.end(),
                                     [&](const ParamSpec& p) { return p.name == it.key(); });
      if (!known) {
        std::string list;
        for (const auto& p : spec.params) list += (list.empty() ? "" : ", ") + p.name;
        return error(key_node(pn, it.key()),
                     fmt::format("action '{}' has no parameter '{}' (it takes: {})", spec.name,
                                 it.key(), list.empty() ? "none" : list));
      }
    }
    for (const auto& p : spec.params) {
      auto it = params.find(p.name);
      if (it == params.end()) {
        if (p.required) {
          return error(pn, fmt::format("action '{}' needs parameter '{}' ({})", spec.name, p.name,
                                       to_string(p.type)));
        }
        continue;
      }
      // Templated strings are checked when rendered; literals now.
      const bool templated =
          it->is_string() && it->get<std::string>().find("{{") != std::string::npos;
      if (!templated && !param_type_matches(p.type, *it)) {
        return error(pn[p.name], fmt::format("parameter '{}' of '{}' must be a {}", p.name,
                                             spec.name, to_string(p.type)));
      }
    }
    return {};
  }

  std::string file_;
  const ActionRegistry& registry_;
  PlaybookLimits limits_;
  std::set<std::string, std::less<>> seen_ids_;
  std::set<std::string, std::less<>> all_ids_;
  std::size_t step_count_ = 0;
};

}  // namespace

Result<Playbook> parse_playbook(std::string_view yaml, std::string_view file,
                                const ActionRegistry& registry, const PlaybookLimits& limits) {
  return Loader(file, registry, limits).load(yaml);
}

Result<Playbook> load_playbook(const std::filesystem::path& path, const ActionRegistry& registry) {
  FIREBREAK_TRY(std::string text, read_file(path, PlaybookLimits{}.max_bytes));
  return parse_playbook(text, path.string(), registry);
}

const Playbook* PlaybookSet::find(std::string_view id) const {
  for (const auto& p : playbooks) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

PlaybookSet load_playbooks(const std::vector<std::filesystem::path>& paths,
                           const ActionRegistry& registry) {
  PlaybookSet set;
  auto files = expand_paths(paths);
  if (!files) {
    set.errors.push_back(files.error());
    return set;
  }
  for (const auto& f : *files) {
    const auto ext = f.extension().string();
    if (ext != ".yml" && ext != ".yaml") continue;
    auto pb = load_playbook(f, registry);
    if (!pb) {
      set.errors.push_back(pb.error());
      continue;
    }
    if (set.find(pb->id)) {
      set.errors.push_back(Error(ErrorCode::kInvalidArgument,
                                 fmt::format("duplicate playbook id '{}'", pb->id),
                                 ErrorContext{.where = f.string()}));
      continue;
    }
    set.playbooks.push_back(std::move(*pb));
  }
  return set;
}

}  // namespace firebreak::respond
