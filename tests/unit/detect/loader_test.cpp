// Loading: metadata, documents, directories, and precise rejection of what cannot be evaluated.

#include "firebreak/detect/loader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "helpers.h"
#include "testdata.h"

namespace firebreak::detect {
namespace {

using test::ct_rule;

std::string reject_reason(std::string_view yaml, const LoadOptions& lo = {}) {
  RuleSet s = load_rules_text(yaml, "r.yml", lo);
  EXPECT_EQ(s.rejected.size(), 1u) << yaml;
  EXPECT_TRUE(s.rules.empty() && s.filters.empty());
  return s.rejected.empty() ? std::string() : s.rejected[0].describe();
}

void expect_rejected(std::string_view yaml, std::string_view what, std::string_view where = "") {
  const std::string r = reject_reason(yaml);
  EXPECT_NE(r.find(what), std::string::npos) << "reason: " << r;
  if (!where.empty()) {
    EXPECT_NE(r.find(where), std::string::npos) << "reason: " << r;
  }
}

TEST(SigmaLoader, loads_every_metadata_field) {
  RuleSet s = load_rules_text(R"(title: Full
id: 929a690e-bef0-4204-a928-ef5e620d6fcc
name: full_rule
related:
    - id: 08fbc97d-0a2f-491c-ae21-8ffcfd3174e9
      type: derived
status: test
description: A rule with everything
license: DRL-1.1
author: Someone, Someone Else
references:
    - https://example.com/a
date: 2024-01-02
modified: 2024-03-04
taxonomy: sigma
logsource:
    product: aws
    service: cloudtrail
    definition: management events
detection:
    selection:
        eventName: X
    condition: selection
fields:
    - userIdentity.arn
falsepositives:
    - Admins
level: critical
tags:
    - attack.t1078
scope:
    - server
custom_field: allowed
)",
                              "full.yml");
  ASSERT_EQ(s.rules.size(), 1u) << (s.rejected.empty() ? "" : s.rejected[0].describe());
  const Rule& r = s.rules[0];
  EXPECT_EQ(r.title, "Full");
  EXPECT_EQ(r.id, "929a690e-bef0-4204-a928-ef5e620d6fcc");
  EXPECT_EQ(r.name, "full_rule");
  ASSERT_EQ(r.related.size(), 1u);
  EXPECT_EQ(r.related[0].first, "derived");
  EXPECT_EQ(r.status, "test");
  EXPECT_EQ(r.license, "DRL-1.1");
  EXPECT_EQ(r.author, "Someone, Someone Else");
  EXPECT_EQ(r.references, std::vector<std::string>{"https://example.com/a"});
  EXPECT_EQ(r.date, "2024-01-02");
  EXPECT_EQ(r.modified, "2024-03-04");
  EXPECT_EQ(r.logsource.product, "aws");
  EXPECT_EQ(r.logsource.definition, "management events");
  EXPECT_EQ(r.logsource.kinds, kind_bit(event::SourceKind::kCloudTrail));
  EXPECT_EQ(r.fields, std::vector<std::string>{"userIdentity.arn"});
  EXPECT_EQ(r.falsepositives, std::vector<std::string>{"Admins"});
  EXPECT_EQ(r.level, Level::kCritical);
  EXPECT_EQ(r.tags, std::vector<std::string>{"attack.t1078"});
  EXPECT_EQ(r.scope, std::vector<std::string>{"server"});
  EXPECT_EQ(r.where.file, "full.yml");
  EXPECT_EQ(r.where.line, 1);
  EXPECT_TRUE(s.rejected.empty());
}

TEST(SigmaLoader, author_lists_are_joined_for_crediting) {
  RuleSet s = load_rules_text(
      "title: a\nauthor: [A, B]\nlogsource: {product: aws}\ndetection:\n  s:\n    x: 1\n"
      "  condition: s\n",
      "a.yml");
  ASSERT_EQ(s.rules.size(), 1u);
  EXPECT_EQ(s.rules[0].author, "A, B");
}

TEST(SigmaLoader, multi_document_files_isolate_bad_documents) {
  RuleSet s =
      load_rules_text(ct_rule("    s:\n        x: 1\n    condition: s", "one") +
                          "---\ntitle: broken\nlogsource: {product: aws}\n"
                          "detection:\n  s:\n    x|nope: 1\n  condition: s\n---\n" +
                          ct_rule("    s:\n        x: 2\n    condition: s", "three") + "---\n",
                      "multi.yml");
  EXPECT_EQ(s.documents, 3u);
  ASSERT_EQ(s.rules.size(), 2u);
  EXPECT_EQ(s.rules[0].title, "one");
  EXPECT_EQ(s.rules[1].title, "three");
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_EQ(s.rejected[0].rule, "broken");
  EXPECT_EQ(s.rejected[0].where.line, 14);  // the 'x|nope' line
  EXPECT_NE(s.rejected[0].reason.find("unknown modifier 'nope'"), std::string::npos);
}

TEST(SigmaLoader, directories_are_walked_recursively_with_counts) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "a/b");
  std::ofstream(dir / "a/ok1.yml") << ct_rule("    s:\n        x: 1\n    condition: s", "ok1");
  std::ofstream(dir / "a/b/ok2.yaml") << ct_rule("    s:\n        x: 1\n    condition: s", "ok2");
  std::ofstream(dir / "a/b/bad.yml") << "title: bad\n  : : :\n";
  std::ofstream(dir / "a/notes.txt") << "not a rule";
  std::ofstream(dir / "a/.hidden.yml") << "garbage: [";
  RuleSet s = load_rules({dir.path()});
  EXPECT_EQ(s.files, 3u);
  EXPECT_EQ(s.rules.size(), 2u);
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_NE(s.rejected[0].where.file.find("bad.yml"), std::string::npos);
  EXPECT_NE(s.rejected[0].reason.find("YAML"), std::string::npos);
  EXPECT_GT(s.rejected[0].where.line, 0);
}

