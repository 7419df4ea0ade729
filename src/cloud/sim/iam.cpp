// IAM and STS in the simulator.
#include <fmt/format.h>

#include <algorithm>

#include "firebreak/core/redact.h"
#include "session.h"

namespace firebreak::cloud::sim {
namespace {

bool valid_iam_name(std::string_view n, std::size_t max = 64) {
  if (n.empty() || n.size() > max) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '=' ||
           c == ',' || c == '.' || c == '@' || c == '-';
  });
}

std::size_t policy_size(std::string_view doc) {
  // IAM counts characters excluding whitespace against the quotas.
  return static_cast<std::size_t>(std::count_if(
      doc.begin(), doc.end(), [](char c) { return !std::isspace(static_cast<unsigned char>(c)); }));
}

IamState& iam_of(Call& c) { return c.s.accounts[c.account()].iam; }

std::string user_arn_for(Call& c, std::string_view name) {
  return fmt::format("arn:aws:iam::{}:user/{}", c.account_id(), name);
}
std::string role_arn_for(Call& c, std::string_view name) {
  return fmt::format("arn:aws:iam::{}:role/{}", c.account_id(), name);
}

Status validate_name(Call& c, std::string_view field, std::string_view value,
                     std::size_t max = 64) {
  if (!valid_iam_name(value, max))
    return c.invalid(
        "ValidationError",
        fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "[\\w+=,.@-]+",
                    value, field));
  return {};
}

// The user a call names, or the caller when the name is empty (IAM users only).
Result<std::uint32_t> need_user(Call& c, const std::string& name, bool allow_self = true) {
  if (name.empty() && allow_self) {
    if (c.caller.kind == CallerKind::kUser) return c.caller.index;
    return c.invalid("ValidationError",
                     "Must specify userName when calling with non-User credentials");
  }
  FIREBREAK_TRY_STATUS(validate_name(c, "userName", name));
  auto& iam = iam_of(c);
  auto it = iam.user_index.find(name);
  if (it == iam.user_index.end() || iam.users[it->second].deleted)
    return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                   fmt::format("The user with name {} cannot be found.", name), 404);
  return it->second;
}

Result<std::uint32_t> need_role(Call& c, const std::string& name) {
  FIREBREAK_TRY_STATUS(validate_name(c, "roleName", name));
  auto& iam = iam_of(c);
  auto it = iam.role_index.find(name);
  if (it == iam.role_index.end() || iam.roles[it->second].deleted)
    return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                   fmt::format("The role with name {} cannot be found.", name), 404);
  return it->second;
}

IamUser to_user(const World::State& s, std::uint16_t acct, std::uint32_t u) {
  const auto& r = s.accounts[acct].iam.users[u];
  IamUser out;
  out.user_name = r.name;
  out.user_id = r.id;
  out.arn = s.user_arn(acct, u);
  out.path = r.path;
  out.create_date = r.created;
  out.password_last_used = r.password_last_used;
  out.tags = r.tags;
  return out;
}

IamRole to_role(const World::State& s, std::uint16_t acct, std::uint32_t r) {
  const auto& rec = s.accounts[acct].iam.roles[r];
  IamRole out;
  out.role_name = rec.name;
  out.role_id = rec.id;
  out.arn = s.role_arn(acct, r);
  out.path = rec.path;
  out.assume_role_policy_document = rec.trust.text;
  out.create_date = rec.created;
  out.tags = rec.tags;
  return out;
}

void user_response(Call& c, const IamUser& u) {
  auto w = c.response_writer();
  w.begin_object()
      .key("user")
      .begin_object()
      .field("path", u.path)
      .field("userName", u.user_name)
      .field("userId", u.user_id)
      .field("arn", u.arn)
      .field("createDate", cloudtrail_console_time(u.create_date, false));
  if (!u.tags.empty()) {
    w.key("tags").begin_array();
    for (const auto& t : u.tags)
      w.begin_object().field("key", t.key).field("value", t.value).end_object();
    w.end_array();
  }
  w.end_object().end_object();
}

Result<std::shared_ptr<const Policy>> parse_doc(Call& c, const std::string& doc, PolicyKind kind) {
  auto p = Policy::parse(doc, kind);
  if (!p)
    return c.error(ErrorCode::kInvalidArgument, "MalformedPolicyDocument", p.error().message());
  return *p;
}

Result<const ManagedPolicyRec*> need_policy(Call& c, const std::string& arn) {
  const ManagedPolicyRec* p = c.s.managed_policy(arn);
  if (p == nullptr) {
    if (!arn.starts_with("arn:aws:iam::"))
      return c.invalid("InvalidInput", fmt::format("ARN {} is not valid.", arn));
    return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                   fmt::format("Policy {} does not exist or is not attachable.", arn), 404);
  }
  return p;
}

std::string policy_name_of(std::string_view arn) {
  const auto slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

}  // namespace

// ---- users ----

