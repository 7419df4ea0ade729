// The credential chain and configuration resolution: explicit > environment > profile (static
// keys, role_arn + source_profile chains, credential_process) > container > IMDSv2; refresh
// before expiry; secrets registered with the redactor; region and endpoint precedence.
#include "firebreak/cloud/aws/credentials.h"

#include <gtest/gtest.h>

#include <fstream>

#include "firebreak/cloud/aws/config.h"
#include "firebreak/core/redact.h"
#include "test_http_server.h"
#include "testdata.h"

using namespace firebreak;
using namespace firebreak::cloud;
using namespace firebreak::cloud::aws;
using firebreak::testing::RecordedRequest;
using firebreak::testing::Reply;
using firebreak::testing::TempDir;
using firebreak::testing::TestHttpServer;

namespace {

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

struct Fixture {
  TempDir dir;
  SimClock clock{*parse_iso8601("2026-01-01T00:00:00Z")};
  std::vector<std::pair<std::string, AssumeRoleRequest>> assumed;  // (source key id, request)
  std::map<std::string, std::string> env_vars;

  Environment env() {
    auto vars = env_vars;
    vars["AWS_CONFIG_FILE"] = (dir.path() / "config").string();
    vars["AWS_SHARED_CREDENTIALS_FILE"] = (dir.path() / "credentials").string();
    vars.try_emplace("AWS_EC2_METADATA_DISABLED", "true");
    return fixed_environment(vars);
  }

  ChainDeps deps() {
    ChainDeps d;
    d.env = env();
    d.clock = &clock;
    d.assume_role = [this](const Credentials& src,
                           const AssumeRoleRequest& req) -> Result<AssumedRole> {
      assumed.emplace_back(src.access_key_id, req);
      AssumedRole r;
      r.credentials.access_key_id = "ASIA" + std::to_string(assumed.size());
      r.credentials.secret_access_key =
          "assumedSecret-" + std::to_string(assumed.size()) + "-xxxxxxxx";
      r.credentials.session_token = "assumedToken-" + std::to_string(assumed.size()) + "-yyyyyyyy";
      r.credentials.expiration = clock.now() + std::chrono::minutes(15);
      return r;
    };
    return d;
  }

  Result<std::shared_ptr<CredentialProvider>> chain(const AwsOptions& o = {}) {
    auto d = deps();
    auto cfg = resolve_config(o.region.empty() ? with_region(o) : o, d.env);
    if (!cfg) return fail(cfg.error());
    return default_credential_chain(o, *cfg, d);
  }
  static AwsOptions with_region(AwsOptions o) {
    o.region = "us-east-1";
    return o;
  }
};

}  // namespace

TEST(CredentialChain, explicit_beats_environment_beats_profile) {
  Fixture f;
  write(f.dir / "credentials",
        "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profileSecret123\n");
  f.env_vars = {{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                {"AWS_SECRET_ACCESS_KEY", "envSecret12345"},
                {"AWS_SESSION_TOKEN", "envToken12345"}};
  AwsOptions explicit_opts;
  explicit_opts.access_key_id = "AKIAEXPLICIT";
  explicit_opts.secret_access_key = "explicitSecret123";
  auto p = f.chain(explicit_opts);
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ((*p)->source(), "explicit");
  EXPECT_EQ((*p)->credentials()->access_key_id, "AKIAEXPLICIT");

  p = f.chain();
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->source(), "environment");
  auto c = (*p)->credentials();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_token, "envToken12345");
  EXPECT_EQ(redact("token envToken12345"), "token [REDACTED]");

  f.env_vars.clear();
  p = f.chain();
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->credentials()->access_key_id, "AKIAPROFILE");
  EXPECT_NE((*p)->source().find("profile default"), std::string::npos);
  EXPECT_EQ(redact("x profileSecret123"), "x [REDACTED]");
}

