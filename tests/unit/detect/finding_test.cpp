// Findings, entity extraction, output formats, duplicate suppression, and detection over files.

#include "firebreak/detect/finding.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "firebreak/core/json.h"
#include "firebreak/detect/detector.h"
#include "firebreak/detect/rule_test.h"
#include "helpers.h"
#include "testdata.h"

namespace firebreak::detect {
namespace {

constexpr std::string_view kEvent =
    R"({"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"CreateTags","eventID":"ev-1","eventTime":"2024-08-01T10:00:00Z","recipientAccountId":"123456789012","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice","accessKeyId":"AKIAABCDEFGHIJKLMNOP"},"requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-0123456789abcdef0"}]},"bucketName":"data"}})";

const std::string kRule =
    "title: Tagged\nid: 5d2e2f3c-1111-4111-8111-111111111111\nauthor: Jane Doe\nlevel: high\n"
    "tags: [attack.t1078, firebreak.trigger]\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection: {s: {eventName: CreateTags}, condition: s}\n";

TEST(Finding, entities_of_a_cloudtrail_event) {
  auto ev = test::parse_event(kEvent);
  auto en = extract_entities(ev.event());
  auto has = [&](std::string_view t, std::string_view v) {
    return std::find(en.begin(), en.end(), Entity{std::string(t), std::string(v)}) != en.end();
  };
  EXPECT_TRUE(has("principal", "arn:aws:iam::123456789012:user/alice"));
  EXPECT_TRUE(has("access_key", "AKIAABCDEFGHIJKLMNOP"));
  EXPECT_TRUE(has("ip", "203.0.113.7"));
  EXPECT_TRUE(has("instance", "i-0123456789abcdef0"));
  EXPECT_TRUE(has("user", "arn:aws:iam::123456789012:user/alice"));
  EXPECT_TRUE(has("bucket", "data"));
  EXPECT_TRUE(has("account", "123456789012"));
  // AWS-internal source addresses are not IPs
  auto svc = test::parse_event(R"({"sourceIPAddress":"ssm.amazonaws.com"})");
  for (const auto& e : extract_entities(svc.event())) EXPECT_NE(e.type, "ip");
}

TEST(Finding, entities_of_findings_and_flows) {
  auto gd = test::parse_event(
      R"({"id":"g","type":"Backdoor:EC2/X","accountId":"1","resource":{"instanceDetails":{"instanceId":"i-0123456789abcdef9"},"accessKeyDetails":{"accessKeyId":"ASIAABCDEFGHIJKLMNOP","userName":"bob"}},"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}}}})",
      event::SourceKind::kGuardDuty);
  auto en = extract_entities(gd.event());
  EXPECT_NE(std::find(en.begin(), en.end(), Entity{"instance", "i-0123456789abcdef9"}), en.end());
  EXPECT_NE(std::find(en.begin(), en.end(), Entity{"access_key", "ASIAABCDEFGHIJKLMNOP"}),
            en.end());
  EXPECT_NE(std::find(en.begin(), en.end(), Entity{"ip", "198.51.100.1"}), en.end());
  auto sh = test::parse_event(
      R"({"Id":"s","AwsAccountId":"1","Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-east-1:1:instance/i-0123456789abcdef7"},{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b"}]})",
      event::SourceKind::kSecurityHub);
  auto es = extract_entities(sh.event());
  EXPECT_NE(std::find(es.begin(), es.end(), Entity{"instance", "i-0123456789abcdef7"}), es.end());
  EXPECT_NE(std::find(es.begin(), es.end(), Entity{"bucket", "b"}), es.end());
  auto fl = test::parse_event(R"({"srcaddr":"10.0.0.1","dstaddr":"198.51.100.2","start":1})",
                              event::SourceKind::kVpcFlow);
  EXPECT_EQ(extract_entities(fl.event()).size(), 2u);
}

