#include "firebreak/detect/detector.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <system_error>
#include <thread>
#include <tuple>
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

std::uint64_t id_hash(std::string_view id) { return std::hash<std::string_view>{}(id); }

// Addresses as integers, so that ordering records by them is well defined.
std::uintptr_t address(const std::string* p) { return reinterpret_cast<std::uintptr_t>(p); }

// Where a finding of a parallel read comes from, kept beside it so that ordering and duplicate
// checks on the calling thread read 32 bytes per finding, not the finding.
struct FindingKey {
  const std::string* file = nullptr;  // the event's file name object
  std::uint64_t index = 0;            // record index in that file
  std::uint64_t id_hash = 0;          // hash of the event id; meaningful only when has_id
  bool has_id = false;
};

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
    const std::size_t before = findings.size();
    findings_for(*engine_, e, matched_, findings);
    if (findings.size() != before) {
      const FindingKey key{.file = e.ref().file.get(),
                           .index = e.ref().index,
                           .id_hash = id_hash(e.id()),
                           .has_id = !e.id().empty()};
      keys.resize(findings.size(), key);
    }
    if (correlator_.wants(matched_)) inputs.push_back(correlator_.extract(e, matched_));
  }
  void on_error(const Error& error) override {
    if (errors.size() < 1000) errors.push_back(error);
  }

  std::vector<Finding> findings;
  std::vector<FindingKey> keys;  // keys[i] locates findings[i]
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

// A finding of a parallel read, placed: workers[worker]->findings[pos]. `file` is the rank of
// its file's name among the names of every file with findings; `shared_hash` is set when another
// finding's record has an event id with the same hash (a possible duplicate delivery).
struct Slot {
  std::uint32_t file = 0;
  std::uint32_t worker = 0;
  std::uint64_t index = 0;
  std::uint32_t pos = 0;
  bool shared_hash = false;
};

// The event-id hashes (sorted) that more than one record with findings or correlation inputs
// has: only those records can be duplicate deliveries, so only they need the exact check.
// Sorting integers costs far less than a map of every id on the calling thread.
std::vector<std::uint64_t> shared_id_hashes(const std::vector<WorkerSink*>& workers,
                                            const std::vector<CorrelationInput>& inputs) {
  struct Record {
    std::uint64_t hash;
    std::uintptr_t file;  // the file name object's address: one record, one name object
    std::uint64_t index;
    auto operator<=>(const Record&) const = default;
  };
  std::vector<Record> records;
  for (const auto* w : workers) {
    for (const auto& k : w->keys) {
      if (k.has_id) records.push_back({k.id_hash, address(k.file), k.index});
    }
  }
  for (const auto& in : inputs) {
    if (!in.event.event_id.empty()) {
      records.push_back({id_hash(in.event.event_id), address(in.event.file.get()), in.event.index});
    }
  }
  std::sort(records.begin(), records.end());
  records.erase(std::unique(records.begin(), records.end()), records.end());
  std::vector<std::uint64_t> shared;
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (records[i].hash == records[i - 1].hash &&
        (shared.empty() || shared.back() != records[i].hash)) {
      shared.push_back(records[i].hash);
    }
  }
  return shared;
}

bool is_shared(const std::vector<std::uint64_t>& shared, std::uint64_t hash) {
  return !shared.empty() && std::binary_search(shared.begin(), shared.end(), hash);
}

