// Correlation: every type, windows, grouping, aliases, chains, lateness and bounded state.

#include "firebreak/detect/correlation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "firebreak/core/log.h"
#include "helpers.h"

namespace firebreak::detect {
namespace {

// Base rules: "fail" (errorCode AccessDenied), "ok" (ConsoleLogin Success), "a" / "b" / "c"
// (eventName A / B / C).
const std::string kBase =
    "title: fail\nname: fail\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection: {s: {errorCode: AccessDenied}, condition: s}\n---\n"
    "title: a\nname: a\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection: {s: {eventName: A}, condition: s}\n---\n"
    "title: b\nname: b\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection: {s: {eventName: B}, condition: s}\n---\n"
    "title: c\nname: c\nlogsource: {product: aws, service: cloudtrail}\n"
    "detection: {s: {eventName: C}, condition: s}\n---\n";

struct Ev {
  std::string name;
  std::int64_t second;  // seconds after 2024-08-01T10:00:00Z
  std::string user = "u1";
  std::string error;
  std::string ip = "192.0.2.1";
};

std::string json_of(const Ev& e) {
  const auto t = from_unix_seconds(1722506400 + e.second);
  return fmt::format(
      R"({{"eventVersion":"1.09","eventName":"{}","eventTime":"{}","eventID":"{}-{}","userIdentity":{{"arn":"{}"}},"sourceIPAddress":"{}"{}}})",
      e.name, format_iso8601(t), e.name, e.second, e.user, e.ip,
      e.error.empty() ? "" : fmt::format(R"(,"errorCode":"{}")", e.error));
}

struct Run {
  std::vector<Finding> findings;
  CorrelationStats stats;
  std::vector<std::string> titles() const {
    std::vector<std::string> t;
    for (const auto& f : findings) t.push_back(f.rule_title);
    return t;
  }
};

Run run(const std::string& corr, const std::vector<Ev>& events, CorrelationOptions opts = {}) {
  auto c = test::compile(kBase + corr);
  EXPECT_TRUE(c.rejected.empty()) << (c.rejected.empty() ? "" : c.rejected[0].describe());
  Run r;
  if (!c.engine) return r;
  Matcher m(c.engine);
  Correlator cor(c.engine, opts);
  for (const auto& e : events) {
    auto ev = test::parse_event(json_of(e));
    std::vector<std::uint32_t> matched;
    m.match(ev.event(), matched);
    if (cor.wants(matched)) cor.add(cor.extract(ev.event(), matched), r.findings);
  }
  cor.flush(r.findings);
  r.stats = cor.stats();
  return r;
}

const std::string kCount =
    "title: burst\ncorrelation:\n  type: event_count\n  rules: [fail]\n"
    "  group-by: [userIdentity.arn]\n  timespan: 5m\n  condition: {gte: 3}\n";

TEST(Correlation, event_count_fires_when_the_count_is_reached_within_the_window) {
  auto r = run(kCount, {{"X", 0, "u1", "AccessDenied"},
                        {"X", 100, "u1", "AccessDenied"},
                        {"X", 200, "u1", "AccessDenied"}});
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.rule_title, "burst");
  EXPECT_EQ(f.correlation_type, "event_count");
  EXPECT_EQ(f.count, 3u);
  ASSERT_EQ(f.group.size(), 1u);
  EXPECT_EQ(f.group[0], (std::pair<std::string, std::string>{"userIdentity.arn", "u1"}));
  EXPECT_EQ(f.event.event_id, "X-200");  // the event that completed it
  EXPECT_EQ(to_unix_seconds(f.window_start), 1722506400);
}

TEST(Correlation, event_count_below_threshold_outside_window_or_across_groups_does_not_fire) {
  EXPECT_TRUE(run(kCount, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u1", "AccessDenied"}})
                  .findings.empty());
  // 0, 200, 301: the first is more than 5 minutes before the third
  EXPECT_TRUE(run(kCount, {{"X", 0, "u1", "AccessDenied"},
                           {"X", 200, "u1", "AccessDenied"},
                           {"X", 301, "u1", "AccessDenied"}})
                  .findings.empty());
  // sliding, not tumbling: 200, 301, 302 are within 5 minutes
  EXPECT_EQ(run(kCount, {{"X", 0, "u1", "AccessDenied"},
                         {"X", 200, "u1", "AccessDenied"},
                         {"X", 301, "u1", "AccessDenied"},
                         {"X", 302, "u1", "AccessDenied"}})
                .findings.size(),
            1u);
  EXPECT_TRUE(run(kCount, {{"X", 0, "u1", "AccessDenied"},
                           {"X", 1, "u2", "AccessDenied"},
                           {"X", 2, "u1", "AccessDenied"}})
                  .findings.empty());
  // events that do not match the base rule do not count
  EXPECT_TRUE(
      run(kCount, {{"X", 0, "u1", "AccessDenied"}, {"X", 1}, {"X", 2, "u1", "AccessDenied"}})
          .findings.empty());
}

TEST(Correlation, event_count_starts_afresh_after_firing) {
  std::vector<Ev> evs;
  for (int i = 0; i < 7; ++i) evs.push_back({"X", i, "u1", "AccessDenied"});
  EXPECT_EQ(run(kCount, evs).findings.size(), 2u);  // at 3 and at 6
}

TEST(Correlation, event_count_gt_and_windowed_upper_bounds) {
  const std::string gt =
      "title: gt\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1m, condition: {gt: 2}}\n";
  EXPECT_TRUE(
      run(gt, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u1", "AccessDenied"}}).findings.empty());
  EXPECT_EQ(run(gt, {{"X", 0, "u1", "AccessDenied"},
                     {"X", 1, "u1", "AccessDenied"},
                     {"X", 2, "u1", "AccessDenied"}})
                .findings.size(),
            1u);
  // lt: evaluated when the window closes
  const std::string lt =
      "title: few\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1m, condition: {lt: 3}}\n";
  auto r = run(lt, {{"X", 0, "u1", "AccessDenied"},
                    {"X", 10, "u1", "AccessDenied"},
                    {"X", 0, "u2", "AccessDenied"},
                    {"X", 5, "u2", "AccessDenied"},
                    {"X", 6, "u2", "AccessDenied"},
                    {"X", 200, "u3", "AccessDenied"}});
  ASSERT_EQ(r.findings.size(), 2u);  // u1 (2 events) and u3 (1 event), not u2 (3)
  EXPECT_EQ(r.findings[0].group[0].second, "u1");
  EXPECT_EQ(r.findings[0].count, 2u);
  EXPECT_EQ(r.findings[1].group[0].second, "u3");
  // a range
  const std::string range =
      "title: range\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1m, condition: {gte: 2, lte: 3}}\n";
  EXPECT_EQ(
      run(range, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u1", "AccessDenied"}}).findings.size(),
      1u);
  EXPECT_TRUE(run(range, {{"X", 0, "u1", "AccessDenied"},
                          {"X", 1, "u1", "AccessDenied"},
                          {"X", 2, "u1", "AccessDenied"},
                          {"X", 3, "u1", "AccessDenied"}})
                  .findings.empty());
  const std::string eq =
      "title: eq\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1m, condition: {eq: 1}}\n";
  EXPECT_EQ(run(eq, {{"X", 0, "u1", "AccessDenied"}}).findings.size(), 1u);
  const std::string neq =
      "title: neq\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1m, condition: {neq: 1}}\n";
  EXPECT_TRUE(run(neq, {{"X", 0, "u1", "AccessDenied"}}).findings.empty());
}

TEST(Correlation, value_count_counts_distinct_values) {
  const std::string vc =
      "title: ips\ncorrelation:\n  type: value_count\n  rules: [fail]\n"
      "  group-by: [userIdentity.arn]\n  timespan: 10m\n  condition: {field: sourceIPAddress, "
      "gte: 3}\n";
  EXPECT_TRUE(run(vc, {{"X", 0, "u1", "AccessDenied", "192.0.2.1"},
                       {"X", 1, "u1", "AccessDenied", "192.0.2.1"},
                       {"X", 2, "u1", "AccessDenied", "192.0.2.2"},
                       {"X", 3, "u1", "AccessDenied", "192.0.2.2"}})
                  .findings.empty());
  auto r = run(vc, {{"X", 0, "u1", "AccessDenied", "192.0.2.1"},
                    {"X", 1, "u1", "AccessDenied", "192.0.2.2"},
                    {"X", 2, "u1", "AccessDenied", "192.0.2.2"},
                    {"X", 3, "u1", "AccessDenied", "192.0.2.3"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].count, 3u);
  EXPECT_EQ(r.findings[0].correlation_type, "value_count");
  // values older than the window are forgotten
  EXPECT_TRUE(run(vc, {{"X", 0, "u1", "AccessDenied", "192.0.2.1"},
                       {"X", 1, "u1", "AccessDenied", "192.0.2.2"},
                       {"X", 700, "u1", "AccessDenied", "192.0.2.3"}})
                  .findings.empty());
}

TEST(Correlation, temporal_needs_every_rule_in_the_window_in_any_order) {
  const std::string t =
      "title: abc\ncorrelation: {type: temporal, rules: [a, b, c], group-by: [userIdentity.arn], "
      "timespan: 5m}\n";
  EXPECT_EQ(run(t, {{"C", 0}, {"A", 10}, {"B", 20}}).titles(), std::vector<std::string>{"abc"});
  EXPECT_TRUE(run(t, {{"C", 0}, {"A", 10}}).findings.empty());
  EXPECT_TRUE(run(t, {{"C", 0}, {"A", 10}, {"B", 400}}).findings.empty());
  EXPECT_TRUE(run(t, {{"C", 0}, {"A", 10}, {"B", 20, "u2"}}).findings.empty());
  // with a condition: that many distinct rules
  const std::string two =
      "title: two\ncorrelation: {type: temporal, rules: [a, b, c], group-by: [userIdentity.arn], "
      "timespan: 5m, condition: {gte: 2}}\n";
  auto r = run(two, {{"A", 0}, {"A", 1}, {"C", 2}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].count, 2u);
}

TEST(Correlation, temporal_ordered_needs_the_listed_order) {
  const std::string t =
      "title: ordered\ncorrelation: {type: temporal_ordered, rules: [a, b, c], "
      "group-by: [userIdentity.arn], timespan: 5m}\n";
  EXPECT_EQ(run(t, {{"A", 0}, {"B", 10}, {"C", 20}}).findings.size(), 1u);
  EXPECT_TRUE(run(t, {{"B", 0}, {"A", 10}, {"C", 20}}).findings.empty());
  EXPECT_TRUE(run(t, {{"A", 0}, {"C", 10}, {"B", 20}}).findings.empty());
  EXPECT_EQ(run(t, {{"A", 0}, {"C", 5}, {"B", 10}, {"C", 20}}).findings.size(), 1u);
  // each step within the timespan of the first
  EXPECT_TRUE(run(t, {{"A", 0}, {"B", 200}, {"C", 301}}).findings.empty());
  // a later start can still complete
  EXPECT_EQ(run(t, {{"A", 0}, {"A", 250}, {"B", 260}, {"C", 400}}).findings.size(), 1u);
}

TEST(Correlation, aliases_map_group_fields_per_rule) {
  const std::string t =
      "title: alias\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [who]\n"
      "  timespan: 5m\n  aliases:\n    who:\n      a: userIdentity.arn\n      b: sourceIPAddress\n";
  // a by user "x", b from IP "x": same group under the alias
  auto r = run(t, {{"A", 0, "x"}, {"B", 1, "other", "", "x"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].group[0], (std::pair<std::string, std::string>{"who", "x"}));
  EXPECT_TRUE(run(t, {{"A", 0, "x"}, {"B", 1, "x", "", "y"}}).findings.empty());
}

TEST(Correlation, chains_and_generate) {
  const std::string chain =
      "title: outer\ncorrelation: {type: temporal_ordered, rules: [burst, c], "
      "group-by: [userIdentity.arn], timespan: 10m}\n---\n" +
      std::string(
          "title: burst\nname: burst\ncorrelation: {type: event_count, rules: [fail], "
          "group-by: [userIdentity.arn], timespan: 5m, condition: {gte: 2}}\n");
  auto r = run(chain, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u1", "AccessDenied"}, {"C", 5}});
  // the inner correlation only feeds the outer one (generate is false by default)
  EXPECT_EQ(r.titles(), std::vector<std::string>{"outer"});
  CorrelationOptions all;
  all.emit_all = true;
  auto r2 =
      run(chain, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u1", "AccessDenied"}, {"C", 5}}, all);
  EXPECT_EQ(r2.titles(), (std::vector<std::string>{"burst", "outer"}));

  // base rules referenced without generate do not emit; with generate they do
  auto c = test::compile(kBase + kCount);
  ASSERT_TRUE(c.engine);
  EXPECT_FALSE(c.engine->emits(0));  // fail
  EXPECT_TRUE(c.engine->emits(1));   // a (not referenced)
  auto g = test::compile(kBase + kCount.substr(0, kCount.size() - 1) + "\n  generate: true\n");
  ASSERT_TRUE(g.engine);
  EXPECT_TRUE(g.engine->emits(0));
}

TEST(Correlation, out_of_order_input_within_lateness_is_reordered) {
  const std::string t =
      "title: ordered\ncorrelation: {type: temporal_ordered, rules: [a, b], "
      "group-by: [userIdentity.arn], timespan: 5m}\n";
  // arrives B (t=10) before A (t=0): with lateness, still A then B in event time
  CorrelationOptions opts;
  opts.lateness = std::chrono::minutes(1);
  auto r = run(t, {{"B", 10}, {"A", 0}}, opts);
  EXPECT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.stats.late, 0u);
  // beyond the tolerance: counted as late and applied in arrival order
  auto late =
      run(t, {{"B", 100}, {"A", 0}}, CorrelationOptions{.lateness = std::chrono::seconds(0)});
  EXPECT_TRUE(late.findings.empty());
  EXPECT_EQ(late.stats.late, 1u);
}

TEST(Correlation, groups_are_capped_with_a_warning_and_expire) {
  std::vector<std::string> warnings;
  log::set_sink([&](log::Level l, std::string_view line) {
    if (l == log::Level::kWarn) warnings.emplace_back(line);
  });
  std::vector<Ev> evs;
  for (int i = 0; i < 10; ++i) evs.push_back({"X", i, "user" + std::to_string(i), "AccessDenied"});
  CorrelationOptions opts;
  opts.max_groups = 4;
  opts.lateness = Duration::zero();
  auto r = run(kCount, evs, opts);
  log::set_sink(nullptr);
  EXPECT_EQ(r.stats.dropped_groups, 6u);
  EXPECT_EQ(r.stats.live_groups, 4u);
  ASSERT_EQ(warnings.size(), 1u);  // once per rule
  EXPECT_NE(warnings[0].find("groups are live, the cap"), std::string::npos);
  // event_count with K=3: records of 8 + 4*(2+3) bytes (allocated 1024 at a time) plus the index
  EXPECT_GE(r.stats.state_bytes, 4u * (8 + 4 * 5));

  // expired groups make room: one group every 10 minutes never exceeds the cap
  std::vector<Ev> spaced;
  for (int i = 0; i < 10; ++i) {
    spaced.push_back({"X", i * 600, "user" + std::to_string(i), "AccessDenied"});
  }
  auto r2 = run(kCount, spaced, opts);
  EXPECT_EQ(r2.stats.dropped_groups, 0u);
}

TEST(Correlation, closing_windows_are_capped_with_the_same_warning) {
  std::vector<std::string> warnings;
  log::set_sink([&](log::Level l, std::string_view line) {
    if (l == log::Level::kWarn) warnings.emplace_back(line);
  });
  const std::string few =
      "title: few\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 1h, condition: {lt: 5}}\n";
  std::vector<Ev> evs;
  for (int i = 0; i < 10; ++i) evs.push_back({"X", i, "user" + std::to_string(i), "AccessDenied"});
  CorrelationOptions opts;
  opts.max_groups = 4;
  opts.lateness = Duration::zero();
  auto r = run(few, evs, opts);
  log::set_sink(nullptr);
  EXPECT_EQ(r.stats.dropped_groups, 6u);
  EXPECT_EQ(r.findings.size(), 4u);  // the tracked groups close at the end of input
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("groups are live, the cap"), std::string::npos);
}

TEST(Correlation, the_longest_timespan_does_not_wrap_around) {
  // The correlator keeps seconds since 2000 in 32 bits; a window opened in 2130 for 3650 days
  // ends past 2^32 and must not wrap around (it would close at once): both events count.
  const std::string t =
      "title: slow\ncorrelation: {type: event_count, rules: [fail], group-by: [userIdentity.arn], "
      "timespan: 3650d, condition: {lte: 5}}\n";
  const std::int64_t in_2130 = 5049129600 - 1722506400;  // 2130-01-01, from the base time
  auto r = run(t, {{"X", in_2130, "u1", "AccessDenied"},
                   {"X", in_2130 + 86400 * 365, "u1", "AccessDenied"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].count, 2u);
}

TEST(Correlation, missing_group_field_groups_under_empty_value) {
  const std::string t =
      "title: by_missing\ncorrelation: {type: event_count, rules: [fail], group-by: [nothere], "
      "timespan: 5m, condition: {gte: 2}}\n";
  auto r = run(t, {{"X", 0, "u1", "AccessDenied"}, {"X", 1, "u2", "AccessDenied"}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].group[0].second, "");
}

}  // namespace
}  // namespace firebreak::detect
