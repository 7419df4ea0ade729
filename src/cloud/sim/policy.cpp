#include "firebreak/cloud/sim/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "firebreak/core/json.h"
#include "net.h"

namespace firebreak::cloud::sim {
namespace {

enum class Op : std::uint8_t {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kNotIpAddress,
  kArnEquals,
  kArnLike,
  kArnNotEquals,
  kArnNotLike,
  kNull,
};

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kOps[] = {
    {"StringEquals", Op::kStringEquals},
    {"StringNotEquals", Op::kStringNotEquals},
    {"StringEqualsIgnoreCase", Op::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", Op::kStringNotEqualsIgnoreCase},
    {"StringLike", Op::kStringLike},
    {"StringNotLike", Op::kStringNotLike},
    {"NumericEquals", Op::kNumericEquals},
    {"NumericNotEquals", Op::kNumericNotEquals},
    {"NumericLessThan", Op::kNumericLessThan},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals},
    {"NumericGreaterThan", Op::kNumericGreaterThan},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals},
    {"DateEquals", Op::kDateEquals},
    {"DateNotEquals", Op::kDateNotEquals},
    {"DateLessThan", Op::kDateLessThan},
    {"DateLessThanEquals", Op::kDateLessThanEquals},
    {"DateGreaterThan", Op::kDateGreaterThan},
    {"DateGreaterThanEquals", Op::kDateGreaterThanEquals},
    {"Bool", Op::kBool},
    {"BinaryEquals", Op::kBinaryEquals},
    {"IpAddress", Op::kIpAddress},
    {"NotIpAddress", Op::kNotIpAddress},
    {"ArnEquals", Op::kArnEquals},
    {"ArnLike", Op::kArnLike},
    {"ArnNotEquals", Op::kArnNotEquals},
    {"ArnNotLike", Op::kArnNotLike},
    {"Null", Op::kNull},
};

bool negated(Op op) {
  switch (op) {
    case Op::kStringNotEquals:
    case Op::kStringNotEqualsIgnoreCase:
    case Op::kStringNotLike:
    case Op::kNumericNotEquals:
    case Op::kDateNotEquals:
    case Op::kNotIpAddress:
    case Op::kArnNotEquals:
    case Op::kArnNotLike: return true;
    default: return false;
  }
}

enum class SetMode : std::uint8_t { kSingle, kForAll, kForAny };

struct Condition {
  Op op;
  bool if_exists = false;
  SetMode set = SetMode::kSingle;
  std::string key;  // lower-case
  std::vector<std::string> values;
};

struct PrincipalSet {
  bool any = false;                   // "*" or {"AWS":"*"}
  std::vector<std::string> aws;       // ARNs or account ids
  std::vector<std::string> services;  // "ec2.amazonaws.com"
  std::vector<std::string> other;     // Federated, CanonicalUser: never matched here
};

struct Statement {
  bool allow = false;
  bool not_action = false;
  bool not_resource = false;
  bool has_resource = false;
  bool has_principal = false;
  bool not_principal = false;
  std::vector<std::string> actions;  // lower-case patterns
  std::vector<std::string> resources;
  PrincipalSet principals;
  std::vector<Condition> conditions;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

template <bool kIgnoreCase>
bool glob(std::string_view p, std::string_view t) {
  // Iterative wildcard match with single-star backtracking: linear in practice.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) {
    if constexpr (kIgnoreCase)
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    else
      return a == b;
  };
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || eq(p[pi], t[ti]))) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Status malformed(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, what,
              ErrorContext{.aws_code = "MalformedPolicyDocument"});
}

Result<std::vector<std::string>> string_list(const Json& v, std::string_view field) {
  std::vector<std::string> out;
  auto one = [&](const Json& e) -> Status {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    } else if (e.is_boolean()) {
      out.emplace_back(e.get<bool>() ? "true" : "false");
    } else if (e.is_number_integer()) {
      out.push_back(std::to_string(e.get<std::int64_t>()));
    } else if (e.is_number()) {
      out.push_back(fmt::format("{}", e.get<double>()));
    } else {
      return malformed(fmt::format("{} must be a string or a list of strings", field));
    }
    return {};
  };
  if (v.is_array()) {
    if (v.empty())
      return std::unexpected(malformed(fmt::format("{} is an empty list", field)).error());
    for (const auto& e : v) FIREBREAK_TRY_STATUS(one(e));
  } else {
    FIREBREAK_TRY_STATUS(one(v));
  }
  return out;
}