TEST(SigmaLoader, a_directory_placeholders_file_feeds_expand) {
  testing::TempDir dir;
  std::ofstream(dir / "placeholders.yml") << "placeholders:\n  admins: [root]\n";
  std::ofstream(dir / "r.yml") << ct_rule(
      "    s:\n        userIdentity.userName|expand: '%admins%'\n    condition: s");
  RuleSet s = load_rules({dir.path()});
  EXPECT_EQ(s.files, 1u);  // placeholders.yml is not a rule
  ASSERT_EQ(s.rules.size(), 1u) << (s.rejected.empty() ? "" : s.rejected[0].describe());
  EXPECT_EQ(s.rules[0].selections[0].alternatives[0][0].values[0].text, "root");
}

TEST(SigmaLoader, rejects_schema_violations_precisely) {
  expect_rejected("logsource: {product: aws}\ndetection:\n  s:\n    x: 1\n  condition: s\n",
                  "missing required attribute 'title'", "r.yml:1");
  expect_rejected("title: t\ndetection:\n  s:\n    x: 1\n  condition: s\n",
                  "missing required attribute 'logsource'");
  expect_rejected("title: t\nlogsource: {product: aws}\n", "exactly one of 'detection'");
  expect_rejected("title: t\nlogsource: {product: aws}\ndetection:\n  s:\n    x: 1\n",
                  "has no 'condition'");
  expect_rejected("title: [a]\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n",
                  "'title' must be a string");
  expect_rejected(
      "title: t\nlevel: urgent\nlogsource: {product: aws}\n"
      "detection: {s: {x: 1}, condition: s}\n",
      "level 'urgent' is not one of", "r.yml:2");
  expect_rejected(
      "title: t\ntags: {a: b}\nlogsource: {product: aws}\n"
      "detection: {s: {x: 1}, condition: s}\n",
      "'tags' must be a list of strings");
  expect_rejected(
      "title: t\nrelated: [{id: x, type: cousin}]\nlogsource: {product: aws}\n"
      "detection: {s: {x: 1}, condition: s}\n",
      "related type 'cousin'");
  expect_rejected("- a\n- b\n", "a Sigma document is a map");
  expect_rejected(std::string("title: ") + std::string(300, 'x') +
                      "\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n",
                  "longer than 256");
}

TEST(SigmaLoader, rejects_logsources_without_events) {
  expect_rejected(
      "title: t\nlogsource: {product: windows, service: security}\n"
      "detection: {s: {x: 1}, condition: s}\n",
      "firebreak reads no such events", "r.yml:2");
  expect_rejected(
      "title: t\nlogsource: {product: aws, service: s3access}\n"
      "detection: {s: {x: 1}, condition: s}\n",
      "firebreak reads no such events");
}

