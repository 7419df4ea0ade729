// IAM (query protocol, global endpoint signed in us-east-1) and STS.
#include <fmt/format.h>

#include "firebreak/core/redact.h"
#include "services.h"

namespace firebreak::cloud::aws::detail {

namespace {

using Doc = std::shared_ptr<pugi::xml_document>;

pugi::xml_node result_of(const Doc& doc, std::string_view action) {
  return doc->document_element().child(fmt::format("{}Result", action).c_str());
}

Tags parse_tags(const pugi::xml_node& n) {
  Tags t;
  for (auto m : n.child("Tags").children("member")) t.push_back({xt(m, "Key"), xt(m, "Value")});
  return t;
}

void add_tags(QueryList& q, const Tags& tags) {
  for (std::size_t i = 0; i < tags.size(); ++i) {
    q.emplace_back(fmt::format("Tags.member.{}.Key", i + 1), tags[i].key);
    q.emplace_back(fmt::format("Tags.member.{}.Value", i + 1), tags[i].value);
  }
}

IamUser parse_user(const pugi::xml_node& u) {
  IamUser user;
  user.user_name = xt(u, "UserName");
  user.user_id = xt(u, "UserId");
  user.arn = xt(u, "Arn");
  user.path = xt(u, "Path");
  user.create_date = xtime(u, "CreateDate");
  user.password_last_used = xtime_opt(u, "PasswordLastUsed");
  user.tags = parse_tags(u);
  return user;
}

IamRole parse_role(const pugi::xml_node& r) {
  IamRole role;
  role.role_name = xt(r, "RoleName");
  role.role_id = xt(r, "RoleId");
  role.arn = xt(r, "Arn");
  role.path = xt(r, "Path");
  role.assume_role_policy_document = percent_decode(xt(r, "AssumeRolePolicyDocument"));
  role.create_date = xtime(r, "CreateDate");
  role.tags = parse_tags(r);
  return role;
}

AccessKeyMetadata parse_key(const pugi::xml_node& k) {
  return {xt(k, "UserName"), xt(k, "AccessKeyId"), xt(k, "Status"), xtime(k, "CreateDate")};
}

LoginProfile parse_login(const pugi::xml_node& n) {
  return {xt(n, "UserName"), xtime(n, "CreateDate"), xb(n, "PasswordResetRequired")};
}

class AwsIam final : public Iam {
 public:
  explicit AwsIam(Client& c) : c_(c) {}

  Result<pugi::xml_node> call(std::string_view action, QueryList q, Doc& keep) {
    FIREBREAK_TRY(keep, c_.query(spec::kIam, action, std::move(q)));
    return result_of(keep, action);
  }

  Status simple(std::string_view action, QueryList q) {
    return c_.run(spec::kIam, action, [&]() -> Status {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kIam, action, std::move(q)));
      (void)doc;
      return {};
    });
  }