Result<IamUser> SimIam::get_user(const std::string& user_name) {
  SIM_OP("iam", "GetUser");
  return s_.run<Result<IamUser>>(kOp, [&](Call& c) -> Result<IamUser> {
    auto w = c.params_writer();
    w.begin_object();
    if (!user_name.empty()) w.field("userName", user_name);
    w.end_object();
    if (user_name.empty() && c.caller.kind == CallerKind::kRoot) {
      IamUser root;
      root.user_id = c.account_id();
      root.arn = fmt::format("arn:aws:iam::{}:root", c.account_id());
      return root;
    }
    FIREBREAK_TRY_STATUS(
        c.authorize(user_name.empty() ? c.caller.ref.arn : user_arn_for(c, user_name)));
    FIREBREAK_TRY(auto u, need_user(c, user_name));
    return to_user(c.s, c.account(), u);
  });
}

Result<std::vector<IamUser>> SimIam::list_users() {
  SIM_OP("iam", "ListUsers");
  return s_.run<Result<std::vector<IamUser>>>(kOp, [&](Call& c) -> Result<std::vector<IamUser>> {
    FIREBREAK_TRY_STATUS(c.authorize());
    std::vector<IamUser> out;
    const auto& iam = iam_of(c);
    for (std::uint32_t u = 0; u < iam.users.size(); ++u) {
      if (!iam.users[u].deleted) out.push_back(to_user(c.s, c.account(), u));
    }
    return out;
  });
}

Result<IamUser> SimIam::create_user(const std::string& user_name, const Tags& tags) {
  SIM_OP("iam", "CreateUser");
  return s_.run<Result<IamUser>>(kOp, [&](Call& c) -> Result<IamUser> {
    auto w = c.params_writer();
    w.begin_object().field("userName", user_name);
    if (!tags.empty()) {
      w.key("tags").begin_array();
      for (const auto& t : tags)
        w.begin_object().field("key", t.key).field("value", t.value).end_object();
      w.end_array();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user_name)));
    FIREBREAK_TRY_STATUS(validate_name(c, "userName", user_name));
    auto& iam = iam_of(c);
    if (iam.user_index.contains(user_name) && !iam.users[iam.user_index[user_name]].deleted)
      return c.error(ErrorCode::kAlreadyExists, "EntityAlreadyExists",
                     fmt::format("User with name {} already exists.", user_name), 409);
    if (tags.size() > 50)
      return c.error(ErrorCode::kLimitExceeded, "LimitExceeded", "Too many tags", 409);
    IamUserRec u;
    u.name = user_name;
    u.id = c.s.iam_id("AIDA");
    u.created = c.s.now();
    u.tags = tags;
    const auto idx = static_cast<std::uint32_t>(iam.users.size());
    iam.user_index[user_name] = idx;
    iam.users.push_back(std::move(u));
    c.s.build_user_identity(c.account(), idx);
    auto out = to_user(c.s, c.account(), idx);
    user_response(c, out);
    c.history_resources.emplace_back("AWS::IAM::User", user_name);
    return out;
  });
}

// ---- access keys ----

Result<std::vector<AccessKeyMetadata>> SimIam::list_access_keys(const std::string& user_name) {
  SIM_OP("iam", "ListAccessKeys");
  return s_.run<Result<std::vector<AccessKeyMetadata>>>(
      kOp, [&](Call& c) -> Result<std::vector<AccessKeyMetadata>> {
        auto w = c.params_writer();
        w.begin_object();
        if (!user_name.empty()) w.field("userName", user_name);
        w.end_object();
        FIREBREAK_TRY_STATUS(
            c.authorize(user_name.empty() ? c.caller.ref.arn : user_arn_for(c, user_name)));
        FIREBREAK_TRY(auto u, need_user(c, user_name));
        std::vector<AccessKeyMetadata> out;
        const auto& rec = iam_of(c).users[u];
        for (const auto& kid : rec.keys) {
          const auto& k = c.s.keys[c.s.credential_index.at(kid).second];
          if (k.deleted) continue;
          out.push_back({rec.name, k.id, k.active ? "Active" : "Inactive", k.created});
        }
        return out;
      });
}

Result<AccessKey> SimIam::create_access_key(const std::string& user_name) {
  SIM_OP("iam", "CreateAccessKey");
  return s_.run<Result<AccessKey>>(kOp, [&](Call& c) -> Result<AccessKey> {
    auto w = c.params_writer();
    w.begin_object();
    if (!user_name.empty()) w.field("userName", user_name);
    w.end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(user_name.empty() ? c.caller.ref.arn : user_arn_for(c, user_name)));
    FIREBREAK_TRY(auto u, need_user(c, user_name));
    auto& rec = iam_of(c).users[u];
    const auto live = std::count_if(rec.keys.begin(), rec.keys.end(), [&](const std::string& kid) {
      return !c.s.keys[c.s.credential_index.at(kid).second].deleted;
    });
    if (live >= 2)
      return c.error(ErrorCode::kLimitExceeded, "LimitExceeded",
                     "Cannot exceed quota for AccessKeysPerUser: 2", 409);
    const auto id = c.s.new_access_key(c.account(), u, "AKIA");
    const auto& k = c.s.keys[c.s.credential_index.at(id).second];
    register_secret(k.secret);
    AccessKey out{{rec.name, k.id, "Active", k.created}, k.secret};
    auto rw = c.response_writer();
    rw.begin_object()
        .key("accessKey")
        .begin_object()
        .field("userName", rec.name)
        .field("accessKeyId", k.id)
        .field("status", "Active")
        .field("createDate", cloudtrail_console_time(k.created, false))
        .end_object()
        .end_object();
    c.history_resources.emplace_back("AWS::IAM::AccessKey", k.id);
    c.history_resources.emplace_back("AWS::IAM::User", rec.name);
    return out;
  });
}