Status parse_principal(const Json& v, PrincipalSet& out) {
  if (v.is_string()) {
    if (v.get<std::string>() != "*") return malformed("Invalid principal in policy");
    out.any = true;
    return {};
  }
  if (!v.is_object()) return malformed("Invalid principal in policy");
  for (const auto& [k, val] : v.items()) {
    FIREBREAK_TRY(auto list, string_list(val, "Principal"));
    if (k == "AWS") {
      for (auto& a : list) {
        if (a == "*") {
          out.any = true;
        } else if (a.size() == 12 && std::all_of(a.begin(), a.end(), ::isdigit)) {
          out.aws.push_back(a);
        } else if (a.starts_with("arn:aws:iam::") || a.starts_with("arn:aws:sts::")) {
          out.aws.push_back(a);
        } else {
          return malformed(fmt::format("Invalid principal in policy: \"AWS\":\"{}\"", a));
        }
      }
    } else if (k == "Service") {
      for (auto& s : list) out.services.push_back(s);
    } else if (k == "Federated" || k == "CanonicalUser") {
      for (auto& s : list) out.other.push_back(s);
    } else {
      return malformed(fmt::format("Invalid principal type '{}' in policy", k));
    }
  }
  return {};
}

Status parse_conditions(const Json& v, std::vector<Condition>& out) {
  if (!v.is_object()) return malformed("Condition must be an object");
  for (const auto& [op_text, block] : v.items()) {
    std::string_view name = op_text;
    Condition base{Op::kNull};
    if (name.starts_with("ForAllValues:")) {
      base.set = SetMode::kForAll;
      name.remove_prefix(13);
    } else if (name.starts_with("ForAnyValue:")) {
      base.set = SetMode::kForAny;
      name.remove_prefix(12);
    }
    if (name.ends_with("IfExists")) {
      base.if_exists = true;
      name.remove_suffix(8);
    }
    const auto it = std::find_if(std::begin(kOps), std::end(kOps),
                                 [&](const OpName& o) { return o.name == name; });
    if (it == std::end(kOps) || (base.if_exists && it->op == Op::kNull))
      return malformed(fmt::format("Invalid Condition type : {}", op_text));
    base.op = it->op;
    if (!block.is_object() || block.empty())
      return malformed(fmt::format("Condition {} must map keys to values", op_text));
    for (const auto& [key, val] : block.items()) {
      Condition c = base;
      c.key = lower(key);
      FIREBREAK_TRY(c.values, string_list(val, "Condition value"));
      out.push_back(std::move(c));
    }
  }
  return {};
}

Result<Statement> parse_statement(const Json& s, PolicyKind kind) {
  if (!s.is_object()) return std::unexpected(malformed("Statement must be an object").error());
  Statement st;
  for (const auto& [k, v] : s.items()) {
    if (k == "Sid") {
      if (!v.is_string()) return std::unexpected(malformed("Sid must be a string").error());
    } else if (k == "Effect") {
      if (!v.is_string() || (v != "Allow" && v != "Deny"))
        return std::unexpected(malformed("Effect must be \"Allow\" or \"Deny\"").error());
      st.allow = v == "Allow";
    } else if (k == "Action" || k == "NotAction") {
      if (!st.actions.empty())
        return std::unexpected(malformed("Action and NotAction are exclusive").error());
      st.not_action = k == "NotAction";
      FIREBREAK_TRY(auto list, string_list(v, k));
      for (auto& a : list) {
        if (a != "*" && a.find(':') == std::string::npos)
          return std::unexpected(
              malformed(fmt::format("Actions/Conditions must be prefaced by a vendor, e.g., iam, "
                                    "sdb, ec2, etc. ({})",
                                    a))
                  .error());
        st.actions.push_back(lower(a));
      }
    } else if (k == "Resource" || k == "NotResource") {
      if (st.has_resource)
        return std::unexpected(malformed("Resource and NotResource are exclusive").error());
      st.has_resource = true;
      st.not_resource = k == "NotResource";
      FIREBREAK_TRY(st.resources, string_list(v, k));
      for (auto& r : st.resources) {
        if (r != "*" && !r.starts_with("arn:"))
          return std::unexpected(
              malformed(fmt::format("Resource {} must be in ARN format or \"*\".", r)).error());
      }
    } else if (k == "Principal" || k == "NotPrincipal") {
      if (kind != PolicyKind::kResource)
        return std::unexpected(
            malformed("Policy document should not specify a principal.").error());
      st.has_principal = true;
      st.not_principal = k == "NotPrincipal";
      FIREBREAK_TRY_STATUS(parse_principal(v, st.principals));
    } else if (k == "Condition") {
      FIREBREAK_TRY_STATUS(parse_conditions(v, st.conditions));
    } else {
      return std::unexpected(
          malformed(fmt::format("Statement has an unknown field '{}'", k)).error());
    }
  }
  if (!s.contains("Effect"))
    return std::unexpected(malformed("Missing required field Effect").error());
  if (st.actions.empty())
    return std::unexpected(malformed("Missing required field Action").error());
  if (kind == PolicyKind::kResource && !st.has_principal)
    return std::unexpected(malformed("Missing required field Principal").error());
  if (kind != PolicyKind::kResource && !st.has_resource)
    return std::unexpected(malformed("Missing required field Resource").error());
  return st;
}