TEST(Finding, json_lines_carry_rule_author_event_reference_and_entities) {
  auto c = test::compile(kRule);
  Detector d(c.engine);
  auto ev = test::parse_event(kEvent);
  std::vector<Finding> out;
  d.process(ev.event(), out);
  ASSERT_EQ(out.size(), 1u);
  auto j = parse_json(to_json(out[0]));
  ASSERT_TRUE(j) << to_json(out[0]);
  EXPECT_EQ((*j)["rule"]["id"], "5d2e2f3c-1111-4111-8111-111111111111");
  EXPECT_EQ((*j)["rule"]["title"], "Tagged");
  EXPECT_EQ((*j)["rule"]["level"], "high");
  EXPECT_EQ((*j)["rule"]["author"], "Jane Doe");
  EXPECT_EQ((*j)["rule"]["tags"][1], "firebreak.trigger");
  EXPECT_EQ((*j)["event"]["id"], "ev-1");
  EXPECT_EQ((*j)["event"]["record"], 0);
  EXPECT_EQ((*j)["time"], "2024-08-01T10:00:00Z");
  EXPECT_EQ((*j)["source"], "cloudtrail");
  EXPECT_EQ((*j)["event_name"], "CreateTags");
  EXPECT_EQ((*j)["entities"]["instance"][0], "i-0123456789abcdef0");
  EXPECT_FALSE(j->contains("correlation"));
  // the id is stable and depends on rule and event
  EXPECT_EQ((*j)["id"].get<std::string>().size(), 32u);
  Finding again = out[0];
  assign_id(again);
  EXPECT_EQ(again.id, out[0].id);
  again.event.event_id = "ev-2";
  assign_id(again);
  EXPECT_NE(again.id, out[0].id);
}

TEST(Finding, carries_the_rule_fields_from_the_event) {
  auto c = test::compile(
      "title: Tagged\nlogsource: {product: aws, service: cloudtrail}\n"
      "fields: [requestParameters.resourcesSet, requestParameters.resourcesSet.items.resourceId,"
      " userIdentity.arn, errorCode]\n"
      "detection: {s: {eventName: CreateTags}, condition: s}\n");
  Detector d(c.engine);
  auto ev = test::parse_event(
      R"({"eventName":"CreateTags","eventID":"f-1","userIdentity":{"arn":"arn:aws:iam::1:user/a"},)"
      R"("requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-1"},{"resourceId":"vol-2"}]}}})");
  std::vector<Finding> out;
  d.process(ev.event(), out);
  ASSERT_EQ(out.size(), 1u);
  // in the rule's order; a fanning path gives an array; an absent field (errorCode) is left out
  ASSERT_EQ(out[0].fields.size(), 3u);
  EXPECT_EQ(out[0].fields[0].first, "requestParameters.resourcesSet");
  EXPECT_EQ(out[0].fields[0].second, R"({"items":[{"resourceId":"i-1"},{"resourceId":"vol-2"}]})");
  EXPECT_EQ(out[0].fields[1].second, R"(["i-1","vol-2"])");
  EXPECT_EQ(out[0].fields[2].second, R"("arn:aws:iam::1:user/a")");
  auto j = parse_json(to_json(out[0]));
  ASSERT_TRUE(j) << to_json(out[0]);
  EXPECT_EQ((*j)["fields"]["userIdentity.arn"], "arn:aws:iam::1:user/a");
  EXPECT_EQ((*j)["fields"]["requestParameters.resourcesSet"]["items"][1]["resourceId"], "vol-2");
  // a rule without fields adds none (and its JSON has no "fields" key)
  auto plain = test::compile(kRule);
  Detector d2(plain.engine);
  std::vector<Finding> out2;
  d2.process(ev.event(), out2);
  ASSERT_EQ(out2.size(), 1u);
  EXPECT_TRUE(out2[0].fields.empty());
  EXPECT_FALSE(parse_json(to_json(out2[0]))->contains("fields"));
}

TEST(Finding, drops_field_values_past_the_size_budget) {
  auto c = test::compile(
      "title: Big\nlogsource: {product: aws, service: cloudtrail}\n"
      "fields: [requestParameters.big, requestParameters.small]\n"
      "detection: {s: {eventName: X}, condition: s}\n");
  Detector d(c.engine);
  const std::string big(kMaxFieldBytes + 10, 'a');
  auto ev = test::parse_event(R"({"eventName":"X","requestParameters":{"big":")" + big +
                              R"(","small":"s"}})");
  std::vector<Finding> out;
  d.process(ev.event(), out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].fields.size(), 1u);
  EXPECT_EQ(out[0].fields[0].first, "requestParameters.small");
}

