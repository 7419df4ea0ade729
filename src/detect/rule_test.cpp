#include "firebreak/detect/rule_test.h"

#include <fmt/format.h>

#include <algorithm>

#include "firebreak/core/json.h"
#include "firebreak/detect/correlation.h"

namespace firebreak::detect {

bool RuleTestReport::passed() const noexcept {
  return std::all_of(cases.begin(), cases.end(), [](const auto& c) { return c.passed; });
}

namespace {

event::SourceKind kind_for(std::uint8_t kinds, std::string_view json) {
  using event::SourceKind;
  for (auto k : {SourceKind::kCloudTrail, SourceKind::kGuardDuty, SourceKind::kSecurityHub,
                 SourceKind::kVpcFlow}) {
    if (kinds == kind_bit(k)) return k;
  }
  // Several kinds: by shape.
  auto j = parse_json(json);
  if (j && j->is_object()) {
    if (j->contains("eventVersion") || j->contains("eventSource")) return SourceKind::kCloudTrail;
    if (j->contains("SchemaVersion")) return SourceKind::kSecurityHub;
    if ((j->contains("type") || j->contains("Type")) &&
        (j->contains("resource") || j->contains("Resource")))
      return SourceKind::kGuardDuty;
    if (j->contains("srcaddr") || j->contains("dstaddr")) return SourceKind::kVpcFlow;
  }
  return SourceKind::kCloudTrail;
}

bool same_place(const SourceLocation& a, const SourceLocation& b) {
  return a.file == b.file && a.line == b.line && a.column == b.column;
}

}  // namespace

Result<RuleTestSummary> run_rule_tests(const RuleSet& set, const EngineOptions& options) {
  RuleTestSummary summary;
  FIREBREAK_TRY(auto engine, Engine::compile(set, options, &summary.rejected));
  const auto& rules = engine->rules();
  Matcher matcher(engine);
  CorrelationOptions copts;
  copts.emit_all = true;
  copts.lateness = Duration::zero();

  auto parse_case_event = [&](const std::string& json, std::uint8_t kinds, std::size_t i,
                              const RuleTest& t) -> Result<event::OwnedEvent> {
    event::RecordRef ref;
    ref.file = std::make_shared<const std::string>(t.where.describe());
    ref.index = i;
    return event::OwnedEvent::parse(json, kind_for(kinds, json), std::move(ref));
  };

  auto record = [&](RuleTestReport& report, const RuleTest& t, bool matched, std::string err) {
    RuleTestCaseResult c;
    c.where = t.where;
    c.should_match = t.should_match;
    if (!err.empty()) {
      c.passed = false;
      c.detail = err;
    } else {
      c.passed = matched == t.should_match;
      if (!c.passed) {
        c.detail = t.should_match ? "expected a match, got none" : "expected no match, got one";
      }
    }
    (c.passed ? summary.passed_cases : summary.failed_cases)++;
    report.cases.push_back(std::move(c));
  };

  for (const auto& src : set.rules) {
    if (src.tests.empty()) {
      ++summary.without_tests;
      continue;
    }
    RuleTestReport report;
    report.rule = src.title;
    report.where = src.where;
    std::size_t idx = rules.size();
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (same_place(rules[i].where, src.where)) idx = i;
    }
    if (idx == rules.size()) {
      for (const auto& t : src.tests) record(report, t, false, "the rule did not compile");
      summary.rules.push_back(std::move(report));
      continue;
    }
    const bool correlation = engine->is_correlation(idx);
    // A correlation's kinds are those of the rules it (transitively) references.
    std::uint8_t kinds = src.logsource.kinds;
    if (correlation) {
      std::vector<std::uint32_t> stack{static_cast<std::uint32_t>(idx)};
      while (!stack.empty()) {
        const auto r = stack.back();
        stack.pop_back();
        if (!engine->is_correlation(r)) {
          kinds |= rules[r].logsource.kinds;
          continue;
        }
        for (auto in : engine->correlation_inputs(r)) stack.push_back(in);
      }
    }
    for (const auto& t : src.tests) {
      bool matched = false;
      std::string err;
      std::vector<event::OwnedEvent> events;
      for (std::size_t i = 0; i < t.events.size() && err.empty(); ++i) {
        auto ev = parse_case_event(t.events[i], kinds, i, t);
        if (!ev) {
          err = fmt::format("test event {} does not parse: {}", i, ev.error().describe());
        } else {
          events.push_back(std::move(*ev));
        }
      }
      if (err.empty()) {
        std::vector<std::uint32_t> m;
        if (!correlation) {
          for (const auto& ev : events) {
            m.clear();
            matcher.match(ev.event(), m);
            if (std::find(m.begin(), m.end(), idx) != m.end()) matched = true;
          }
        } else {
          Correlator corr(engine, copts);
          std::vector<Finding> out;
          for (const auto& ev : events) {
            m.clear();
            matcher.match(ev.event(), m);
            if (corr.wants(m)) corr.add(corr.extract(ev.event(), m), out);
          }
          corr.flush(out);
          const Rule& r = rules[idx];
          for (const auto& f : out) {
            if (f.rule_id == r.id && f.rule_title == r.title) matched = true;
          }
        }
      }
      record(report, t, matched, err);
    }
    summary.rules.push_back(std::move(report));
  }

  // Filters (user filters come first in the engine's filter list).
  for (std::size_t fi = 0; fi < set.filters.size(); ++fi) {
    const Rule& f = set.filters[fi];
    if (f.tests.empty()) {
      ++summary.without_tests;
      continue;
    }
    RuleTestReport report;
    report.rule = f.title;
    report.where = f.where;
    for (const auto& t : f.tests) {
      bool matched = false;
      std::string err;
      for (std::size_t i = 0; i < t.events.size() && err.empty(); ++i) {
        auto ev = parse_case_event(t.events[i], f.logsource.kinds, i, t);
        if (!ev) {
          err = fmt::format("test event {} does not parse: {}", i, ev.error().describe());
        } else if (matcher.filter_matches(fi, ev->event())) {
          matched = true;
        }
      }
      record(report, t, matched, err);
    }
    summary.rules.push_back(std::move(report));
  }
  return summary;
}

}  // namespace firebreak::detect