// ---- evaluation ----

const ContextValue* find_key(const RequestContext& ctx, std::string_view key) {
  for (const auto& kv : ctx.keys) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

std::optional<double> to_number(std::string_view s) {
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return d;
}

std::optional<TimePoint> to_date(std::string_view s) {
  if (auto t = parse_iso8601(s)) return t;
  // Dates may also be epoch seconds.
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && p == s.data() + s.size()) return from_unix_seconds(n);
  return std::nullopt;
}

// One request value against one policy value, for the positive form of the operator.
bool match_one(Op op, std::string_view req, std::string_view pol) {
  switch (op) {
    case Op::kStringEquals:
    case Op::kStringNotEquals: return req == pol;
    case Op::kStringEqualsIgnoreCase:
    case Op::kStringNotEqualsIgnoreCase: return iequals(req, pol);
    case Op::kStringLike:
    case Op::kStringNotLike:
    case Op::kArnLike:
    case Op::kArnNotLike: return glob<false>(pol, req);
    case Op::kArnEquals:
    case Op::kArnNotEquals: return req == pol;
    case Op::kBool: return iequals(req, pol);
    case Op::kBinaryEquals: return req == pol;
    case Op::kNumericEquals:
    case Op::kNumericNotEquals:
    case Op::kNumericLessThan:
    case Op::kNumericLessThanEquals:
    case Op::kNumericGreaterThan:
    case Op::kNumericGreaterThanEquals: {
      auto a = to_number(req), b = to_number(pol);
      if (!a || !b) return false;
      switch (op) {
        case Op::kNumericLessThan: return *a < *b;
        case Op::kNumericLessThanEquals: return *a <= *b;
        case Op::kNumericGreaterThan: return *a > *b;
        case Op::kNumericGreaterThanEquals: return *a >= *b;
        default: return *a == *b;
      }
    }
    case Op::kDateEquals:
    case Op::kDateNotEquals:
    case Op::kDateLessThan:
    case Op::kDateLessThanEquals:
    case Op::kDateGreaterThan:
    case Op::kDateGreaterThanEquals: {
      auto a = to_date(req), b = to_date(pol);
      if (!a || !b) return false;
      switch (op) {
        case Op::kDateLessThan: return *a < *b;
        case Op::kDateLessThanEquals: return *a <= *b;
        case Op::kDateGreaterThan: return *a > *b;
        case Op::kDateGreaterThanEquals: return *a >= *b;
        default: return *a == *b;
      }
    }
    case Op::kIpAddress:
    case Op::kNotIpAddress: {
      auto ip = parse_ip(req);
      if (!ip) return false;
      auto cidr = parse_cidr(pol);
      if (!cidr) {
        auto single = parse_ip(pol);
        if (!single) return false;
        return *single == *ip;
      }
      return cidr->contains(*ip);
    }
    case Op::kNull: return false;
  }
  return false;
}