namespace {

Result<std::uint32_t> need_key_of(Call& c, std::uint32_t user, const std::string& key_id) {
  const auto& rec = iam_of(c).users[user];
  if (std::find(rec.keys.begin(), rec.keys.end(), key_id) != rec.keys.end()) {
    const auto idx = c.s.credential_index.at(key_id).second;
    if (!c.s.keys[idx].deleted) return idx;
  }
  return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                 fmt::format("The Access Key with id {} cannot be found.", key_id), 404);
}

}  // namespace

Status SimIam::update_access_key(const std::string& user_name, const std::string& key,
                                 const std::string& status) {
  SIM_OP("iam", "UpdateAccessKey");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object();
    if (!user_name.empty()) w.field("userName", user_name);
    w.field("accessKeyId", key).field("status", status).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(user_name.empty() ? c.caller.ref.arn : user_arn_for(c, user_name)));
    if (status != "Active" && status != "Inactive")
      return c.invalid("ValidationError",
                       fmt::format("1 validation error detected: Value '{}' at 'status' failed to "
                                   "satisfy constraint: Member must satisfy enum value set: "
                                   "[Active, Inactive]",
                                   status));
    FIREBREAK_TRY(auto u, need_user(c, user_name));
    FIREBREAK_TRY(auto idx, need_key_of(c, u, key));
    c.s.keys[idx].active = status == "Active";
    c.history_resources.emplace_back("AWS::IAM::AccessKey", key);
    return {};
  });
}

Status SimIam::delete_access_key(const std::string& user_name, const std::string& key) {
  SIM_OP("iam", "DeleteAccessKey");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object();
    if (!user_name.empty()) w.field("userName", user_name);
    w.field("accessKeyId", key).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(user_name.empty() ? c.caller.ref.arn : user_arn_for(c, user_name)));
    FIREBREAK_TRY(auto u, need_user(c, user_name));
    FIREBREAK_TRY(auto idx, need_key_of(c, u, key));
    c.s.keys[idx].deleted = true;
    c.s.keys[idx].active = false;
    return {};
  });
}

Result<AccessKeyLastUsed> SimIam::get_access_key_last_used(const std::string& key) {
  SIM_OP("iam", "GetAccessKeyLastUsed");
  return s_.run<Result<AccessKeyLastUsed>>(kOp, [&](Call& c) -> Result<AccessKeyLastUsed> {
    auto w = c.params_writer();
    w.begin_object().field("accessKeyId", key).end_object();
    auto it = c.s.credential_index.find(key);
    const bool found = it != c.s.credential_index.end() && !it->second.first &&
                       c.s.keys[it->second.second].account == c.account() &&
                       c.s.keys[it->second.second].user != kRootUser &&
                       !c.s.keys[it->second.second].deleted;
    std::string owner;
    if (found) {
      const auto& k = c.s.keys[it->second.second];
      owner = iam_of(c).users[k.user].name;
    }
    FIREBREAK_TRY_STATUS(c.authorize(found ? user_arn_for(c, owner) : std::string("*")));
    if (key.size() < 16 || key.size() > 128)
      return c.invalid(
          "ValidationError",
          fmt::format("1 validation error detected: Value '{}' at 'accessKeyId' failed "
                      "to satisfy constraint: Member must have length greater than "
                      "or equal to 16",
                      key));
    if (!found)
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("The Access Key with id {} cannot be found.", key), 404);
    const auto& k = c.s.keys[it->second.second];
    AccessKeyLastUsed out;
    out.user_name = owner;
    out.last_used_date = k.last_used;
    out.service_name = k.last_used ? k.last_service : "N/A";
    out.region = k.last_used ? k.last_region : "N/A";
    return out;
  });
}

// ---- user policies, groups, MFA, login profile ----

Result<std::vector<AttachedPolicy>> SimIam::list_attached_user_policies(const std::string& user) {
  SIM_OP("iam", "ListAttachedUserPolicies");
  return s_.run<Result<std::vector<AttachedPolicy>>>(
      kOp, [&](Call& c) -> Result<std::vector<AttachedPolicy>> {
        auto w = c.params_writer();
        w.begin_object().field("userName", user).end_object();
        FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
        FIREBREAK_TRY(auto u, need_user(c, user, false));
        std::vector<AttachedPolicy> out;
        for (const auto& arn : iam_of(c).users[u].attached)
          out.push_back({policy_name_of(arn), arn});
        return out;
      });
}

