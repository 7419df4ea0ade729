#include "firebreak/event/event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace firebreak::event {
namespace {

constexpr std::string_view kRecord = R"({
  "eventVersion": "1.08",
  "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/r/s",
    "accountId": "111122223333",
    "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/r"}}},
  "eventTime": "2024-05-06T07:08:09Z",
  "eventSource": "ec2.amazonaws.com",
  "eventName": "AuthorizeSecurityGroupIngress",
  "awsRegion": "eu-west-1",
  "requestParameters": {"groupId": "sg-1", "ipPermissions": {"items": [
      {"ipProtocol": "tcp", "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]}},
      {"ipProtocol": "udp", "ipRanges": {"items": [{"cidrIp": "192.168.0.0/16"}]}}]}},
  "responseElements": null,
  "errorCode": null,
  "eventID": "abc-123",
  "recipientAccountId": "444455556666",
  "tags": ["a", "b"],
  "n": 42, "d": 1.5, "flag": true
})";

std::vector<std::string> texts(const Event& e, std::string_view path) {
  std::vector<std::string> out;
  e.visit(FieldPath(path), [&](Value v) { out.push_back(v.text()); });
  return out;
}

TEST(Event, extracts_normalised_fields_once) {
  auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
  ASSERT_TRUE(owned) << owned.error().describe();
  const Event& e = owned->event();
  EXPECT_EQ(e.source(), SourceKind::kCloudTrail);
  EXPECT_EQ(format_iso8601(e.time()), "2024-05-06T07:08:09Z");
  EXPECT_EQ(e.account(), "444455556666");
  EXPECT_EQ(e.region(), "eu-west-1");
  EXPECT_EQ(e.id(), "abc-123");
  EXPECT_EQ(e.service(), "ec2.amazonaws.com");
  EXPECT_EQ(e.name(), "AuthorizeSecurityGroupIngress");
}

TEST(FieldPath, walks_nested_objects) {
  auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
  ASSERT_TRUE(owned);
  EXPECT_EQ(texts(owned->event(), "userIdentity.sessionContext.sessionIssuer.arn"),
            std::vector<std::string>{"arn:aws:iam::111122223333:role/r"});
}

TEST(FieldPath, fans_out_through_arrays) {
  auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
  ASSERT_TRUE(owned);
  EXPECT_EQ(texts(owned->event(), "requestParameters.ipPermissions.items.ipRanges.items.cidrIp"),
            (std::vector<std::string>{"0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16"}));
  // The array at the end of a path is produced whole.
  auto items = texts(owned->event(), "requestParameters.ipPermissions.items");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].front(), '[');
}

TEST(FieldPath, tells_null_from_missing) {
  auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
  ASSERT_TRUE(owned);
  const Event& e = owned->event();
  auto err = e.get("errorCode");
  ASSERT_TRUE(err);
  EXPECT_TRUE(err->is_null());
  EXPECT_FALSE(e.get("errorMessage"));
  EXPECT_FALSE(e.get("userIdentity.nope.deeper"));
  EXPECT_FALSE(e.get("eventName.deeper"));  // a path through a scalar reaches nothing
}

TEST(Value, scalars_and_objects_have_text) {
  auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
  ASSERT_TRUE(owned);
  const Event& e = owned->event();
  EXPECT_EQ(e.get("n")->int64(), 42);
  EXPECT_EQ(e.get("d")->number(), 1.5);
  EXPECT_EQ(e.get("flag")->boolean(), true);
  EXPECT_EQ(e.get("flag")->text(), "true");
  EXPECT_EQ(e.get("userIdentity.sessionContext")->text(),
            R"({"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/r"}})");
  std::vector<std::string> tags;
  e.get("tags")->for_each_element([&](Value v) { tags.emplace_back(*v.string()); });
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "b"}));
}

TEST(FieldPath, escaped_dot_is_part_of_a_key) {
  auto owned =
      OwnedEvent::parse(R"({"eventVersion":"1","eventSource":"x","tags":{"aws.cfn":"stack"}})",
                        SourceKind::kCloudTrail);
  ASSERT_TRUE(owned);
  EXPECT_EQ(owned->event().get_string(R"(tags.aws\.cfn)"), "stack");
}

TEST(Event, guardduty_fields_match_either_case) {
  auto owned = OwnedEvent::parse(
      R"({"schemaVersion":"2.0","accountId":"1","region":"us-east-1","id":"f1",
          "type":"Backdoor:EC2/C&CActivity.B","updatedAt":"2024-01-02T03:04:05.678Z",
          "resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}}})",
      SourceKind::kGuardDuty);
  ASSERT_TRUE(owned);
  const Event& e = owned->event();
  EXPECT_EQ(e.name(), "Backdoor:EC2/C&CActivity.B");
  EXPECT_EQ(e.account(), "1");
  EXPECT_EQ(e.get_string("Resource.InstanceDetails.InstanceId"), "i-1");
  EXPECT_EQ(e.get_string("resource.instanceDetails.instanceId"), "i-1");
  EXPECT_EQ(to_unix_seconds(e.time()), 1704164645);
}

TEST(OwnedEvent, copies_outlive_the_source) {
  std::optional<OwnedEvent> copy;
  {
    auto owned = OwnedEvent::parse(kRecord, SourceKind::kCloudTrail);
    ASSERT_TRUE(owned);
    auto c = OwnedEvent::from(owned->event());
    ASSERT_TRUE(c);
    copy.emplace(std::move(*c));
  }
  EXPECT_EQ((*copy)->name(), "AuthorizeSecurityGroupIngress");
  EXPECT_EQ((*copy)->get_string("userIdentity.type"), "AssumedRole");
}

}  // namespace
}  // namespace firebreak::event
