// Every input format firebreak reads, from fixtures in tests/data/event written in the shapes the
// AWS documentation and botocore models give (CloudTrail delivery files by their S3 key names,
// lookup-events CLI output, EventBridge envelopes, GuardDuty GetFindings in the API/EventBridge
// camelCase and the CLI PascalCase spelling, ASFF, VPC Flow Logs v2 and custom v5).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "firebreak/event/reader.h"
#include "testdata.h"

namespace firebreak::event {
namespace {

struct Seen {
  SourceKind source;
  std::string id, name, service, account, region, time, ref;
  std::string json;
};

struct Collect final : EventSink {
  std::vector<Seen> events;
  std::vector<std::string> errors;
  std::vector<std::string> paths_out;
  std::vector<FieldPath> probes;
  void on_event(const Event& e) override {
    events.push_back({e.source(), std::string(e.id()), std::string(e.name()),
                      std::string(e.service()), std::string(e.account()), std::string(e.region()),
                      format_iso8601(e.time()), e.ref().describe(), e.json()});
    for (const auto& p : probes) {
      std::string all;
      e.visit(p, [&](Value v) { all += (all.empty() ? "" : "|") + v.text(); });
      paths_out.push_back(all);
    }
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
};

std::filesystem::path fixture(const std::string& name) {
  return testing::data_dir() / "event" / name;
}

Collect read(const std::string& name, ReadOptions options = {},
             std::vector<std::string> probes = {}) {
  Reader r(options);
  Collect c;
  for (auto& p : probes) c.probes.emplace_back(p);
  r.read_paths({fixture(name)}, c);
  return c;
}

std::vector<std::string> names(const Collect& c) {
  std::vector<std::string> out;
  for (const auto& e : c.events) out.push_back(e.name);
  return out;
}

TEST(Formats, cloudtrail_delivery_tree_reads_gzip_by_real_names_and_ignores_digests) {
  auto c = read("AWSLogs");
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  EXPECT_EQ(names(c), (std::vector<std::string>{"RunInstances", "CreateAccessKey", "GetObject"}));
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].account, "111122223333");
  EXPECT_EQ(c.events[0].region, "us-east-1");
  EXPECT_EQ(c.events[0].time, "2024-05-06T07:05:01Z");
  EXPECT_EQ(c.events[2].service, "s3.amazonaws.com");
  EXPECT_NE(c.events[1].ref.find("_CloudTrail_us-east-1_20240506T0710Z_Ab12Cd34Ef56Gh78.json.gz "
                                 "record 1"),
            std::string::npos)
      << c.events[1].ref;
}

TEST(Formats, pretty_printed_delivery_file_and_lookup_events_give_the_same_records) {
  auto delivery = read("cloudtrail-delivery.json");
  auto lookup = read("lookup-events.json");  // auto-detected: no --format needed
  EXPECT_TRUE(delivery.errors.empty());
  EXPECT_TRUE(lookup.errors.empty()) << lookup.errors.front();
  ASSERT_EQ(delivery.events.size(), 3u);
  ASSERT_EQ(lookup.events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(delivery.events[i].id, lookup.events[i].id);
    EXPECT_EQ(delivery.events[i].json, lookup.events[i].json);
  }
  // And with the format forced.
  auto forced = read("lookup-events.json", {.format = InputFormat::kLookupEvents});
  EXPECT_EQ(forced.events.size(), 3u);
}

TEST(Formats, eventbridge_envelopes_unwrap_all_three_detail_types) {
  auto c = read("eventbridge.jsonl");
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  ASSERT_EQ(c.events.size(), 4u);
  EXPECT_EQ(c.events[0].source, SourceKind::kCloudTrail);
  EXPECT_EQ(c.events[0].name, "CreateAccessKey");
  EXPECT_EQ(c.events[1].source, SourceKind::kGuardDuty);
  EXPECT_EQ(c.events[1].name,
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
  EXPECT_EQ(c.events[2].source, SourceKind::kSecurityHub);
  EXPECT_EQ(c.events[3].source, SourceKind::kSecurityHub);
  EXPECT_EQ(
      c.events[3].name,
      "TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS");
  EXPECT_EQ(c.events[2].ref, c.events[3].ref);  // both findings come from line 3
  EXPECT_NE(c.events[3].ref.find("line 3"), std::string::npos);
  auto single = read("eventbridge-guardduty.json");
  ASSERT_EQ(single.events.size(), 1u);
  EXPECT_EQ(single.events[0].time, "2024-05-06T07:25:31Z");  // service.eventLastSeen
}

TEST(Formats, guardduty_findings_read_the_same_in_both_spellings) {
  const std::vector<std::string> probes = {
      "resource.instanceDetails.instanceId",
      "Service.Action.AwsApiCallAction.RemoteIpDetails.IpAddressV4"};
  auto api = read("guardduty-getfindings-api.json", {}, probes);
  auto cli = read("guardduty-getfindings-cli.json", {}, probes);
  EXPECT_TRUE(api.errors.empty()) << api.errors.front();
  EXPECT_TRUE(cli.errors.empty()) << cli.errors.front();
  ASSERT_EQ(api.events.size(), 2u);
  ASSERT_EQ(cli.events.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(api.events[i].source, SourceKind::kGuardDuty);
    EXPECT_EQ(cli.events[i].source, SourceKind::kGuardDuty);
    EXPECT_EQ(api.events[i].id, cli.events[i].id);
    EXPECT_EQ(api.events[i].name, cli.events[i].name);
    EXPECT_EQ(api.events[i].time, cli.events[i].time);
    EXPECT_EQ(api.events[i].account, "111122223333");
    EXPECT_EQ(cli.events[i].region, "us-east-1");
    EXPECT_EQ(cli.events[i].service, "guardduty.amazonaws.com");
  }
  EXPECT_EQ(api.events[1].name, "Recon:EC2/PortProbeUnprotectedPort");
  EXPECT_EQ(api.events[1].time, "2024-05-06T06:45:00Z");
  EXPECT_EQ(api.paths_out, cli.paths_out);
  EXPECT_EQ(api.paths_out[0], "i-0123456789abcdef0");
  EXPECT_EQ(api.paths_out[1], "192.0.2.44");
  auto single = read("guardduty-finding.json");
  ASSERT_EQ(single.events.size(), 1u);
  EXPECT_EQ(single.events[0].id, api.events[0].id);
}

TEST(Formats, security_hub_asff_list_and_single_finding) {
  auto c = read("securityhub-getfindings.json");
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].source, SourceKind::kSecurityHub);
  EXPECT_EQ(c.events[0].time, "2024-05-06T07:40:00Z");  // LastObservedAt
  EXPECT_EQ(c.events[0].service, "securityhub.amazonaws.com");
  EXPECT_EQ(c.events[0].name,
            "Software and Configuration Checks/Industry and Regulatory Standards/"
            "AWS-Foundational-Security-Best-Practices");
  auto single = read("securityhub-finding.json");
  ASSERT_EQ(single.events.size(), 1u);
  EXPECT_EQ(single.events[0].id, c.events[0].id);
}