TEST(Finding, table_is_aligned_and_credits_authors) {
  Finding f;
  f.rule_title = "Short";
  f.author = "Jane Doe";
  f.level = Level::kHigh;
  f.event_name = "CreateTags";
  f.entities = {{"principal", "arn:aws:iam::1:user/a"}};
  Finding g = f;
  g.rule_title = "A much longer rule title";
  g.author = "";
  const std::string t = to_table({f, g});
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < t.size()) {
    const auto end = t.find('\n', start);
    lines.push_back(t.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0].find("LEVEL"), lines[1].find("high"));
  EXPECT_EQ(lines[1].find("high"), lines[2].find("high"));
  EXPECT_EQ(lines[0].find("EVENT"), lines[1].find("CreateTags"));
  EXPECT_NE(t.find("Short: Jane Doe"), std::string::npos);
  EXPECT_NE(t.find("A much longer rule title: (no author given)"), std::string::npos);
}

TEST(Detector, duplicate_deliveries_produce_one_finding) {
  auto c = test::compile(kRule);
  Detector d(c.engine);
  auto ev = test::parse_event(kEvent);
  std::vector<Finding> out;
  d.process(ev.event(), out);
  d.process(ev.event(), out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(d.duplicates(), 1u);
}

// detect_files over `dir` on `threads` threads, each finding as its JSON line; read errors fail
// the test.
Result<DetectSummary> detect_lines(std::shared_ptr<const Engine> engine,
                                   const std::filesystem::path& dir, std::size_t threads,
                                   std::vector<std::string>& lines) {
  DetectOptions o;
  o.threads = threads;
  return detect_files(
      std::move(engine), {dir}, o, [&](const Finding& f) { lines.push_back(to_json(f)); },
      [](const Error& e) { ADD_FAILURE() << e.describe(); });
}

TEST(Detector, detect_files_is_deterministic_across_threads_and_dedupes_across_files) {
  testing::TempDir dir;
  std::string records;
  for (int f = 0; f < 6; ++f) {
    std::ofstream out(dir / ("f" + std::to_string(f) + ".json"));
    out << "{\"Records\":[";
    for (int i = 0; i < 50; ++i) {
      if (i) out << ",";
      // file 5 re-delivers file 0's events (same eventIDs)
      const int id = f == 5 ? i : f * 100 + i;
      out << R"({"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":")"
          << (i % 5 == 0 ? "CreateTags" : "DescribeInstances") << R"(","eventID":"id-)" << id
          << R"(","eventTime":"2024-08-01T10:00:)" << (i < 10 ? "0" : "") << i % 60
          << R"(Z","userIdentity":{"arn":"u"}})";
    }
    out << "]}";
  }
  auto c = test::compile(kRule);
  auto collect = [&](std::size_t threads) {
    std::vector<std::string> lines;
    auto s = detect_lines(c.engine, dir.path(), threads, lines);
    EXPECT_TRUE(s);
    if (s) {
      EXPECT_EQ(s->read.events, 300u);
      EXPECT_EQ(s->duplicates, 10u);
      EXPECT_EQ(s->findings, 50u);
    }
    return lines;
  };
  auto one = collect(1);
  EXPECT_EQ(one.size(), 50u);
  EXPECT_EQ(collect(2), one);
  EXPECT_EQ(collect(4), one);
}