TEST(SigmaLoader, maps_aws_logsources_to_event_kinds) {
  auto kinds = [](std::string_view service) {
    RuleSet s = load_rules_text(
        "title: t\nlogsource: {product: aws" +
            (service.empty() ? std::string() : ", service: " + std::string(service)) +
            "}\ndetection: {s: {x: 1}, condition: s}\n",
        "r.yml");
    return s.rules.empty() ? 0 : s.rules[0].logsource.kinds;
  };
  using event::SourceKind;
  EXPECT_EQ(kinds("cloudtrail"), kind_bit(SourceKind::kCloudTrail));
  EXPECT_EQ(kinds("guardduty"), kind_bit(SourceKind::kGuardDuty));
  EXPECT_EQ(kinds("securityhub"), kind_bit(SourceKind::kSecurityHub));
  EXPECT_EQ(kinds("vpcflow"), kind_bit(SourceKind::kVpcFlow));
  EXPECT_EQ(kinds(""), 0x0F);
}

TEST(SigmaLoader, rejects_bad_detections_precisely) {
  auto det = [](std::string_view d) { return ct_rule(d); };
  expect_rejected(det("    s:\n        x|nope: 1\n    condition: s"), "unknown modifier 'nope'",
                  "r.yml:7:9");
  expect_rejected(det("    s:\n        x|hour: 1\n    condition: s"),
                  "time modifier 'hour' is not supported");
  expect_rejected(det("    s:\n        x|contains|startswith: a\n    condition: s"),
                  "only one of contains");
  expect_rejected(det("    s:\n        x|all: a\n    condition: s"), "'all' needs a list");
  expect_rejected(det("    s:\n        x:\n            - a\n            - null\n    condition: s"),
                  "null cannot be part of a list");
  expect_rejected(det("    s:\n        x|contains: null\n    condition: s"),
                  "null takes no modifiers");
  expect_rejected(det("    s:\n        x|exists: maybe\n    condition: s"),
                  "exists takes true or false");
  expect_rejected(det("    s:\n        x|gt: ten\n    condition: s"), "'ten' is not a number");
  expect_rejected(det("    s:\n        x|cidr: 10.0.0.0/99\n    condition: s"),
                  "not an IPv4 or IPv6 network");
  expect_rejected(det("    s:\n        x|i: a\n    condition: s"), "sub-modifier of 're'");
  expect_rejected(det("    s:\n        x|re|contains: a\n    condition: s"),
                  "apply to strings and field references");
  expect_rejected(det("    s:\n        x|cidr|base64: a\n    condition: s"), "encoding modifiers");
  expect_rejected(det("    s:\n        x|wide|contains: a\n    condition: s"),
                  "without a following base64");
  expect_rejected(det("    s:\n        x|gt|cidr: 1\n    condition: s"),
                  "cannot be combined with a previous type modifier");
  expect_rejected(det("    s:\n        x: {a: b}\n    condition: s"), "nested maps are not Sigma");
  expect_rejected(det("    s:\n        x: []\n    condition: s"), "empty list");
  expect_rejected(det("    s:\n        - a\n        - {x: 1}\n    condition: s"),
                  "mixes maps and keywords");
  expect_rejected(det("    s:\n        x: 1\n    condition: t"),
                  "'t', which is not a search identifier");
  expect_rejected(det("    s:\n        x: 1\n    condition: 1 of f*"),
                  "pattern 'f*' matches no search identifier");
  expect_rejected(det("    s:\n        x: 1\n    condition: s and"), "unexpected end");
  expect_rejected(det("    s:\n        x: 1\n    timeframe: 5m\n    condition: s"),
                  "obsolete aggregation");
  expect_rejected(det("    s:\n        x: 1\n    condition: s | count() > 5"),
                  "obsolete and not supported");
}

TEST(SigmaLoader, warns_about_unexpanded_placeholders) {
  RuleSet s = load_rules_text(ct_rule("    s:\n        x: '%admins%'\n    condition: s"), "r.yml");
  ASSERT_EQ(s.rules.size(), 1u);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].message.find("no |expand"), std::string::npos);
}

