#pragma once
// The compiled matcher. Engine::compile turns a RuleSet into an immutable Engine; a Matcher (one
// per thread) evaluates events against it.
//
// How an event meets its rules (docs/detection.md, "Compilation"):
//  - rules are bucketed by the event kinds their logsource selects;
//  - a rule whose condition implies an equality on the field the event model indexes
//    (Event::name(): CloudTrail eventName, GuardDuty finding type, flow-log action) or on
//    CloudTrail eventSource (Event::service()) is found by a hash lookup of that value;
//  - otherwise, a rule whose condition implies a string test on some field is found through that
//    field's pattern set: every string test of every rule on one field is compiled into one
//    Hyperscan database (wildcards, contains/startswith/endswith) plus hash sets (exact values),
//    and each field an event has is scanned once, whatever the number of rules;
//  - only rules with no such anchor are evaluated for every event of their kind;
//  - field paths are compiled once (event::FieldPath); each field is read at most once per event.
// Candidates are then evaluated exactly (conditions, regexes through RE2 — linear time, no
// catastrophic backtracking —, CIDRs, numbers, field references), and filters are applied.
//
// Thread-safety: an Engine is immutable and shared (const) by any number of threads; a Matcher
// holds per-thread scratch (Hyperscan scratch, per-event caches) and must not be shared.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/detect/rule.h"
#include "firebreak/event/event.h"

namespace firebreak::detect {

struct EngineOptions {
  // firebreak's own API calls (user agent or role session name starting "firebreak") never
  // produce findings: a built-in Sigma filter applied to every CloudTrail rule (docs/detection.md,
  // "Self-exclusion").
  bool self_exclusion = true;
};

// The built-in self-exclusion filter, as Sigma YAML (also shipped as documentation).
[[nodiscard]] std::string_view self_exclusion_filter_yaml() noexcept;

struct EngineStats {
  std::size_t rules = 0;  // detection + correlation rules compiled
  std::size_t detection_rules = 0;
  std::size_t correlation_rules = 0;
  std::size_t filters = 0;
  std::size_t indexed_by_name = 0;     // found by an Event::name() lookup
  std::size_t indexed_by_service = 0;  // found by an Event::service() lookup
  std::size_t indexed_by_pattern = 0;  // found through a field's pattern set
  std::size_t unindexed = 0;           // evaluated for every event of their kinds
  std::size_t fields = 0;              // distinct field paths
  std::size_t exact_patterns = 0;      // values matched by hash lookup
  std::size_t hyperscan_patterns = 0;  // values matched by Hyperscan
  std::size_t regexes = 0;             // RE2 regexes
};

class Matcher;

class Engine {
 public:
  // Compiles every loaded rule and filter of `set`. A rule that cannot be compiled faithfully
  // (an RE2 syntax error, wildcards under base64, ...) is appended to `rejected` with its location
  // and skipped; correlations that depend on it are skipped too. Fails only when nothing sensible
  // can be built (an internal Hyperscan failure).
  [[nodiscard]] static Result<std::shared_ptr<const Engine>> compile(
      const RuleSet& set, const EngineOptions& options = {},
      std::vector<Rejection>* rejected = nullptr);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Rules that compiled: detection rules first, then correlation rules (copies). Rule indices
  // below are positions in this vector.
  [[nodiscard]] const std::vector<Rule>& rules() const noexcept;
  [[nodiscard]] bool is_correlation(std::size_t rule) const noexcept;
  // False for detection rules referenced only by correlations without `generate: true`: their
  // matches feed correlations but are not findings of their own (correlation spec, "generate").
  [[nodiscard]] bool emits(std::size_t rule) const noexcept;
  // For each correlation rule, the rule indices it references (in order).
  [[nodiscard]] const std::vector<std::uint32_t>& correlation_inputs(std::size_t rule) const;
  // Correlation rules that consume `rule`'s matches.
  [[nodiscard]] const std::vector<std::uint32_t>& consumers(std::size_t rule) const;
  [[nodiscard]] const EngineStats& stats() const noexcept;

  struct Impl;
  [[nodiscard]] const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Per-thread evaluation state. Cheap to create relative to an event stream (allocates Hyperscan
// scratch); not thread-safe.
class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const Engine> engine);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // Appends to `out`, in rule order, the indices of the detection rules that match `event` after
  // filters. Includes rules that do not emit (they feed correlations).
  void match(const event::Event& event, std::vector<std::uint32_t>& out);

  // Evaluates only the condition of filter `index` (0-based among the RuleSet's filters) — for
  // filter tests.
  [[nodiscard]] bool filter_matches(std::size_t index, const event::Event& event);

  [[nodiscard]] const Engine& engine() const noexcept;

 private:
  struct State;
  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<State> state_;
};

}  // namespace firebreak::detect
