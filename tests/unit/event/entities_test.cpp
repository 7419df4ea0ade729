#include "firebreak/event/entities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "firebreak/event/reader.h"
#include "testdata.h"

namespace firebreak::event {
namespace {

struct Seen {
  std::string name;
  std::vector<std::string> entities;
  Actor actor;
  std::string error_code;
};

struct Collect final : EventSink {
  std::vector<Seen> seen;
  std::vector<std::string> errors;
  void on_event(const Event& e) override {
    Seen s{std::string(e.name()), {}, actor(e), error_code(e)};
    const auto list = entities(e);
    EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
    EXPECT_EQ(std::adjacent_find(list.begin(), list.end()), list.end()) << "duplicate entity";
    for (const auto& x : list) s.entities.push_back(x.text());
    seen.push_back(std::move(s));
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
};

Collect read(const std::string& fixture) {
  Reader r;
  Collect c;
  r.read_paths({testing::data_dir() / "event" / fixture}, c);
  EXPECT_TRUE(c.errors.empty());
  return c;
}

bool has(const Seen& s, const std::string& text) {
  return std::find(s.entities.begin(), s.entities.end(), text) != s.entities.end();
}

TEST(Entities, cloudtrail_actor_and_touched_resources) {
  auto c = read("cloudtrail-delivery.json");
  ASSERT_EQ(c.seen.size(), 3u);
  const Seen& run = c.seen[0];
  EXPECT_EQ(run.actor.principal_arn, "arn:aws:sts::111122223333:assumed-role/Admin/alice");
  EXPECT_EQ(run.actor.principal_type, "AssumedRole");
  EXPECT_EQ(run.actor.access_key_id, "ASIAEXAMPLEKEY000001");
  EXPECT_EQ(run.actor.source_ip, "203.0.113.10");
  EXPECT_EQ(run.actor.user_agent, "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64");
  EXPECT_EQ(run.entities, (std::vector<std::string>{
                              "principal:arn:aws:sts::111122223333:assumed-role/Admin/alice",
                              "iam-role:arn:aws:iam::111122223333:role/Admin",
                              "access-key:ASIAEXAMPLEKEY000001",
                              "ip:203.0.113.10",
                              "instance:i-0123456789abcdef0",
                              "network-interface:eni-0123456789abcdef0",
                              "security-group:sg-0123456789abcdef0",
                          }));
  const Seen& key = c.seen[1];
  EXPECT_TRUE(has(key, "iam-user:arn:aws:iam::111122223333:user/backdoor"));
  EXPECT_TRUE(has(key, "access-key:AKIAEXAMPLEBACKDOOR1"));
  const Seen& get = c.seen[2];
  EXPECT_TRUE(has(get, "bucket:finance-reports"));
  EXPECT_EQ(get.error_code, "AccessDenied");
  EXPECT_EQ(run.error_code, "");
}

TEST(Entities, guardduty_both_spellings_give_the_same_entities) {
  auto api = read("guardduty-getfindings-api.json");
  auto cli = read("guardduty-getfindings-cli.json");
  ASSERT_EQ(api.seen.size(), 2u);
  ASSERT_EQ(cli.seen.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(api.seen[i].entities, cli.seen[i].entities);
    EXPECT_EQ(api.seen[i].actor.principal_arn, cli.seen[i].actor.principal_arn);
    EXPECT_EQ(api.seen[i].actor.source_ip, cli.seen[i].actor.source_ip);
  }
  const Seen& exfil = api.seen[0];
  EXPECT_EQ(exfil.actor.access_key_id, "ASIAEXAMPLEKEY000002");
  EXPECT_EQ(exfil.actor.principal_type, "AssumedRole");
  EXPECT_EQ(exfil.actor.principal_arn, "arn:aws:iam::111122223333:role/WebServerRole");
  EXPECT_EQ(exfil.actor.source_ip, "192.0.2.44");
  EXPECT_EQ(exfil.actor.user_agent, "aws-cli/2.15.0");
  EXPECT_EQ(exfil.error_code, "AccessDenied");
  EXPECT_EQ(exfil.entities, (std::vector<std::string>{
                                "principal:arn:aws:iam::111122223333:role/WebServerRole",
                                "iam-role:arn:aws:iam::111122223333:role/WebServerRole",
                                "access-key:ASIAEXAMPLEKEY000002",
                                "ip:192.0.2.44",
                                "instance:i-0123456789abcdef0",
                                "network-interface:eni-0123456789abcdef0",
                                "security-group:sg-0123456789abcdef0",
                            }));
  const Seen& probe = api.seen[1];
  EXPECT_EQ(probe.actor.source_ip, "198.51.100.99");
  EXPECT_TRUE(has(probe, "ip:198.51.100.100"));
  EXPECT_TRUE(has(probe, "instance:i-0fedcba9876543210"));
}

TEST(Entities, guardduty_partition_names_the_principal_in_either_spelling) {
  for (const std::string key : {"partition", "Partition"}) {
    const std::string json =
        R"({"schemaVersion":"2.0","accountId":"111122223333",")" + key +
        R"(":"aws-cn","type":"UnauthorizedAccess:IAMUser/MaliciousIPCaller","resource":{"accessKeyDetails":{"accessKeyId":"AKIAEXAMPLEKEY000003","userType":"IAMUser","userName":"bob"}}})";
    auto e = OwnedEvent::parse(json, SourceKind::kGuardDuty);
    ASSERT_TRUE(e) << e.error().describe();
    EXPECT_EQ(actor(e->event()).principal_arn, "arn:aws-cn:iam::111122223333:user/bob") << key;
    const auto list = entities(e->event());
    EXPECT_NE(std::find(list.begin(), list.end(),
                        Entity{EntityKind::kIamUser, "arn:aws-cn:iam::111122223333:user/bob"}),
              list.end())
        << key;
  }
}

