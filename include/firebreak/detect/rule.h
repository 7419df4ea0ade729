#pragma once
// Sigma rules as firebreak holds them after loading: detection rules, correlation rules and
// filters (Sigma specification v2, in ../shared/testdata/sigma-spec), plus firebreak's own
// extension of rule-embedded test cases (docs/detection.md, "Rule tests").
//
// A Rule is a plain value: the loader (detect/loader.h) builds it from YAML and checks everything
// that can be checked without compiling; the compiler (detect/engine.h) turns a set of rules into
// a matcher. Every part of a rule remembers where it was written (file:line:column), so that a
// rejection or a lint message can point at it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/detect/condition.h"
#include "firebreak/event/event.h"

namespace firebreak::detect {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  // "file:line:column" (or less when unknown).
  [[nodiscard]] std::string describe() const;
};

enum class Level : std::uint8_t { kInformational, kLow, kMedium, kHigh, kCritical };
[[nodiscard]] std::string_view to_string(Level level) noexcept;
[[nodiscard]] std::optional<Level> parse_level(std::string_view text) noexcept;

// Logsource, and the event kinds it selects (see docs/detection.md, "Logsources"):
//   product: aws + service: cloudtrail    -> CloudTrail events
//   product: aws + service: guardduty     -> GuardDuty findings
//   product: aws + service: securityhub   -> Security Hub (ASFF) findings
//   product: aws + service: vpcflow       -> VPC Flow Log records
//   product: aws (no service)             -> all four
struct Logsource {
  std::string product, service, category, definition;
  std::uint8_t kinds = 0;  // bit (1 << SourceKind) per event kind this logsource selects
};
[[nodiscard]] constexpr std::uint8_t kind_bit(event::SourceKind k) noexcept {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(k));
}

// One value of a field item as written in YAML.
struct RuleValue {
  enum class Kind : std::uint8_t { kString, kNumber, kBool, kNull };
  Kind kind = Kind::kString;
  std::string text;  // the scalar as written (unquoted); "null" for kNull
  SourceLocation where;
};

// `field|mod1|mod2: values` — one member of a selection map (or a keyword list, field empty).
struct FieldItem {
  std::string field;                   // dotted path; empty for keywords
  std::vector<std::string> modifiers;  // as written, in order
  std::vector<RuleValue> values;       // a scalar becomes a one-element list
  bool value_was_list = false;
  SourceLocation where;
};

// A search identifier: a map (items AND-ed), a list of maps (OR of ANDs) or a keyword list.
struct Selection {
  std::string name;
  std::vector<std::vector<FieldItem>> alternatives;  // OR of (AND of items)
  SourceLocation where;
};

// Correlation section (sigma-correlation-rules-specification.md).
struct Correlation {
  enum class Type : std::uint8_t { kEventCount, kValueCount, kTemporal, kTemporalOrdered };
  enum class Op : std::uint8_t { kGt, kGte, kLt, kLte, kEq, kNeq };
  struct Bound {
    Op op;
    std::int64_t value;
  };
  Type type = Type::kEventCount;
  std::vector<std::string> rules;     // ids or names, as written
  std::vector<std::string> group_by;  // fields or alias names
  Duration timespan{};
  std::vector<Bound> condition;  // AND-ed; empty for temporal (= all rules)
  std::string field;             // value_count
  bool generate = false;         // also emit the referenced rules' own findings
  // alias -> (rule id or name -> field)
  std::map<std::string, std::map<std::string, std::string>> aliases;
};
[[nodiscard]] std::string_view to_string(Correlation::Type t) noexcept;

// firebreak extension: `firebreak-tests:` in a rule (docs/detection.md, "Rule tests").
struct RuleTest {
  bool should_match = true;
  std::vector<std::string> events;  // JSON records (one for detection rules, several for
                                    // correlations and for sequences)
  SourceLocation where;
};

struct Rule {
  enum class Kind : std::uint8_t { kDetection, kCorrelation, kFilter };
  Kind kind = Kind::kDetection;

  // Metadata (all optional except title).
  std::string title, id, name, status, description, author, license, date, modified, taxonomy;
  std::vector<std::string> references, falsepositives, tags, fields, scope;
  std::vector<std::pair<std::string, std::string>> related;  // (type, id)
  std::optional<Level> level;
  Logsource logsource;

  // Detection rules and filters.
  std::vector<Selection> selections;
  std::vector<std::string> condition_texts;  // a list of conditions is OR-ed
  std::vector<ConditionNode> conditions;     // parsed, same order
  SourceLocation condition_where;

  // Correlation rules.
  std::optional<Correlation> correlation;

  // Filters: the rules (ids or names) the filter applies to.
  std::vector<std::string> filter_rules;

  std::vector<RuleTest> tests;
  SourceLocation where;  // the document's first line

  // "id" when set, else "name", else "title".
  [[nodiscard]] const std::string& key() const noexcept;
  // Level, defaulting to medium when the rule has none.
  [[nodiscard]] Level effective_level() const noexcept { return level.value_or(Level::kMedium); }
};

// A rule the loader or the compiler refused, and why.
struct Rejection {
  SourceLocation where;  // precise location of the offending part
  std::string rule;      // title (or id) of the document, when known
  std::string reason;
  [[nodiscard]] std::string describe() const;  // "file:line:col: rule 'x': reason"
};

// A non-fatal remark (lint): the rule loads and is evaluated faithfully.
struct Diagnostic {
  SourceLocation where;
  std::string rule;
  std::string message;
  [[nodiscard]] std::string describe() const;
};

// The result of loading files: rules that loaded, and everything that did not.
struct RuleSet {
  std::vector<Rule> rules;    // detection and correlation rules
  std::vector<Rule> filters;  // Sigma filters
  std::vector<Rejection> rejected;
  std::vector<Diagnostic> warnings;
  std::uint64_t files = 0;
  std::uint64_t documents = 0;

  void append(RuleSet&& other);
};

}  // namespace firebreak::detect
