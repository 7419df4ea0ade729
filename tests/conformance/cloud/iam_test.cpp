// Conformance: IAM and STS as the key/user/role compromise playbooks use them.
#include <algorithm>

#include "helpers.h"

namespace firebreak::testing {

namespace {

constexpr const char* kDenyAll =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]})";
constexpr const char* kEc2Trust =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";

}  // namespace

TEST_P(CloudConformance, user_and_access_key_containment) {
  auto& iam = session().iam();
  auto user = iam.create_user("leaky", {{"team", "data"}});
  ASSERT_OK(user);
  EXPECT_EQ(user->user_name, "leaky");
  auto key = iam.create_access_key("leaky");
  ASSERT_OK(key);
  EXPECT_TRUE(key->metadata.access_key_id.starts_with("AKIA"));
  EXPECT_EQ(key->metadata.status, "Active");
  auto keys = iam.list_access_keys("leaky");
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 1u);
  ASSERT_OK(iam.update_access_key("leaky", key->metadata.access_key_id, "Inactive"));
  keys = iam.list_access_keys("leaky");
  ASSERT_OK(keys);
  EXPECT_EQ(keys->front().status, "Inactive");
  auto last = iam.get_access_key_last_used(key->metadata.access_key_id);
  ASSERT_OK(last);
  EXPECT_EQ(last->user_name, "leaky");
  ASSERT_OK(iam.put_user_policy("leaky", "firebreak-deny-all", kDenyAll));
  auto names = iam.list_user_policies("leaky");
  ASSERT_OK(names);
  EXPECT_EQ(*names, std::vector<std::string>{"firebreak-deny-all"});
  auto doc = iam.get_user_policy("leaky", "firebreak-deny-all");
  ASSERT_OK(doc);
  EXPECT_NE(doc->find("Deny"), std::string::npos);
  ASSERT_OK(iam.delete_user_policy("leaky", "firebreak-deny-all"));
  auto got = iam.get_user("leaky");
  ASSERT_OK(got);
  EXPECT_EQ(got->arn, user->arn);
}