  // IAM pagination: IsTruncated + Marker.
  template <class F>
  Status paginate(std::string_view action, const QueryList& base, F&& each) {
    std::string marker;
    for (int page = 0; page < kMaxPages; ++page) {
      QueryList q = base;
      if (!marker.empty()) q.emplace_back("Marker", marker);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kIam, action, q));
      const pugi::xml_node r = result_of(doc, action);
      each(r);
      if (!xb(r, "IsTruncated")) return {};
      marker = xt(r, "Marker");
      if (marker.empty()) return {};
    }
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("iam {}: more than {} pages", action, kMaxPages));
  }

  template <class T, class Parse>
  Result<std::vector<T>> list(std::string_view action, QueryList base, const char* list_name,
                              Parse parse) {
    return c_.run(spec::kIam, action, [&]() -> Result<std::vector<T>> {
      std::vector<T> out;
      FIREBREAK_TRY_STATUS(paginate(action, base, [&](const pugi::xml_node& r) {
        for (auto m : r.child(list_name).children("member")) out.push_back(parse(m));
      }));
      return out;
    });
  }

  Result<IamUser> get_user(const std::string& user_name) override {
    return c_.run(spec::kIam, "GetUser", [&]() -> Result<IamUser> {
      QueryList q;
      if (!user_name.empty()) q.emplace_back("UserName", user_name);
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetUser", std::move(q), doc));
      return parse_user(r.child("User"));
    });
  }
  Result<std::vector<IamUser>> list_users() override {
    return list<IamUser>("ListUsers", {}, "Users", parse_user);
  }
  Result<IamUser> create_user(const std::string& user_name, const Tags& tags) override {
    return c_.run(spec::kIam, "CreateUser", [&]() -> Result<IamUser> {
      QueryList q{{"UserName", user_name}};
      add_tags(q, tags);
      Doc doc;
      FIREBREAK_TRY(auto r, call("CreateUser", std::move(q), doc));
      return parse_user(r.child("User"));
    });
  }

  Result<std::vector<AccessKeyMetadata>> list_access_keys(const std::string& user_name) override {
    return list<AccessKeyMetadata>("ListAccessKeys", {{"UserName", user_name}}, "AccessKeyMetadata",
                                   parse_key);
  }
  Result<AccessKey> create_access_key(const std::string& user_name) override {
    return c_.run(spec::kIam, "CreateAccessKey", [&]() -> Result<AccessKey> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("CreateAccessKey", {{"UserName", user_name}}, doc));
      const auto k = r.child("AccessKey");
      AccessKey key{parse_key(k), xt(k, "SecretAccessKey")};
      register_secret(key.secret_access_key);
      return key;
    });
  }
  Status update_access_key(const std::string& user, const std::string& key,
                           const std::string& status) override {
    return simple("UpdateAccessKey",
                  {{"UserName", user}, {"AccessKeyId", key}, {"Status", status}});
  }
  Status delete_access_key(const std::string& user, const std::string& key) override {
    return simple("DeleteAccessKey", {{"UserName", user}, {"AccessKeyId", key}});
  }
  Result<AccessKeyLastUsed> get_access_key_last_used(const std::string& key) override {
    return c_.run(spec::kIam, "GetAccessKeyLastUsed", [&]() -> Result<AccessKeyLastUsed> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetAccessKeyLastUsed", {{"AccessKeyId", key}}, doc));
      const auto u = r.child("AccessKeyLastUsed");
      return AccessKeyLastUsed{xt(r, "UserName"), xtime_opt(u, "LastUsedDate"),
                               xt(u, "ServiceName"), xt(u, "Region")};
    });
  }

  Result<std::vector<AttachedPolicy>> list_attached_user_policies(
      const std::string& user) override {
    return list<AttachedPolicy>("ListAttachedUserPolicies", {{"UserName", user}},
                                "AttachedPolicies", [](const pugi::xml_node& m) {
                                  return AttachedPolicy{xt(m, "PolicyName"), xt(m, "PolicyArn")};
                                });
  }
  Status attach_user_policy(const std::string& user, const std::string& arn) override {
    return simple("AttachUserPolicy", {{"UserName", user}, {"PolicyArn", arn}});
  }
  Status detach_user_policy(const std::string& user, const std::string& arn) override {
    return simple("DetachUserPolicy", {{"UserName", user}, {"PolicyArn", arn}});
  }
  Result<std::vector<std::string>> list_user_policies(const std::string& user) override {
    return list<std::string>(
        "ListUserPolicies", {{"UserName", user}}, "PolicyNames",
        [](const pugi::xml_node& m) { return std::string(m.text().as_string()); });
  }
  Result<std::string> get_user_policy(const std::string& user, const std::string& name) override {
    return c_.run(spec::kIam, "GetUserPolicy", [&]() -> Result<std::string> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetUserPolicy", {{"UserName", user}, {"PolicyName", name}}, doc));
      return percent_decode(xt(r, "PolicyDocument"));
    });
  }
  Status put_user_policy(const std::string& user, const std::string& name,
                         const std::string& doc) override {
    return simple("PutUserPolicy",
                  {{"UserName", user}, {"PolicyName", name}, {"PolicyDocument", doc}});
  }
  Status delete_user_policy(const std::string& user, const std::string& name) override {
    return simple("DeleteUserPolicy", {{"UserName", user}, {"PolicyName", name}});
  }
  Result<std::vector<IamGroup>> list_groups_for_user(const std::string& user) override {
    return list<IamGroup>("ListGroupsForUser", {{"UserName", user}}, "Groups",
                          [](const pugi::xml_node& m) {
                            return IamGroup{xt(m, "GroupName"), xt(m, "Arn")};
                          });
  }
  Result<std::vector<MfaDevice>> list_mfa_devices(const std::string& user) override {
    return list<MfaDevice>(
        "ListMFADevices", {{"UserName", user}}, "MFADevices", [](const pugi::xml_node& m) {
          return MfaDevice{xt(m, "UserName"), xt(m, "SerialNumber"), xtime(m, "EnableDate")};
        });
  }
  Status deactivate_mfa_device(const std::string& user, const std::string& serial) override {
    return simple("DeactivateMFADevice", {{"UserName", user}, {"SerialNumber", serial}});
  }
  Result<LoginProfile> get_login_profile(const std::string& user) override {
    return c_.run(spec::kIam, "GetLoginProfile", [&]() -> Result<LoginProfile> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetLoginProfile", {{"UserName", user}}, doc));
      return parse_login(r.child("LoginProfile"));
    });
  }
  Result<LoginProfile> create_login_profile(const std::string& user, const std::string& password,
                                            bool reset_required) override {
    register_secret(password);
    return c_.run(spec::kIam, "CreateLoginProfile", [&]() -> Result<LoginProfile> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("CreateLoginProfile",
                                 {{"UserName", user},
                                  {"Password", password},
                                  {"PasswordResetRequired", tf(reset_required)}},
                                 doc));
      return parse_login(r.child("LoginProfile"));
    });
  }
  Status delete_login_profile(const std::string& user) override {
    return simple("DeleteLoginProfile", {{"UserName", user}});
  }

  Result<IamRole> get_role(const std::string& role) override {
    return c_.run(spec::kIam, "GetRole", [&]() -> Result<IamRole> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetRole", {{"RoleName", role}}, doc));
      return parse_role(r.child("Role"));
    });
  }
  Result<IamRole> create_role(const std::string& role, const std::string& policy,
                              const Tags& tags) override {
    return c_.run(spec::kIam, "CreateRole", [&]() -> Result<IamRole> {
      QueryList q{{"RoleName", role}, {"AssumeRolePolicyDocument", policy}};
      add_tags(q, tags);
      Doc doc;
      FIREBREAK_TRY(auto r, call("CreateRole", std::move(q), doc));
      return parse_role(r.child("Role"));
    });
  }
  Status update_assume_role_policy(const std::string& role, const std::string& doc) override {
    return simple("UpdateAssumeRolePolicy", {{"RoleName", role}, {"PolicyDocument", doc}});
  }
  Result<std::vector<std::string>> list_role_policies(const std::string& role) override {
    return list<std::string>(
        "ListRolePolicies", {{"RoleName", role}}, "PolicyNames",
        [](const pugi::xml_node& m) { return std::string(m.text().as_string()); });
  }
  Result<std::string> get_role_policy(const std::string& role, const std::string& name) override {
    return c_.run(spec::kIam, "GetRolePolicy", [&]() -> Result<std::string> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetRolePolicy", {{"RoleName", role}, {"PolicyName", name}}, doc));
      return percent_decode(xt(r, "PolicyDocument"));
    });
  }
  Status put_role_policy(const std::string& role, const std::string& name,
                         const std::string& doc) override {
    return simple("PutRolePolicy",
                  {{"RoleName", role}, {"PolicyName", name}, {"PolicyDocument", doc}});
  }
  Status delete_role_policy(const std::string& role, const std::string& name) override {
    return simple("DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", name}});
  }
  Result<std::vector<AttachedPolicy>> list_attached_role_policies(
      const std::string& role) override {
    return list<AttachedPolicy>("ListAttachedRolePolicies", {{"RoleName", role}},
                                "AttachedPolicies", [](const pugi::xml_node& m) {
                                  return AttachedPolicy{xt(m, "PolicyName"), xt(m, "PolicyArn")};
                                });
  }
  Status attach_role_policy(const std::string& role, const std::string& arn) override {
    return simple("AttachRolePolicy", {{"RoleName", role}, {"PolicyArn", arn}});
  }
  Status detach_role_policy(const std::string& role, const std::string& arn) override {
    return simple("DetachRolePolicy", {{"RoleName", role}, {"PolicyArn", arn}});
  }

  static InstanceProfile parse_profile(const pugi::xml_node& p) {
    InstanceProfile ip;
    ip.instance_profile_name = xt(p, "InstanceProfileName");
    ip.instance_profile_id = xt(p, "InstanceProfileId");
    ip.arn = xt(p, "Arn");
    for (auto r : p.child("Roles").children("member")) ip.roles.push_back(parse_role(r));
    return ip;
  }
  Result<InstanceProfile> get_instance_profile(const std::string& name) override {
    return c_.run(spec::kIam, "GetInstanceProfile", [&]() -> Result<InstanceProfile> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("GetInstanceProfile", {{"InstanceProfileName", name}}, doc));
      return parse_profile(r.child("InstanceProfile"));
    });
  }
  Result<InstanceProfile> create_instance_profile(const std::string& name) override {
    return c_.run(spec::kIam, "CreateInstanceProfile", [&]() -> Result<InstanceProfile> {
      Doc doc;
      FIREBREAK_TRY(auto r, call("CreateInstanceProfile", {{"InstanceProfileName", name}}, doc));
      return parse_profile(r.child("InstanceProfile"));
    });
  }
  Status add_role_to_instance_profile(const std::string& profile,
                                      const std::string& role) override {
    return simple("AddRoleToInstanceProfile",
                  {{"InstanceProfileName", profile}, {"RoleName", role}});
  }

 private:
  Client& c_;
};

