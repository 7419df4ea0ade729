// Leaked access key response: scope the owner, deactivate the key (never delete: its id is the
// thread through CloudTrail), deny-all and session revocation on the user, hunt what the key did
// for persistence, and contain that too.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

constexpr std::string_view kDenyAll = "firebreak-deny-all";
constexpr std::string_view kRevoke = "firebreak-revoke-sessions";
// AWS attaches these to leaked keys it detects: its own quarantine. Never remove them.
constexpr std::string_view kAwsQuarantine = "AWSCompromisedKeyQuarantine";

bool same_policy(const std::string& a, const std::string& b) {
  auto ja = parse_json(a), jb = parse_json(b);
  return ja && jb && *ja == *jb;
}

// Puts an inline user policy unless it is already exactly there. Returns whether it changed.
Result<bool> ensure_user_policy(cloud::Iam& iam, const std::string& user, std::string_view name,
                                const std::string& doc) {
  auto existing = iam.get_user_policy(user, std::string(name));
  if (!existing && existing.error().code() != ErrorCode::kNotFound) return fail(existing.error());
  if (existing && same_policy(*existing, doc)) return false;
  FIREBREAK_TRY_STATUS(iam.put_user_policy(user, std::string(name), doc));
  return true;
}

Result<bool> ensure_role_policy(cloud::Iam& iam, const std::string& role, std::string_view name,
                                const std::string& doc) {
  auto existing = iam.get_role_policy(role, std::string(name));
  if (!existing && existing.error().code() != ErrorCode::kNotFound) return fail(existing.error());
  if (existing && same_policy(*existing, doc)) return false;
  FIREBREAK_TRY_STATUS(iam.put_role_policy(role, std::string(name), doc));
  return true;
}

// Sets a key inactive unless it already is. Returns whether it changed.
Result<bool> ensure_inactive(cloud::Iam& iam, const std::string& user, const std::string& key) {
  FIREBREAK_TRY(auto keys, iam.list_access_keys(user));
  for (const auto& k : keys) {
    if (k.access_key_id == key) {
      if (k.status == "Inactive") return false;
      FIREBREAK_TRY_STATUS(iam.update_access_key(user, key, "Inactive"));
      return true;
    }
  }
  return fail(ErrorCode::kNotFound, fmt::format("user {} has no access key {}", user, key),
              ErrorContext{.aws_code = "NoSuchEntity"});
}

// The fixed revocation time of this step (chosen on the first attempt).
Result<TimePoint> revocation_time(ActionContext& ctx) {
  Json s = scratch(ctx);
  if (!s.contains("revoke_before")) {
    FIREBREAK_TRY_STATUS(remember(ctx, "revoke_before", format_iso8601(ctx.clock().now())));
    s = scratch(ctx);
  }
  return *parse_iso8601(s["revoke_before"].get<std::string>());
}

