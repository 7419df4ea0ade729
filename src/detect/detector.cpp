#include "firebreak/detect/detector.h"

#include <algorithm>
#include <unordered_map>

#include "firebreak/event/parallel.h"

namespace firebreak::detect {

void findings_for(const Engine& engine, const event::Event& e,
                  const std::vector<std::uint32_t>& matched, std::vector<Finding>& out) {
  std::vector<Entity> entities;
  bool have_entities = false;
  for (auto r : matched) {
    if (!engine.emits(r)) continue;
    if (!have_entities) {
      entities = extract_entities(e);
      have_entities = true;
    }
    Finding f;
    set_rule(f, engine.rules()[r]);
    f.event = EventRef::of(e);
    f.time = e.time();
    f.source = e.source();
    f.event_name = std::string(e.name());
    f.entities = entities;
    if (!engine.rules()[r].fields.empty()) capture_fields(f, engine.rules()[r], e);
    assign_id(f);
    out.push_back(std::move(f));
  }
}

Detector::Detector(std::shared_ptr<const Engine> engine, CorrelationOptions options)
    : engine_(engine), matcher_(engine), correlator_(engine, options) {}
Detector::~Detector() = default;

void Detector::process(const event::Event& e, std::vector<Finding>& out) {
  matched_.clear();
  matcher_.match(e, matched_);
  if (matched_.empty()) return;
  if (!e.id().empty()) {
    if (!seen_.emplace(e.id()).second) {
      ++duplicates_;
      return;
    }
  }
  findings_for(*engine_, e, matched_, out);
  if (correlator_.wants(matched_)) correlator_.add(correlator_.extract(e, matched_), out);
}

void Detector::finish(std::vector<Finding>& out) { correlator_.flush(out); }

namespace {

// Gathers one worker's findings and correlation inputs (read_parallel gives each worker its own
// sink, called from one thread).
class WorkerSink final : public event::EventSink {
 public:
  WorkerSink(std::shared_ptr<const Engine> engine, const Correlator& correlator)
      : engine_(std::move(engine)), matcher_(engine_), correlator_(correlator) {}

  void on_event(const event::Event& e) override {
    matched_.clear();
    matcher_.match(e, matched_);
    if (matched_.empty()) return;
    findings_for(*engine_, e, matched_, findings);
    if (correlator_.wants(matched_)) inputs.push_back(correlator_.extract(e, matched_));
  }
  void on_error(const Error& error) override {
    if (errors.size() < 1000) errors.push_back(error);
  }

  std::vector<Finding> findings;
  std::vector<CorrelationInput> inputs;
  std::vector<Error> errors;

 private:
  std::shared_ptr<const Engine> engine_;
  Matcher matcher_;
  const Correlator& correlator_;
  std::vector<std::uint32_t> matched_;
};

// Record order: file path (expansion sorts paths), then record index.
bool before(const EventRef& a, const EventRef& b) {
  const std::string_view fa = a.file ? std::string_view(*a.file) : std::string_view();
  const std::string_view fb = b.file ? std::string_view(*b.file) : std::string_view();
  if (fa != fb) return fa < fb;
  return a.index < b.index;
}

bool same_record(const EventRef& a, const EventRef& b) {
  return a.index == b.index && (a.file == b.file || (a.file && b.file && *a.file == *b.file));
}

}  // namespace

Result<DetectSummary> detect_files(std::shared_ptr<const Engine> engine,
                                   const std::vector<std::filesystem::path>& paths,
                                   const DetectOptions& options,
                                   const std::function<void(const Finding&)>& on_finding,
                                   const std::function<void(const Error&)>& on_error) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      return fail(ErrorCode::kNotFound, "no such file or directory",
                  ErrorContext{.where = p.string()});
    }
  }
  DetectSummary summary;
  Correlator correlator(engine, options.correlation);
  event::ParallelOptions popts;
  popts.threads = std::clamp<std::size_t>(options.threads, 1, 256);
  auto result = event::read_parallel(paths, options.read, popts, [&](std::size_t) {
    return std::make_unique<WorkerSink>(engine, correlator);
  });
  summary.read = result.summary;

  // Merge the workers' results into record order, whatever the thread count.
  std::vector<Finding> findings;
  std::vector<CorrelationInput> inputs;
  std::vector<Error> errors;
  for (auto& s : result.sinks) {
    auto& w = static_cast<WorkerSink&>(*s);
    for (auto& f : w.findings) findings.push_back(std::move(f));
    for (auto& in : w.inputs) inputs.push_back(std::move(in));
    for (auto& e : w.errors) errors.push_back(std::move(e));
  }
  for (const auto& e : errors) on_error(e);
  // Record order; findings of one record keep their rule order (stable). Indices are sorted, not
  // the (large) findings themselves.
  std::vector<std::uint32_t> order(findings.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return before(findings[a].event, findings[b].event);
  });
  std::stable_sort(inputs.begin(), inputs.end(),
                   [](const CorrelationInput& a, const CorrelationInput& b) {
                     return before(a.event, b.event);
                   });

  // Duplicate deliveries: the first occurrence (in record order) of an event id wins.
  std::unordered_map<std::string_view, const EventRef*> first;
  auto is_first = [&](const EventRef& ref) {
    if (ref.event_id.empty()) return true;
    auto [it, inserted] = first.try_emplace(ref.event_id, &ref);
    return inserted || same_record(*it->second, ref);
  };
  const EventRef* last_dup = nullptr;
  for (std::uint32_t i : order) {
    const Finding& f = findings[i];
    if (!is_first(f.event)) {
      if (last_dup == nullptr || !same_record(*last_dup, f.event)) ++summary.duplicates;
      last_dup = &f.event;
      continue;
    }
    on_finding(f);
    ++summary.findings;
  }
  // Decide first, then move: `first` holds views of the inputs' event ids.
  std::vector<bool> keep(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) keep[i] = is_first(inputs[i].event);
  first.clear();
  std::vector<CorrelationInput> kept;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!keep[i]) continue;
    inputs[i].sequence = kept.size();
    kept.push_back(std::move(inputs[i]));
  }

  // Correlations, in event-time order.
  std::stable_sort(
      kept.begin(), kept.end(),
      [](const CorrelationInput& a, const CorrelationInput& b) { return a.time < b.time; });
  std::vector<Finding> corr;
  for (auto& in : kept) correlator.add(std::move(in), corr);
  correlator.flush(corr);
  for (const auto& f : corr) {
    on_finding(f);
    ++summary.findings;
  }
  summary.correlation = correlator.stats();
  return summary;
}

}  // namespace firebreak::detect
