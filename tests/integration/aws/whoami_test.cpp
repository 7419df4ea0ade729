// `firebreak whoami` end to end against moto_server: identity, region and its source, endpoint,
// credential source; never a secret on stdout or stderr.
#include <cstdio>

#include "moto_fixture.h"

using firebreak::testing::MotoTest;

namespace {

std::string run(const std::string& cmd, int& status) {
  std::FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = pclose(p);
  return out;
}

}  // namespace

TEST_F(MotoTest, whoami_prints_identity_region_endpoint_and_credential_source) {
  const std::string env =
      "env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_EC2_METADATA_DISABLED=true "
      "AWS_ACCESS_KEY_ID=" +
      std::string(firebreak::testing::kTestAccessKey) +
      " AWS_SECRET_ACCESS_KEY=" + firebreak::testing::kTestSecret +
      " AWS_REGION=eu-west-1 AWS_ENDPOINT_URL=" + moto().endpoint() + " ";
  int status = 0;
  std::string out = run(env + FIREBREAK_BINARY + " whoami", status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("123456789012"), std::string::npos) << out;
  EXPECT_NE(out.find("eu-west-1 (AWS_REGION)"), std::string::npos) << out;
  EXPECT_NE(out.find(moto().endpoint()), std::string::npos) << out;
  EXPECT_NE(out.find("environment"), std::string::npos) << out;
  EXPECT_EQ(out.find(firebreak::testing::kTestSecret), std::string::npos);

  out = run(env + FIREBREAK_BINARY + " whoami --json --region us-west-2", status);
  EXPECT_EQ(status, 0) << out;
  auto j = firebreak::parse_json(out);
  ASSERT_TRUE(j) << out;
  EXPECT_EQ((*j)["region"], "us-west-2");
  EXPECT_EQ((*j)["region_source"], "option");
  EXPECT_EQ((*j)["account"], "123456789012");
  EXPECT_EQ(out.find(firebreak::testing::kTestSecret), std::string::npos);

  // No region anywhere: a usage error that says where regions come from.
  out = run(
      "env -i PATH=/usr/bin:/bin HOME=/nonexistent " + std::string(FIREBREAK_BINARY) + " whoami",
      status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("AWS_REGION"), std::string::npos) << out;

  // Unreachable endpoint: failure, with the reason, no secret.
  out =
      run("env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_MAX_ATTEMPTS=1 AWS_REGION=us-east-1 "
          "AWS_ACCESS_KEY_ID=AKIAX "
          "AWS_SECRET_ACCESS_KEY=" +
              std::string(firebreak::testing::kTestSecret) + " " + FIREBREAK_BINARY +
              " whoami --endpoint-url http://127.0.0.1:1",
          status);
  EXPECT_EQ(WEXITSTATUS(status), 4) << out;
  EXPECT_EQ(out.find(firebreak::testing::kTestSecret), std::string::npos) << out;
}