QueryList assume_role_params(const AssumeRoleRequest& req) {
  QueryList q{{"RoleArn", req.role_arn},
              {"RoleSessionName", req.role_session_name},
              {"DurationSeconds", std::to_string(req.duration_seconds)}};
  if (!req.external_id.empty()) q.emplace_back("ExternalId", req.external_id);
  if (!req.policy.empty()) q.emplace_back("Policy", req.policy);
  return q;
}

class AwsSts final : public Sts {
 public:
  explicit AwsSts(Client& c) : c_(c) {}
  Result<CallerIdentity> get_caller_identity() override {
    return c_.run(spec::kSts, "GetCallerIdentity", [&]() -> Result<CallerIdentity> {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kSts, "GetCallerIdentity", {}));
      const auto r = result_of(doc, "GetCallerIdentity");
      CallerIdentity id{xt(r, "Account"), xt(r, "Arn"), xt(r, "UserId")};
      if (id.account.empty())
        return fail(ErrorCode::kParse, "sts GetCallerIdentity: no Account in the answer");
      return id;
    });
  }
  Result<AssumedRole> assume_role(const AssumeRoleRequest& req) override {
    return c_.run(spec::kSts, "AssumeRole", [&]() -> Result<AssumedRole> {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kSts, "AssumeRole", assume_role_params(req)));
      return parse_assume_role(doc->document_element());
    });
  }

 private:
  Client& c_;
};

}  // namespace

