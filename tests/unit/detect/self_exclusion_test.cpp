// The built-in self-exclusion filter against the identity firebreak's cloud seam really uses
// (include/firebreak/cloud/session.h): its own calls are never findings, near misses still are.

#include <gtest/gtest.h>

#include <string>

#include "firebreak/cloud/session.h"
#include "firebreak/detect/rule_test.h"
#include "helpers.h"
#include "testdata.h"

namespace firebreak::detect::test {
namespace {

std::string call(std::string_view user_agent, std::string_view arn) {
  return R"({"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"CreateTags",)"
         R"("userAgent":")" +
         std::string(user_agent) + R"(","userIdentity":{"type":"AssumedRole","arn":")" +
         std::string(arn) + R"("}})";
}

const std::string kRule = ct_rule("    sel:\n        eventName: CreateTags\n    condition: sel");
constexpr std::string_view kOtherAgent = "aws-cli/2.15.30 Python/3.11.8";
constexpr std::string_view kUserArn = "arn:aws:iam::123456789012:user/alice";

std::string firebreak_agent() {
  return std::string(cloud::kUserAgentPrefix) + "0.1.0 (aws-client)";
}
std::string session_arn(std::string_view role, std::string_view session) {
  return "arn:aws:sts::123456789012:assumed-role/" + std::string(role) + "/" + std::string(session);
}

TEST(SelfExclusion, firebreaks_user_agent_is_never_a_finding) {
  auto c = compile(kRule);
  EXPECT_FALSE(matches(c, call(firebreak_agent(), kUserArn)));
}

TEST(SelfExclusion, firebreaks_role_sessions_are_never_findings) {
  auto c = compile(kRule);
  // The session names the respond executor and the aws provider use.
  for (const std::string& session :
       {cloud::role_session_name_for("inc-2024-0001"), cloud::role_session_name_for("session"),
        cloud::role_session_name_for(std::string(80, 'x'))}) {
    EXPECT_FALSE(matches(c, call(kOtherAgent, session_arn("Responder", session)))) << session;
    EXPECT_FALSE(
        matches(c, call(kOtherAgent, "arn:aws-us-gov:sts::123456789012:assumed-role/r/" + session)))
        << session;
  }
}

TEST(SelfExclusion, near_misses_are_still_findings) {
  auto c = compile(kRule);
  // Only the exact prefixes count, case-sensitively.
  EXPECT_TRUE(matches(c, call("firebreaker/1.0", kUserArn)));
  EXPECT_TRUE(matches(c, call("Firebreak/0.1.0", kUserArn)));
  EXPECT_TRUE(matches(c, call("aws-cli/2 firebreak/0.1.0", kUserArn)));
  EXPECT_TRUE(matches(c, call(kOtherAgent, session_arn("Responder", "firebreak_x"))));
  EXPECT_TRUE(matches(c, call(kOtherAgent, session_arn("Responder", "FIREBREAK-x"))));
  EXPECT_TRUE(matches(c, call(kOtherAgent, session_arn("Responder", "alice-firebreak-x"))));
  // A role named like firebreak's is not enough: the session is what firebreak names.
  EXPECT_TRUE(matches(c, call(kOtherAgent, session_arn("firebreak-responder", "alice"))));
  EXPECT_TRUE(matches(c, call(kOtherAgent, "arn:aws:iam::123456789012:user/firebreak-x")));
}

TEST(SelfExclusion, can_be_turned_off) {
  auto off = compile(kRule, {}, EngineOptions{.self_exclusion = false});
  EXPECT_TRUE(matches(off, call(firebreak_agent(), kUserArn)));
  EXPECT_TRUE(matches(
      off, call(kOtherAgent, session_arn("Responder", cloud::role_session_name_for("inc-1")))));
}

TEST(SelfExclusion, applies_to_correlation_inputs_too) {
  // firebreak's own denied calls must not feed a burst correlation either.
  const std::string rules =
      "title: denied\nname: denied\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection:\n  sel:\n    errorCode: AccessDenied\n  condition: sel\n---\n"
      "title: burst\ncorrelation:\n  type: event_count\n  rules: [denied]\n"
      "  group-by: [userIdentity.arn]\n  timespan: 5m\n  condition: {gte: 2}\n";
  auto c = compile(rules);
  ASSERT_TRUE(c.rejected.empty()) << c.rejected[0].describe();
  const std::string own =
      R"({"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances",)"
      R"("eventTime":"2024-08-01T10:00:00Z","errorCode":"AccessDenied","userAgent":")" +
      firebreak_agent() + R"(","userIdentity":{"arn":"arn:aws:iam::1:user/x"}})";
  EXPECT_FALSE(matches(c, own));
}

}  // namespace
}  // namespace firebreak::detect::test

namespace firebreak::detect::test {
namespace {

// The shipped rule pack (rules/): everything loads and compiles, every rule's own cases pass
// with the self-exclusion on, and firebreak's own calls among them fail without it (the same
// checks as the e2e `firebreak rules test`, without needing the CLI binary).
TEST(SelfExclusion, rule_pack_cases_pass_with_it_and_its_own_call_cases_fail_without_it) {
  RuleSet set = load_rules({firebreak::testing::source_dir() / "rules"});
  for (const auto& r : set.rejected) ADD_FAILURE() << r.describe();
  auto on = run_rule_tests(set);
  ASSERT_TRUE(on.has_value()) << on.error().describe();
  EXPECT_TRUE(on->rejected.empty());
  EXPECT_EQ(on->failed_cases, 0u);
  EXPECT_EQ(on->without_tests, 0u);
  for (const auto& r : on->rules) {
    for (const auto& c : r.cases) EXPECT_TRUE(c.passed) << r.rule << ": " << c.detail;
  }
  auto off = run_rule_tests(set, EngineOptions{.self_exclusion = false});
  ASSERT_TRUE(off.has_value());
  EXPECT_GT(off->failed_cases, 0u);
  for (const auto& r : off->rules) {
    for (const auto& c : r.cases) {
      if (!c.passed) EXPECT_FALSE(c.should_match) << r.rule << ": " << c.detail;
    }
  }
}

}  // namespace
}  // namespace firebreak::detect::test