namespace {

Status attach(SimSession& ss, const OpDesc& op, bool user, const std::string& name,
              const std::string& arn, bool add) {
  return ss.run<Status>(op, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field(user ? "userName" : "roleName", name)
        .field("policyArn", arn)
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user ? user_arn_for(c, name) : role_arn_for(c, name)));
    std::vector<std::string>* list = nullptr;
    if (user) {
      FIREBREAK_TRY(auto u, need_user(c, name, false));
      list = &iam_of(c).users[u].attached;
    } else {
      FIREBREAK_TRY(auto r, need_role(c, name));
      list = &iam_of(c).roles[r].attached;
    }
    if (add) {
      FIREBREAK_TRY(auto pol, need_policy(c, arn));
      (void)pol;
      if (std::find(list->begin(), list->end(), arn) == list->end()) {
        if (list->size() >= 10)
          return c.error(
              ErrorCode::kLimitExceeded, "LimitExceeded",
              fmt::format("Cannot exceed quota for PoliciesPer{}: 10", user ? "User" : "Role"),
              409);
        list->push_back(arn);
      }
    } else {
      auto it = std::find(list->begin(), list->end(), arn);
      if (it == list->end())
        return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                       fmt::format("Policy {} was not found.", arn), 404);
      list->erase(it);
    }
    c.history_resources.emplace_back(user ? "AWS::IAM::User" : "AWS::IAM::Role", name);
    c.history_resources.emplace_back("AWS::IAM::Policy", arn);
    return {};
  });
}

Status put_inline(SimSession& ss, const OpDesc& op, bool user, const std::string& name,
                  const std::string& policy_name, const std::string& doc) {
  return ss.run<Status>(op, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field(user ? "userName" : "roleName", name)
        .field("policyName", policy_name)
        .field("policyDocument", doc)
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user ? user_arn_for(c, name) : role_arn_for(c, name)));
    FIREBREAK_TRY_STATUS(validate_name(c, "policyName", policy_name, 128));
    std::map<std::string, PolicyDoc>* map = nullptr;
    if (user) {
      FIREBREAK_TRY(auto u, need_user(c, name, false));
      map = &iam_of(c).users[u].inline_policies;
    } else {
      FIREBREAK_TRY(auto r, need_role(c, name));
      map = &iam_of(c).roles[r].inline_policies;
    }
    FIREBREAK_TRY(auto parsed, parse_doc(c, doc, PolicyKind::kIdentity));
    std::size_t total = policy_size(doc);
    for (const auto& [n, d] : *map) {
      if (n != policy_name) total += policy_size(d.text);
    }
    const std::size_t quota = user ? 2048 : 10240;
    if (total > quota)
      return c.error(ErrorCode::kLimitExceeded, "LimitExceeded",
                     fmt::format("Maximum policy size of {} bytes exceeded for {} {}", quota,
                                 user ? "user" : "role", name),
                     409);
    (*map)[policy_name] = PolicyDoc{doc, std::move(parsed)};
    c.history_resources.emplace_back(user ? "AWS::IAM::User" : "AWS::IAM::Role", name);
    return {};
  });
}

}  // namespace

Status SimIam::attach_user_policy(const std::string& user, const std::string& arn) {
  SIM_OP("iam", "AttachUserPolicy");
  return attach(s_, kOp, true, user, arn, true);
}
Status SimIam::detach_user_policy(const std::string& user, const std::string& arn) {
  SIM_OP("iam", "DetachUserPolicy");
  return attach(s_, kOp, true, user, arn, false);
}

Result<std::vector<std::string>> SimIam::list_user_policies(const std::string& user) {
  SIM_OP("iam", "ListUserPolicies");
  return s_.run<Result<std::vector<std::string>>>(
      kOp, [&](Call& c) -> Result<std::vector<std::string>> {
        auto w = c.params_writer();
        w.begin_object().field("userName", user).end_object();
        FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
        FIREBREAK_TRY(auto u, need_user(c, user, false));
        std::vector<std::string> out;
        for (const auto& [n, _] : iam_of(c).users[u].inline_policies) out.push_back(n);
        return out;
      });
}

Result<std::string> SimIam::get_user_policy(const std::string& user, const std::string& name) {
  SIM_OP("iam", "GetUserPolicy");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).field("policyName", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    const auto& m = iam_of(c).users[u].inline_policies;
    auto it = m.find(name);
    if (it == m.end())
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("The user policy with name {} cannot be found.", name), 404);
    return it->second.text;
  });
}

Status SimIam::put_user_policy(const std::string& user, const std::string& name,
                               const std::string& doc) {
  SIM_OP("iam", "PutUserPolicy");
  return put_inline(s_, kOp, true, user, name, doc);
}

Status SimIam::delete_user_policy(const std::string& user, const std::string& name) {
  SIM_OP("iam", "DeleteUserPolicy");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).field("policyName", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    auto& m = iam_of(c).users[u].inline_policies;
    if (m.erase(name) == 0)
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("The user policy with name {} cannot be found.", name), 404);
    return {};
  });
}