TEST(Formats, vpc_flow_logs_default_format_with_and_without_header) {
  const std::vector<std::string> probes = {"dstport", "srcaddr", "log-status"};
  for (const char* f : {"vpcflow-default.log", "vpcflow-noheader.log"}) {
    SCOPED_TRACE(f);
    auto c = read(f, {}, probes);
    EXPECT_TRUE(c.errors.empty()) << c.errors.front();
    ASSERT_EQ(c.events.size(), 3u);
    EXPECT_EQ(c.events[0].source, SourceKind::kVpcFlow);
    EXPECT_EQ(c.events[0].name, "REJECT");
    EXPECT_EQ(c.events[1].name, "ACCEPT");
    EXPECT_EQ(c.events[2].name, "");  // NODATA: action is "-"
    EXPECT_EQ(c.events[0].time, "2024-05-06T07:05:00Z");
    EXPECT_EQ(c.events[0].account, "111122223333");
    EXPECT_EQ(c.paths_out[0], "22");
    EXPECT_EQ(c.paths_out[1], "198.51.100.99");
    EXPECT_EQ(c.paths_out[6], "");  // "-" is missing, not a value
    EXPECT_EQ(c.paths_out[8], "NODATA");
    EXPECT_NE(c.events[0].json.find(R"("dstport":22)"), std::string::npos) << c.events[0].json;
  }
  auto hdr = read("vpcflow-default.log");
  EXPECT_NE(hdr.events[0].ref.find("line 2"), std::string::npos);  // line 1 is the header
}

TEST(Formats, vpc_flow_logs_custom_v5_format_in_gzip) {
  auto c = read("vpcflow-v5-custom.log.gz", {},
                {"flow-direction", "traffic-path", "pkt-src-aws-service"});
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].region, "us-east-1");
  EXPECT_EQ(c.paths_out[0], "egress");
  EXPECT_EQ(c.paths_out[1], "8");
  EXPECT_EQ(c.paths_out[2], "");
  EXPECT_EQ(c.paths_out[3], "ingress");
  EXPECT_EQ(c.paths_out[4], "");
  EXPECT_EQ(c.paths_out[5], "AMAZON");
  EXPECT_NE(c.events[0].json.find(R"("traffic-path":8)"), std::string::npos);
}

TEST(Formats, format_flag_overrides_sniffing) {
  Reader r({.format = InputFormat::kCloudTrail});
  Collect c;
  // No eventVersion: not recognisable as CloudTrail by shape, accepted when the flag says so.
  r.read_buffer(R"({"eventSource":"ec2.amazonaws.com","eventName":"StopInstances"})"
                "\n"
                R"({"eventSource":"ec2.amazonaws.com","eventName":"StartInstances"})"
                "\n",
                "x.jsonl", c);
  EXPECT_EQ(names(c), (std::vector<std::string>{"StopInstances", "StartInstances"}));
  Reader auto_reader;
  Collect c2;
  auto_reader.read_buffer(R"({"eventSource":"ec2.amazonaws.com","eventName":"StopInstances"})",
                          "x.json", c2);
  EXPECT_TRUE(c2.events.empty());
  EXPECT_EQ(c2.errors.size(), 1u);
  // An EventBridge-only read rejects bare records.
  Reader eb({.format = InputFormat::kEventBridge});
  Collect c3;
  eb.read_paths({fixture("cloudtrail-delivery.json")}, c3);
  EXPECT_TRUE(c3.events.empty());
  EXPECT_EQ(c3.errors.size(), 3u);
}

TEST(Formats, whole_fixture_directory_reads_without_errors) {
  Reader r;
  Collect c;
  auto s = r.read_paths({testing::data_dir() / "event"}, c);
  EXPECT_TRUE(c.errors.empty()) << c.errors.front();
  EXPECT_EQ(s.skipped + s.failed_files, 0u);
  // 3 (gz) + 3 (json) + 3 (lookup) + 4 (eventbridge.jsonl) + 1 + 2 + 2 + 1 + 2 + 1 + 3 + 3 + 2.
  EXPECT_EQ(s.events, 30u);
  EXPECT_EQ(s.files, 14u);
}

}  // namespace
}  // namespace firebreak::event
