#pragma once
// Running the test cases rules carry (firebreak extension, docs/detection.md "Rule tests"):
//
//   firebreak-tests:
//     match:                       # each case must produce a match of this rule
//       - {eventSource: iam.amazonaws.com, eventName: CreateUser, ...}   # one event
//       - events: [ {...}, {...} ]                                        # a sequence
//     no_match:                    # each case must not
//       - {...}
//
// Detection rules: a case matches when any of its events matches the rule (after filters, the
// built-in self-exclusion included). Correlation rules: the case's events are matched and
// correlated in order (a fresh correlation state per case); the case matches when the
// correlation produces a finding. Filters: a case matches when the filter's condition does (the
// event would be suppressed). Events are parsed as the kind the rule's logsource selects
// (by shape when it selects several).

#include <cstddef>
#include <string>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/detect/engine.h"
#include "firebreak/detect/rule.h"

namespace firebreak::detect {

struct RuleTestCaseResult {
  SourceLocation where;
  bool should_match = true;
  bool passed = false;
  std::string detail;  // why it failed
};

struct RuleTestReport {
  std::string rule;  // title
  SourceLocation where;
  std::vector<RuleTestCaseResult> cases;
  [[nodiscard]] bool passed() const noexcept;
};

struct RuleTestSummary {
  std::vector<RuleTestReport> rules;  // rules and filters that have tests
  std::size_t without_tests = 0;      // rules and filters that have none
  std::size_t passed_cases = 0;
  std::size_t failed_cases = 0;
  std::vector<Rejection> rejected;  // rules the engine could not compile
};

[[nodiscard]] Result<RuleTestSummary> run_rule_tests(const RuleSet& set,
                                                     const EngineOptions& options = {});

}  // namespace firebreak::detect