Result<AssumedRole> parse_assume_role(const pugi::xml_node& root) {
  const auto r = root.child("AssumeRoleResult");
  const auto c = r.child("Credentials");
  AssumedRole out;
  out.credentials.access_key_id = xt(c, "AccessKeyId");
  out.credentials.secret_access_key = xt(c, "SecretAccessKey");
  out.credentials.session_token = xt(c, "SessionToken");
  out.credentials.expiration = xtime_opt(c, "Expiration");
  register_secret(out.credentials.secret_access_key);
  register_secret(out.credentials.session_token);
  out.assumed_role_arn = xt(r.child("AssumedRoleUser"), "Arn");
  out.assumed_role_id = xt(r.child("AssumedRoleUser"), "AssumedRoleId");
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty())
    return fail(ErrorCode::kParse, "sts AssumeRole: no credentials in the answer");
  return out;
}

Result<AssumedRole> assume_role_with(std::shared_ptr<Shared> shared, const Credentials& source,
                                     const std::string& region, const AssumeRoleRequest& req) {
  Client client(std::move(shared), static_credentials(source, "assume-role source"), "", region);
  FIREBREAK_TRY(auto doc, client.query(spec::kSts, "AssumeRole", assume_role_params(req)));
  return parse_assume_role(doc->document_element());
}

std::unique_ptr<Iam> make_iam(Client& c) { return std::make_unique<AwsIam>(c); }
std::unique_ptr<Sts> make_sts(Client& c) { return std::make_unique<AwsSts>(c); }

}  // namespace firebreak::cloud::aws::detail
