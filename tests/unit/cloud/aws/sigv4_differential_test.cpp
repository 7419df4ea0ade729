// Differential test: a few hundred randomised requests (methods, paths with odd characters,
// repeated and odd query parameters, headers with folded whitespace, binary payloads, session
// tokens, S3 and non-S3 rules, header and presigned signing) are generated and signed by
// botocore at test time (botocore_sign.py); firebreak's signer must produce the same signatures.
#include <gtest/gtest.h>

#include <cstdio>

#include "firebreak/cloud/aws/signer.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/json.h"
#include "testdata.h"

using namespace firebreak;
using namespace firebreak::cloud::aws;

namespace {

std::string run_botocore(int seed, int count, int& exit_status) {
  const std::string cmd = std::string("python3 ") + FIREBREAK_SOURCE_DIR +
                          "/tests/unit/cloud/aws/botocore_sign.py " + std::to_string(seed) + " " +
                          std::to_string(count) + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  if (p == nullptr) {
    exit_status = -1;
    return out;
  }
  char buf[8192];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  exit_status = pclose(p);
  return out;
}

}  // namespace

TEST(SigV4Differential, signatures_equal_botocore_for_randomised_requests) {
  int status = 0;
  const std::string out = run_botocore(20261130, 400, status);
  if (status != 0) {
    if (firebreak::testing::running_in_ci()) FAIL() << "botocore unavailable: " << out;
    GTEST_SKIP() << "skipped: python3 with botocore unavailable: " << out.substr(0, 300);
  }
  int checked = 0, s3 = 0, presigned = 0;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    const std::string line = out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    auto j = parse_json(line);
    ASSERT_TRUE(j) << j.error().describe() << "\n" << line;
    const Json& c = *j;
    SignableRequest sr;
    sr.method = c["method"].get<std::string>();
    sr.path = c["path"].get<std::string>();
    for (const auto& q : c["query"])
      sr.query.emplace_back(q[0].get<std::string>(), q[1].get<std::string>());
    sr.headers.emplace_back("Host", "example.amazonaws.com");
    for (const auto& h : c["headers"])
      sr.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    const std::string body = *from_hex(c["body"].get<std::string>());
    const bool is_s3 = c["s3"].get<bool>();
    const bool presign = c["presign"].get<bool>();
    SigningParams p;
    p.credentials.access_key_id = c["access_key_id"].get<std::string>();
    p.credentials.secret_access_key = c["secret_access_key"].get<std::string>();
    p.credentials.session_token = c["session_token"].get<std::string>();
    p.region = c["region"].get<std::string>();
    p.service = c["service"].get<std::string>();
    p.time = *parse_iso8601(c["timestamp"].get<std::string>());
    p.normalize_path = !is_s3;
    p.double_encode_path = !is_s3;
    p.expires_seconds = c["expires"].get<int>();
    SigningResult r;
    if (presign) {
      sr.payload_hash = is_s3 ? std::string(kUnsignedPayload) : std::string(kEmptySha256);
      r = sign_query(sr, p);
      ++presigned;
    } else {
      sr.payload_hash = sha256_hex(body);
      p.add_content_sha256_header = is_s3;
      r = sign_headers(sr, p);
    }
    s3 += is_s3 ? 1 : 0;
    EXPECT_EQ(r.canonical_request, c["canonical_request"].get<std::string>()) << line;
    EXPECT_EQ(r.signature, c["signature"].get<std::string>()) << line;
    ++checked;
  }
  EXPECT_EQ(checked, 400);
  EXPECT_GT(s3, 50);
  EXPECT_GT(presigned, 50);
}
