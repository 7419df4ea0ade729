#include "firebreak/respond/response_tag.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "firebreak/cloud/session.h"

namespace firebreak::respond {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// EC2 instance ids: "i-" and 8 or 17 lowercase hex digits (the documented shapes, as
// event/entities.h recognises them).
bool is_instance_id(std::string_view id) {
  if (!id.starts_with("i-")) return false;
  const auto hex = id.substr(2);
  return (hex.size() == 8 || hex.size() == 17) && std::all_of(hex.begin(), hex.end(), is_hex);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A printable rendering of outside text for messages: at most 64 bytes, control bytes escaped.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  if (s.size() > 64) out += "…";
  return out;
}

Error malformed(std::string msg) { return Error(ErrorCode::kParse, std::move(msg)); }

const Json* member(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(std::string(key));
  return it == j.end() ? nullptr : &*it;
}

std::string string_member(const Json& j, std::string_view key) {
  const Json* v = member(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// `items` of a CloudTrail set ({"items": [...]}); nullptr when the set is absent or null.
Result<const Json*> set_items(const Json& params, std::string_view set) {
  const Json* s = member(params, set);
  if (s == nullptr || s->is_null()) return nullptr;
  const Json* items = member(*s, "items");
  if (items == nullptr || !items->is_array()) {
    return std::unexpected(
        malformed(fmt::format("requestParameters.{} is not {{\"items\": [...]}}", set)));
  }
  return items;
}

// Why the call is firebreak's own, or empty (the same prefixes detection's self-exclusion uses).
std::string self_reason(const Json& record) {
  const std::string ua = string_member(record, "userAgent");
  if (ua.starts_with(cloud::kUserAgentPrefix)) return fmt::format("user agent {}", shown(ua));
  const Json* identity = member(record, "userIdentity");
  const std::string arn = identity != nullptr ? string_member(*identity, "arn") : std::string();
  // arn:<partition>:sts::<account>:assumed-role/<role>/<session>
  if (arn.starts_with("arn:aws") && arn.find(":sts::") != std::string::npos) {
    const auto at = arn.find(":assumed-role/");
    if (at != std::string::npos) {
      const auto slash = arn.find('/', at + 14);
      if (slash != std::string::npos &&
          std::string_view(arn).substr(slash + 1).starts_with(cloud::kRoleSessionPrefix)) {
        return fmt::format("role session {}", shown(arn.substr(slash + 1)));
      }
    }
  }
  return {};
}

}  // namespace

bool valid_response_verb(std::string_view verb) noexcept {
  if (verb.empty() || verb.size() > 128) return false;
  return std::all_of(verb.begin(), verb.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '=' || c == '@' || c == '-';
  });
}

std::string join_verbs(const std::vector<std::string>& verbs) {
  std::string out;
  for (const auto& v : verbs) {
    if (!out.empty()) out += '+';
    out += v;
  }
  return out;
}

ResponseVerbs parse_response_verbs(std::string_view value, const ResponseTagLimits& limits) {
  ResponseVerbs out;
  if (value.size() > limits.max_value_bytes) {
    out.problems.push_back(fmt::format("the Response tag value is {} bytes (at most {}): ignored",
                                       value.size(), limits.max_value_bytes));
    return out;
  }
  if (trim(value).empty()) {
    out.problems.emplace_back("the Response tag is empty: it names no verb");
    return out;
  }
  std::size_t position = 0;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find('+', start);
    if (end == std::string_view::npos) end = value.size();
    ++position;
    const std::string_view verb = trim(value.substr(start, end - start));
    if (verb.empty()) {
      out.problems.push_back(
          fmt::format("verb {} of '{}' is empty (a stray '+'): skipped", position, shown(value)));
    } else if (std::find(out.verbs.begin(), out.verbs.end(), verb) != out.verbs.end()) {
      out.problems.push_back(fmt::format("verb '{}' is repeated: counted once", shown(verb)));
    } else if (out.verbs.size() >= limits.max_verbs) {
      out.problems.push_back(fmt::format("more than {} verbs: '{}' and later ones skipped",
                                         limits.max_verbs, shown(verb)));
      break;
    } else {
      out.verbs.emplace_back(verb);
    }
    start = end + 1;
  }
  if (out.verbs.empty()) {
    out.problems = {fmt::format("the Response tag '{}' names no verb", shown(value))};
  }
  return out;
}

