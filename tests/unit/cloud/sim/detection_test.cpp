// GuardDuty findings from simulated behaviour; fault injection and throttling on the sim backend.
#include <gtest/gtest.h>

#include "firebreak/cloud/hooks.h"
#include "firebreak/event/reader.h"
#include "fixture.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

std::vector<Json> findings_via_api(CloudSession& s) {
  auto dets = s.guardduty().list_detectors();
  if (!dets || dets->empty()) return {};
  auto ids = s.guardduty().list_findings(dets->front());
  if (!ids) return {};
  auto f = s.guardduty().get_findings(dets->front(), *ids);
  return f ? *f : std::vector<Json>{};
}

TEST(GuardDuty, c2_and_mining_connections_become_findings) {
  Org org;
  org.world->add_threat_ips("c2", {"198.51.100.0/24"});
  org.world->add_threat_ips("mining", {"203.0.113.77"});
  ASSERT_TRUE(org.world->add_detector(kProd, "us-east-1", "gd-export"));
  ConnectionSpec c2;
  c2.instance_id = org.instance;
  c2.remote_ip = kAttackerIp;
  c2.remote_port = 443;
  ASSERT_TRUE(org.world->open_connection(c2));
  ConnectionSpec pool = c2;
  pool.remote_ip = "203.0.113.77";
  pool.remote_port = 3333;
  ASSERT_TRUE(org.world->open_connection(pool));
  auto s = org.admin_session();
  EXPECT_TRUE(findings_via_api(*s).empty()) << "findings take minutes";
  org.world->advance(6min);
  auto f = findings_via_api(*s);
  ASSERT_EQ(f.size(), 2u);
  std::set<std::string> types;
  for (const auto& x : f) {
    types.insert(x["type"].get<std::string>());
    EXPECT_EQ(x["resource"]["resourceType"], "Instance");
    EXPECT_EQ(x["resource"]["instanceDetails"]["instanceId"], org.instance);
    EXPECT_EQ(x["service"]["action"]["actionType"], "NETWORK_CONNECTION");
    EXPECT_EQ(x["accountId"], kProd);
    EXPECT_GE(x["service"]["count"].get<int>(), 1);
  }
  EXPECT_TRUE(types.contains("Backdoor:EC2/C&CActivity.B"));
  EXPECT_TRUE(types.contains("CryptoCurrency:EC2/BitcoinTool.B"));
  // Keep-alives add to the same finding's count rather than new findings.
  org.world->advance(10min);
  f = findings_via_api(*s);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_GT(f[0]["service"]["count"].get<int>(), 1);
  // Security Hub shows them in ASFF.
  auto asff = s->securityhub().get_findings(nullptr, 100);
  ASSERT_TRUE(asff);
  ASSERT_EQ(asff->size(), 2u);
  EXPECT_EQ((*asff)[0]["SchemaVersion"], "2018-10-08");
}

TEST(GuardDuty, instance_credentials_used_outside_aws) {
  Org org;
  ASSERT_TRUE(org.world->add_detector(kProd, "us-east-1"));
  auto stolen = org.world->instance_credentials(org.instance);
  ASSERT_TRUE(stolen);
  ASSERT_TRUE(org.attacker_session(*stolen)->ec2().describe_instances({}));
  org.world->advance(6min);
  const auto f = org.world->findings(kProd);
  ASSERT_FALSE(f.empty());
  bool exfil = false, kali = false;
  for (const auto& x : f) {
    if (x["type"] == "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS") {
      exfil = true;
      EXPECT_EQ(x["resource"]["accessKeyDetails"]["accessKeyId"], stolen->access_key_id);
      EXPECT_EQ(x["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV4"],
                kAttackerIp);
    }
    if (x["type"] == "PenTest:IAMUser/KaliLinux") kali = true;
  }
  EXPECT_TRUE(exfil);
  EXPECT_TRUE(kali);
}

