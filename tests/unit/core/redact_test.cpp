#include "firebreak/core/redact.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "firebreak/core/log.h"

namespace firebreak {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

bool contains(const std::string& s, std::string_view needle) {
  return s.find(needle) != std::string::npos;
}

TEST(Redact, hides_secret_values_in_every_shape) {
  const std::vector<std::string> inputs = {
      std::string("aws_secret_access_key = ") + kSecret,
      std::string("AWS_SECRET_ACCESS_KEY=") + kSecret,
      std::string(R"({"SecretAccessKey": ")") + kSecret + "\"}",
      std::string("<SecretAccessKey>") + kSecret + "</SecretAccessKey>",
      std::string("X-Amz-Security-Token: ") + kSecret,
      std::string("https://b.s3.amazonaws.com/k?X-Amz-Signature=") + kSecret + "&x=1",
      std::string(R"({"sessionToken":")") + kSecret + "\"}",
  };
  for (const auto& in : inputs) {
    const std::string out = redact(in);
    EXPECT_FALSE(contains(out, kSecret)) << in << " -> " << out;
    EXPECT_TRUE(contains(out, "[REDACTED]")) << out;
  }
}

TEST(Redact, hides_whole_authorization_header) {
  const std::string out = redact(
      "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\n"
      "Host: iam.amazonaws.com");
  EXPECT_FALSE(contains(out, "5d672d79")) << out;
  EXPECT_TRUE(contains(out, "Host: iam.amazonaws.com")) << out;
}

TEST(Redact, keeps_access_key_ids_and_ordinary_text) {
  const std::string in = "key AKIAIOSFODNN7EXAMPLE used by alice from 203.0.113.5";
  EXPECT_EQ(redact(in), in);
}

TEST(Redact, registered_secrets_are_hidden_anywhere) {
  clear_registered_secrets_for_testing();
  register_secret("token-ABCDEFGH12345");
  EXPECT_EQ(redact("it was token-ABCDEFGH12345!"), "it was [REDACTED]!");
  register_secret("short");  // too short to register
  EXPECT_EQ(redact("short"), "short");
  clear_registered_secrets_for_testing();
}

TEST(Log, every_line_passes_through_redaction) {
  std::vector<std::string> lines;
  log::set_sink([&](log::Level, std::string_view line) { lines.emplace_back(line); });
  log::info("loaded credentials aws_secret_access_key={}", kSecret);
  log::debug("not shown at info level");
  log::set_sink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(contains(lines[0], kSecret));
}

}  // namespace
}  // namespace firebreak
