#include "firebreak/cloud/operation.h"

#include <gtest/gtest.h>

#include "firebreak/cloud/hooks.h"
#include "firebreak/cloud/session.h"

namespace firebreak::cloud {
namespace {

OperationInfo op(std::string_view name) {
  return OperationInfo{"ec2", name, !is_read_only_operation(name), "111122223333", "us-east-1"};
}

TEST(Operation, read_only_by_aws_naming) {
  EXPECT_TRUE(is_read_only_operation("DescribeInstances"));
  EXPECT_TRUE(is_read_only_operation("GetTrailStatus"));
  EXPECT_TRUE(is_read_only_operation("ListAccessKeys"));
  EXPECT_TRUE(is_read_only_operation("LookupEvents"));
  EXPECT_FALSE(is_read_only_operation("ModifyInstanceAttribute"));
  EXPECT_FALSE(is_read_only_operation("StopLogging"));
  EXPECT_EQ(op("CreateSnapshot").iam_action(), "ec2:CreateSnapshot");
}

TEST(Operation, role_session_names_are_valid_for_aws) {
  EXPECT_EQ(role_session_name_for("inc-42"), "firebreak-inc-42");
  EXPECT_EQ(role_session_name_for("a b/c"), "firebreak-a-b-c");
  EXPECT_EQ(role_session_name_for(std::string(100, 'x')).size(), 64u);
}

TEST(HookChain, records_calls_and_outcomes) {
  auto rec = std::make_shared<RecordingHook>();
  HookChain chain;
  chain.add(rec);
  auto ok = chain.run(op("DescribeInstances"), [] { return Result<int>(1); });
  auto bad = chain.run(op("StopInstances"), [] {
    return Result<int>(std::unexpected(Error(ErrorCode::kPermissionDenied, "no",
                                             ErrorContext{.aws_code = "UnauthorizedOperation"})));
  });
  EXPECT_TRUE(ok);
  EXPECT_FALSE(bad);
  const auto calls = rec->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_FALSE(calls[0].mutating);
  EXPECT_TRUE(calls[1].mutating);
  EXPECT_EQ(calls[1].error_code, "UnauthorizedOperation");
  EXPECT_EQ(rec->count_mutating(), 1u);
}

TEST(FaultInjection, nth_call_fails_and_skips_the_operation) {
  SimClock clock(from_unix_seconds(0));
  auto faults = std::make_shared<FaultInjectionHook>(clock);
  faults->add({.operation = "CreateSnapshot",
               .nth = 2,
               .error = Error(ErrorCode::kThrottled, "slow down",
                              ErrorContext{.aws_code = "RequestLimitExceeded"}),
               .delay = std::chrono::seconds(3)});
  HookChain chain;
  chain.add(faults);
  int ran = 0;
  auto call = [&] {
    return chain.run(op("CreateSnapshot"), [&] {
      ++ran;
      return Result<int>(ran);
    });
  };
  EXPECT_TRUE(call());
  auto second = call();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().context().aws_code, "RequestLimitExceeded");
  EXPECT_TRUE(call());
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(to_unix_seconds(clock.now()), 3);
}

TEST(FaultInjection, after_call_trigger_fires_once_the_side_effect_happened) {
  SimClock clock(from_unix_seconds(0));
  auto faults = std::make_shared<FaultInjectionHook>(clock);
  int ran = 0, triggered_after = -1;
  faults->add({.operation = "*",
               .nth = 1,
               .on_trigger = [&] { triggered_after = ran; },
               .after_call = true});
  HookChain chain;
  chain.add(faults);
  EXPECT_TRUE(chain.run(op("CreateTags"), [&] {
    ++ran;
    return Result<int>(0);
  }));
  EXPECT_EQ(triggered_after, 1);
}

}  // namespace
}  // namespace firebreak::cloud