Result<std::vector<IamGroup>> SimIam::list_groups_for_user(const std::string& user) {
  SIM_OP("iam", "ListGroupsForUser");
  return s_.run<Result<std::vector<IamGroup>>>(kOp, [&](Call& c) -> Result<std::vector<IamGroup>> {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    std::vector<IamGroup> out;
    for (auto g : iam_of(c).users[u].groups) {
      const auto& grp = iam_of(c).groups[g];
      out.push_back(
          {grp.name, fmt::format("arn:aws:iam::{}:group{}{}", c.account_id(), grp.path, grp.name)});
    }
    return out;
  });
}

Result<std::vector<MfaDevice>> SimIam::list_mfa_devices(const std::string& user) {
  SIM_OP("iam", "ListMFADevices");
  return s_.run<Result<std::vector<MfaDevice>>>(
      kOp, [&](Call& c) -> Result<std::vector<MfaDevice>> {
        auto w = c.params_writer();
        w.begin_object();
        if (!user.empty()) w.field("userName", user);
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize(user.empty() ? c.caller.ref.arn : user_arn_for(c, user)));
        FIREBREAK_TRY(auto u, need_user(c, user));
        std::vector<MfaDevice> out;
        const auto& rec = iam_of(c).users[u];
        for (const auto& m : rec.mfa) out.push_back({rec.name, m.serial, m.enabled});
        return out;
      });
}

Status SimIam::deactivate_mfa_device(const std::string& user, const std::string& serial) {
  SIM_OP("iam", "DeactivateMFADevice");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).field("serialNumber", serial).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    auto& mfa = iam_of(c).users[u].mfa;
    auto it =
        std::find_if(mfa.begin(), mfa.end(), [&](const MfaRec& m) { return m.serial == serial; });
    if (it == mfa.end())
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("MFA Device with serial number {} does not exist.", serial), 404);
    mfa.erase(it);
    return {};
  });
}

Result<LoginProfile> SimIam::get_login_profile(const std::string& user) {
  SIM_OP("iam", "GetLoginProfile");
  return s_.run<Result<LoginProfile>>(kOp, [&](Call& c) -> Result<LoginProfile> {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user));
    const auto& rec = iam_of(c).users[u];
    if (!rec.login_profile)
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("Login Profile for User {} cannot be found.", rec.name), 404);
    return *rec.login_profile;
  });
}

Result<LoginProfile> SimIam::create_login_profile(const std::string& user,
                                                  const std::string& password,
                                                  bool reset_required) {
  SIM_OP("iam", "CreateLoginProfile");
  return s_.run<Result<LoginProfile>>(kOp, [&](Call& c) -> Result<LoginProfile> {
    auto w = c.params_writer();
    w.begin_object()
        .field("userName", user)
        .field("passwordResetRequired", reset_required)
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    auto& rec = iam_of(c).users[u];
    if (rec.login_profile)
      return c.error(ErrorCode::kAlreadyExists, "EntityAlreadyExists",
                     fmt::format("Login Profile for user {} already exists.", user), 409);
    if (password.size() < 8 || password.size() > 128)
      return c.invalid("PasswordPolicyViolation", "Password should have a minimum length of 8");
    rec.login_profile = LoginProfile{rec.name, c.s.now(), reset_required};
    auto rw = c.response_writer();
    rw.begin_object()
        .key("loginProfile")
        .begin_object()
        .field("userName", rec.name)
        .field("createDate", cloudtrail_console_time(c.s.now(), false))
        .field("passwordResetRequired", reset_required)
        .end_object()
        .end_object();
    return *rec.login_profile;
  });
}

Status SimIam::delete_login_profile(const std::string& user) {
  SIM_OP("iam", "DeleteLoginProfile");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("userName", user).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(user_arn_for(c, user)));
    FIREBREAK_TRY(auto u, need_user(c, user, false));
    auto& rec = iam_of(c).users[u];
    if (!rec.login_profile)
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("Login Profile for User {} cannot be found.", rec.name), 404);
    rec.login_profile.reset();
    return {};
  });
}

// ---- roles ----

Result<IamRole> SimIam::get_role(const std::string& role) {
  SIM_OP("iam", "GetRole");
  return s_.run<Result<IamRole>>(kOp, [&](Call& c) -> Result<IamRole> {
    auto w = c.params_writer();
    w.begin_object().field("roleName", role).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
    FIREBREAK_TRY(auto r, need_role(c, role));
    return to_role(c.s, c.account(), r);
  });
}

