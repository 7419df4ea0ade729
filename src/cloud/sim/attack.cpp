// Attack scripts: loading (strict, with file:line errors) and playing them against a world.
#include "firebreak/cloud/sim/attack.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "firebreak/cloud/sim/provider.h"
#include "firebreak/core/fs.h"
#include "yaml_util.h"

namespace firebreak::cloud::sim {
namespace {

// What a call step may produce for `save:`.
struct Saved {
  std::optional<Credentials> credentials;
  std::string value;
};

struct Args {
  const Json& j;
  std::function<std::string(const std::string&)> expand;
  [[nodiscard]] std::string s(const char* k, std::string dflt = {}) const {
    if (!j.contains(k)) return dflt;
    const auto& v = j[k];
    return expand(v.is_string() ? v.get<std::string>() : dump_json(v));
  }
  [[nodiscard]] std::vector<std::string> list(const char* k) const {
    std::vector<std::string> out;
    if (!j.contains(k)) return out;
    if (j[k].is_array()) {
      for (const auto& v : j[k])
        out.push_back(expand(v.is_string() ? v.get<std::string>() : dump_json(v)));
    } else {
      out.push_back(s(k));
    }
    return out;
  }
  [[nodiscard]] int i(const char* k, int dflt) const {
    const auto v = s(k);
    if (v.empty()) return dflt;
    try {
      return std::stoi(v);
    } catch (...) {
      return dflt;
    }
  }
  [[nodiscard]] bool b(const char* k, bool dflt) const {
    const auto v = s(k);
    if (v.empty()) return dflt;
    return v == "true" || v == "yes";
  }
  // A JSON document given as YAML or as a string.
  [[nodiscard]] std::string doc(const char* k) const {
    if (!j.contains(k)) return {};
    return j[k].is_string() ? expand(j[k].get<std::string>()) : expand(dump_json(j[k]));
  }
};

template <class T>
Result<Saved> done(const Result<T>& r) {
  if (!r) return std::unexpected(r.error());
  return Saved{};
}
Result<Saved> done(const Status& r) {
  if (!r) return std::unexpected(r.error());
  return Saved{};
}

struct OpEntry {
  std::vector<std::string> required;
  std::function<Result<Saved>(CloudSession&, const Args&)> run;
};

const std::map<std::string, OpEntry>& ops() {
  static const std::map<std::string, OpEntry> kOps = {
      {"sts:GetCallerIdentity",
       {{}, [](CloudSession& s, const Args&) { return done(s.sts().get_caller_identity()); }}},
      {"sts:AssumeRole",
       {{"role_arn"},
        [](CloudSession& s, const Args& a) -> Result<Saved> {
          AssumeRoleRequest r;
          r.role_arn = a.s("role_arn");
          r.role_session_name = a.s("session_name", "session");
          r.duration_seconds = a.i("duration_seconds", 3600);
          r.external_id = a.s("external_id");
          FIREBREAK_TRY(auto out, s.sts().assume_role(r));
          return Saved{out.credentials, out.assumed_role_arn};
        }}},
      {"iam:ListUsers",
       {{}, [](CloudSession& s, const Args&) { return done(s.iam().list_users()); }}},
      {"iam:GetUser",
       {{},
        [](CloudSession& s, const Args& a) { return done(s.iam().get_user(a.s("user_name"))); }}},
      {"iam:ListAccessKeys",
       {{},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().list_access_keys(a.s("user_name")));
        }}},
      {"iam:ListAttachedUserPolicies",
       {{"user_name"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().list_attached_user_policies(a.s("user_name")));
        }}},
      {"iam:CreateUser",
       {{"user_name"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().create_user(a.s("user_name")));
        }}},
      {"iam:CreateAccessKey",
       {{},
        [](CloudSession& s, const Args& a) -> Result<Saved> {
          FIREBREAK_TRY(auto k, s.iam().create_access_key(a.s("user_name")));
          return Saved{Credentials{k.metadata.access_key_id, k.secret_access_key, {}, {}},
                       k.metadata.access_key_id};
        }}},
      {"iam:UpdateAccessKey",
       {{"access_key_id", "status"},
        [](CloudSession& s, const Args& a) {
          return done(
              s.iam().update_access_key(a.s("user_name"), a.s("access_key_id"), a.s("status")));
        }}},
      {"iam:AttachUserPolicy",
       {{"user_name", "policy_arn"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().attach_user_policy(a.s("user_name"), a.s("policy_arn")));
        }}},
      {"iam:PutUserPolicy",
       {{"user_name", "policy_name", "policy_document"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().put_user_policy(a.s("user_name"), a.s("policy_name"),
                                              a.doc("policy_document")));
        }}},
      {"iam:CreateLoginProfile",
       {{"user_name"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().create_login_profile(a.s("user_name"),
                                                   a.s("password", "Winter2024!x"), false));
        }}},
      {"iam:CreateRole",
       {{"role_name", "trust_policy"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().create_role(a.s("role_name"), a.doc("trust_policy")));
        }}},
      {"iam:AttachRolePolicy",
       {{"role_name", "policy_arn"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().attach_role_policy(a.s("role_name"), a.s("policy_arn")));
        }}},
      {"iam:PutRolePolicy",
       {{"role_name", "policy_name", "policy_document"},
        [](CloudSession& s, const Args& a) {
          return done(s.iam().put_role_policy(a.s("role_name"), a.s("policy_name"),
                                              a.doc("policy_document")));
        }}},
      {"iam:UpdateAssumeRolePolicy",
       {{"role_name", "policy_document"},
        [](CloudSession& s, const Args& a) {
          return done(
              s.iam().update_assume_role_policy(a.s("role_name"), a.doc("policy_document")));
        }}},
      {"ec2:DescribeInstances",
       {{},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().describe_instances({a.list("instance_ids"), {}}));
        }}},
      {"ec2:DescribeSecurityGroups",
       {{},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().describe_security_groups({a.list("group_ids"), {}}));
        }}},
      {"ec2:DescribeVolumes",
       {{},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().describe_volumes({a.list("volume_ids"), {}}));
        }}},
      {"ec2:DescribeInstanceAttribute",
       {{"instance_id", "attribute"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().describe_instance_attribute(a.s("instance_id"), a.s("attribute")));
        }}},
      {"ec2:GetConsoleOutput",
       {{"instance_id"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().get_console_output(a.s("instance_id")));
        }}},
      {"ec2:AuthorizeSecurityGroupIngress",
       {{"group_id"},
        [](CloudSession& s, const Args& a) {
          IpPermission p;
          p.ip_protocol = a.s("protocol", "tcp");
          p.from_port = a.i("from_port", 22);
          p.to_port = a.i("to_port", p.from_port);
          p.ipv4_ranges = {a.s("cidr", "0.0.0.0/0")};
          return done(s.ec2().authorize_security_group_ingress(a.s("group_id"), {p}));
        }}},
      {"ec2:RunInstances",
       {{"image_id"},
        [](CloudSession& s, const Args& a) -> Result<Saved> {
          RunInstancesRequest r;
          r.image_id = a.s("image_id");
          r.instance_type = a.s("instance_type", "t3.micro");
          r.count = a.i("count", 1);
          r.subnet_id = a.s("subnet_id");
          r.key_name = a.s("key_name");
          r.iam_instance_profile_name = a.s("profile");
          FIREBREAK_TRY(auto out, s.ec2().run_instances(r));
          return Saved{std::nullopt, out.empty() ? std::string() : out.front().instance_id};
        }}},
      {"ec2:ModifyInstanceAttribute",
       {{"instance_id"},
        [](CloudSession& s, const Args& a) {
          ModifyInstanceAttributeRequest r;
          r.instance_id = a.s("instance_id");
          if (a.j.contains("user_data")) r.user_data = a.s("user_data");
          if (a.j.contains("disable_api_termination"))
            r.disable_api_termination = a.b("disable_api_termination", false);
          return done(s.ec2().modify_instance_attribute(r));
        }}},
      {"ec2:StopInstances",
       {{"instance_ids"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().stop_instances(a.list("instance_ids"), false));
        }}},
      {"ec2:StartInstances",
       {{"instance_ids"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().start_instances(a.list("instance_ids")));
        }}},
      {"ec2:TerminateInstances",
       {{"instance_ids"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().terminate_instances(a.list("instance_ids")));
        }}},
      {"ec2:CreateSnapshot",
       {{"volume_id"},
        [](CloudSession& s, const Args& a) {
          return done(s.ec2().create_snapshot({a.s("volume_id"), a.s("description"), {}}));
        }}},
      {"ec2:CreateTags",
       {{"resources"},
        [](CloudSession& s, const Args& a) {
          Tags tags;
          if (a.j.contains("tags") && a.j["tags"].is_object())
            for (const auto& [k, v] : a.j["tags"].items())
              tags.push_back({k, v.is_string() ? a.expand(v.get<std::string>()) : dump_json(v)});
          return done(s.ec2().create_tags(a.list("resources"), tags));
        }}},
      {"s3:ListBuckets",
       {{}, [](CloudSession& s, const Args&) { return done(s.s3().list_buckets()); }}},
      {"s3:GetObject",
       {{"bucket", "key"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().get_object(a.s("bucket"), a.s("key"), {},
                                        [](std::string_view) -> Status { return {}; }));
        }}},
      {"s3:PutObject",
       {{"bucket", "key"},
        [](CloudSession& s, const Args& a) {
          PutObjectRequest r;
          r.bucket = a.s("bucket");
          r.key = a.s("key");
          r.body = a.s("body", "x");
          return done(s.s3().put_object(r));
        }}},
      {"s3:DeleteObject",
       {{"bucket", "key"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().delete_object(a.s("bucket"), a.s("key"), a.s("version_id"), false));
        }}},
      {"s3:GetBucketPolicy",
       {{"bucket"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().get_bucket_policy(a.s("bucket")));
        }}},
      {"s3:PutBucketPolicy",
       {{"bucket", "policy"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().put_bucket_policy(a.s("bucket"), a.doc("policy")));
        }}},
      {"s3:PutBucketAcl",
       {{"bucket", "acl"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().put_bucket_acl(a.s("bucket"), a.s("acl")));
        }}},
      {"s3:DeletePublicAccessBlock",
       {{"bucket"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().delete_public_access_block(a.s("bucket")));
        }}},
      {"s3:PutBucketOwnershipControls",
       {{"bucket", "ownership"},
        [](CloudSession& s, const Args& a) {
          return done(s.s3().put_bucket_ownership_controls(a.s("bucket"), a.s("ownership")));
        }}},
      {"cloudtrail:DescribeTrails",
       {{}, [](CloudSession& s, const Args&) { return done(s.cloudtrail().describe_trails({})); }}},
      {"cloudtrail:StopLogging",
       {{"name"},
        [](CloudSession& s, const Args& a) {
          return done(s.cloudtrail().stop_logging(a.s("name")));
        }}},
      {"cloudtrail:DeleteTrail",
       {{"name"},
        [](CloudSession& s, const Args& a) {
          return done(s.cloudtrail().delete_trail(a.s("name")));
        }}},
      {"cloudtrail:PutEventSelectors",
       {{"trail_name", "selectors"},
        [](CloudSession& s, const Args& a) -> Result<Saved> {
          auto j = parse_json(a.doc("selectors"));
          if (!j) return std::unexpected(j.error());
          return done(s.cloudtrail().put_event_selectors(a.s("trail_name"), *j));
        }}},
      {"guardduty:ListDetectors",
       {{},
        [](CloudSession& s, const Args&) -> Result<Saved> {
          FIREBREAK_TRY(auto ids, s.guardduty().list_detectors());
          return Saved{std::nullopt, ids.empty() ? std::string() : ids.front()};
        }}},
      {"guardduty:DeleteDetector",
       {{"detector_id"},
        [](CloudSession& s, const Args& a) {
          return done(s.guardduty().delete_detector(a.s("detector_id")));
        }}},
      {"guardduty:UpdateDetector",
       {{"detector_id"},
        [](CloudSession& s, const Args& a) {
          return done(s.guardduty().update_detector(a.s("detector_id"), a.b("enable", false)));
        }}},
      {"ssm:DescribeInstanceInformation",
       {{},
        [](CloudSession& s, const Args& a) {
          return done(s.ssm().describe_instance_information(a.list("instance_ids")));
        }}},
      {"ssm:SendCommand",
       {{"instance_ids", "commands"},
        [](CloudSession& s, const Args& a) -> Result<Saved> {
          SendCommandRequest r;
          r.document_name = a.s("document", "AWS-RunShellScript");
          r.instance_ids = a.list("instance_ids");
          r.parameters["commands"] = a.list("commands");
          FIREBREAK_TRY(auto c, s.ssm().send_command(r));
          return Saved{std::nullopt, c.command_id};
        }}},
  };
  return kOps;
}

}  // namespace