TEST(CredentialChain, aws_profile_selects_and_config_file_supplies_region) {
  Fixture f;
  write(f.dir / "config",
        "[default]\nregion = eu-west-1\n\n[profile ops]\nregion = ap-southeast-2\noutput = json\n");
  write(f.dir / "credentials",
        "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = opsSecret12345\n");
  f.env_vars["AWS_PROFILE"] = "ops";
  auto d = f.deps();
  auto cfg = resolve_config({}, d.env);
  ASSERT_TRUE(cfg) << cfg.error().describe();
  EXPECT_EQ(cfg->profile, "ops");
  EXPECT_EQ(cfg->region, "ap-southeast-2");
  EXPECT_EQ(cfg->region_source, "profile ops");
  auto p = default_credential_chain({}, *cfg, d);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->credentials()->access_key_id, "AKIAOPS");

  f.env_vars["AWS_PROFILE"] = "missing";
  auto bad = resolve_config({}, f.env());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);
}

TEST(CredentialChain, role_arn_with_source_profile_chains_assume_role) {
  Fixture f;
  write(f.dir / "credentials",
        "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = baseSecret12345\n");
  write(f.dir / "config",
        "[profile security]\nrole_arn = arn:aws:iam::111111111111:role/Security\nsource_profile = "
        "base\n"
        "role_session_name = firebreak-ops\nexternal_id = ext-1\nduration_seconds = 900\n\n"
        "[profile target]\nrole_arn = arn:aws:iam::222222222222:role/Responder\nsource_profile = "
        "security\n"
        "region = us-west-2\n");
  f.env_vars["AWS_PROFILE"] = "target";
  auto d = f.deps();
  auto cfg = resolve_config({}, d.env);
  ASSERT_TRUE(cfg) << cfg.error().describe();
  auto p = default_credential_chain({}, *cfg, d);
  ASSERT_TRUE(p) << p.error().describe();
  auto c = (*p)->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  ASSERT_EQ(f.assumed.size(), 2u);
  EXPECT_EQ(f.assumed[0].first, "AKIABASE");
  EXPECT_EQ(f.assumed[0].second.role_arn, "arn:aws:iam::111111111111:role/Security");
  EXPECT_EQ(f.assumed[0].second.role_session_name, "firebreak-ops");
  EXPECT_EQ(f.assumed[0].second.external_id, "ext-1");
  EXPECT_EQ(f.assumed[0].second.duration_seconds, 900);
  EXPECT_EQ(f.assumed[1].first, "ASIA1");  // the second hop uses the first role's credentials
  EXPECT_EQ(f.assumed[1].second.role_arn, "arn:aws:iam::222222222222:role/Responder");
  EXPECT_EQ(c->access_key_id, "ASIA2");
  EXPECT_NE((*p)->source().find("assume-role arn:aws:iam::222222222222:role/Responder"),
            std::string::npos);

  // Cached until the refresh window; then both hops refresh.
  (void)(*p)->credentials();
  EXPECT_EQ(f.assumed.size(), 2u);
  f.clock.advance(std::chrono::minutes(11));  // 15-minute credentials, 5-minute window
  ASSERT_TRUE((*p)->credentials());
  EXPECT_EQ(f.assumed.size(), 4u);
}

TEST(CredentialChain, source_profile_cycles_and_bad_settings_are_errors) {
  Fixture f;
  write(
      f.dir / "config",
      "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = "
      "arn:aws:iam::1:role/B\nsource_profile = a\n[profile c]\nrole_arn = arn:aws:iam::1:role/C\n"
      "credential_source = Nowhere\n");
  for (const char* name : {"a", "c"}) {
    f.env_vars["AWS_PROFILE"] = name;
    auto p = f.chain();
    ASSERT_FALSE(p) << name;
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument) << p.error().describe();
  }
}