class ScopeAccessKey final : public BasicAction {
 public:
  ScopeAccessKey()
      : BasicAction(ActionSpec{
            .name = "iam.scope_access_key",
            .description = "Find the key's owner and record what it can do: keys, policies, "
                           "groups, MFA devices, console password, last use.",
            .params = {param("access_key_id", ParamType::kString, "the leaked key")},
            .outputs = {"user_name", "access_key_id", "keys", "attached_policies",
                        "inline_policies", "groups", "mfa_devices", "login_profile", "last_used"},
            .permissions = {"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys",
                            "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
                            "iam:ListGroupsForUser", "iam:ListMFADevices", "iam:GetLoginProfile"},
            .mutating = false}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    std::vector<ApiCall> calls;
    for (const auto& p : spec().permissions) {
      calls.push_back(call("iam", p.substr(4), str(ctx, "access_key_id")));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string key = str(ctx, "access_key_id");
    auto& iam = ctx.cloud().iam();
    FIREBREAK_TRY(auto used, iam.get_access_key_last_used(key));
    if (used.user_name.empty() || used.user_name == "<root>") {
      return fail(ErrorCode::kFailedPrecondition,
                  "key " + key + " belongs to no IAM user (a root key must be handled by hand)");
    }
    const std::string user = used.user_name;
    FIREBREAK_TRY(auto keys, iam.list_access_keys(user));
    FIREBREAK_TRY(auto attached, iam.list_attached_user_policies(user));
    FIREBREAK_TRY(auto inline_names, iam.list_user_policies(user));
    FIREBREAK_TRY(auto groups, iam.list_groups_for_user(user));
    FIREBREAK_TRY(auto mfa, iam.list_mfa_devices(user));
    auto login = iam.get_login_profile(user);
    if (!login && login.error().code() != ErrorCode::kNotFound) return fail(login.error());

    Json jkeys = Json::array(), jatt = Json::array(), jgroups = Json::array(), jmfa = Json::array();
    for (const auto& k : keys) {
      jkeys.push_back({{"access_key_id", k.access_key_id},
                       {"status", k.status},
                       {"create_date", format_iso8601(k.create_date)}});
    }
    for (const auto& p : attached) jatt.push_back(p.policy_arn);
    for (const auto& g : groups) jgroups.push_back(g.group_name);
    for (const auto& m : mfa) {
      jmfa.push_back(
          {{"serial_number", m.serial_number}, {"enable_date", format_iso8601(m.enable_date)}});
    }
    ApplyResult r;
    r.outputs = {{"user_name", user},
                 {"access_key_id", key},
                 {"keys", jkeys},
                 {"attached_policies", jatt},
                 {"inline_policies", inline_names},
                 {"groups", jgroups},
                 {"mfa_devices", jmfa},
                 {"login_profile", login.has_value()},
                 {"last_used",
                  {{"date", used.last_used_date ? Json(format_iso8601(*used.last_used_date))
                                                : Json(nullptr)},
                   {"service", used.service_name},
                   {"region", used.region}}}};
    ctx.record("observation", {{"scope", r.outputs}});
    r.summary = fmt::format("{} belongs to {}: {} key(s), {} attached policy(ies), {} group(s){}",
                            key, user, keys.size(), attached.size(), groups.size(),
                            login ? ", has a console password" : "");
    return r;
  }

  Result<Verification> verify(ActionContext&, const Json& o) override {
    return Verification{o.contains("user_name"), "owner scoped"};
  }
};

class DeactivateAccessKey final : public BasicAction {
 public:
  DeactivateAccessKey()
      : BasicAction(ActionSpec{
            .name = "iam.deactivate_access_key",
            .description = "Set the key Inactive (never delete it: its id threads CloudTrail).",
            .params = {param("user_name", ParamType::kString, "the key's owner"),
                       param("access_key_id", ParamType::kString, "the key")},
            .outputs = {"access_key_id", "status"},
            .permissions = {"iam:ListAccessKeys", "iam:UpdateAccessKey"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{
        call("iam", "UpdateAccessKey", str(ctx, "access_key_id") + " -> Inactive")};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    FIREBREAK_TRY(bool changed, ensure_inactive(ctx.cloud().iam(), str(ctx, "user_name"),
                                                str(ctx, "access_key_id")));
    ApplyResult r;
    r.outputs = {{"access_key_id", str(ctx, "access_key_id")}, {"status", "Inactive"}};
    r.changed = changed;
    r.summary = changed ? "key deactivated" : "key already inactive";
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY(auto keys, ctx.cloud().iam().list_access_keys(str(ctx, "user_name")));
    for (const auto& k : keys) {
      if (k.access_key_id == str(ctx, "access_key_id")) {
        return Verification{k.status == "Inactive", "key is " + k.status};
      }
    }
    return Verification{false, "key not found"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY_STATUS(ctx.cloud().iam().update_access_key(str(ctx, "user_name"),
                                                             str(ctx, "access_key_id"), "Active"));
    return ApplyResult{Json::object(), true, std::nullopt, "key reactivated"};
  }
};

// Inline policy on a user: deny-all, or session revocation.
class UserPolicyAction final : public BasicAction {
 public:
  explicit UserPolicyAction(bool revoke)
      : BasicAction(ActionSpec{
            .name = revoke ? "iam.revoke_user_sessions" : "iam.deny_all_user",
            .description = revoke ? "Deny every action to the user's sessions issued before now "
                                    "(aws:TokenIssueTime), revoking temporary credentials "
                                    "derived from the key."
                                  : "Attach an inline deny-all policy to the user.",
            .params = {param("user_name", ParamType::kString, "the user")},
            .outputs = {"user_name", "policy_name"},
            .permissions = {"iam:GetUserPolicy", "iam:PutUserPolicy", "iam:DeleteUserPolicy"},
            .has_rollback = true}),
        revoke_(revoke) {}

  std::string_view policy_name() const { return revoke_ ? kRevoke : kDenyAll; }

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{call(
        "iam", "PutUserPolicy", fmt::format("{} on {}", policy_name(), str(ctx, "user_name")))};
  }

  Result<std::string> document(ActionContext& ctx) {
    if (!revoke_) return deny_all_policy();
    FIREBREAK_TRY(TimePoint t, revocation_time(ctx));
    return revoke_sessions_policy(t);
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    FIREBREAK_TRY(std::string doc, document(ctx));
    FIREBREAK_TRY(bool changed,
                  ensure_user_policy(ctx.cloud().iam(), str(ctx, "user_name"), policy_name(), doc));
    ApplyResult r;
    r.outputs = {{"user_name", str(ctx, "user_name")}, {"policy_name", policy_name()}};
    r.changed = changed;
    r.summary = fmt::format("{} {} on {}", changed ? "put" : "already had", policy_name(),
                            str(ctx, "user_name"));
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY(std::string doc, document(ctx));
    FIREBREAK_TRY(std::string have, ctx.cloud().iam().get_user_policy(str(ctx, "user_name"),
                                                                      std::string(policy_name())));
    return Verification{same_policy(doc, have), std::string(policy_name()) + " in place"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY_STATUS(
        ctx.cloud().iam().delete_user_policy(str(ctx, "user_name"), std::string(policy_name())));
    return ApplyResult{Json::object(), true, std::nullopt,
                       fmt::format("removed {}", policy_name())};
  }

 private:
  bool revoke_;
};

class DeleteLoginProfile final : public BasicAction {
 public:
  DeleteLoginProfile()
      : BasicAction(ActionSpec{
            .name = "iam.delete_login_profile",
            .description = "Remove the user's console password (an attacker-set password keeps "
                           "console access otherwise). Cannot be rolled back.",
            .params = {param("user_name", ParamType::kString, "the user")},
            .outputs = {"user_name", "had_login_profile"},
            .permissions = {"iam:GetLoginProfile", "iam:DeleteLoginProfile"}}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{call("iam", "DeleteLoginProfile", str(ctx, "user_name"))};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string user = str(ctx, "user_name");
    auto& iam = ctx.cloud().iam();
    auto profile = iam.get_login_profile(user);
    ApplyResult r;
    if (!profile) {
      if (profile.error().code() != ErrorCode::kNotFound) return fail(profile.error());
      r.outputs = {{"user_name", user}, {"had_login_profile", scratch(ctx).value("had", false)}};
      r.summary = "no console password";
      return r;
    }
    FIREBREAK_TRY_STATUS(remember(ctx, "had", true));
    ctx.record("observation",
               {{"login_profile",
                 {{"user_name", user}, {"create_date", format_iso8601(profile->create_date)}}}});
    FIREBREAK_TRY_STATUS(iam.delete_login_profile(user));
    r.outputs = {{"user_name", user}, {"had_login_profile", true}};
    r.changed = true;
    r.summary = "console password removed";
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    auto profile = ctx.cloud().iam().get_login_profile(str(ctx, "user_name"));
    if (profile) return Verification{false, "console password still set"};
    if (profile.error().code() == ErrorCode::kNotFound)
      return Verification{true, "no console password"};
    return fail(profile.error());
  }
};

// ---- the hunt ----

struct HuntResult {
  Json created_users = Json::array();
  Json created_keys = Json::array();    // {user, access_key_id, by}
  Json login_profiles = Json::array();  // {user, event, by}
  Json policy_changes = Json::array();  // {event, target_type, target, policy, by}
  Json created_roles = Json::array();
  Json trust_edits = Json::array();
  Json assumed_roles = Json::array();        // {role_arn, session, access_key_id, by}
  Json derived_credentials = Json::array();  // {event, access_key_id, by}
  Json keys_hunted = Json::array();
  int events_examined = 0;
};

std::string at(const Json& j, std::initializer_list<const char*> path) {
  const Json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return {};
    p = &(*p)[k];
  }
  return p->is_string() ? p->get<std::string>() : std::string();
}

void add_unique(Json& list, Json item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

class HuntAccessKey final : public BasicAction {
 public:
  HuntAccessKey()
      : BasicAction(ActionSpec{
            .name = "cloudtrail.hunt_access_key",
            .description = "Read CloudTrail (LookupEvents by AccessKeyId) for what the key did "
                           "that persists: users, keys, console passwords, policy attachments, "
                           "roles, trust edits, AssumeRole and derived credentials; follows keys "
                           "it created or obtained.",
            .params = {param("access_key_id", ParamType::kString, "the leaked key"),
                       param("since", ParamType::kString,
                             "ISO 8601 start of the search ('' = 90 days, CloudTrail's horizon)",
                             ""),
                       param("max_keys", ParamType::kInt, "how many keys to follow", 20)},
            .outputs = {"created_users", "created_keys", "login_profiles", "policy_changes",
                        "created_roles", "trust_edits", "assumed_roles", "derived_credentials",
                        "keys_hunted", "events_examined"},
            .permissions = {"cloudtrail:LookupEvents"},
            .mutating = false}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{
        call("cloudtrail", "LookupEvents", "AccessKeyId=" + str(ctx, "access_key_id"))};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string since = str(ctx, "since");
    TimePoint from = ctx.clock().now() - std::chrono::hours(24 * 90);
    if (!since.empty()) {
      auto t = parse_iso8601(since);
      if (!t) return fail(ErrorCode::kInvalidArgument, "since is not an ISO 8601 time: " + since);
      from = *t;
    }
    const auto max_keys = static_cast<std::size_t>(ctx.params().value("max_keys", 20));
    HuntResult h;
    std::deque<std::string> queue{str(ctx, "access_key_id")};
    std::set<std::string> seen;
    while (!queue.empty() && seen.size() < max_keys) {
      const std::string key = queue.front();
      queue.pop_front();
      if (!seen.insert(key).second) continue;
      h.keys_hunted.push_back(key);
      FIREBREAK_TRY(auto events, ctx.cloud().cloudtrail().lookup_events(
                                     {.attributes = {{"AccessKeyId", key}}, .start_time = from}));
      for (const auto& e : events) {
        ++h.events_examined;
        auto rec = parse_json(e.cloudtrail_event);
        if (!rec || !rec->is_object()) continue;
        const Json& r = *rec;
        if (r.contains("errorCode") && !r["errorCode"].is_null()) continue;  // it failed
        const std::string name = r.value("eventName", "");
        const Json req = r.value("requestParameters", Json::object());
        const Json resp = r.value("responseElements", Json::object());
        const std::string caller_user = at(r, {"userIdentity", "userName"});
        if (name == "CreateUser") {
          add_unique(h.created_users, at(req, {"userName"}));
        } else if (name == "CreateAccessKey") {
          std::string user = at(req, {"userName"});
          if (user.empty()) user = caller_user;
          const std::string new_key = at(resp, {"accessKey", "accessKeyId"});
          add_unique(h.created_keys, {{"user", user}, {"access_key_id", new_key}, {"by", key}});
          if (!new_key.empty()) queue.push_back(new_key);
        } else if (name == "CreateLoginProfile" || name == "UpdateLoginProfile") {
          add_unique(h.login_profiles,
                     {{"user", at(req, {"userName"})}, {"event", name}, {"by", key}});
        } else if (name == "AttachUserPolicy" || name == "PutUserPolicy" ||
                   name == "AttachRolePolicy" || name == "PutRolePolicy" ||
                   name == "AttachGroupPolicy" || name == "PutGroupPolicy") {
          const bool user_t = name.find("User") != std::string::npos;
          const bool role_t = name.find("Role") != std::string::npos;
          const std::string target = at(req, {user_t   ? "userName"
                                              : role_t ? "roleName"
                                                       : "groupName"});
          const std::string policy =
              name.starts_with("Attach") ? at(req, {"policyArn"}) : at(req, {"policyName"});
          add_unique(h.policy_changes, {{"event", name},
                                        {"target_type", user_t   ? "user"
                                                        : role_t ? "role"
                                                                 : "group"},
                                        {"target", target},
                                        {"policy", policy},
                                        {"by", key}});
        } else if (name == "CreateRole") {
          add_unique(h.created_roles, at(req, {"roleName"}));
        } else if (name == "UpdateAssumeRolePolicy") {
          add_unique(h.trust_edits, at(req, {"roleName"}));
        } else if (name == "AssumeRole") {
          const std::string temp = at(resp, {"credentials", "accessKeyId"});
          add_unique(h.assumed_roles, {{"role_arn", at(req, {"roleArn"})},
                                       {"session", at(req, {"roleSessionName"})},
                                       {"access_key_id", temp},
                                       {"by", key}});
          if (!temp.empty()) queue.push_back(temp);
        } else if (name == "GetSessionToken" || name == "GetFederationToken") {
          const std::string temp = at(resp, {"credentials", "accessKeyId"});
          add_unique(h.derived_credentials,
                     {{"event", name}, {"access_key_id", temp}, {"by", key}});
          if (!temp.empty()) queue.push_back(temp);
        }
      }
    }
    ApplyResult r;
    r.outputs = {
        {"created_users", h.created_users},   {"created_keys", h.created_keys},
        {"login_profiles", h.login_profiles}, {"policy_changes", h.policy_changes},
        {"created_roles", h.created_roles},   {"trust_edits", h.trust_edits},
        {"assumed_roles", h.assumed_roles},   {"derived_credentials", h.derived_credentials},
        {"keys_hunted", h.keys_hunted},       {"events_examined", h.events_examined}};
    ctx.record("observation", {{"hunt", r.outputs}});
    const std::size_t found = h.created_users.size() + h.created_keys.size() +
                              h.login_profiles.size() + h.policy_changes.size() +
                              h.created_roles.size() + h.trust_edits.size() +
                              h.assumed_roles.size() + h.derived_credentials.size();
    r.summary = fmt::format("{} event(s) from {} key(s): {} persistence item(s)", h.events_examined,
                            h.keys_hunted.size(), found);
    return r;
  }

  Result<Verification> verify(ActionContext&, const Json& o) override {
    return Verification{o.contains("keys_hunted"), "hunt recorded"};
  }
};

class ContainPersistence final : public BasicAction {
 public:
  ContainPersistence()
      : BasicAction(ActionSpec{
            .name = "iam.contain_persistence",
            .description = "Contain what the hunt found: deactivate created keys, deny-all and "
                           "revoke sessions on created users and roles (and roles whose trust was "
                           "edited), remove attacker-set console passwords, undo attacker policy "
                           "attachments (never AWS's own AWSCompromisedKeyQuarantine policies).",
            .params = {param("hunt", ParamType::kObject,
                             "the outputs of cloudtrail.hunt_access_key"),
                       param("leaked_user", ParamType::kString,
                             "the leaked key's owner (already contained by earlier steps)", "")},
            .outputs = {"contained", "manual_follow_up"},
            .permissions = {"iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetUserPolicy",
                            "iam:PutUserPolicy", "iam:GetRolePolicy", "iam:PutRolePolicy",
                            "iam:GetLoginProfile", "iam:DeleteLoginProfile", "iam:DetachUserPolicy",
                            "iam:DetachRolePolicy", "iam:DeleteUserPolicy",
                            "iam:DeleteRolePolicy"}}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const Json& h = ctx.params()["hunt"];
    std::vector<ApiCall> calls;
    for (const auto& k : h.value("created_keys", Json::array())) {
      calls.push_back(
          call("iam", "UpdateAccessKey", k.value("access_key_id", "") + " -> Inactive"));
    }
    for (const auto& u : h.value("created_users", Json::array())) {
      calls.push_back(
          call("iam", "PutUserPolicy", "deny-all + revoke sessions on " + u.get<std::string>()));
    }
    for (const auto& r : h.value("created_roles", Json::array())) {
      calls.push_back(
          call("iam", "PutRolePolicy", "deny-all + revoke sessions on " + r.get<std::string>()));
    }
    for (const auto& p : h.value("login_profiles", Json::array())) {
      calls.push_back(call("iam", "DeleteLoginProfile", p.value("user", "")));
    }
    for (const auto& p : h.value("policy_changes", Json::array())) {
      calls.push_back(call("iam", "Detach/Delete policy",
                           fmt::format("{} {} on {}", p.value("event", ""), p.value("policy", ""),
                                       p.value("target", ""))));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const Json& h = ctx.params()["hunt"];
    auto& iam = ctx.cloud().iam();
    Json contained = Json::array(), manual = Json::array();
    FIREBREAK_TRY(TimePoint revoke_time, revocation_time(ctx));
    const std::string revoke_doc = revoke_sessions_policy(revoke_time);
    bool changed = false;
    auto note = [&](std::string what, bool did) {
      contained.push_back({{"item", std::move(what)}, {"changed", did}});
      changed |= did;
    };

    for (const auto& k : h.value("created_keys", Json::array())) {
      const std::string user = k.value("user", ""), key = k.value("access_key_id", "");
      if (user.empty() || key.empty()) continue;
      auto did = ensure_inactive(iam, user, key);
      if (!did && did.error().code() == ErrorCode::kNotFound) {
        manual.push_back("created key " + key + " of " + user + " not found (deleted?)");
        continue;
      }
      if (!did) return fail(did.error());
      note("deactivated key " + key + " of " + user, *did);
    }
    std::set<std::string> users;
    for (const auto& u : h.value("created_users", Json::array()))
      users.insert(u.get<std::string>());
    for (const auto& user : users) {
      auto deny = ensure_user_policy(iam, user, kDenyAll, deny_all_policy());
      if (!deny && deny.error().code() == ErrorCode::kNotFound) {
        manual.push_back("created user " + user + " no longer exists");
        continue;
      }
      if (!deny) return fail(deny.error());
      note("deny-all on user " + user, *deny);
      FIREBREAK_TRY(bool rv, ensure_user_policy(iam, user, kRevoke, revoke_doc));
      note("revoked sessions of user " + user, rv);
      FIREBREAK_TRY(auto keys, iam.list_access_keys(user));
      for (const auto& key : keys) {
        FIREBREAK_TRY(bool off, ensure_inactive(iam, user, key.access_key_id));
        note("deactivated key " + key.access_key_id + " of created user " + user, off);
      }
    }
    std::set<std::string> roles;
    for (const auto& r : h.value("created_roles", Json::array()))
      roles.insert(r.get<std::string>());
    for (const auto& r : h.value("trust_edits", Json::array())) roles.insert(r.get<std::string>());
    for (const auto& role : roles) {
      auto deny = ensure_role_policy(iam, role, kDenyAll, deny_all_policy());
      if (!deny && deny.error().code() == ErrorCode::kNotFound) {
        manual.push_back("role " + role + " no longer exists");
        continue;
      }
      if (!deny) return fail(deny.error());
      note("deny-all on role " + role, *deny);
      FIREBREAK_TRY(bool rv, ensure_role_policy(iam, role, kRevoke, revoke_doc));
      note("revoked sessions of role " + role, rv);
    }
    for (const auto& a : h.value("assumed_roles", Json::array())) {
      const std::string arn = a.value("role_arn", "");
      const auto slash = arn.rfind('/');
      const std::string role = slash == std::string::npos ? arn : arn.substr(slash + 1);
      const std::string account = arn.size() > 25 ? arn.substr(13, 12) : "";
      if (account != ctx.cloud().account_id()) {
        manual.push_back("AssumeRole into another account: " + arn +
                         " (revoke that role's sessions there)");
        continue;
      }
      if (roles.contains(role)) continue;
      FIREBREAK_TRY(bool rv, ensure_role_policy(iam, role, kRevoke, revoke_doc));
      note("revoked sessions of assumed role " + role, rv);
    }
    for (const auto& p : h.value("login_profiles", Json::array())) {
      const std::string user = p.value("user", "");
      if (user.empty()) continue;
      auto profile = iam.get_login_profile(user);
      if (!profile) {
        if (profile.error().code() != ErrorCode::kNotFound) return fail(profile.error());
        note("no console password on " + user, false);
        continue;
      }
      FIREBREAK_TRY_STATUS(iam.delete_login_profile(user));
      note("removed console password of " + user + " (" + p.value("event", "") + ")", true);
    }
    for (const auto& p : h.value("policy_changes", Json::array())) {
      const std::string event = p.value("event", ""), target = p.value("target", ""),
                        policy = p.value("policy", ""), type = p.value("target_type", "");
      if (policy.find(kAwsQuarantine) != std::string::npos || policy == kDenyAll ||
          policy == kRevoke) {
        continue;  // AWS's quarantine and firebreak's own containment stay
      }
      Status s;
      if (event == "AttachUserPolicy")
        s = iam.detach_user_policy(target, policy);
      else if (event == "AttachRolePolicy")
        s = iam.detach_role_policy(target, policy);
      else if (event == "PutUserPolicy")
        s = iam.delete_user_policy(target, policy);
      else if (event == "PutRolePolicy")
        s = iam.delete_role_policy(target, policy);
      else {
        manual.push_back(fmt::format("{} {} on group {}: review the group", event, policy, target));
        continue;
      }
      if (!s && s.error().code() == ErrorCode::kNotFound) {
        note(fmt::format("{} {} on {} {} already undone", event, policy, type, target), false);
        continue;
      }
      if (!s) return fail(s.error());
      note(fmt::format("undid {} {} on {} {}", event, policy, type, target), true);
    }
    for (const auto& d : h.value("derived_credentials", Json::array())) {
      manual.push_back(fmt::format("{} issued {}: revoke sessions of its issuer",
                                   d.value("event", ""), d.value("access_key_id", "")));
    }
    ApplyResult r;
    r.outputs = {{"contained", contained}, {"manual_follow_up", manual}};
    r.changed = changed;
    ctx.record("action_result", {{"persistence", r.outputs}});
    r.summary = fmt::format("{} persistence item(s) handled, {} for manual follow-up",
                            contained.size(), manual.size());
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    const Json& h = ctx.params()["hunt"];
    auto& iam = ctx.cloud().iam();
    for (const auto& k : h.value("created_keys", Json::array())) {
      auto keys = iam.list_access_keys(k.value("user", ""));
      if (!keys) continue;
      for (const auto& key : *keys) {
        if (key.access_key_id == k.value("access_key_id", "") && key.status != "Inactive") {
          return Verification{false, "created key " + key.access_key_id + " still active"};
        }
      }
    }
    for (const auto& p : h.value("login_profiles", Json::array())) {
      if (iam.get_login_profile(p.value("user", ""))) {
        return Verification{false, "console password still set on " + p.value("user", "")};
      }
    }
    return Verification{true, "persistence contained"};
  }
};

}  // namespace

std::unique_ptr<Action> make_iam_scope_access_key() { return std::make_unique<ScopeAccessKey>(); }
std::unique_ptr<Action> make_iam_deactivate_access_key() {
  return std::make_unique<DeactivateAccessKey>();
}
std::unique_ptr<Action> make_iam_deny_all_user() {
  return std::make_unique<UserPolicyAction>(false);
}
std::unique_ptr<Action> make_iam_revoke_user_sessions() {
  return std::make_unique<UserPolicyAction>(true);
}
std::unique_ptr<Action> make_iam_delete_login_profile() {
  return std::make_unique<DeleteLoginProfile>();
}
std::unique_ptr<Action> make_cloudtrail_hunt_access_key() {
  return std::make_unique<HuntAccessKey>();
}
std::unique_ptr<Action> make_iam_contain_persistence() {
  return std::make_unique<ContainPersistence>();
}

}  // namespace firebreak::respond::actions