TEST_P(CloudConformance, user_not_found) {
  auto& iam = session().iam();
  auto r = iam.get_user("nobody-here");
  EXPECT_AWS_ERROR(r, "NoSuchEntity");
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_AWS_ERROR(iam.list_access_keys("nobody-here"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.update_access_key("nobody-here", "AKIAIOSFODNN7EXAMPLE", "Inactive"),
                   "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.put_user_policy("nobody-here", "p", kDenyAll), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.list_attached_user_policies("nobody-here"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.list_groups_for_user("nobody-here"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.list_mfa_devices("nobody-here"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.get_access_key_last_used("AKIAIOSFODNN7EXAMPLE"), "NoSuchEntity");
}

TEST_P(CloudConformance, access_key_refusals) {
  auto& iam = session().iam();
  ASSERT_OK(iam.create_user("twokeys", {}));
  ASSERT_OK(iam.create_access_key("twokeys"));
  ASSERT_OK(iam.create_access_key("twokeys"));
  EXPECT_AWS_ERROR(iam.create_access_key("twokeys"), "LimitExceeded");
  EXPECT_AWS_ERROR(iam.update_access_key("twokeys", "AKIAIOSFODNN7EXAMPLE", "Inactive"),
                   "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.put_user_policy("twokeys", "bad", "{}"), "MalformedPolicyDocument");
}

TEST_P(CloudConformance, user_scope_calls) {
  auto& iam = session().iam();
  ASSERT_OK(iam.create_user("scoped", {}));
  ASSERT_OK(iam.attach_user_policy("scoped", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
  auto attached = iam.list_attached_user_policies("scoped");
  ASSERT_OK(attached);
  ASSERT_EQ(attached->size(), 1u);
  EXPECT_EQ(attached->front().policy_name, "ReadOnlyAccess");
  ASSERT_OK(iam.detach_user_policy("scoped", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
  EXPECT_AWS_ERROR(iam.detach_user_policy("scoped", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
                   "NoSuchEntity");
  auto groups = iam.list_groups_for_user("scoped");
  ASSERT_OK(groups);
  EXPECT_TRUE(groups->empty());
  auto mfa = iam.list_mfa_devices("scoped");
  ASSERT_OK(mfa);
  EXPECT_TRUE(mfa->empty());
  EXPECT_AWS_ERROR(iam.get_login_profile("scoped"), "NoSuchEntity");
  ASSERT_OK(iam.create_login_profile("scoped", "S3cure-Passw0rd!", true));
  ASSERT_OK(iam.get_login_profile("scoped"));
  EXPECT_AWS_ERROR(iam.create_login_profile("scoped", "S3cure-Passw0rd!", true),
                   "EntityAlreadyExists");
  ASSERT_OK(iam.delete_login_profile("scoped"));
  EXPECT_AWS_ERROR(iam.delete_login_profile("scoped"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.create_user("scoped", {}), "EntityAlreadyExists");
}

// DeactivateMFADevice (attacker-registered devices, iam-key-compromise). The seam cannot
// register a device (no CreateVirtualMFADevice/EnableMFADevice), so the success case lives in
// the simulator's own tests (tests/unit/cloud/sim/iam_test.cpp) on a world-built user with MFA.
TEST_P(CloudConformance, deactivate_mfa_device_refusals) {
  auto& iam = session().iam();
  const std::string serial = "arn:aws:iam::" + session().account_id() + ":mfa/attacker-phone";
  EXPECT_AWS_ERROR(iam.deactivate_mfa_device("nobody-here", serial), "NoSuchEntity");
  ASSERT_OK(iam.create_user("nomfa", {}));
  EXPECT_AWS_ERROR(iam.deactivate_mfa_device("nomfa", serial), "NoSuchEntity");
}

TEST_P(CloudConformance, role_session_revocation_policy) {
  auto& iam = session().iam();
  ASSERT_OK(iam.create_role("web-role", kEc2Trust, {}));
  const std::string revoke =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-06-01T00:00:00Z"}}}]})";
  ASSERT_OK(iam.put_role_policy("web-role", "AWSRevokeOlderSessions", revoke));
  auto names = iam.list_role_policies("web-role");
  ASSERT_OK(names);
  EXPECT_EQ(*names, std::vector<std::string>{"AWSRevokeOlderSessions"});
  auto doc = iam.get_role_policy("web-role", "AWSRevokeOlderSessions");
  ASSERT_OK(doc);
  EXPECT_NE(doc->find("aws:TokenIssueTime"), std::string::npos);
  ASSERT_OK(iam.attach_role_policy("web-role", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
  auto attached = iam.list_attached_role_policies("web-role");
  ASSERT_OK(attached);
  EXPECT_EQ(attached->size(), 1u);
  ASSERT_OK(iam.detach_role_policy("web-role", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
  auto role = iam.get_role("web-role");
  ASSERT_OK(role);
  EXPECT_NE(role->assume_role_policy_document.find("ec2.amazonaws.com"), std::string::npos);
  ASSERT_OK(iam.update_assume_role_policy("web-role", kEc2Trust));
  ASSERT_OK(iam.delete_role_policy("web-role", "AWSRevokeOlderSessions"));
}

TEST_P(CloudConformance, role_refusals) {
  auto& iam = session().iam();
  EXPECT_AWS_ERROR(iam.get_role("no-such-role"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.put_role_policy("no-such-role", "p", kDenyAll), "NoSuchEntity");
  ASSERT_OK(iam.create_role("r1", kEc2Trust, {}));
  EXPECT_AWS_ERROR(iam.create_role("r1", kEc2Trust, {}), "EntityAlreadyExists");
  EXPECT_AWS_ERROR(iam.get_role_policy("r1", "none"), "NoSuchEntity");
  SKIP_UNLESS(strict_validation, "moto accepts a trust policy that is not JSON");
  EXPECT_AWS_ERROR(iam.create_role("r2", "not json", {}), "MalformedPolicyDocument");
}

TEST_P(CloudConformance, instance_profiles) {
  auto& iam = session().iam();
  ASSERT_OK(iam.create_role("p-role", kEc2Trust, {}));
  ASSERT_OK(iam.create_instance_profile("p1"));
  ASSERT_OK(iam.add_role_to_instance_profile("p1", "p-role"));
  auto p = iam.get_instance_profile("p1");
  ASSERT_OK(p);
  ASSERT_EQ(p->roles.size(), 1u);
  EXPECT_EQ(p->roles[0].role_name, "p-role");
  EXPECT_AWS_ERROR(iam.get_instance_profile("p-none"), "NoSuchEntity");
  EXPECT_AWS_ERROR(iam.create_instance_profile("p1"), "EntityAlreadyExists");
  EXPECT_AWS_ERROR(iam.add_role_to_instance_profile("p1", "p-role"), "LimitExceeded");
}

TEST_P(CloudConformance, sts_caller_identity_and_assume_role) {
  auto& sts = session().sts();
  auto me = sts.get_caller_identity();
  ASSERT_OK(me);
  EXPECT_EQ(me->account, session().account_id());
  const std::string trust =
      std::string(
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)") +
      me->account + R"(:root"},"Action":"sts:AssumeRole"}]})";
  ASSERT_OK(session().iam().create_role("responder", trust, {}));
  cloud::AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::" + me->account + ":role/responder";
  req.role_session_name = cloud::role_session_name_for("INC-7");
  req.duration_seconds = 900;
  auto assumed = sts.assume_role(req);
  ASSERT_OK(assumed);
  EXPECT_TRUE(assumed->credentials.access_key_id.starts_with("ASIA"));
  EXPECT_FALSE(assumed->credentials.session_token.empty());
  EXPECT_NE(assumed->assumed_role_arn.find("assumed-role/responder/firebreak-INC-7"),
            std::string::npos);
  SKIP_UNLESS(strict_validation, "moto accepts any role session name");
  req.role_session_name = "bad name with spaces";
  auto bad = sts.assume_role(req);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(CloudConformance, sts_assume_role_refused) {
  SKIP_UNLESS(policy_evaluation, "moto lets anyone assume any role");
  cloud::AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::" + session().account_id() + ":role/does-not-exist";
  req.role_session_name = "firebreak-x";
  EXPECT_AWS_ERROR(session().sts().assume_role(req), "AccessDenied");
  ASSERT_OK(session().iam().create_role("ec2-only", kEc2Trust, {}));
  req.role_arn = "arn:aws:iam::" + session().account_id() + ":role/ec2-only";
  EXPECT_AWS_ERROR(session().sts().assume_role(req), "AccessDenied");
}

TEST_P(CloudConformance, iam_policies_deny_later_calls) {
  SKIP_UNLESS(policy_evaluation, "moto does not evaluate IAM policies");
  auto nobody = world().unprivileged_session();
  ASSERT_OK(nobody);
  // The unprivileged user cannot even read itself ...
  EXPECT_AWS_ERROR((*nobody)->iam().get_user(""), "AccessDenied");
  // ... and GetCallerIdentity needs no permission.
  ASSERT_OK((*nobody)->sts().get_caller_identity());
}

}  // namespace firebreak::testing
