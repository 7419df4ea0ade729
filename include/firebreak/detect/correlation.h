#pragma once
// Sigma correlation rules evaluated over a stream of rule matches, on event time.
//
// Semantics (docs/detection.md, "Correlation"):
//  - event_count / value_count with only lower bounds (gt, gte): a sliding window of `timespan`
//    per group; the finding is produced by the match that makes the count reach the bound, and
//    the group starts afresh after it.
//  - event_count / value_count with an upper bound (lt, lte, eq, neq, or a range): a window opens
//    at a group's first match and closes `timespan` later; the condition is evaluated when the
//    window closes (the watermark passes its end, or at the end of input).
//  - temporal: every referenced rule (or, with a condition, that many distinct rules) matched in
//    the group within `timespan`; temporal_ordered: in the order listed, each within `timespan`
//    of the first.
//  - correlations can reference correlations (chains); aliases map group-by names to per-rule
//    fields; a missing group-by field groups under the empty value.
//
// Time and lateness: matches are buffered and released in event-time order once the watermark
// (the latest event time seen minus `lateness`) passes them. A match older than the watermark
// when it arrives is "late": it is counted (stats().late) and still applied, in arrival order.
// Event times have one-second resolution inside the correlator.
//
// Bounded state: a group is dropped once its window has expired; each correlation holds at most
// `max_groups` groups — when full, expired groups are swept and, if still full, the new group is
// not tracked (stats().dropped_groups, and one warning per rule is logged). Memory per group for
// sliding windows: a fixed-size record of 8 + 4·W bytes (no allocation per group; records come
// 1024 at a time) plus 4 to 11 bytes of open-addressing index, where W = 2+K for event_count
// (K = the count that fires), 2+2K for value_count, 2+R for temporal(_ordered) over R rules;
// e.g. event_count gte 20: 96 + ~8 ≈ 104 bytes (bench/detect measures it). Windowed
// (upper-bound) groups also keep the group values and one event reference.
//
// Not thread-safe: one Correlator per stream. extract() is const and may be called from any
// thread concurrently (the CLI extracts on reader threads and correlates on one).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/detect/engine.h"
#include "firebreak/detect/finding.h"

namespace firebreak::detect {

struct CorrelationOptions {
  Duration lateness = std::chrono::minutes(15);
  std::size_t max_groups = 200000;  // per correlation rule
  // Rule tests: also emit findings of correlations that only feed other correlations.
  bool emit_all = false;
};

// What the correlator needs from one event that matched one or more rules: its time, reference,
// entities, and for every correlation downstream of the matched rules, the group key (and
// value_count value) computed from the event.
struct CorrelationInput {
  struct Key {
    std::uint32_t correlation = 0;  // rule index of the correlation
    std::uint64_t group = 0;        // hash of the group-by values
    std::uint64_t value = 0;        // value_count: hash of the field value
    bool has_value = false;
    std::vector<std::pair<std::string, std::string>> group_values;
  };
  TimePoint time{};
  std::vector<std::uint32_t> rules;  // matched detection rules that feed correlations
  std::vector<Key> keys;
  EventRef event;
  event::SourceKind source = event::SourceKind::kCloudTrail;
  std::string event_name;
  std::vector<Entity> entities;
  std::uint64_t sequence = 0;  // arrival order, for stable ordering of equal times
};

struct CorrelationStats {
  std::uint64_t inputs = 0;
  std::uint64_t late = 0;
  std::uint64_t dropped_groups = 0;
  std::uint64_t live_groups = 0;
  std::uint64_t findings = 0;
  std::uint64_t state_bytes = 0;  // allocated for sliding-window groups (records + index)
};

class Correlator {
 public:
  Correlator(std::shared_ptr<const Engine> engine, CorrelationOptions options = {});
  ~Correlator();
  Correlator(Correlator&&) noexcept;
  Correlator& operator=(Correlator&&) noexcept;

  // True if any of `matched` feeds a correlation (so extract() is worth calling).
  [[nodiscard]] bool wants(const std::vector<std::uint32_t>& matched) const noexcept;
  // Builds the input for one event and its matched rules (const; thread-safe).
  [[nodiscard]] CorrelationInput extract(const event::Event& e,
                                         const std::vector<std::uint32_t>& matched) const;

  // Adds one input; findings whose correlations complete are appended to `out`.
  void add(CorrelationInput input, std::vector<Finding>& out);
  // End of input: releases every buffered match and closes every window.
  void flush(std::vector<Finding>& out);

  [[nodiscard]] CorrelationStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firebreak::detect