TEST(Entities, asff_resources_network_and_action) {
  auto c = read("securityhub-getfindings.json");
  ASSERT_EQ(c.seen.size(), 2u);
  EXPECT_EQ(c.seen[0].entities, std::vector<std::string>{"security-group:sg-0fedcba9876543210"});
  const Seen& gd = c.seen[1];
  EXPECT_EQ(gd.actor.access_key_id, "ASIAEXAMPLEKEY000002");
  EXPECT_EQ(gd.actor.principal_arn, "arn:aws:iam::111122223333:role/WebServerRole");
  EXPECT_EQ(gd.actor.source_ip, "192.0.2.44");
  EXPECT_EQ(gd.entities, (std::vector<std::string>{
                             "principal:arn:aws:iam::111122223333:role/WebServerRole",
                             "iam-role:arn:aws:iam::111122223333:role/WebServerRole",
                             "access-key:ASIAEXAMPLEKEY000002",
                             "ip:192.0.2.44",
                             "instance:i-0123456789abcdef0",
                             "bucket:finance-reports",
                         }));
}

TEST(Entities, flow_log_interfaces_instances_and_addresses) {
  auto c = read("vpcflow-v5-custom.log.gz");
  ASSERT_EQ(c.seen.size(), 2u);
  EXPECT_EQ(c.seen[0].actor.source_ip, "10.0.1.25");
  EXPECT_EQ(c.seen[0].entities, (std::vector<std::string>{
                                    "ip:10.0.1.25", "ip:192.0.2.44", "instance:i-0123456789abcdef0",
                                    "network-interface:eni-0123456789abcdef0"}));
}

TEST(Entities, ids_are_recognised_by_shape_and_arns_are_canonical) {
  auto kind_of = [](std::string_view s) -> std::string {
    auto e = classify_id(s);
    return e ? e->text() : "-";
  };
  EXPECT_EQ(kind_of("i-0123abcd"), "instance:i-0123abcd");
  EXPECT_EQ(kind_of("i-0123abc"), "-");  // 7 digits
  EXPECT_EQ(kind_of("i-0123ABCD"), "-");
  EXPECT_EQ(kind_of("snap-0123456789abcdef0"), "snapshot:snap-0123456789abcdef0");
  EXPECT_EQ(kind_of("vol-0123456789abcdef0"), "volume:vol-0123456789abcdef0");
  EXPECT_EQ(kind_of("ami-0123456789abcdef0"), "-");
  EXPECT_EQ(kind_of("AKIAIOSFODNN7EXAMPLE"), "access-key:AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(kind_of("AKIAIOSFODNN7EXAMPL"), "-");
  EXPECT_EQ(kind_of("arn:aws:iam::123456789012:user/division/alice"),
            "iam-user:arn:aws:iam::123456789012:user/alice");
  EXPECT_EQ(kind_of("arn:aws-cn:sts::123456789012:assumed-role/Ops/session-1"),
            "iam-role:arn:aws-cn:iam::123456789012:role/Ops");
  EXPECT_EQ(kind_of("arn:aws:s3:::my-bucket/path/to/key"), "bucket:my-bucket");
  EXPECT_EQ(kind_of("arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"),
            "volume:vol-0123456789abcdef0");
  EXPECT_EQ(kind_of("arn:aws:iam::123456789012:root"), "-");
  EXPECT_EQ(kind_of("arn:broken"), "-");
  EXPECT_TRUE(is_ip_address("192.0.2.1"));
  EXPECT_TRUE(is_ip_address("2001:db8::1"));
  EXPECT_FALSE(is_ip_address("ec2.amazonaws.com"));
  EXPECT_FALSE(is_ip_address("256.1.1.1"));
  EXPECT_FALSE(is_ip_address("1.2.3"));
  EXPECT_FALSE(is_ip_address("AWS Internal"));
  EXPECT_EQ(parse_entity_kind("security-group"), EntityKind::kSecurityGroup);
  EXPECT_FALSE(parse_entity_kind("nope"));
}

TEST(Entities, service_source_ip_is_not_an_ip_entity) {
  auto e = OwnedEvent::parse(
      R"({"eventVersion":"1.09","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",)"
      R"("sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},)"
      R"("requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/WebServerRole"},"recipientAccountId":"111122223333"})",
      SourceKind::kCloudTrail);
  ASSERT_TRUE(e);
  const auto list = entities(e->event());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].text(), "iam-role:arn:aws:iam::111122223333:role/WebServerRole");
  EXPECT_EQ(actor(e->event()).source_ip, "ec2.amazonaws.com");
}

}  // namespace
}  // namespace firebreak::event