bool eval_condition(const Condition& c, const RequestContext& ctx) {
  const ContextValue* kv = find_key(ctx, c.key);
  if (c.op == Op::kNull) {
    const bool want_null = !c.values.empty() && iequals(c.values[0], "true");
    const bool is_null = kv == nullptr || kv->values.empty();
    return want_null == is_null;
  }
  const bool neg = negated(c.op);
  if (kv == nullptr || kv->values.empty()) {
    if (c.if_exists) return true;
    if (c.set == SetMode::kForAll) return true;  // vacuously true over an empty set
    return neg;
  }
  auto any_policy_value = [&](std::string_view req) {
    return std::any_of(c.values.begin(), c.values.end(),
                       [&](const std::string& p) { return match_one(c.op, req, p); });
  };
  switch (c.set) {
    case SetMode::kForAll:
      // Every request value matches some policy value (negated: none does).
      return std::all_of(kv->values.begin(), kv->values.end(), [&](const std::string& r) {
        return neg ? !any_policy_value(r) : any_policy_value(r);
      });
    case SetMode::kForAny:
      return std::any_of(kv->values.begin(), kv->values.end(), [&](const std::string& r) {
        return neg ? !any_policy_value(r) : any_policy_value(r);
      });
    case SetMode::kSingle:
    default: {
      const bool hit = std::any_of(kv->values.begin(), kv->values.end(),
                                   [&](const std::string& r) { return any_policy_value(r); });
      return neg ? !hit : hit;
    }
  }
}

bool principal_matches(const PrincipalSet& ps, const PrincipalRef& p) {
  if (ps.any) return true;
  if (p.anonymous) return false;
  if (!p.service.empty()) {
    return std::find(ps.services.begin(), ps.services.end(), p.service) != ps.services.end();
  }
  for (const auto& a : ps.aws) {
    if (a.size() == 12 && a == p.account) return true;
    if (a == fmt::format("arn:aws:iam::{}:root", p.account)) return true;
    if (a == p.arn) return true;
    if (!p.role_arn.empty() && a == p.role_arn) return true;
  }
  return false;
}

std::string substitute(std::string_view pattern, const RequestContext& ctx) {
  std::string out;
  std::size_t pos = 0;
  while (pos < pattern.size()) {
    const auto open = pattern.find("${", pos);
    if (open == std::string_view::npos) break;
    const auto close = pattern.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(pattern.substr(pos, open - pos));
    const auto var = lower(pattern.substr(open + 2, close - open - 2));
    if (var == "aws:username") {
      out.append(ctx.username);
    } else if (var == "*") {
      out.push_back('*');
    } else if (const auto* kv = find_key(ctx, var); kv && !kv->values.empty()) {
      out.append(kv->values[0]);
    } else {
      // An unresolvable variable makes the pattern match nothing.
      return std::string(1, '\0');
    }
    pos = close + 1;
  }
  out.append(pattern.substr(pos));
  return out;
}

bool resource_matches(const Statement& st, const RequestContext& ctx) {
  if (!st.has_resource) return true;  // trust policies: the resource is the policy's owner
  auto pattern_hits = [&](std::string_view res) {
    for (const auto& pat : st.resources) {
      if (pat == "*") return true;
      if (pat.find("${") != std::string::npos) {
        if (glob<false>(substitute(pat, ctx), res)) return true;
      } else if (glob<false>(pat, res)) {
        return true;
      }
    }
    return false;
  };
  if (ctx.resources.empty()) {
    const bool hit = pattern_hits("*");
    return st.not_resource ? !hit : hit;
  }
  // The statement applies when it covers every resource of the request.
  for (const auto& r : ctx.resources) {
    const bool hit = pattern_hits(r);
    if (st.not_resource ? hit : !hit) return false;
  }
  return true;
}

bool statement_applies(const Statement& st, const RequestContext& ctx) {
  bool action_hit = false;
  for (const auto& a : st.actions) {
    if (a == "*" || glob<true>(a, ctx.action)) {
      action_hit = true;
      break;
    }
  }
  if (st.not_action ? action_hit : !action_hit) return false;
  if (!resource_matches(st, ctx)) return false;
  if (st.has_principal) {
    if (ctx.principal == nullptr) return false;
    const bool hit = principal_matches(st.principals, *ctx.principal);
    if (st.not_principal ? hit : !hit) return false;
  }
  for (const auto& c : st.conditions) {
    if (!eval_condition(c, ctx)) return false;
  }
  return true;
}