Result<std::optional<ResponseTagRequest>> parse_response_tag_request(
    const Json& record, const ResponseTagLimits& limits) {
  if (!record.is_object()) return std::nullopt;
  if (const Json* src = member(record, "eventSource");
      src != nullptr && !(src->is_string() && src->get<std::string>() == "ec2.amazonaws.com")) {
    return std::nullopt;
  }
  if (string_member(record, "eventName") != "CreateTags") return std::nullopt;
  if (const Json* err = member(record, "errorCode");
      err != nullptr && !err->is_null() && !(err->is_string() && err->get<std::string>().empty())) {
    return std::nullopt;  // a refused call tagged nothing
  }
  const Json* params = member(record, "requestParameters");
  if (params == nullptr || !params->is_object()) return std::nullopt;

  FIREBREAK_TRY(const Json* tags, set_items(*params, "tagSet"));
  if (tags == nullptr) return std::nullopt;
  if (tags->size() > limits.max_tags) {
    return std::unexpected(malformed(
        fmt::format("the request sets {} tags (at most {})", tags->size(), limits.max_tags)));
  }
  std::optional<std::string> value;
  for (const auto& t : *tags) {
    const Json* key = member(t, "key");
    if (key == nullptr || !key->is_string()) {
      return std::unexpected(malformed("a tagSet item has no string 'key'"));
    }
    if (key->get<std::string>() != kResponseTagKey) continue;
    const Json* v = member(t, "value");
    if (v != nullptr && !v->is_null() && !v->is_string()) {
      return std::unexpected(malformed("the Response tag's value is not a string"));
    }
    value = v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
  }
  if (!value) return std::nullopt;

  ResponseTagRequest req;
  req.value = *value;
  req.verbs = parse_response_verbs(req.value, limits);
  if (const Json* identity = member(record, "userIdentity")) {
    req.principal = string_member(*identity, "arn");
  }
  req.self = self_reason(record);

  FIREBREAK_TRY(const Json* resources, set_items(*params, "resourcesSet"));
  if (resources == nullptr || resources->empty()) {
    return std::unexpected(malformed("the request sets a Response tag but names no resource"));
  }
  if (resources->size() > limits.max_resources) {
    return std::unexpected(malformed(fmt::format("the request names {} resources (at most {})",
                                                 resources->size(), limits.max_resources)));
  }
  for (const auto& r : *resources) {
    const Json* id = member(r, "resourceId");
    if (id == nullptr || !id->is_string()) {
      return std::unexpected(malformed("a resourcesSet item has no string 'resourceId'"));
    }
    std::string s = id->get<std::string>();
    if (s.size() > limits.max_id_bytes) {
      return std::unexpected(malformed(
          fmt::format("a resource id is {} bytes (at most {})", s.size(), limits.max_id_bytes)));
    }
    auto& into = is_instance_id(s) ? req.instance_ids : req.other_resources;
    if (std::find(into.begin(), into.end(), s) == into.end()) into.push_back(std::move(s));
  }
  return req;
}

ResponsePlan plan_response_tag(const ResponseTagRequest& request,
                               const std::vector<Playbook>& playbooks) {
  ResponsePlan plan;
  if (!request.self.empty()) {
    plan.problems.push_back(
        fmt::format("firebreak's own call ({}): a Response tag firebreak writes never starts a "
                    "response",
                    request.self));
    return plan;
  }
  plan.problems = request.verbs.problems;
  for (const auto& r : request.other_resources) {
    plan.problems.push_back(fmt::format(
        "'{}' is not an EC2 instance: only tagged instances are response targets", shown(r)));
  }
  const auto& verbs = request.verbs.verbs;
  auto named = [&](std::string_view v) {
    return std::find(verbs.begin(), verbs.end(), v) != verbs.end();
  };

  // Every verb a playbook knows, and which playbooks know it only as an input switch.
  std::set<std::string> starting;
  std::map<std::string, std::vector<std::string>> switching;  // verb -> playbook ids
  for (const auto& pb : playbooks) {
    for (const auto& v : pb.triggers.response_tags) starting.insert(v);
    for (const auto& in : pb.inputs) {
      if (!in.response_tag.empty()) switching[in.response_tag].push_back(pb.id);
    }
  }

  std::set<std::string> started_playbooks;
  for (const auto& pb : playbooks) {
    std::vector<std::string> hits;
    for (const auto& v : pb.triggers.response_tags) {
      if (named(v)) hits.push_back(v);
    }
    if (hits.empty()) continue;
    started_playbooks.insert(pb.id);
    Json inputs = Json::object();
    for (const auto& in : pb.inputs) {
      if (!in.response_tag.empty()) inputs[in.name] = named(in.response_tag);
    }
    for (const auto& id : request.instance_ids) {
      plan.runs.push_back(ResponseRun{&pb, id, hits, inputs});
    }
  }

  std::string known;
  {
    std::set<std::string> all(starting);
    for (const auto& [v, _] : switching) all.insert(v);
    for (const auto& v : all) known += (known.empty() ? "" : ", ") + v;
  }
  for (const auto& v : verbs) {
    if (starting.contains(v)) continue;
    if (auto it = switching.find(v); it != switching.end()) {
      const bool used =
          std::any_of(it->second.begin(), it->second.end(),
                      [&](const std::string& id) { return started_playbooks.contains(id); });
      if (!used) {
        plan.idle_verbs.push_back(v);
        std::string ids;
        for (const auto& id : it->second) ids += (ids.empty() ? "" : ", ") + id;
        plan.problems.push_back(fmt::format(
            "verb '{}' only sets inputs of {}, which this tag does not start: it changes nothing",
            v, ids));
      }
      continue;
    }
    plan.unknown_verbs.push_back(v);
    std::string hint;
    for (const auto& k : starting) {
      if (lower(k) == lower(v)) hint = k;
    }
    for (const auto& [k, _] : switching) {
      if (hint.empty() && lower(k) == lower(v)) hint = k;
    }
    plan.problems.push_back(fmt::format(
        "unknown verb '{}': nothing started for it (known verbs: {}{})", shown(v),
        known.empty() ? "none" : known,
        hint.empty() ? std::string()
                     : fmt::format("; verbs are case-sensitive: did you mean '{}'?", hint)));
  }
  if (request.instance_ids.empty()) {
    plan.problems.emplace_back("no tagged resource is an EC2 instance: nothing to respond to");
  }
  return plan;
}

}  // namespace firebreak::respond