Result<IamRole> SimIam::create_role(const std::string& role, const std::string& trust,
                                    const Tags& tags) {
  SIM_OP("iam", "CreateRole");
  return s_.run<Result<IamRole>>(kOp, [&](Call& c) -> Result<IamRole> {
    auto w = c.params_writer();
    w.begin_object().field("roleName", role).field("assumeRolePolicyDocument", trust);
    if (!tags.empty()) {
      w.key("tags").begin_array();
      for (const auto& t : tags)
        w.begin_object().field("key", t.key).field("value", t.value).end_object();
      w.end_array();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
    FIREBREAK_TRY_STATUS(validate_name(c, "roleName", role));
    auto& iam = iam_of(c);
    if (iam.role_index.contains(role) && !iam.roles[iam.role_index[role]].deleted)
      return c.error(ErrorCode::kAlreadyExists, "EntityAlreadyExists",
                     fmt::format("Role with name {} already exists.", role), 409);
    FIREBREAK_TRY(auto parsed, parse_doc(c, trust, PolicyKind::kResource));
    IamRoleRec r;
    r.name = role;
    r.id = c.s.iam_id("AROA");
    r.created = c.s.now();
    r.trust = PolicyDoc{trust, std::move(parsed)};
    r.tags = tags;
    const auto idx = static_cast<std::uint32_t>(iam.roles.size());
    iam.role_index[role] = idx;
    iam.roles.push_back(std::move(r));
    auto out = to_role(c.s, c.account(), idx);
    auto rw = c.response_writer();
    rw.begin_object()
        .key("role")
        .begin_object()
        .field("path", out.path)
        .field("roleName", out.role_name)
        .field("roleId", out.role_id)
        .field("arn", out.arn)
        .field("createDate", cloudtrail_console_time(out.create_date, false))
        .field("assumeRolePolicyDocument", trust)
        .end_object()
        .end_object();
    c.history_resources.emplace_back("AWS::IAM::Role", role);
    return out;
  });
}

Status SimIam::update_assume_role_policy(const std::string& role, const std::string& doc) {
  SIM_OP("iam", "UpdateAssumeRolePolicy");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("roleName", role).field("policyDocument", doc).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
    FIREBREAK_TRY(auto r, need_role(c, role));
    FIREBREAK_TRY(auto parsed, parse_doc(c, doc, PolicyKind::kResource));
    iam_of(c).roles[r].trust = PolicyDoc{doc, std::move(parsed)};
    c.history_resources.emplace_back("AWS::IAM::Role", role);
    return {};
  });
}

Result<std::vector<std::string>> SimIam::list_role_policies(const std::string& role) {
  SIM_OP("iam", "ListRolePolicies");
  return s_.run<Result<std::vector<std::string>>>(
      kOp, [&](Call& c) -> Result<std::vector<std::string>> {
        auto w = c.params_writer();
        w.begin_object().field("roleName", role).end_object();
        FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
        FIREBREAK_TRY(auto r, need_role(c, role));
        std::vector<std::string> out;
        for (const auto& [n, _] : iam_of(c).roles[r].inline_policies) out.push_back(n);
        return out;
      });
}

Result<std::string> SimIam::get_role_policy(const std::string& role, const std::string& name) {
  SIM_OP("iam", "GetRolePolicy");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("roleName", role).field("policyName", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
    FIREBREAK_TRY(auto r, need_role(c, role));
    const auto& m = iam_of(c).roles[r].inline_policies;
    auto it = m.find(name);
    if (it == m.end())
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("The role policy with name {} cannot be found.", name), 404);
    return it->second.text;
  });
}

Status SimIam::put_role_policy(const std::string& role, const std::string& name,
                               const std::string& doc) {
  SIM_OP("iam", "PutRolePolicy");
  return put_inline(s_, kOp, false, role, name, doc);
}

Status SimIam::delete_role_policy(const std::string& role, const std::string& name) {
  SIM_OP("iam", "DeleteRolePolicy");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("roleName", role).field("policyName", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
    FIREBREAK_TRY(auto r, need_role(c, role));
    if (iam_of(c).roles[r].inline_policies.erase(name) == 0)
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("The role policy with name {} cannot be found.", name), 404);
    return {};
  });
}

Result<std::vector<AttachedPolicy>> SimIam::list_attached_role_policies(const std::string& role) {
  SIM_OP("iam", "ListAttachedRolePolicies");
  return s_.run<Result<std::vector<AttachedPolicy>>>(
      kOp, [&](Call& c) -> Result<std::vector<AttachedPolicy>> {
        auto w = c.params_writer();
        w.begin_object().field("roleName", role).end_object();
        FIREBREAK_TRY_STATUS(c.authorize(role_arn_for(c, role)));
        FIREBREAK_TRY(auto r, need_role(c, role));
        std::vector<AttachedPolicy> out;
        for (const auto& arn : iam_of(c).roles[r].attached)
          out.push_back({policy_name_of(arn), arn});
        return out;
      });
}

Status SimIam::attach_role_policy(const std::string& role, const std::string& arn) {
  SIM_OP("iam", "AttachRolePolicy");
  return attach(s_, kOp, false, role, arn, true);
}
Status SimIam::detach_role_policy(const std::string& role, const std::string& arn) {
  SIM_OP("iam", "DetachRolePolicy");
  return attach(s_, kOp, false, role, arn, false);
}

// ---- instance profiles ----

namespace {

InstanceProfile to_profile(const World::State& s, std::uint16_t acct, std::uint32_t p) {
  const auto& rec = s.accounts[acct].iam.profiles[p];
  InstanceProfile out;
  out.instance_profile_name = rec.name;
  out.instance_profile_id = rec.id;
  out.arn =
      fmt::format("arn:aws:iam::{}:instance-profile{}{}", s.accounts[acct].id, rec.path, rec.name);
  for (auto r : rec.roles) out.roles.push_back(to_role(s, acct, r));
  return out;
}

}  // namespace