// Condition keys that pin a public-looking grant to known parties (S3's "public" rules).
bool restricting_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {"aws:sourceip",          "aws:sourcearn",
                                               "aws:sourcevpc",         "aws:sourcevpce",
                                               "aws:sourceaccount",     "aws:sourceowner",
                                               "aws:principalaccount",  "aws:principalorgid",
                                               "aws:principalarn",      "aws:userid",
                                               "aws:principalorgpaths", "s3:dataaccesspointaccount",
                                               "s3:dataaccesspointarn", "aws:sourceorgid",
                                               "aws:sourceorgpaths"};
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

}  // namespace

struct Policy::Impl {
  std::vector<Statement> statements;
};

Policy::Policy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Policy::~Policy() = default;

Result<std::shared_ptr<const Policy>> Policy::parse(std::string_view json, PolicyKind kind) {
  if (json.size() > (128u << 10))
    return std::unexpected(malformed("policy document too large").error());
  auto doc = parse_json(json, JsonLimits{.max_bytes = 128u << 10, .max_depth = 16});
  if (!doc) return std::unexpected(malformed("Syntax errors in policy.").error());
  if (!doc->is_object()) return std::unexpected(malformed("Syntax errors in policy.").error());
  auto impl = std::make_unique<Impl>();
  bool have_statement = false;
  for (const auto& [k, v] : doc->items()) {
    if (k == "Version") {
      if (!v.is_string() || (v != "2012-10-17" && v != "2008-10-17"))
        return std::unexpected(malformed("The policy failed legacy parsing").error());
    } else if (k == "Id") {
      // free text
    } else if (k == "Statement") {
      have_statement = true;
      if (v.is_array()) {
        if (v.empty()) return std::unexpected(malformed("Statement list is empty").error());
        for (const auto& s : v) {
          FIREBREAK_TRY(auto st, parse_statement(s, kind));
          impl->statements.push_back(std::move(st));
        }
      } else {
        FIREBREAK_TRY(auto st, parse_statement(v, kind));
        impl->statements.push_back(std::move(st));
      }
    } else {
      return std::unexpected(
          malformed(fmt::format("Policy document has an unknown field '{}'", k)).error());
    }
  }
  if (!have_statement)
    return std::unexpected(malformed("Missing required field Statement").error());
  return std::shared_ptr<const Policy>(std::make_shared<Policy>(std::move(impl)));
}

Decision Policy::evaluate(const RequestContext& ctx) const {
  Decision d = Decision::kNone;
  for (const auto& st : impl_->statements) {
    if (!statement_applies(st, ctx)) continue;
    if (!st.allow) return Decision::kDeny;
    d = Decision::kAllow;
  }
  return d;
}

bool Policy::grants_public_access() const {
  for (const auto& st : impl_->statements) {
    if (!st.allow || !st.has_principal) continue;
    const bool wildcard = st.not_principal || st.principals.any;
    if (!wildcard) continue;
    bool restricted = false;
    for (const auto& c : st.conditions) {
      if (negated(c.op) || c.op == Op::kNull) continue;
      if (!restricting_key(c.key)) continue;
      const bool has_wildcard = std::any_of(c.values.begin(), c.values.end(), [&](const auto& v) {
        if (v.find('*') != std::string::npos) return true;
        if (c.key == "aws:sourceip") {
          auto cidr = parse_cidr(v);
          return cidr && cidr->prefix < (cidr->v6() ? 32 : 8);
        }
        return false;
      });
      if (!has_wildcard) restricted = true;
    }
    if (!restricted) return true;
  }
  return false;
}

std::size_t Policy::statement_count() const { return impl_->statements.size(); }

bool Policy::has_conditions() const {
  return std::any_of(impl_->statements.begin(), impl_->statements.end(),
                     [](const Statement& s) { return !s.conditions.empty(); });
}

bool match_action(std::string_view pattern, std::string_view action) noexcept {
  return glob<true>(pattern, action);
}

bool match_glob(std::string_view pattern, std::string_view text) noexcept {
  return glob<false>(pattern, text);
}

}  // namespace firebreak::cloud::sim
