// Identity containment for instances: revoke the sessions the instance role already issued
// (credentials stolen from the metadata service stay valid until they expire otherwise), and
// replace the instance profile with a deny-all one so new credentials are useless.
#include <fmt/format.h>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

constexpr std::string_view kRevokePolicy = "firebreak-revoke-sessions";
constexpr std::string_view kDenyAllPolicy = "firebreak-deny-all";

bool same_policy(const std::string& a, const std::string& b) {
  auto ja = parse_json(a), jb = parse_json(b);
  return ja && jb && *ja == *jb;
}

class RevokeRoleSessions final : public BasicAction {
 public:
  RevokeRoleSessions()
      : BasicAction(ActionSpec{
            .name = "iam.revoke_role_sessions",
            .description = "Deny every action to sessions of the role issued before now (an inline "
                           "policy on aws:TokenIssueTime), revoking stolen temporary credentials.",
            .params = {param("role_name", ParamType::kString,
                             "the role; empty means the target has no role (nothing to do)", "")},
            .outputs = {"role_name", "revoked_before"},
            .permissions = {"iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string role = str(ctx, "role_name");
    if (role.empty()) return std::vector<ApiCall>{};
    return std::vector<ApiCall>{
        call("iam", "PutRolePolicy",
             fmt::format("{} on {}: deny sessions issued before now", kRevokePolicy, role))};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string role = str(ctx, "role_name");
    ApplyResult r;
    if (role.empty()) {
      r.outputs = {{"role_name", nullptr}, {"revoked_before", nullptr}};
      r.summary = "no role";
      return r;
    }
    // The revocation time is fixed on the first attempt, so a re-applied step writes the same
    // policy and changes nothing.
    Json s = scratch(ctx);
    if (!s.contains("before_time")) {
      FIREBREAK_TRY_STATUS(remember(ctx, "before_time", format_iso8601(ctx.clock().now())));
      s = scratch(ctx);
    }
    const std::string when = s["before_time"];
    const std::string doc = revoke_sessions_policy(*parse_iso8601(when));
    auto& iam = ctx.cloud().iam();
    auto existing = iam.get_role_policy(role, std::string(kRevokePolicy));
    if (!existing && existing.error().code() != ErrorCode::kNotFound) return fail(existing.error());
    if (existing && same_policy(*existing, doc)) {
      r.summary = "sessions already revoked";
    } else {
      FIREBREAK_TRY_STATUS(iam.put_role_policy(role, std::string(kRevokePolicy), doc));
      r.changed = true;
      r.summary = fmt::format("revoked {}'s sessions issued before {}", role, when);
    }
    r.outputs = {{"role_name", role}, {"revoked_before", when}};
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    if (outputs["role_name"].is_null()) return Verification{true, "no role"};
    FIREBREAK_TRY(std::string doc, ctx.cloud().iam().get_role_policy(outputs["role_name"],
                                                                     std::string(kRevokePolicy)));
    const std::string want =
        revoke_sessions_policy(*parse_iso8601(outputs["revoked_before"].get<std::string>()));
    if (!same_policy(doc, want)) return Verification{false, "revocation policy differs"};
    return Verification{true, "revocation policy in place"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    if (outputs["role_name"].is_null()) return ApplyResult{};
    FIREBREAK_TRY_STATUS(
        ctx.cloud().iam().delete_role_policy(outputs["role_name"], std::string(kRevokePolicy)));
    return ApplyResult{Json::object(), true, std::nullopt, "removed the revocation policy"};
  }
};

// Ensures the deny-all role and instance profile exist; returns the profile (name, arn).
Result<cloud::InstanceProfile> ensure_deny_profile(cloud::Iam& iam, const std::string& name) {
  auto profile = iam.get_instance_profile(name);
  if (profile && !profile->roles.empty()) return std::move(*profile);
  if (!profile && profile.error().code() != ErrorCode::kNotFound) return fail(profile.error());
  const std::string trust =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  auto role = iam.get_role(name);
  if (!role) {
    if (role.error().code() != ErrorCode::kNotFound) return fail(role.error());
    auto created = iam.create_role(name, trust, {{std::string(kIncidentTag), "deny-all"}});
    if (!created && created.error().code() != ErrorCode::kAlreadyExists)
      return fail(created.error());
  }
  // Read first: a resumed step must not write the policy again when it is already there.
  auto existing = iam.get_role_policy(name, std::string(kDenyAllPolicy));
  if (!existing && existing.error().code() != ErrorCode::kNotFound) return fail(existing.error());
  if (!existing || !same_policy(*existing, deny_all_policy())) {
    FIREBREAK_TRY_STATUS(iam.put_role_policy(name, std::string(kDenyAllPolicy), deny_all_policy()));
  }
  if (!profile) {
    auto created = iam.create_instance_profile(name);
    if (!created && created.error().code() != ErrorCode::kAlreadyExists)
      return fail(created.error());
  }
  FIREBREAK_TRY(auto current, iam.get_instance_profile(name));
  if (current.roles.empty()) {
    FIREBREAK_TRY_STATUS(iam.add_role_to_instance_profile(name, name));
    FIREBREAK_TRY(current, iam.get_instance_profile(name));
  }
  return current;
}

class ReplaceInstanceProfile final : public BasicAction {
 public:
  ReplaceInstanceProfile()
      : BasicAction(ActionSpec{
            .name = "ec2.replace_instance_profile",
            .description = "Replace the instance's profile with a deny-all one (created when "
                           "missing), so credentials from the metadata service are useless.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("deny_profile", ParamType::kString, "name of the deny-all profile",
                             "firebreak-deny-all")},
            .outputs = {"before", "profile_arn"},
            .permissions = {"ec2:DescribeIamInstanceProfileAssociations",
                            "ec2:ReplaceIamInstanceProfileAssociation", "iam:GetInstanceProfile",
                            "iam:GetRole", "iam:CreateRole", "iam:PutRolePolicy",
                            "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile",
                            "iam:PassRole"},
            .has_rollback = true}) {}

  static Result<std::optional<cloud::IamInstanceProfileAssociation>> current(
      cloud::Ec2& ec2, const std::string& id) {
    FIREBREAK_TRY(auto assocs, ec2.describe_iam_instance_profile_associations(
                                   {.filters = {{"instance-id", {id}}}}));
    for (auto& a : assocs) {
      if (a.state == "associated" || a.state == "associating") return std::optional(std::move(a));
    }
    return std::optional<cloud::IamInstanceProfileAssociation>();
  }

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(auto assoc, current(ctx.cloud().ec2(), id));
    if (!assoc) return std::vector<ApiCall>{};
    const std::string deny = str(ctx, "deny_profile");
    if (assoc->iam_instance_profile_arn.ends_with("/" + deny)) return std::vector<ApiCall>{};
    std::vector<ApiCall> calls;
    auto profile = ctx.cloud().iam().get_instance_profile(deny);
    if (!profile) {
      calls.push_back(call("iam", "CreateRole", deny));
      calls.push_back(call("iam", "PutRolePolicy", "deny-all on " + deny));
      calls.push_back(call("iam", "CreateInstanceProfile", deny));
      calls.push_back(call("iam", "AddRoleToInstanceProfile", deny));
    }
    calls.push_back(call("ec2", "ReplaceIamInstanceProfileAssociation",
                         fmt::format("{}: {} -> {}", id, assoc->iam_instance_profile_arn, deny)));
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    const std::string deny = str(ctx, "deny_profile");
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto assoc, current(ec2, id));
    ApplyResult r;
    Json s = scratch(ctx);
    if (!assoc) {
      r.outputs = {{"before", s.value("before", Json(nullptr))}, {"profile_arn", nullptr}};
      r.summary = "no instance profile to replace";
      return r;
    }
    if (!s.contains("before")) {
      FIREBREAK_TRY_STATUS(remember(ctx, "before", assoc->iam_instance_profile_arn));
      s = scratch(ctx);
    }
    FIREBREAK_TRY(cloud::InstanceProfile profile, ensure_deny_profile(ctx.cloud().iam(), deny));
    if (assoc->iam_instance_profile_arn == profile.arn) {
      r.outputs = {{"before", s["before"]}, {"profile_arn", profile.arn}};
      r.summary = "already on the deny-all profile";
      return r;
    }
    auto replaced =
        ec2.replace_iam_instance_profile_association(assoc->association_id, profile.arn);
    if (!replaced) {
      // A profile created seconds ago is not yet visible to EC2 (IAM is eventually consistent):
      // wait and try again rather than fail.
      if (replaced.error().code() == ErrorCode::kInvalidArgument &&
          s.value("propagation_waits", 0) < 6) {
        FIREBREAK_TRY_STATUS(
            remember(ctx, "propagation_waits", s.value("propagation_waits", 0) + 1));
        return ApplyResult{Json::object(), false, std::chrono::seconds(10),
                           "waiting for the new instance profile to propagate"};
      }
      return fail(replaced.error());
    }
    r.outputs = {{"before", s["before"]}, {"profile_arn", profile.arn}};
    r.changed = true;
    r.summary = fmt::format("replaced {} with {}", s["before"].get<std::string>(), profile.arn);
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    if (outputs["profile_arn"].is_null()) return Verification{true, "instance has no profile"};
    FIREBREAK_TRY(auto assoc, current(ctx.cloud().ec2(), str(ctx, "instance_id")));
    if (assoc && assoc->iam_instance_profile_arn == outputs["profile_arn"].get<std::string>()) {
      return Verification{true, "deny-all profile associated"};
    }
    return Verification{false, assoc ? "profile is " + assoc->iam_instance_profile_arn
                                     : std::string("no profile associated")};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    if (!outputs["before"].is_string()) return ApplyResult{};
    FIREBREAK_TRY(auto assoc, current(ctx.cloud().ec2(), str(ctx, "instance_id")));
    if (!assoc) return ApplyResult{};
    FIREBREAK_TRY(auto back, ctx.cloud().ec2().replace_iam_instance_profile_association(
                                 assoc->association_id, outputs["before"]));
    (void)back;
    return ApplyResult{Json::object(), true, std::nullopt, "restored the original profile"};
  }
};

}  // namespace

std::unique_ptr<Action> make_iam_revoke_role_sessions() {
  return std::make_unique<RevokeRoleSessions>();
}
std::unique_ptr<Action> make_ec2_replace_instance_profile() {
  return std::make_unique<ReplaceInstanceProfile>();
}

}  // namespace firebreak::respond::actions