TEST(GuardDuty, findings_export_files_and_eventbridge_are_readable) {
  Org org;
  org.world->add_threat_ips("c2", {"198.51.100.0/24"});
  ASSERT_TRUE(org.world->add_detector(kProd, "us-east-1", "gd-export"));
  struct S final : LogSink {
    std::vector<DeliveredFile> files;
    std::vector<std::string> envelopes;
    void on_file(const DeliveredFile& f) override { files.push_back(f); }
    void on_eventbridge(std::string_view e) override { envelopes.emplace_back(e); }
  };
  auto sink = std::make_shared<S>();
  org.world->add_sink(sink);
  ConnectionSpec c2;
  c2.instance_id = org.instance;
  c2.remote_ip = kAttackerIp;
  ASSERT_TRUE(org.world->open_connection(c2));
  org.world->advance(12min);
  std::size_t events = 0;
  struct C final : event::EventSink {
    std::size_t n = 0;
    std::vector<std::string> errors;
    std::string name;
    void on_event(const event::Event& e) override {
      ++n;
      name = std::string(e.name());
    }
    void on_error(const Error& e) override { errors.push_back(e.describe()); }
  };
  for (const auto& f : sink->files) {
    if (f.kind != "guardduty") continue;
    EXPECT_TRUE(f.key.starts_with(std::string("AWSLogs/") + kProd + "/GuardDuty/us-east-1/"));
    EXPECT_EQ(f.bucket, "gd-export");
    event::Reader r;
    C c;
    r.read_buffer(f.bytes, f.key, c);
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.name, "Backdoor:EC2/C&CActivity.B");
    events += c.n;
  }
  EXPECT_EQ(events, 1u);
  bool gd_envelope = false;
  for (const auto& e : sink->envelopes)
    gd_envelope |= e.find("\"GuardDuty Finding\"") != std::string::npos;
  EXPECT_TRUE(gd_envelope);
}

