// Identity in the simulator: policy evaluation, revocation by token age, inactive keys, the
// cross-account responder, and how denied calls are recorded.
#include <gtest/gtest.h>

#include "firebreak/cloud/sim/policy.h"
#include "fixture.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Policy> policy(std::string_view json,
                                     PolicyKind kind = PolicyKind::kIdentity) {
  auto p = Policy::parse(json, kind);
  EXPECT_TRUE(p) << (p ? "" : p.error().describe());
  return p ? *p : nullptr;
}

Decision decide(const Policy& p, std::string_view action, std::string resource = "*",
                std::vector<ContextValue> keys = {}) {
  RequestContext ctx;
  ctx.action = action;
  std::vector<std::string> res;
  if (resource != "*") res.push_back(resource);
  ctx.resources = res;
  ctx.keys = keys;
  return p.evaluate(ctx);
}

TEST(Policy, explicit_deny_wins_and_wildcards_match) {
  auto p = policy(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"ec2:*","Resource":"*"},
      {"Effect":"Deny","Action":["ec2:Terminate*"],"Resource":"arn:aws:ec2:*:*:instance/i-0abc*"}]})");
  ASSERT_TRUE(p);
  EXPECT_EQ(decide(*p, "ec2:describeinstances"), Decision::kAllow);
  EXPECT_EQ(decide(*p, "ec2:terminateinstances", "arn:aws:ec2:us-east-1:1:instance/i-0abcdef"),
            Decision::kDeny);
  EXPECT_EQ(decide(*p, "ec2:terminateinstances", "arn:aws:ec2:us-east-1:1:instance/i-0fff"),
            Decision::kAllow);
  EXPECT_EQ(decide(*p, "iam:listusers"), Decision::kNone);
}

TEST(Policy, token_issue_time_condition) {
  auto p =
      policy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
      "Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-06-01T12:00:00Z"}}}]})");
  ASSERT_TRUE(p);
  EXPECT_EQ(decide(*p, "s3:getobject", "*", {{"aws:tokenissuetime", {"2024-06-01T11:00:00Z"}}}),
            Decision::kDeny);
  EXPECT_EQ(decide(*p, "s3:getobject", "*", {{"aws:tokenissuetime", {"2024-06-01T12:30:00Z"}}}),
            Decision::kNone);
  // Long-term keys have no token issue time: the condition does not apply to them.
  EXPECT_EQ(decide(*p, "s3:getobject"), Decision::kNone);
}

TEST(Policy, negated_operators_and_if_exists_with_missing_keys) {
  auto p = policy(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}},
      {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}}]})");
  ASSERT_TRUE(p);
  EXPECT_EQ(decide(*p, "ec2:x", "*", {{"aws:sourceip", {"10.1.2.3"}}}), Decision::kAllow);
  EXPECT_EQ(decide(*p, "ec2:x", "*", {{"aws:sourceip", {"203.0.113.1"}}}), Decision::kDeny);
  EXPECT_EQ(decide(*p, "ec2:x", "*",
                   {{"aws:sourceip", {"10.1.2.3"}}, {"aws:requestedregion", {"eu-west-1"}}}),
            Decision::kNone);
}

TEST(Policy, refuses_malformed_documents) {
  for (
      const char* bad :
      {"", "{}", "[]", R"({"Statement":[]})",
       R"({"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}})",
       R"({"Statement":{"Effect":"Allow","Action":"nocolon","Resource":"*"}})",
       R"({"Statement":{"Effect":"Allow","Action":"*"}})",
       R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bogus":{"a":"b"}}}})",
       R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})"}) {
    auto p = Policy::parse(bad, PolicyKind::kIdentity);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().context().aws_code, "MalformedPolicyDocument");
  }
}

TEST(Policy, public_grants_as_s3_defines_them) {
  EXPECT_TRUE(
      policy(
          R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})",
          PolicyKind::kResource)
          ->grants_public_access());
  EXPECT_FALSE(
      policy(
          R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]})",
          PolicyKind::kResource)
          ->grants_public_access());
  EXPECT_FALSE(
      policy(
          R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b"}]})",
          PolicyKind::kResource)
          ->grants_public_access());
}