Result<InstanceProfile> SimIam::get_instance_profile(const std::string& name) {
  SIM_OP("iam", "GetInstanceProfile");
  return s_.run<Result<InstanceProfile>>(kOp, [&](Call& c) -> Result<InstanceProfile> {
    auto w = c.params_writer();
    w.begin_object().field("instanceProfileName", name).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:iam::{}:instance-profile/{}", c.account_id(), name)));
    FIREBREAK_TRY_STATUS(validate_name(c, "instanceProfileName", name, 128));
    auto& iam = iam_of(c);
    auto it = iam.profile_index.find(name);
    if (it == iam.profile_index.end())
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("Instance Profile {} cannot be found.", name), 404);
    return to_profile(c.s, c.account(), it->second);
  });
}

Result<InstanceProfile> SimIam::create_instance_profile(const std::string& name) {
  SIM_OP("iam", "CreateInstanceProfile");
  return s_.run<Result<InstanceProfile>>(kOp, [&](Call& c) -> Result<InstanceProfile> {
    auto w = c.params_writer();
    w.begin_object().field("instanceProfileName", name).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:iam::{}:instance-profile/{}", c.account_id(), name)));
    FIREBREAK_TRY_STATUS(validate_name(c, "instanceProfileName", name, 128));
    auto& iam = iam_of(c);
    if (iam.profile_index.contains(name))
      return c.error(ErrorCode::kAlreadyExists, "EntityAlreadyExists",
                     fmt::format("Instance Profile {} already exists.", name), 409);
    InstanceProfileRec p;
    p.name = name;
    p.id = c.s.iam_id("AIPA");
    p.created = c.s.now();
    const auto idx = static_cast<std::uint32_t>(iam.profiles.size());
    iam.profile_index[name] = idx;
    iam.profiles.push_back(std::move(p));
    auto out = to_profile(c.s, c.account(), idx);
    auto rw = c.response_writer();
    rw.begin_object()
        .key("instanceProfile")
        .begin_object()
        .field("path", "/")
        .field("instanceProfileName", name)
        .field("instanceProfileId", out.instance_profile_id)
        .field("arn", out.arn)
        .field("createDate", cloudtrail_console_time(c.s.now(), false))
        .key("roles")
        .begin_array()
        .end_array()
        .end_object()
        .end_object();
    return out;
  });
}

