#pragma once
// Detection over events: matching, findings, duplicate suppression and correlation, for one
// stream of events (Detector) or for files read on several threads (detect_files).
//
// Duplicate deliveries: an event whose id (CloudTrail eventID, finding Id) was already seen with a
// match produces no findings and feeds no correlation (flow records have no id and are never
// deduplicated). The set of seen ids holds only events that matched something.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/detect/correlation.h"
#include "firebreak/detect/engine.h"
#include "firebreak/detect/finding.h"
#include "firebreak/event/reader.h"

namespace firebreak::detect {

// One stream, one thread. Findings of single-event rules come out of process() at once;
// correlation findings when their correlation completes (subject to the lateness buffer) and at
// finish().
class Detector {
 public:
  explicit Detector(std::shared_ptr<const Engine> engine, CorrelationOptions options = {});
  ~Detector();

  void process(const event::Event& e, std::vector<Finding>& out);
  void finish(std::vector<Finding>& out);

  [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }
  [[nodiscard]] CorrelationStats correlation_stats() const { return correlator_.stats(); }

 private:
  std::shared_ptr<const Engine> engine_;
  Matcher matcher_;
  Correlator correlator_;
  std::unordered_set<std::string> seen_;
  std::vector<std::uint32_t> matched_;
  std::uint64_t duplicates_ = 0;
};

// Single-event findings for `matched` (rules that emit), built from the event.
void findings_for(const Engine& engine, const event::Event& e,
                  const std::vector<std::uint32_t>& matched, std::vector<Finding>& out);

struct DetectOptions {
  std::size_t threads = 1;  // reading and matching threads (event::read_parallel)
  event::ReadOptions read;
  CorrelationOptions correlation;
};

struct DetectSummary {
  event::ReadSummary read;
  std::uint64_t findings = 0;
  std::uint64_t duplicates = 0;  // events dropped as duplicate deliveries
  CorrelationStats correlation;
};

// Reads `paths` (files and directories, expanded and sorted) with event::read_parallel on
// options.threads threads (files, and chunks of big line-format files, in parallel), and
// calls on_finding for every finding in a deterministic order whatever the thread count: the
// single-event findings of each file in file order (record order within a file), then the
// correlation findings in event-time order (all correlation inputs are sorted by event time
// before they are correlated, so file order does not matter to correlations). Read errors go to
// on_error (the read continues). Callbacks run on the calling thread.
[[nodiscard]] Result<DetectSummary> detect_files(
    std::shared_ptr<const Engine> engine, const std::vector<std::filesystem::path>& paths,
    const DetectOptions& options, const std::function<void(const Finding&)>& on_finding,
    const std::function<void(const Error&)>& on_error);

}  // namespace firebreak::detect