std::vector<std::string> attack_operations() {
  std::vector<std::string> out;
  for (const auto& [k, _] : ops()) out.push_back(k);
  return out;
}

Duration AttackScript::length() const { return steps.empty() ? Duration::zero() : steps.back().at; }

Result<AttackScript> parse_attack(std::string_view text, std::string_view name) {
  yaml::Ctx ctx(std::string(name), 200000);
  FIREBREAK_TRY(auto root, yaml::load(text, ctx, yaml::Limits{1u << 20, 32, 200000}));
  try {
    yaml::Map top(ctx, root, "");
    AttackScript script;
    FIREBREAK_TRY(script.name, top.str("name"));
    FIREBREAK_TRY(script.description, top.str_or("description", ""));
    FIREBREAK_TRY(auto attacker, top.map("attacker"));
    if (attacker) {
      FIREBREAK_TRY(script.source_ip, attacker->str_or("ip", script.source_ip));
      FIREBREAK_TRY(script.user_agent, attacker->str_or("user_agent", script.user_agent));
      FIREBREAK_TRY_STATUS(attacker->finish());
    }
    FIREBREAK_TRY(auto steps, top.maps("steps"));
    if (steps.empty())
      return std::unexpected(top.error_at("steps", "at least one step is required"));
    if (steps.size() > 10000)
      return std::unexpected(top.error_at("steps", "more than 10000 steps"));
    Duration clock{};
    for (auto& st : steps) {
      AttackStep step;
      const auto mark = st.node().Mark();
      step.where = fmt::format("{}:{}", name, mark.line + 1);
      FIREBREAK_TRY(auto at, st.duration("at"));
      FIREBREAK_TRY(auto after, st.duration("after"));
      if (at && after) return std::unexpected(st.error("give either at or after, not both"));
      if (at) {
        step.at = *at;
      } else {
        step.at = clock + after.value_or(Duration::zero());
      }
      FIREBREAK_TRY(auto as, st.map("as"));
      if (as) {
        for (const char* kind : {"user", "instance", "saved", "root"}) {
          FIREBREAK_TRY(auto v, as->str_or(kind, ""));
          if (v.empty()) continue;
          if (!step.identity_kind.empty())
            return std::unexpected(as->error("name exactly one identity"));
          step.identity_kind = kind;
          step.identity = v;
        }
        if (step.identity_kind.empty())
          return std::unexpected(as->error("needs one of user, instance, saved, root"));
        FIREBREAK_TRY_STATUS(as->finish());
      }
      FIREBREAK_TRY(step.region, st.str_or("region", ""));
      FIREBREAK_TRY(step.user_agent, st.str_or("user_agent", ""));
      FIREBREAK_TRY(step.save, st.str_or("save", ""));
      FIREBREAK_TRY(auto repeat, st.integer("repeat", 1, 1, 10000));
      step.repeat = static_cast<int>(repeat);
      FIREBREAK_TRY(auto every, st.duration("every"));
      step.every = every.value_or(std::chrono::seconds(1));
      // `after:` counts from the end of the previous step's repeats.
      clock = step.at + step.every * (step.repeat - 1);
      int actions = 0;
      if (st.has("call")) {
        ++actions;
        step.action = "call";
        FIREBREAK_TRY(step.operation, st.str("call"));
        auto it = ops().find(step.operation);
        if (it == ops().end())
          return std::unexpected(st.error_at(
              "call", fmt::format("unknown operation '{}' (see scenarios/attacks/README.md)",
                                  step.operation)));
        if (st.has("with")) {
          FIREBREAK_TRY(auto with, st.map("with"));
          FIREBREAK_TRY(step.params, yaml::to_json(ctx, with->node(), with->path(), 24, true));
        }
        for (const auto& req : it->second.required) {
          if (!step.params.contains(req))
            return std::unexpected(st.error_at(st.has("with") ? "with" : "call",
                                               fmt::format("{} needs '{}'", step.operation, req)));
        }
        if (!st.has("with")) (void)st.map("with");
      }
      for (const char* action : {"connect", "close", "exchange", "steal", "probe", "shutdown"}) {
        if (!st.has(action)) continue;
        ++actions;
        step.action = action;
        FIREBREAK_TRY(auto m, st.map(action));
        if (!m) {
          FIREBREAK_TRY(auto v, st.str(action));
          step.params = Json{{"target", v}};
        } else {
          FIREBREAK_TRY(step.params, yaml::to_json(ctx, m->node(), m->path(), 8, true));
        }
        const bool needs_instance =
            std::string_view(action) != "close" && std::string_view(action) != "exchange";
        if (needs_instance && !step.params.contains("instance"))
          return std::unexpected(st.error_at(action, "needs 'instance'"));
        if ((std::string_view(action) == "connect" || std::string_view(action) == "probe") &&
            !step.params.contains("remote"))
          return std::unexpected(st.error_at(action, "needs 'remote'"));
      }
      if (actions != 1)
        return std::unexpected(st.error(
            "a step does exactly one of: call, connect, close, exchange, steal, probe, shutdown"));
      if (!step.user_agent.empty() && step.action != "call")
        return std::unexpected(st.error_at("user_agent", "only a call step has a user agent"));
      FIREBREAK_TRY_STATUS(st.finish());
      script.steps.push_back(std::move(step));
    }
    FIREBREAK_TRY_STATUS(top.finish());
    std::stable_sort(script.steps.begin(), script.steps.end(),
                     [](const AttackStep& a, const AttackStep& b) { return a.at < b.at; });
    return script;
  } catch (const YAML::Exception& e) {
    return fail(
        ErrorCode::kParse, e.msg,
        ErrorContext{.where = fmt::format("{}:{}:{}", name, e.mark.line + 1, e.mark.column + 1)});
  }
}