// The serial Detector over the files in path order is the reference for detect_files: same
// findings, same order, same duplicate count, whatever the thread count. The rule pack mixes an
// emitting rule, a correlation over a base rule that does not emit (its records reach detect_files
// only as correlation inputs), and files that re-deliver records of earlier and later files.
TEST(Detector, detect_files_agrees_with_the_serial_detector_on_duplicates_and_correlations) {
  const std::string rules =
      kRule +
      "---\ntitle: denied\nname: denied\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection: {s: {errorCode: AccessDenied}, condition: s}\n---\n"
      "title: burst\ncorrelation: {type: event_count, rules: [denied], "
      "group-by: [userIdentity.arn], timespan: 10m, condition: {gte: 3}}\n";
  testing::TempDir dir;
  std::vector<std::filesystem::path> files;
  // id(f, i): files 3 and 6 re-deliver records of files 1 and 4 (one re-delivers a later file).
  auto id = [](int f, int i) { return f == 3 ? 100 + i : f == 6 ? 400 + i : f * 100 + i; };
  for (int f = 0; f < 8; ++f) {
    files.push_back(dir / fmt::format("f{}.json", f));
    std::ofstream out(files.back());
    out << "{\"Records\":[";
    for (int i = 0; i < 30; ++i) {
      out << (i ? "," : "")
          << fmt::format(
                 R"({{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"{}",)"
                 R"("eventID":"id-{}","eventTime":"2024-08-01T10:{:02}:{:02}Z",)"
                 R"("userIdentity":{{"arn":"u{}"}}{}}})",
                 i % 4 == 0 ? "CreateTags" : "DescribeInstances", id(f, i), id(f, i) / 60 % 60,
                 id(f, i) % 60, i % 2, i % 3 == 0 ? R"(,"errorCode":"AccessDenied")" : "");
    }
    out << "]}";
  }
  auto c = test::compile(rules);
  ASSERT_TRUE(c.rejected.empty()) << c.rejected[0].describe();

  std::vector<std::string> reference;
  std::uint64_t reference_duplicates = 0;
  {
    struct Serial final : event::EventSink {
      Detector d;
      std::vector<Finding> out;
      explicit Serial(std::shared_ptr<const Engine> e) : d(std::move(e)) {}
      void on_event(const event::Event& e) override { d.process(e, out); }
      void on_error(const Error& e) override { ADD_FAILURE() << e.describe(); }
    } serial(c.engine);
    event::Reader reader;
    reader.read_paths(files, serial);
    auto& d = serial.d;
    auto& out = serial.out;
    // detect_files gives single-event findings first, then correlations.
    std::stable_partition(out.begin(), out.end(),
                          [](const Finding& f) { return f.correlation_type.empty(); });
    std::vector<Finding> corr;
    d.finish(corr);
    for (auto& f : corr) out.push_back(std::move(f));
    for (const auto& f : out) reference.push_back(to_json(f));
    reference_duplicates = d.duplicates();
  }
  ASSERT_GT(reference_duplicates, 0u);

  for (std::size_t threads : {1u, 2u, 4u}) {
    std::vector<std::string> lines;
    auto s = detect_lines(c.engine, dir.path(), threads, lines);
    ASSERT_TRUE(s);
    EXPECT_EQ(lines, reference) << threads << " threads";
    EXPECT_EQ(s->duplicates, reference_duplicates) << threads << " threads";
  }
}

TEST(RuleTests, run_embedded_cases_and_report_failures) {
  RuleSet set = load_rules_text(
      kRule +
          "firebreak-tests:\n  match:\n    - {eventName: CreateTags}\n    - {eventName: Other}\n"
          "  no_match:\n    - {eventName: DeleteTags}\n    - {eventName: CreateTags, "
          "userAgent: firebreak/1}\n",
      "t.yml");
  ASSERT_EQ(set.rules.size(), 1u) << (set.rejected.empty() ? "" : set.rejected[0].describe());
  auto s = run_rule_tests(set);
  ASSERT_TRUE(s);
  ASSERT_EQ(s->rules.size(), 1u);
  const auto& r = s->rules[0];
  ASSERT_EQ(r.cases.size(), 4u);
  EXPECT_TRUE(r.cases[0].passed);
  EXPECT_FALSE(r.cases[1].passed);
  EXPECT_EQ(r.cases[1].detail, "expected a match, got none");
  EXPECT_TRUE(r.cases[2].passed);
  EXPECT_TRUE(r.cases[3].passed);  // self-exclusion
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(s->failed_cases, 1u);
  EXPECT_EQ(s->passed_cases, 3u);
}

}  // namespace
}  // namespace firebreak::detect