Status SimIam::add_role_to_instance_profile(const std::string& profile, const std::string& role) {
  SIM_OP("iam", "AddRoleToInstanceProfile");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("instanceProfileName", profile).field("roleName", role).end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:iam::{}:instance-profile/{}", c.account_id(), profile)));
    auto& iam = iam_of(c);
    auto it = iam.profile_index.find(profile);
    if (it == iam.profile_index.end())
      return c.error(ErrorCode::kNotFound, "NoSuchEntity",
                     fmt::format("Instance Profile {} cannot be found.", profile), 404);
    FIREBREAK_TRY(auto r, need_role(c, role));
    FIREBREAK_TRY_STATUS(
        c.authorize(role_arn_for(c, role), {}, nullptr, std::nullopt, "iam:passrole"));
    auto& p = iam.profiles[it->second];
    if (!p.roles.empty())
      return c.error(ErrorCode::kLimitExceeded, "LimitExceeded",
                     "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409);
    p.roles.push_back(r);
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// STS

Result<CallerIdentity> SimSts::get_caller_identity() {
  SIM_OP("sts", "GetCallerIdentity");
  return s_.run<Result<CallerIdentity>>(kOp, [&](Call& c) -> Result<CallerIdentity> {
    // No permission is needed: an explicit deny cannot stop GetCallerIdentity.
    CallerIdentity out;
    out.account = c.account_id();
    out.arn = c.caller.ref.arn;
    switch (c.caller.kind) {
      case CallerKind::kUser: out.user_id = iam_of(c).users[c.caller.index].id; break;
      case CallerKind::kRole: {
        const auto& ses = c.s.sessions[c.caller.index];
        out.user_id =
            fmt::format("{}:{}", c.s.accounts[ses.account].iam.roles[ses.role].id, ses.name);
        break;
      }
      default: out.user_id = c.account_id(); break;
    }
    return out;
  });
}

Result<AssumedRole> SimSts::assume_role(const AssumeRoleRequest& req) {
  SIM_OP("sts", "AssumeRole");
  return s_.run<Result<AssumedRole>>(kOp, [&](Call& c) -> Result<AssumedRole> {
    auto w = c.params_writer();
    w.begin_object()
        .field("roleArn", req.role_arn)
        .field("roleSessionName", req.role_session_name)
        .field("durationSeconds", req.duration_seconds);
    if (!req.external_id.empty()) w.field("externalId", req.external_id);
    if (!req.policy.empty()) w.field("policy", req.policy);
    w.end_object();
    c.read_only_override = true;  // CloudTrail marks AssumeRole readOnly
    const auto& name = req.role_session_name;
    if (name.size() < 2 || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '+' ||
                 ch == '=' || ch == ',' || ch == '.' || ch == '@' || ch == '-';
        }))
      return c.invalid("ValidationError",
                       fmt::format("1 validation error detected: Value '{}' at 'roleSessionName' "
                                   "failed to satisfy constraint: Member must satisfy regular "
                                   "expression pattern: [\\w+=,.@-]*",
                                   name));
    // arn:aws:iam::<12>:role/<path/name>
    const auto& arn = req.role_arn;
    if (!arn.starts_with("arn:aws:iam::") || arn.size() < 26 || arn.substr(25, 6) != ":role/")
      return c.invalid("ValidationError", fmt::format("{} is invalid", arn));
    const std::string acct_id = arn.substr(13, 12);
    const std::string role_name = arn.substr(arn.rfind('/') + 1);
    auto denied = [&]() {
      return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                     fmt::format("User: {} is not authorized to perform: sts:AssumeRole on "
                                 "resource: {}",
                                 c.caller.ref.arn, arn),
                     403);
    };
    auto acct = c.s.account(acct_id);
    if (!acct) return denied();
    const auto& iam = c.s.accounts[*acct].iam;
    auto it = iam.role_index.find(role_name);
    if (it == iam.role_index.end() || iam.roles[it->second].deleted) return denied();
    const std::uint32_t role = it->second;
    const auto& rrec = iam.roles[role];
    if (c.s.role_arn(*acct, role) != arn) return denied();
    c.resources.emplace_back("AWS::IAM::Role", arn);
    if (*acct != c.account()) c.also_to.push_back(*acct);

    std::vector<ContextValue> extra;
    if (!req.external_id.empty()) extra.push_back({"sts:externalid", {req.external_id}});
    // The trust policy must allow the caller; the caller's own policies must allow the call
    // unless the trust policy names the caller explicitly in the same account.
    const bool identity_ok =
        c.caller.kind == CallerKind::kRoot || c.allowed("sts:assumerole", arn, extra);
    PrincipalRef specific = c.caller.ref;
    specific.account.clear();  // only ARN matches count as "named explicitly"
    auto keys = caller_context(c.s, c.caller, c.session_region());
    keys.insert(keys.end(), extra.begin(), extra.end());
    RequestContext ctx;
    ctx.action = "sts:assumerole";
    ctx.principal = &c.caller.ref;
    ctx.keys = keys;
    ctx.now = c.s.now();
    const Decision trust = rrec.trust.parsed->evaluate(ctx);
    if (trust != Decision::kAllow) return denied();
    if (*acct == c.account()) {
      ctx.principal = &specific;
      const bool named = rrec.trust.parsed->evaluate(ctx) == Decision::kAllow;
      if (!identity_ok && !named) return denied();
    } else if (!identity_ok) {
      return denied();
    }
    const bool chained = c.caller.kind == CallerKind::kRole;
    const int max = chained ? 3600 : rrec.max_session_seconds;
    if (req.duration_seconds < 900 || req.duration_seconds > max)
      return c.invalid("ValidationError",
                       req.duration_seconds < 900
                           ? std::string("1 validation error detected: Value at 'durationSeconds' "
                                         "failed to satisfy constraint: Member must have value "
                                         "greater than or equal to 900")
                           : std::string("The requested DurationSeconds exceeds the "
                                         "MaxSessionDuration set for this role."));
    std::shared_ptr<const Policy> session_policy;
    if (!req.policy.empty()) {
      if (req.policy.size() > 2048)
        return c.error(ErrorCode::kInvalidArgument, "PackedPolicyTooLarge",
                       "Packed size of consumed sessionPolicies exceeds 100% of limit.");
      auto p = Policy::parse(req.policy, PolicyKind::kSession);
      if (!p)
        return c.error(ErrorCode::kInvalidArgument, "MalformedPolicyDocument", p.error().message());
      session_policy = *p;
    }
    const auto idx = c.s.new_session(*acct, role, name, std::chrono::seconds(req.duration_seconds));
    auto& ses = c.s.sessions[idx];
    ses.session_policy = session_policy;
    if (c.caller.kind == CallerKind::kRole) ses.mfa = c.s.sessions[c.caller.index].mfa;
    c.s.build_session_identity(idx);
    register_secret(ses.secret);
    register_secret(ses.token);
    AssumedRole out;
    out.credentials = Credentials{ses.access_key_id, ses.secret, ses.token, ses.expires};
    out.assumed_role_arn =
        fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", acct_id, rrec.name, name);
    out.assumed_role_id = fmt::format("{}:{}", rrec.id, name);
    auto rw = c.response_writer();
    rw.begin_object()
        .key("credentials")
        .begin_object()
        .field("accessKeyId", ses.access_key_id)
        .field("sessionToken", ses.token)
        .field("expiration", cloudtrail_console_time(ses.expires, true))
        .end_object()
        .key("assumedRoleUser")
        .begin_object()
        .field("assumedRoleId", out.assumed_role_id)
        .field("arn", out.assumed_role_arn)
        .end_object()
        .end_object();
    c.history_resources.emplace_back("AWS::IAM::Role", arn);
    return out;
  });
}

}  // namespace firebreak::cloud::sim
