#include "firebreak/core/error.h"

#include <gtest/gtest.h>

namespace firebreak {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return fail(ErrorCode::kInvalidArgument, "must be positive");
  return x;
}

Result<int> doubled(int x) {
  FIREBREAK_TRY(int v, parse_positive(x));
  return v * 2;
}

TEST(Error, describe_names_location_and_aws_context) {
  Error e(ErrorCode::kNotFound, "instance does not exist",
          ErrorContext{.where = "run 7 step 3",
                       .aws_code = "InvalidInstanceID.NotFound",
                       .request_id = "req-1",
                       .http_status = 400});
  EXPECT_EQ(e.describe(),
            "run 7 step 3: instance does not exist [InvalidInstanceID.NotFound, request req-1, "
            "HTTP 400]");
  EXPECT_EQ(to_string(e.code()), "not_found");
}

TEST(Error, at_keeps_the_innermost_location) {
  Error e = Error(ErrorCode::kParse, "bad").at("file.json record 3").at("file.json");
  EXPECT_EQ(e.context().where, "file.json record 3");
}

TEST(Error, try_macro_propagates_errors_and_values) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Error, retryable_only_for_transient_codes) {
  EXPECT_TRUE(Error(ErrorCode::kThrottled, "x").retryable());
  EXPECT_TRUE(Error(ErrorCode::kUnavailable, "x").retryable());
  EXPECT_FALSE(Error(ErrorCode::kPermissionDenied, "x").retryable());
}

TEST(Error, messages_are_redacted_at_construction) {
  Error e(ErrorCode::kAws,
          "bad header Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, "
          "Signature=abcdef");
  EXPECT_EQ(e.message().find("Signature=abcdef"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("[REDACTED]"), std::string::npos);
}

}  // namespace
}  // namespace firebreak