Result<AttackScript> load_attack_file(const std::filesystem::path& path) {
  FIREBREAK_TRY(auto text, read_file(path, 1u << 20));
  return parse_attack(text, path.string());
}

// ---------------------------------------------------------------------------------------------

struct AttackRunner::Impl {
  const LoadedWorld& lw;
  const AttackScript& script;
  TimePoint start;
  std::size_t next_step = 0;
  int done_repeats = 0;
  std::map<std::string, Saved> saved;
  std::map<std::string, std::string> connections;
  std::optional<Credentials> current;
  std::string current_account;
  std::vector<StepOutcome> outcomes;

  Impl(const LoadedWorld& w, const AttackScript& s, TimePoint t) : lw(w), script(s), start(t) {}

  [[nodiscard]] TimePoint due(std::size_t i, int repeat) const {
    return start + script.steps[i].at + script.steps[i].every * repeat;
  }

  std::string expand(const std::string& v) {
    std::string out;
    std::size_t pos = 0;
    while (pos < v.size()) {
      const auto open = v.find("${", pos);
      if (open == std::string::npos) break;
      const auto close = v.find('}', open);
      if (close == std::string::npos) break;
      out.append(v, pos, open - pos);
      const std::string key = v.substr(open + 2, close - open - 2);
      if (auto it = saved.find(key); it != saved.end()) {
        out += it->second.value;
      } else if (auto id = lw.world->resolve(key)) {
        out += *id;
      } else {
        out += v.substr(open, close - open + 1);
      }
      pos = close + 1;
    }
    out.append(v, pos, std::string::npos);
    return out;
  }