TEST(SigmaLoader, loads_filters) {
  RuleSet s = load_rules_text(
      "title: f\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n  rules: [a, b]\n"
      "  selection:\n    userName|startswith: adm_\n  condition: selection\n",
      "f.yml");
  ASSERT_EQ(s.filters.size(), 1u);
  EXPECT_EQ(s.filters[0].filter_rules, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.warnings.size(), 2u);  // a and b are not loaded
  expect_rejected(
      "title: f\nlogsource: {product: aws}\nfilter:\n  selection:\n    x: 1\n"
      "  condition: selection\n",
      "a filter needs 'rules'");
}

TEST(SigmaLoader, loads_correlations_and_checks_them) {
  const std::string base =
      "title: base\nname: base\nlogsource: {product: aws, service: cloudtrail}\n"
      "detection: {s: {eventName: X}, condition: s}\n---\n";
  RuleSet ok = load_rules_text(base +
                                   "title: c\ncorrelation:\n  type: value_count\n  rules: [base]\n"
                                   "  group-by: [a, b]\n  timespan: 90m\n  condition:\n"
                                   "    field: c\n    gt: 2\n    lte: 9\n  generate: true\n"
                                   "  aliases:\n    a:\n      base: userIdentity.arn\n",
                               "c.yml");
  ASSERT_EQ(ok.rules.size(), 2u) << (ok.rejected.empty() ? "" : ok.rejected[0].describe());
  const Correlation& c = *ok.rules[1].correlation;
  EXPECT_EQ(c.type, Correlation::Type::kValueCount);
  EXPECT_EQ(c.timespan, std::chrono::minutes(90));
  EXPECT_EQ(c.group_by, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.field, "c");
  ASSERT_EQ(c.condition.size(), 2u);
  EXPECT_EQ(c.condition[0].op, Correlation::Op::kGt);
  EXPECT_EQ(c.condition[1].value, 9);
  EXPECT_TRUE(c.generate);
  EXPECT_EQ(c.aliases.at("a").at("base"), "userIdentity.arn");

  auto bad = [&](const std::string& corr, std::string_view what) {
    RuleSet s = load_rules_text(base + "title: c\ncorrelation:\n" + corr, "c.yml");
    ASSERT_EQ(s.rejected.size(), 1u) << corr;
    EXPECT_NE(s.rejected[0].reason.find(what), std::string::npos) << s.rejected[0].describe();
  };
  bad("  type: value_sum\n  rules: [base]\n  timespan: 1h\n", "not supported by firebreak");
  bad("  type: nope\n  rules: [base]\n  timespan: 1h\n", "unknown correlation type");
  bad("  type: event_count\n  rules: [base]\n  condition: {gte: 2}\n", "needs 'timespan'");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1w\n  condition: {gte: 2}\n",
      "timespan '1w'");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n", "needs a 'condition'");
  for (const char* ts : {"0s", "1h5m", "5ms", "m", "-1h", "1 h", "99999999999999999999d"}) {
    bad(std::string("  type: event_count\n  rules: [base]\n  timespan: '") + ts +
            "'\n  condition: {gte: 2}\n",
        "is not a number followed by");
  }
  bad("  type: event_count\n  rules: [base]\n  timespan: 3651d\n  condition: {gte: 2}\n",
      "longer than the supported 3650d");
  bad("  type: event_count\n  rules: [base]\n  timespan: 999999999d\n  condition: {gte: 2}\n",
      "longer than the supported 3650d");
  bad("  type: value_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: 2}\n",
      "needs 'field'");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: -1}\n",
      "non-negative integer");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {about: 1}\n",
      "not one of gt");
  bad("  type: event_count\n  rules: [nope]\n  timespan: 1h\n  condition: {gte: 1}\n",
      "references rule 'nope'");
  bad("  type: temporal\n  rules: [base]\n  timespan: 1h\n", "at least two rules");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: 1}\n  x: 1\n",
      "unknown correlation attribute");
  // Counts the sliding window cannot hold are rejected, never silently capped.
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: 65536}\n",
      "'gte: 65536' is not supported");
  bad("  type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {gt: 65535}\n",
      "'gt: 65535' is not supported");
  RuleSet largest = load_rules_text(
      base +
          "title: c\ncorrelation:\n  type: event_count\n  rules: [base]\n  timespan: 1h\n"
          "  condition: {gte: 65535}\n",
      "c.yml");
  EXPECT_TRUE(largest.rejected.empty());
}