TEST(CredentialChain, credential_process_runs_and_is_parsed) {
  Fixture f;
  write(f.dir / "proc.sh",
        "#!/bin/sh\nprintf '%s' "
        "'{\"Version\":1,\"AccessKeyId\":\"ASIAPROC\",\"SecretAccessKey\":\"procSecret12345\","
        "\"SessionToken\":\"procToken12345\",\"Expiration\":\"2026-01-01T01:00:00Z\"}'\n");
  write(f.dir / "fail.sh", "#!/bin/sh\necho 'leaky procSecret output' >&2\nexit 3\n");
  write(f.dir / "config", "[profile proc]\ncredential_process = /bin/sh " +
                              (f.dir / "proc.sh").string() +
                              "\n[profile broken]\ncredential_process = /bin/sh " +
                              (f.dir / "fail.sh").string() + "\n");
  f.env_vars["AWS_PROFILE"] = "proc";
  auto p = f.chain();
  ASSERT_TRUE(p) << p.error().describe();
  auto c = (*p)->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->access_key_id, "ASIAPROC");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(format_iso8601(*c->expiration), "2026-01-01T01:00:00Z");
  EXPECT_EQ(redact("procToken12345"), std::string(kRedacted));

  f.env_vars["AWS_PROFILE"] = "broken";
  p = f.chain();
  ASSERT_TRUE(p);
  auto e = (*p)->credentials();
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("exit status 3"), std::string::npos) << e.error().describe();

  EXPECT_FALSE(
      parse_process_credentials(R"({"Version":2,"AccessKeyId":"a","SecretAccessKey":"b"})"));
  EXPECT_FALSE(parse_process_credentials(R"({"Version":1,"AccessKeyId":"a"})"));
  EXPECT_FALSE(parse_process_credentials("not json"));
  EXPECT_FALSE(parse_process_credentials(
      R"({"Version":1,"AccessKeyId":"a","SecretAccessKey":"bbbbbbbb","Expiration":"soon"})"));
}

TEST(CredentialChain, container_credentials_with_authorization_token) {
  TestHttpServer server([](const RecordedRequest& r, int) {
    if (r.target != "/creds" || r.header("Authorization") != "Bearer container-token-123")
      return Reply{401, {}, "no"};
    return Reply{
        200,
        {{"Content-Type", "application/json"}},
        R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"containerSecret123","Token":"containerToken123","Expiration":"2026-01-01T06:00:00Z"})"};
  });
  Fixture f;
  f.env_vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/creds";
  f.env_vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer container-token-123";
  auto p = f.chain();
  ASSERT_TRUE(p) << p.error().describe();
  auto c = (*p)->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->access_key_id, "ASIACONT");
  EXPECT_EQ((*p)->source(), "container");
  EXPECT_EQ(redact("containerSecret123"), std::string(kRedacted));
}

TEST(CredentialChain, imds_v2_token_then_role_then_credentials_and_refresh) {
  std::atomic<int> fetches{0};
  TestHttpServer server([&](const RecordedRequest& r, int) {
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.header("X-aws-ec2-metadata-token-ttl-seconds").empty()) return Reply{400, {}, ""};
      return Reply{200, {}, "imds-session-token-abc"};
    }
    if (r.header("X-aws-ec2-metadata-token") != "imds-session-token-abc") return Reply{401, {}, ""};
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return Reply{200, {}, "web-role\n"};
    if (r.target == "/latest/meta-data/iam/security-credentials/web-role") {
      ++fetches;
      return Reply{
          200,
          {},
          R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdsSecret12345","Token":"imdsToken12345","Expiration":"2026-01-01T00:30:00Z"})"};
    }
    return Reply{404, {}, ""};
  });
  Fixture f;
  f.env_vars["AWS_EC2_METADATA_DISABLED"] = "false";
  f.env_vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url();
  auto p = f.chain();
  ASSERT_TRUE(p) << p.error().describe();
  auto c = (*p)->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_NE((*p)->source().find("imds"), std::string::npos);
  EXPECT_EQ(fetches.load(), 1);
  (void)(*p)->credentials();
  EXPECT_EQ(fetches.load(), 1);
  f.clock.advance(std::chrono::minutes(26));  // inside the 5-minute refresh window
  ASSERT_TRUE((*p)->credentials());
  EXPECT_EQ(fetches.load(), 2);
  EXPECT_EQ(redact("imdsToken12345"), std::string(kRedacted));
}

TEST(CredentialChain, nothing_configured_fails_with_what_was_tried) {
  Fixture f;
  auto p = f.chain();
  ASSERT_TRUE(p);
  auto c = (*p)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(c.error().message().find("no AWS credentials found"), std::string::npos);
}