TEST(SimIam, stolen_instance_credentials_are_revoked_by_token_age) {
  Org org;
  auto stolen = org.world->instance_credentials(org.instance);
  ASSERT_TRUE(stolen);
  auto attacker = org.attacker_session(*stolen);
  ASSERT_TRUE(attacker->ec2().describe_instances({}));
  org.world->advance(5min);
  auto s = org.admin_session();
  const std::string revoke =
      std::string(
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":")") +
      format_iso8601(org.world->now()) + R"("}}}]})";
  ASSERT_TRUE(s->iam().put_role_policy("app-role", "AWSRevokeOlderSessions", revoke));
  auto denied = attacker->ec2().describe_instances({});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().context().aws_code, "UnauthorizedOperation");
  EXPECT_NE(denied.error().message().find("explicit deny"), std::string::npos);
  // The denied call is in CloudTrail, with EC2's spelling of the error.
  auto recs = org.records_named(kProd, "DescribeInstances");
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs.back()["errorCode"], "Client.UnauthorizedOperation");
  EXPECT_EQ(recs.back()["userIdentity"]["type"], "AssumedRole");
  EXPECT_EQ(recs.back()["sourceIPAddress"], kAttackerIp);
  // Credentials issued after the revocation work again (IMDS rotates them within the hour).
  org.world->advance(61min);
  auto fresh = org.world->instance_credentials(org.instance);
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->access_key_id, stolen->access_key_id);
  EXPECT_TRUE(org.attacker_session(*fresh)->ec2().describe_instances({}));
}

TEST(SimIam, deny_all_user_policy_applies_to_later_calls) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->iam().create_user("ci-deployer", {}));
  auto key = s->iam().create_access_key("ci-deployer");
  ASSERT_TRUE(key);
  ASSERT_TRUE(
      s->iam().attach_user_policy("ci-deployer", "arn:aws:iam::aws:policy/AdministratorAccess"));
  auto leaked = org.attacker_session(
      Credentials{key->metadata.access_key_id, key->secret_access_key, {}, {}});
  ASSERT_TRUE(leaked->iam().list_users());
  ASSERT_TRUE(s->iam().put_user_policy(
      "ci-deployer", "firebreak-deny-all",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]})"));
  auto r = leaked->iam().list_users();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "AccessDenied");
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  // GetCallerIdentity needs no permission, even under an explicit deny.
  EXPECT_TRUE(leaked->sts().get_caller_identity());
}

TEST(SimIam, inactive_key_fails_with_aws_errors_and_is_not_recorded) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->iam().create_user("ci-deployer", {}));
  auto key = s->iam().create_access_key("ci-deployer");
  ASSERT_TRUE(key);
  auto leaked = org.attacker_session(
      Credentials{key->metadata.access_key_id, key->secret_access_key, {}, {}});
  ASSERT_TRUE(s->iam().update_access_key("ci-deployer", key->metadata.access_key_id, "Inactive"));
  const auto before = org.world->record_count();
  auto iam = leaked->iam().list_users();
  ASSERT_FALSE(iam);
  EXPECT_EQ(iam.error().context().aws_code, "InvalidClientTokenId");
  auto sts = leaked->sts().get_caller_identity();
  ASSERT_FALSE(sts);
  EXPECT_EQ(sts.error().context().aws_code, "InvalidClientTokenId");
  auto ec2 = leaked->ec2().describe_instances({});
  ASSERT_FALSE(ec2);
  EXPECT_EQ(ec2.error().context().aws_code, "AuthFailure");
  EXPECT_EQ(org.world->record_count(), before) << "unauthenticated requests are not in CloudTrail";
  // Reactivated, it works again.
  ASSERT_TRUE(s->iam().update_access_key("ci-deployer", key->metadata.access_key_id, "Active"));
  EXPECT_TRUE(leaked->sts().get_caller_identity());
  // Last used reflects the successful call.
  auto last = s->iam().get_access_key_last_used(key->metadata.access_key_id);
  ASSERT_TRUE(last);
  ASSERT_TRUE(last->last_used_date.has_value());
  EXPECT_EQ(last->service_name, "sts");
}