TEST(SigmaLoader, rejects_correlation_cycles_and_duplicate_ids) {
  RuleSet cyc = load_rules_text(
      "title: a\nname: a\ncorrelation: {type: temporal, rules: [b, a], timespan: 1h}\n---\n"
      "title: b\nname: b\ncorrelation: {type: temporal, rules: [a, b], timespan: 1h}\n",
      "c.yml");
  EXPECT_TRUE(cyc.rules.empty());
  ASSERT_FALSE(cyc.rejected.empty());
  EXPECT_NE(cyc.rejected[0].reason.find("cycle"), std::string::npos);

  RuleSet dup = load_rules_text(
      "title: a\nid: same\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n---\n"
      "title: b\nid: same\nlogsource: {product: aws}\ndetection: {s: {x: 1}, condition: s}\n",
      "d.yml");
  ASSERT_EQ(dup.rules.size(), 1u);
  ASSERT_EQ(dup.rejected.size(), 1u);
  EXPECT_NE(dup.rejected[0].reason.find("id 'same' is already used by the rule at d.yml:1"),
            std::string::npos);
}

TEST(SigmaLoader, reads_embedded_tests) {
  RuleSet s = load_rules_text(
      ct_rule("    s:\n        eventName: X\n    condition: s") +
          "firebreak-tests:\n  match:\n    - {eventName: X, n: 1, f: 1.5, b: true, z: null, "
          "q: '007'}\n    - events: [{eventName: A}, {eventName: X}]\n"
          "  no_match:\n    - {eventName: Y}\n",
      "t.yml");
  ASSERT_EQ(s.rules.size(), 1u) << (s.rejected.empty() ? "" : s.rejected[0].describe());
  const auto& t = s.rules[0].tests;
  ASSERT_EQ(t.size(), 3u);
  EXPECT_TRUE(t[0].should_match);
  EXPECT_EQ(t[0].events[0], R"({"eventName":"X","n":1,"f":1.5,"b":true,"z":null,"q":"007"})");
  EXPECT_EQ(t[1].events.size(), 2u);
  EXPECT_FALSE(t[2].should_match);
  expect_rejected(
      ct_rule("    s:\n        eventName: X\n    condition: s") + "firebreak-tests:\n  maybe: []\n",
      "keys are 'match' and 'no_match'");
}

TEST(SigmaLoader, bounds_input) {
  LoadOptions lo;
  lo.max_documents = 2;
  std::string three;
  for (int i = 0; i < 3; ++i) three += ct_rule("    s:\n        x: 1\n    condition: s") + "---\n";
  RuleSet s = load_rules_text(three, "m.yml", lo);
  EXPECT_TRUE(s.rules.empty());
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_NE(s.rejected[0].reason.find("more than 2 YAML documents"), std::string::npos);

  // Deep YAML nesting is refused, not a stack overflow.
  std::string deep = "title: t\nx: ";
  deep += std::string(20000, '[');
  RuleSet d = load_rules_text(deep, "deep.yml");
  EXPECT_EQ(d.rejected.size(), 1u);

  // An alias bomb in test events is bounded.
  std::string bomb =
      ct_rule("    s:\n        x: 1\n    condition: s") +
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\n"
      "firebreak-tests:\n  match:\n    - {k: [*e, *e, *e, *e, *e, *e, *e, *e]}\n";
  RuleSet bs = load_rules_text(bomb, "bomb.yml");
  ASSERT_EQ(bs.rejected.size(), 1u);
  EXPECT_NE(bs.rejected[0].reason.find("too large"), std::string::npos);
}

TEST(SigmaLoader, lint_reports_semantic_issues) {
  RuleSet s = load_rules_text(
      "title: t\nstatus: shiny\ntags: [Attack T1]\nlogsource: {product: aws}\n"
      "detection:\n  s:\n    x: 1\n  unused:\n    y: 2\n  condition: s\n",
      "l.yml");
  ASSERT_EQ(s.rules.size(), 1u);
  std::string all;
  for (const auto& d : lint(s)) all += d.describe() + "\n";
  EXPECT_NE(all.find("no 'id'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown status 'shiny'"), std::string::npos) << all;
  EXPECT_NE(all.find("tag 'Attack T1'"), std::string::npos) << all;
  EXPECT_NE(all.find("'unused' is not used"), std::string::npos) << all;
  EXPECT_NE(all.find("no 'level'"), std::string::npos) << all;
  EXPECT_NE(all.find("no 'author'"), std::string::npos) << all;
}

}  // namespace
}  // namespace firebreak::detect
