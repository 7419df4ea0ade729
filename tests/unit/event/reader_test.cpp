#include "firebreak/event/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace firebreak::event {
namespace {

struct Collect final : EventSink {
  std::vector<std::string> names;
  std::vector<std::string> errors;
  std::vector<SourceKind> kinds;
  void on_event(const Event& e) override {
    names.emplace_back(e.name());
    kinds.push_back(e.source());
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
};

constexpr std::string_view kCt1 =
    R"({"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"1"})";
constexpr std::string_view kCt2 =
    R"({"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"2"})";

TEST(Reader, reads_cloudtrail_delivery_file) {
  Reader r;
  Collect c;
  auto s = r.read_buffer(
      std::string(R"({"Records":[)") + std::string(kCt1) + "," + std::string(kCt2) + "]}", "f.json",
      c);
  EXPECT_EQ(s.events, 2u);
  EXPECT_EQ(c.names, (std::vector<std::string>{"CreateUser", "GetObject"}));
  EXPECT_TRUE(c.errors.empty());
}

TEST(Reader, reads_json_lines_and_reports_bad_lines_by_number) {
  Reader r;
  Collect c;
  auto s =
      r.read_buffer(std::string(kCt1) + "\n{oops\n\n" + std::string(kCt2) + "\n", "f.jsonl", c);
  EXPECT_EQ(s.events, 2u);
  EXPECT_EQ(s.skipped, 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].find("f.jsonl line 2"), std::string::npos) << c.errors[0];
}

TEST(Reader, unwraps_eventbridge_and_lookup_events) {
  Reader r;
  Collect c;
  r.read_buffer(
      std::string(R"({"version":"0","detail-type":"AWS API Call via CloudTrail","detail":)") +
          std::string(kCt1) + "}",
      "eb.json", c);
  ASSERT_EQ(c.names, std::vector<std::string>{"CreateUser"});
  Reader lookup({.format = InputFormat::kLookupEvents});
  Collect c2;
  lookup.read_buffer(
      R"({"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\"}"}]})",
      "lookup.json", c2);
  EXPECT_EQ(c2.names, std::vector<std::string>{"GetCallerIdentity"});
}

TEST(Reader, unrecognised_records_are_errors_not_events) {
  Reader r;
  Collect c;
  auto s = r.read_buffer(R"([{"hello":"world"}])", "x.json", c);
  EXPECT_EQ(s.events, 0u);
  EXPECT_EQ(s.skipped, 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].find("x.json record 0"), std::string::npos);
}

}  // namespace
}  // namespace firebreak::event