// Every worker's findings in record order: file name, then record index; findings of one record
// keep their rule order (they come from one worker, in order, so (worker, pos) breaks ties).
std::vector<Slot> record_order(const std::vector<WorkerSink*>& workers,
                               const std::vector<std::uint64_t>& shared) {
  // Rank the distinct file names. A worker's findings come in runs of one file, and one file
  // may have several name objects (chunks of a big file), so ranks are by name.
  std::unordered_map<const std::string*, std::uint32_t> rank;
  for (const auto* w : workers) {
    const std::string* last = nullptr;
    for (const auto& k : w->keys) {
      if (k.file == last) continue;
      last = k.file;
      rank.try_emplace(last, 0);
    }
  }
  std::vector<const std::string*> names;
  names.reserve(rank.size());
  for (const auto& [name, r] : rank) names.push_back(name);
  auto name_of = [](const std::string* p) { return p ? std::string_view(*p) : std::string_view(); };
  std::sort(names.begin(), names.end(),
            [&](const std::string* a, const std::string* b) { return name_of(a) < name_of(b); });
  std::uint32_t next = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0 && name_of(names[i]) != name_of(names[i - 1])) ++next;
    rank[names[i]] = next;
  }

  std::vector<Slot> slots;
  std::size_t total = 0;
  for (const auto* w : workers) total += w->keys.size();
  slots.reserve(total);
  for (std::uint32_t wi = 0; wi < workers.size(); ++wi) {
    const auto& keys = workers[wi]->keys;
    const std::string* last = nullptr;
    std::uint32_t last_rank = 0;
    for (std::uint32_t i = 0; i < keys.size(); ++i) {
      const FindingKey& k = keys[i];
      if (k.file != last || i == 0) {
        last = k.file;
        last_rank = rank.at(last);
      }
      const bool shared_hash = k.has_id && is_shared(shared, k.id_hash);
      slots.push_back({.file = last_rank,
                       .worker = wi,
                       .index = k.index,
                       .pos = i,
                       .shared_hash = shared_hash});
    }
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    return std::tie(a.file, a.index, a.worker, a.pos) < std::tie(b.file, b.index, b.worker, b.pos);
  });
  return slots;
}

// Destroys the sinks, one thread per sink: for a rule that matches most records, releasing its
// findings costs as much as a tenth of reading them, and would otherwise be serial.
void release(std::vector<std::unique_ptr<event::EventSink>>& sinks) {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < sinks.size(); ++i) {
    try {
      threads.emplace_back([&sink = sinks[i]] { sink.reset(); });
    } catch (const std::system_error&) {
      break;  // no thread to be had: the rest is freed here
    }
  }
  if (!sinks.empty()) sinks[0].reset();
  for (auto& t : threads) t.join();
  sinks.clear();
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

  // Merge the workers' findings into record order, whatever the thread count. This runs on the
  // calling thread after the workers are done, so it is the serial part of a parallel run: the
  // findings stay where the workers put them and only small keys are sorted, with file names
  // compared once per distinct file rather than once per comparison.
  std::vector<CorrelationInput> inputs;
  std::vector<Error> errors;
  std::vector<WorkerSink*> workers;
  for (auto& s : result.sinks) {
    auto& w = static_cast<WorkerSink&>(*s);
    workers.push_back(&w);
    for (auto& in : w.inputs) inputs.push_back(std::move(in));
    for (auto& e : w.errors) errors.push_back(std::move(e));
  }
  for (const auto& e : errors) on_error(e);
  const auto shared = shared_id_hashes(workers, inputs);
  const auto slots = record_order(workers, shared);
  std::stable_sort(inputs.begin(), inputs.end(),
                   [](const CorrelationInput& a, const CorrelationInput& b) {
                     return before(a.event, b.event);
                   });

  // Duplicate deliveries: the first occurrence (in record order) of an event id wins. Findings
  // of one record are adjacent in `slots`, so the decision is taken once per record.
  std::unordered_map<std::string_view, const EventRef*> first;
  auto is_first = [&](const EventRef& ref) {
    if (ref.event_id.empty()) return true;
    auto [it, inserted] = first.try_emplace(ref.event_id, &ref);
    return inserted || same_record(*it->second, ref);
  };
  // Only records whose id hash another record shares can be duplicates; only they meet the map.
  std::set<std::pair<std::uintptr_t, std::uint64_t>> dropped;  // duplicate records
  const Slot* record = nullptr;                                // the record of the previous slot
  bool record_first = true;
  for (const Slot& slot : slots) {
    const Finding& f = workers[slot.worker]->findings[slot.pos];
    if (record == nullptr || record->file != slot.file || record->index != slot.index) {
      record = &slot;
      record_first = !slot.shared_hash || is_first(f.event);
      if (!record_first) {
        ++summary.duplicates;
        dropped.emplace(address(f.event.file.get()), f.event.index);
      }
    }
    if (!record_first) continue;
    on_finding(f);
    ++summary.findings;
  }
  // Decide first, then move: `first` holds views of the inputs' event ids.
  std::vector<bool> keep(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& ref = inputs[i].event;
    keep[i] = ref.event_id.empty() || !is_shared(shared, id_hash(ref.event_id)) || is_first(ref);
    // A duplicate record with findings was counted above; one that only feeds correlations is
    // counted here.
    if (!keep[i] && !dropped.contains({address(ref.file.get()), ref.index})) ++summary.duplicates;
  }
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
  release(result.sinks);
  return summary;
}

}  // namespace firebreak::detect
