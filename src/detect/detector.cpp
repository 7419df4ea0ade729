#include "firebreak/detect/detector.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "firebreak/core/fs.h"

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

struct FileResult {
  std::vector<Finding> findings;
  std::vector<CorrelationInput> inputs;
  std::vector<Error> errors;
  event::ReadSummary read;
  bool ready = false;
};

class WorkerSink final : public event::EventSink {
 public:
  WorkerSink(const Engine& engine, Matcher& matcher, const Correlator& correlator,
             FileResult& result)
      : engine_(engine), matcher_(matcher), correlator_(correlator), result_(result) {}

  void on_event(const event::Event& e) override {
    matched_.clear();
    matcher_.match(e, matched_);
    if (matched_.empty()) return;
    findings_for(engine_, e, matched_, result_.findings);
    if (correlator_.wants(matched_)) result_.inputs.push_back(correlator_.extract(e, matched_));
  }
  void on_error(const Error& error) override {
    if (result_.errors.size() < 1000) result_.errors.push_back(error);
  }

 private:
  const Engine& engine_;
  Matcher& matcher_;
  const Correlator& correlator_;
  FileResult& result_;
  std::vector<std::uint32_t> matched_;
};

}  // namespace

Result<DetectSummary> detect_files(std::shared_ptr<const Engine> engine,
                                   const std::vector<std::filesystem::path>& paths,
                                   const DetectOptions& options,
                                   const std::function<void(const Finding&)>& on_finding,
                                   const std::function<void(const Error&)>& on_error) {
  FIREBREAK_TRY(std::vector<std::filesystem::path> files, expand_paths(paths));
  DetectSummary summary;
  Correlator correlator(engine, options.correlation);
  std::vector<FileResult> results(files.size());
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};

  auto work = [&] {
    Matcher matcher(engine);
    event::Reader reader(options.read);
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= files.size()) return;
      FileResult local;
      WorkerSink sink(*engine, matcher, correlator, local);
      local.read = reader.read_file(files[i], sink);
      {
        std::lock_guard lock(mu);
        results[i] = std::move(local);
        results[i].ready = true;
      }
      cv.notify_all();
    }
  };

  const std::size_t threads = std::clamp<std::size_t>(options.threads, 1, 256);
  std::vector<std::thread> pool;
  if (threads > 1) {
    for (std::size_t t = 0; t < std::min(threads, files.size()); ++t) pool.emplace_back(work);
  } else {
    work();
  }

  // Consume in file order as results complete; dedupe on first occurrence (file, record).
  std::unordered_map<std::string, std::pair<std::size_t, std::uint64_t>> first;
  auto is_first = [&](const EventRef& ref, std::size_t file) {
    if (ref.event_id.empty()) return true;
    auto [it, inserted] = first.try_emplace(ref.event_id, file, ref.index);
    return inserted || (it->second.first == file && it->second.second == ref.index);
  };
  std::vector<CorrelationInput> inputs;
  std::uint64_t last_dup_file = ~0ull, last_dup_index = ~0ull;
  for (std::size_t i = 0; i < files.size(); ++i) {
    FileResult r;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return results[i].ready; });
      r = std::move(results[i]);
    }
    for (const auto& e : r.errors) on_error(e);
    summary.read += r.read;
    for (auto& f : r.findings) {
      if (!is_first(f.event, i)) {
        if (last_dup_file != i || last_dup_index != f.event.index) {
          ++summary.duplicates;
          last_dup_file = i;
          last_dup_index = f.event.index;
        }
        continue;
      }
      on_finding(f);
      ++summary.findings;
    }
    for (auto& in : r.inputs) {
      if (!is_first(in.event, i)) continue;
      in.sequence = inputs.size();
      inputs.push_back(std::move(in));
    }
  }
  for (auto& t : pool) t.join();

  // Correlations, in event-time order.
  std::stable_sort(
      inputs.begin(), inputs.end(),
      [](const CorrelationInput& a, const CorrelationInput& b) { return a.time < b.time; });
  std::vector<Finding> corr;
  for (auto& in : inputs) correlator.add(std::move(in), corr);
  correlator.flush(corr);
  for (const auto& f : corr) {
    on_finding(f);
    ++summary.findings;
  }
  summary.correlation = correlator.stats();
  return summary;
}

}  // namespace firebreak::detect
