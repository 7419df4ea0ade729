#pragma once
// Loading Sigma rules from YAML: files with one or many documents (`---`), directories walked
// recursively (files ending .yml/.yaml, hidden entries skipped, sorted order).
//
// Loading never gives up on a set because of one rule: a document that cannot be evaluated
// faithfully is recorded in RuleSet::rejected with its location (file:line:column) and the reason,
// and the others load. What the loader checks: YAML well-formedness, the schema (required
// attributes and their types), modifiers (known, applicable to JSON logs, combined sensibly),
// values (numbers for gt/lt, booleans for exists, CIDRs, placeholders defined), conditions (syntax,
// identifiers defined, patterns that match something), correlation sections (type, rules,
// group-by, timespan, condition) and logsources (firebreak has events for them). Regular
// expressions are compiled (RE2) by the engine, which rejects the same way.
//
// Limits: YAML is read through core/yaml.h (size, nesting depth, document count): a file larger
// than LoadOptions::max_file_bytes, nested deeper than 64 levels or with more than max_documents
// documents is rejected whole; values and lists are bounded (max_values_per_item).
// Thread-safe (no shared state).

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/detect/rule.h"

namespace firebreak::detect {

// Values for `|expand` placeholders (%name%), loaded from a YAML file:
//
//   placeholders:
//     Administrators: [admin, root]        # inline values
//     threat_intel_ips:
//       file: intel/bad-ips.txt            # one value per line, '#' comments, relative to this
//                                          # file
//
// A rule that uses a placeholder with no values is rejected (the spec requires it).
class Placeholders {
 public:
  [[nodiscard]] static Result<Placeholders> load_file(const std::filesystem::path& path);
  [[nodiscard]] static Result<Placeholders> parse(std::string_view yaml,
                                                  const std::filesystem::path& base_dir,
                                                  std::string_view name = "<placeholders>");

  void set(std::string name, std::vector<std::string> values);
  // nullptr when the placeholder is not defined.
  [[nodiscard]] const std::vector<std::string>* find(std::string_view name) const;
  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  void merge(const Placeholders& other);

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

struct LoadOptions {
  const Placeholders* placeholders = nullptr;  // for |expand; none defined when null
  std::uint64_t max_file_bytes = 4u << 20;
  std::size_t max_documents = 10000;
  std::size_t max_values_per_item = 100000;  // after placeholder expansion
};

// Loads files and directories. A directory whose top level holds `placeholders.yml` (the rule
// pack's placeholder file) reads it for |expand (merged over options.placeholders) and does not
// load it as a rule.
[[nodiscard]] RuleSet load_rules(const std::vector<std::filesystem::path>& paths,
                                 const LoadOptions& options = {});

// Loads the documents of one YAML text; `file` names it in locations.
[[nodiscard]] RuleSet load_rules_text(std::string_view yaml, std::string_view file,
                                      const LoadOptions& options = {});

// Checks a set of loaded rules against each other: duplicate ids or names, correlations that
// reference unknown rules or form a cycle, filters naming unknown rules. Moves offending rules to
// `rejected` and adds warnings. load_rules/load_rules_text call it; call it again after merging
// sets loaded separately.
void check_references(RuleSet& set);

// Lint: warnings beyond what makes a rule unusable (missing id, unknown status, tags that are not
// namespaced, selections never used by the condition, status: unsupported/deprecated, ...).
[[nodiscard]] std::vector<Diagnostic> lint(const RuleSet& set);

}  // namespace firebreak::detect