TEST(GuardDuty, stop_logging_and_public_bucket) {
  Org org;
  ASSERT_TRUE(org.world->add_detector(kProd, "us-east-1"));
  ASSERT_TRUE(org.world->add_trail(
      {"prod-trail", kProd, "us-east-1", "prod-trail-bucket", "", true, false, true, true}));
  auto s = org.admin_session();
  ASSERT_TRUE(s->cloudtrail().stop_logging("prod-trail"));
  ASSERT_TRUE(s->s3().create_bucket({"leaky-data", {}, false}));
  ASSERT_TRUE(s->s3().delete_public_access_block("leaky-data"));
  ASSERT_TRUE(s->s3().put_bucket_policy(
      "leaky-data",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::leaky-data/*"}]})"));
  org.world->advance(6min);
  std::set<std::string> types;
  for (const auto& x : org.world->findings(kProd)) types.insert(x["type"].get<std::string>());
  EXPECT_TRUE(types.contains("Stealth:IAMUser/CloudTrailLoggingDisabled"));
  EXPECT_TRUE(types.contains("Policy:S3/BucketBlockPublicAccessDisabled"));
  EXPECT_TRUE(types.contains("Policy:S3/BucketAnonymousAccessGranted"));
}

TEST(FaultInjection, nth_call_fails_without_reaching_the_world) {
  Org org;
  Identity id;
  id.credentials = org.admin;
  SimProvider provider(org.world, id);
  auto faults = std::make_shared<FaultInjectionHook>(org.world->clock());
  faults->add(
      {"ModifyNetworkInterfaceAttribute",
       2,
       Error(ErrorCode::kThrottled, "injected", ErrorContext{.aws_code = "RequestLimitExceeded"}),
       {},
       {},
       false});
  faults->add({"DescribeInstances", 1, std::nullopt, 90s, {}, false});
  auto rec = std::make_shared<RecordingHook>();
  provider.add_hook(faults);
  provider.add_hook(rec);
  auto s = provider.session({});
  ASSERT_TRUE(s);
  const auto before = org.world->now();
  ASSERT_TRUE((*s)->ec2().describe_instances({}));
  EXPECT_EQ(org.world->now() - before, 90s) << "added latency runs on the world's clock";
  const auto eni = org.primary_eni();
  auto sg = (*s)->ec2().create_security_group({"x", "x", org.vpc, {}});
  ASSERT_TRUE(sg);
  ASSERT_TRUE((*s)->ec2().modify_network_interface_groups(eni, {*sg}));
  const auto records = org.world->record_count();
  auto second = (*s)->ec2().modify_network_interface_groups(eni, {org.web_sg});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().context().aws_code, "RequestLimitExceeded");
  EXPECT_EQ(org.world->record_count(), records) << "an injected fault never reaches AWS";
  auto groups = (*s)->ec2().describe_network_interfaces({{eni}, {}});
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->front().groups[0].group_id, *sg);
  const auto calls = rec->calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_FALSE(calls[3].ok);
  EXPECT_EQ(calls[3].error_code, "RequestLimitExceeded");
}

TEST(FaultInjection, crash_point_after_the_side_effect) {
  Org org;
  Identity id;
  id.credentials = org.admin;
  SimProvider provider(org.world, id);
  auto faults = std::make_shared<FaultInjectionHook>(org.world->clock());
  faults->add({"CreateTags", 1, std::nullopt, {}, [] { std::_Exit(42); }, true});
  provider.add_hook(faults);
  auto s = provider.session({});
  ASSERT_TRUE(s);
  EXPECT_EXIT((void)(*s)->ec2().create_tags({org.instance}, {{"k", "v"}}),
              ::testing::ExitedWithCode(42), "");
}

TEST(Throttling, mutating_ec2_bucket_refills) {
  WorldOptions o;
  o.throttling = true;
  Org org(o);
  auto s = org.admin_session();
  int throttled = 0;
  for (int i = 0; i < 60; ++i) {
    auto r = s->ec2().create_tags({org.instance}, {{"n", std::to_string(i)}});
    if (!r) {
      EXPECT_EQ(r.error().context().aws_code, "RequestLimitExceeded");
      EXPECT_EQ(r.error().code(), ErrorCode::kThrottled);
      ++throttled;
    }
  }
  EXPECT_EQ(throttled, 10);
  // Describe calls have their own bucket.
  EXPECT_TRUE(s->ec2().describe_instances({}));
  org.world->advance(1s);
  EXPECT_TRUE(s->ec2().create_tags({org.instance}, {{"n", "again"}}));
  auto recs = org.records_named(kProd, "CreateTags");
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(),
                          [](const Json& r) {
                            return r.value("errorCode", "") == "Client.RequestLimitExceeded";
                          }),
            10);
}

TEST(Throttling, iam_uses_throttling_and_buckets_are_per_account) {
  WorldOptions o;
  o.throttling = true;
  Org org(o);
  auto s = org.admin_session();
  int throttled = 0;
  for (int i = 0; i < 45; ++i) {
    auto r = s->iam().list_users();
    if (!r) {
      EXPECT_EQ(r.error().context().aws_code, "Throttling");
      EXPECT_EQ(r.error().code(), ErrorCode::kThrottled);
      ++throttled;
    }
  }
  EXPECT_EQ(throttled, 5) << "IAM: a bucket of 40";
  // Another account's bucket is untouched: the security account's responder is refused by
  // policy, not by the throttle.
  auto other = org.attacker_session(org.responder_user);
  auto r = other->iam().list_users();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "AccessDenied");
  org.world->advance(1s);
  EXPECT_TRUE(s->iam().list_users()) << "refilled";
}

TEST(Throttling, cloudtrail_lookup_events_allows_two_per_second) {
  WorldOptions o;
  o.throttling = true;
  Org org(o);
  auto s = org.admin_session();
  LookupEventsRequest req;
  EXPECT_TRUE(s->cloudtrail().lookup_events(req));
  EXPECT_TRUE(s->cloudtrail().lookup_events(req));
  auto r = s->cloudtrail().lookup_events(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().aws_code, "ThrottlingException");
  org.world->advance(1s);
  EXPECT_TRUE(s->cloudtrail().lookup_events(req));
}

TEST(Throttling, s3_answers_slow_down_past_its_request_rate) {
  WorldOptions o;
  o.throttling = true;
  Org org(o);
  auto s = org.admin_session();
  int throttled = 0;
  for (int i = 0; i < 3510; ++i) {
    auto r = s->s3().list_buckets();
    if (!r) {
      EXPECT_EQ(r.error().code(), ErrorCode::kThrottled);
      EXPECT_EQ(r.error().context().aws_code, "SlowDown");
      ++throttled;
    }
  }
  EXPECT_EQ(throttled, 10) << "S3: 3,500 requests per second";
  // Other services keep their own buckets.
  EXPECT_TRUE(s->ec2().describe_instances({}));
  org.world->advance(1s);
  EXPECT_TRUE(s->s3().list_buckets()) << "refilled";
  auto recs = org.records_named(kProd, "ListBuckets");
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(),
                          [](const Json& r) { return r.value("errorCode", "") == "SlowDown"; }),
            10);
}

TEST(Throttling, off_by_default) {
  Org org;
  auto s = org.admin_session();
  for (int i = 0; i < 80; ++i)
    ASSERT_TRUE(s->ec2().create_tags({org.instance}, {{"n", std::to_string(i)}}));
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