  Result<Credentials> identity(const AttackStep& st, std::string& account) {
    if (st.identity_kind.empty()) {
      if (!current) return fail(ErrorCode::kInvalidArgument, "the first step needs 'as'");
      account = current_account;
      return *current;
    }
    Credentials c;
    if (st.identity_kind == "user") {
      auto it = lw.user_keys.find(st.identity);
      if (it == lw.user_keys.end())
        return fail(ErrorCode::kNotFound, fmt::format("no access key for user '{}'", st.identity));
      c = it->second;
    } else if (st.identity_kind == "instance") {
      FIREBREAK_TRY(c, lw.world->instance_credentials(st.identity));
    } else if (st.identity_kind == "saved") {
      auto it = saved.find(st.identity);
      if (it == saved.end() || !it->second.credentials)
        return fail(ErrorCode::kNotFound,
                    fmt::format("nothing saved as '{}' holds credentials", st.identity));
      c = *it->second.credentials;
    } else {
      FIREBREAK_TRY(
          c, lw.world->root_credentials(lw.world->resolve(st.identity).value_or(st.identity)));
    }
    current = c;
    return c;
  }

  StepOutcome run(const AttackStep& st) {
    StepOutcome out;
    out.time = lw.world->now();
    out.step = st.action == "call" ? st.operation : st.action;
    Args args{st.params, [this](const std::string& v) { return expand(v); }};
    auto record = [&](const Status& s, std::string ok_detail) {
      out.ok = s.has_value();
      out.detail = s ? std::move(ok_detail)
                     : (s.error().context().aws_code.empty() ? s.error().message()
                                                             : s.error().context().aws_code);
    };
    if (st.action == "call") {
      std::string account;
      auto creds = identity(st, account);
      if (!creds) {
        record(std::unexpected(creds.error()), {});
        return out;
      }
      Identity id;
      id.credentials = *creds;
      id.source_ip = script.source_ip;
      id.user_agent = st.user_agent.empty() ? script.user_agent : st.user_agent;
      const std::string region = st.region.empty() ? std::string("us-east-1") : st.region;
      auto session = make_session(lw.world, id, region);
      auto r = ops().at(st.operation).run(*session, args);
      if (r && !st.save.empty()) saved[st.save] = *r;
      record(r ? Status{} : Status(std::unexpected(r.error())), r ? r->value : std::string());
      return out;
    }
    auto instance = [&] { return args.s("instance"); };
    if (st.action == "connect" || st.action == "probe") {
      ConnectionSpec c;
      c.instance_id = instance();
      c.remote_ip = args.s("remote");
      c.remote_port = args.i("port", 443);
      c.local_port = args.i("local_port", 0);
      c.protocol = args.s("protocol", "tcp");
      c.direction =
          args.s("direction", "outbound") == "inbound" ? Direction::kInbound : Direction::kOutbound;
      c.label = args.s("label");
      if (auto ka = parse_duration(args.s("keepalive", "30s"))) c.keepalive = *ka;
      if (st.action == "probe") {
        auto r = lw.world->probe(c);
        record(r ? Status{} : Status(std::unexpected(r.error())),
               r && *r ? "accepted" : "rejected");
        return out;
      }
      auto r = lw.world->open_connection(c);
      const std::string save = st.save.empty() ? args.s("save") : st.save;
      if (r && !save.empty()) connections[save] = *r;
      record(r ? Status{} : Status(std::unexpected(r.error())), r ? *r : std::string());
      return out;
    }
    if (st.action == "close" || st.action == "exchange") {
      const auto name = args.s(st.action == "close" ? "target" : "connection");
      auto it = connections.find(name);
      if (it == connections.end()) {
        record(fail(ErrorCode::kNotFound, fmt::format("no connection saved as '{}'", name)), {});
        return out;
      }
      record(st.action == "close"
                 ? lw.world->close_connection(it->second)
                 : lw.world->exchange(it->second, static_cast<std::uint64_t>(args.i("out", 4096)),
                                      static_cast<std::uint64_t>(args.i("in", 512))),
             it->second);
      return out;
    }
    if (st.action == "steal") {
      auto c = lw.world->instance_credentials(instance());
      const std::string save = st.save.empty() ? args.s("save") : st.save;
      if (c && !save.empty()) saved[save] = Saved{*c, c->access_key_id};
      record(c ? Status{} : Status(std::unexpected(c.error())),
             c ? c->access_key_id : std::string());
      return out;
    }
    if (st.action == "shutdown") {
      record(lw.world->instance_initiated_shutdown(instance()), instance());
      return out;
    }
    record(fail(ErrorCode::kInternal, "unknown action"), {});
    return out;
  }
};

AttackRunner::AttackRunner(const LoadedWorld& world, const AttackScript& script, TimePoint start)
    : impl_(std::make_unique<Impl>(world, script, start)) {}
AttackRunner::~AttackRunner() = default;

std::optional<TimePoint> AttackRunner::next() const {
  if (impl_->next_step >= impl_->script.steps.size()) return std::nullopt;
  return impl_->due(impl_->next_step, impl_->done_repeats);
}

void AttackRunner::run_due() {
  auto& i = *impl_;
  while (i.next_step < i.script.steps.size() &&
         i.due(i.next_step, i.done_repeats) <= i.lw.world->now()) {
    const auto& st = i.script.steps[i.next_step];
    i.outcomes.push_back(i.run(st));
    if (++i.done_repeats >= st.repeat) {
      i.done_repeats = 0;
      ++i.next_step;
    }
  }
}

const std::vector<StepOutcome>& AttackRunner::outcomes() const { return impl_->outcomes; }

}  // namespace firebreak::cloud::sim