TEST(SimIam, wrong_secret_is_refused) {
  Org org;
  auto creds = org.admin;
  creds.secret_access_key = "not-the-secret-at-all-000000000000000000";
  auto r = org.attacker_session(creds)->iam().list_users();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "SignatureDoesNotMatch");
}

TEST(SimIam, responder_assumes_role_across_accounts_and_is_recorded_in_both) {
  Org org;
  Identity id;
  id.credentials = org.responder_user;
  id.source_ip = "192.0.2.44";
  id.user_agent = "firebreak/0.1.0";
  SimProvider provider(org.world, id);
  SessionRequest req;
  req.account_id = kProd;
  req.role_session_name = role_session_name_for("INC-9");
  auto session = provider.session(req);
  ASSERT_TRUE(session) << session.error().describe();
  EXPECT_EQ((*session)->account_id(), kProd);
  auto me = (*session)->sts().get_caller_identity();
  ASSERT_TRUE(me);
  EXPECT_EQ(me->arn, std::string("arn:aws:sts::") + kProd +
                         ":assumed-role/firebreak-responder/firebreak-INC-9");
  ASSERT_TRUE((*session)->ec2().describe_instances({}));
  auto in_security = org.records_named(kSecurity, "AssumeRole");
  auto in_prod = org.records_named(kProd, "AssumeRole");
  ASSERT_EQ(in_security.size(), 1u);
  ASSERT_EQ(in_prod.size(), 1u);
  EXPECT_EQ(in_security[0]["sharedEventID"], in_prod[0]["sharedEventID"]);
  EXPECT_EQ(in_prod[0]["recipientAccountId"], kProd);
  EXPECT_EQ(in_prod[0]["requestParameters"]["roleSessionName"], "firebreak-INC-9");
  EXPECT_EQ(in_prod[0]["resources"][0]["type"], "AWS::IAM::Role");
  auto describe = org.records_named(kProd, "DescribeInstances");
  ASSERT_EQ(describe.size(), 1u);
  const auto& ui = describe[0]["userIdentity"];
  EXPECT_EQ(ui["type"], "AssumedRole");
  EXPECT_EQ(ui["sessionContext"]["sessionIssuer"]["userName"], "firebreak-responder");
  EXPECT_EQ(describe[0]["userAgent"], "firebreak/0.1.0");
  // A role the responder is not trusted by is refused.
  req.role_arn = std::string("arn:aws:iam::") + kProd + ":role/app-role";
  auto refused = provider.session(req);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().context().aws_code, "AccessDenied");
}

TEST(SimIam, assumed_role_sessions_expire) {
  Org org;
  auto creds = org.world->role_session(kProd, "firebreak-responder", "short", 15min);
  ASSERT_TRUE(creds);
  auto s = org.attacker_session(*creds);
  ASSERT_TRUE(s->sts().get_caller_identity());
  org.world->advance(16min);
  auto r = s->sts().get_caller_identity();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "ExpiredToken");
}

TEST(SimIam, deactivate_mfa_device_removes_the_attackers_device) {
  Org org;
  UserSpec u;
  u.name = "victim";
  u.mfa = true;
  ASSERT_TRUE(org.world->add_user(kProd, u));
  auto s = org.admin_session();
  auto devices = s->iam().list_mfa_devices("victim");
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 1u);
  const auto serial = devices->front().serial_number;
  ASSERT_TRUE(s->iam().deactivate_mfa_device("victim", serial));
  devices = s->iam().list_mfa_devices("victim");
  ASSERT_TRUE(devices);
  EXPECT_TRUE(devices->empty());
  auto again = s->iam().deactivate_mfa_device("victim", serial);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().context().aws_code, "NoSuchEntity");
  auto recs = org.records_named(kProd, "DeactivateMFADevice");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1]["errorCode"], "NoSuchEntityException");
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
