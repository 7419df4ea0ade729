#pragma once
// Shared by the detect unit tests: compile rules from YAML text and match JSON records.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/detect/engine.h"
#include "firebreak/detect/loader.h"
#include "firebreak/event/event.h"

namespace firebreak::detect::test {

// A one-selection CloudTrail rule around `detection` (the lines under `detection:`, indented by
// four spaces).
inline std::string ct_rule(std::string_view detection, std::string_view title = "t") {
  return "title: " + std::string(title) +
         "\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n" +
         std::string(detection) + "\n";
}

struct Compiled {
  RuleSet set;
  std::shared_ptr<const Engine> engine;
  std::vector<Rejection> rejected;  // load + compile
};

inline Compiled compile(std::string_view yaml, const LoadOptions& lo = {},
                        const EngineOptions& eo = {}) {
  Compiled c;
  c.set = load_rules_text(yaml, "test.yml", lo);
  c.rejected = c.set.rejected;
  auto e = Engine::compile(c.set, eo, &c.rejected);
  EXPECT_TRUE(e.has_value()) << (e ? "" : e.error().describe());
  if (e) c.engine = *e;
  return c;
}

inline event::OwnedEvent parse_event(std::string_view json,
                                     event::SourceKind kind = event::SourceKind::kCloudTrail) {
  auto e = event::OwnedEvent::parse(json, kind);
  EXPECT_TRUE(e.has_value()) << json;
  return std::move(*e);
}

// Titles of the rules matching `json`.
inline std::vector<std::string> matched(const Compiled& c, std::string_view json,
                                        event::SourceKind kind = event::SourceKind::kCloudTrail) {
  std::vector<std::string> out;
  if (!c.engine) return out;
  Matcher m(c.engine);
  auto ev = parse_event(json, kind);
  std::vector<std::uint32_t> idx;
  m.match(ev.event(), idx);
  for (auto i : idx) out.push_back(c.engine->rules()[i].title);
  return out;
}

inline bool matches(const Compiled& c, std::string_view json,
                    event::SourceKind kind = event::SourceKind::kCloudTrail) {
  return !matched(c, json, kind).empty();
}

// Compiles one CloudTrail rule and says whether it matches `json`; fails the test if the rule
// does not load.
inline bool rule_matches(std::string_view detection, std::string_view json,
                         const LoadOptions& lo = {}) {
  Compiled c = compile(ct_rule(detection), lo);
  EXPECT_TRUE(c.rejected.empty()) << (c.rejected.empty() ? "" : c.rejected[0].describe());
  return matches(c, json);
}

// The rejection reasons for `yaml` (empty if it loads and compiles).
inline std::string rejection(std::string_view yaml, const LoadOptions& lo = {}) {
  Compiled c = compile(yaml, lo);
  return c.rejected.empty() ? std::string() : c.rejected[0].describe();
}

}  // namespace firebreak::detect::test