TEST(CredentialChain, refresh_keeps_valid_credentials_when_the_refresh_fails) {
  SimClock clock(*parse_iso8601("2026-01-01T00:00:00Z"));
  int calls = 0;
  auto p = refreshing_credentials(
      [&]() -> Result<Credentials> {
        if (++calls > 1) return fail(ErrorCode::kUnavailable, "sts down");
        return Credentials{"ASIA1", "refreshSecret123", "refreshToken123",
                           clock.now() + std::chrono::minutes(10)};
      },
      "test", clock, std::chrono::minutes(5));
  ASSERT_TRUE(p->credentials());
  clock.advance(std::chrono::minutes(6));
  auto c = p->credentials();  // refresh fails, old ones still valid for 4 minutes
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "ASIA1");
  clock.advance(std::chrono::minutes(5));
  EXPECT_FALSE(p->credentials());
}

TEST(AwsConfig, region_precedence) {
  Fixture f;
  write(f.dir / "config", "[default]\nregion = eu-central-1\n");
  auto r = resolve_config({}, f.env());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->region, "eu-central-1");
  f.env_vars["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(resolve_config({}, f.env())->region, "us-west-1");
  f.env_vars["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(resolve_config({}, f.env())->region, "us-west-2");
  AwsOptions o;
  o.region = "ap-south-1";
  EXPECT_EQ(resolve_config(o, f.env())->region, "ap-south-1");
  o.region = "bad region!";
  EXPECT_FALSE(resolve_config(o, f.env()));
  Fixture none;
  auto missing = resolve_config({}, none.env());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("AWS_REGION"), std::string::npos);
}

TEST(AwsConfig, endpoint_overrides_like_the_sdks) {
  Fixture f;
  write(f.dir / "config",
        "[default]\nregion = us-east-1\nendpoint_url = http://profile-global\nservices = local\n\n"
        "[services local]\ns3 =\n  endpoint_url = http://profile-s3\n  addressing_style = path\n"
        "elastic_load_balancing_v2 =\n  endpoint_url = http://profile-elbv2\n");
  auto r = resolve_config({}, f.env());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(configured_endpoint(*r, "s3"), "http://profile-s3");
  EXPECT_EQ(configured_endpoint(*r, "elasticloadbalancingv2"), "http://profile-elbv2");
  EXPECT_EQ(configured_endpoint(*r, "ec2"), "http://profile-global");

  f.env_vars["AWS_ENDPOINT_URL"] = "http://env-global";
  f.env_vars["AWS_ENDPOINT_URL_EC2"] = "http://env-ec2";
  r = resolve_config({}, f.env());
  ASSERT_TRUE(r);
  EXPECT_EQ(configured_endpoint(*r, "ec2"), "http://env-ec2");
  EXPECT_EQ(configured_endpoint(*r, "s3"),
            "http://env-global");  // env global beats profile services
  EXPECT_EQ(configured_endpoint(*r, "iam"), "http://env-global");

  AwsOptions o;
  o.endpoint_url = "http://option";
  r = resolve_config(o, f.env());
  ASSERT_TRUE(r);
  EXPECT_EQ(configured_endpoint(*r, "ec2"), "http://option");

  f.env_vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  r = resolve_config({}, f.env());
  ASSERT_TRUE(r);
  EXPECT_EQ(configured_endpoint(*r, "ec2"), "");
  EXPECT_EQ(endpoint_env_suffix("elasticloadbalancingv2"), "ELASTIC_LOAD_BALANCING_V2");
  EXPECT_EQ(endpoint_env_suffix("autoscaling"), "AUTO_SCALING");
}

TEST(AwsConfig, shared_file_parser_rejects_garbage_with_file_and_line) {
  SharedConfig cfg;
  auto s = parse_shared_file("[default]\nthis line has no equals\n", "cfg", false, cfg);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("cfg:2"), std::string::npos);
  s = parse_shared_file("[default\n", "cfg", false, cfg);
  ASSERT_FALSE(s);
  s = parse_shared_file(std::string(2u << 20, 'x'), "cfg", false, cfg);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kLimitExceeded);
  SharedConfig ok;
  ASSERT_TRUE(parse_shared_file(
      "# c\n[profile x]\nregion = eu-west-1 # trailing\n[sso-session s]\nsso_region = x\n", "cfg",
      false, ok));
  ASSERT_NE(ok.profile("x"), nullptr);
  EXPECT_EQ(ok.profile("x")->get("region").value_or(""), "eu-west-1");
  EXPECT_EQ(ok.profile("s"), nullptr);
}
