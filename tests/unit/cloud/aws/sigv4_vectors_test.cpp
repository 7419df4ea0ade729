// Every case of the AWS SigV4 test suite (aws-c-auth), header and query signing: canonical
// request, string to sign, signature and the signed request.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "firebreak/cloud/aws/signer.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/json.h"
#include "testdata.h"

namespace fs = std::filesystem;
using namespace firebreak;
using namespace firebreak::cloud::aws;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ParsedRequest {
  std::string method;
  std::string target;  // path?query as written
  std::string path;
  std::string raw_query;
  QueryList query;
  HeaderList headers;       // value as written (continuation lines joined with '\n')
  std::string header_text;  // header lines exactly as written
  std::string body;
};

ParsedRequest parse_request(const std::string& text) {
  ParsedRequest r;
  const auto first_nl = text.find('\n');
  const std::string line = text.substr(0, first_nl);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) {
    r.raw_query = r.target.substr(q + 1);
    std::stringstream ss(r.raw_query);
    std::string pair;
    while (std::getline(ss, pair, '&')) {
      const auto eq = pair.find('=');
      r.query.emplace_back(percent_decode(pair.substr(0, eq)),
                           eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1)));
    }
  }
  std::size_t pos = first_nl == std::string::npos ? text.size() : first_nl + 1;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string hl = text.substr(pos, nl - pos);
    if (hl.empty()) {  // blank line: the body follows
      r.body = nl < text.size() ? text.substr(nl + 1) : "";
      break;
    }
    r.header_text += hl + "\n";
    if ((hl[0] == ' ' || hl[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + hl;
    } else {
      const auto colon = hl.find(':');
      r.headers.emplace_back(hl.substr(0, colon), hl.substr(colon + 1));
    }
    pos = nl + 1;
  }
  return r;
}

fs::path suite_dir() {
  return firebreak::testing::external_testdata() / "sigv4/tests/aws-signing-test-suite/v4";
}

class SigV4Vectors : public ::testing::Test {};

}  // namespace

TEST(SigV4Vectors, every_case_matches_header_and_query_signing) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(suite_dir()))
    if (e.is_directory()) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 30u);
  int checked = 0;
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    auto ctx = parse_json(slurp(dir / "context.json"));
    ASSERT_TRUE(ctx) << ctx.error().describe();
    const ParsedRequest req = parse_request(slurp(dir / "request.txt"));

    SigningParams p;
    p.credentials.access_key_id = (*ctx)["credentials"]["access_key_id"].get<std::string>();
    p.credentials.secret_access_key = (*ctx)["credentials"]["secret_access_key"].get<std::string>();
    if ((*ctx)["credentials"].contains("token"))
      p.credentials.session_token = (*ctx)["credentials"]["token"].get<std::string>();
    p.region = (*ctx)["region"].get<std::string>();
    p.service = (*ctx)["service"].get<std::string>();
    p.time = *parse_iso8601((*ctx)["timestamp"].get<std::string>());
    p.normalize_path = (*ctx).value("normalize", true);
    p.double_encode_path = true;
    p.omit_session_token = (*ctx).value("omit_session_token", false);
    p.expires_seconds = (*ctx).value("expiration_in_seconds", 3600);
    const bool sign_body = (*ctx).value("sign_body", false);
    p.add_content_sha256_header = sign_body;

    SignableRequest sr;
    sr.method = req.method;
    sr.path = req.path;
    sr.query = req.query;
    sr.headers = req.headers;
    sr.payload_hash = sha256_hex(req.body);

    // Header signing.
    const SigningResult h = sign_headers(sr, p);
    EXPECT_EQ(h.canonical_request, slurp(dir / "header-canonical-request.txt"));
    EXPECT_EQ(h.string_to_sign, slurp(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(h.signature, slurp(dir / "header-signature.txt"));
    std::string signed_text = req.method + " " + req.target + " HTTP/1.1\n" + req.header_text;
    for (const auto& [k, v] : h.added_headers) signed_text += k + ":" + v + "\n";
    signed_text += "\n" + req.body;
    EXPECT_EQ(signed_text, slurp(dir / "header-signed-request.txt"));

    // Query signing (presigned URL).
    const SigningResult q = sign_query(sr, p);
    EXPECT_EQ(q.canonical_request, slurp(dir / "query-canonical-request.txt"));
    EXPECT_EQ(q.string_to_sign, slurp(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(q.signature, slurp(dir / "query-signature.txt"));
    std::string target =
        req.target + (req.raw_query.empty() ? "?" : "&") + encode_query(q.added_query);
    std::string qsigned =
        req.method + " " + target + " HTTP/1.1\n" + req.header_text + "\n" + req.body;
    EXPECT_EQ(qsigned, slurp(dir / "query-signed-request.txt"));
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

TEST(SigV4, uri_encode_keeps_only_unreserved) {
  EXPECT_EQ(uri_encode("a b/c~d*e"), "a%20b%2Fc~d%2Ae");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uri_encode("\xe1\x88\xb4"), "%E1%88%B4");
}

TEST(SigV4, normalize_path_removes_dot_segments) {
  EXPECT_EQ(normalize_path("//example//"), "/example/");
  EXPECT_EQ(normalize_path("/example1/example2/../.."), "/");
  EXPECT_EQ(normalize_path("/./"), "/");
  EXPECT_EQ(normalize_path("/a/b/../c"), "/a/c");
  EXPECT_EQ(normalize_path(""), "/");
}

TEST(SigV4, percent_decode_leaves_malformed_escapes) {
  EXPECT_EQ(percent_decode("%E1%88%B4"), "\xe1\x88\xb4");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
}

TEST(SigV4, s3_rules_skip_normalisation_and_second_encoding) {
  SignableRequest sr{"GET",
                     "/bucket/a%20b/../c",
                     {},
                     {{"Host", "s3.amazonaws.com"}},
                     std::string(kUnsignedPayload)};
  SigningParams p;
  p.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt};
  p.region = "us-east-1";
  p.service = "s3";
  p.time = *parse_iso8601("2015-08-30T12:36:00Z");
  p.normalize_path = false;
  p.double_encode_path = false;
  p.add_content_sha256_header = true;
  const auto r = sign_headers(sr, p);
  EXPECT_NE(r.canonical_request.find("\n/bucket/a%20b/../c\n"), std::string::npos)
      << r.canonical_request;
  EXPECT_NE(r.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD"), std::string::npos);
  EXPECT_TRUE(r.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}
