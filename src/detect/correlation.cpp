#include "firebreak/detect/correlation.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <queue>
#include <unordered_map>

#include "firebreak/core/log.h"

namespace firebreak::detect {

namespace {

constexpr std::int64_t kEpoch2000 = 946684800;  // 2000-01-01T00:00:00Z

std::uint32_t seconds_of(TimePoint t) {
  const std::int64_t s = to_unix_seconds(t) - kEpoch2000;
  if (s < 1) return 1;
  if (s > 0xFFFFFFF0LL) return 0xFFFFFFF0u;
  return static_cast<std::uint32_t>(s);
}

TimePoint time_of(std::uint32_t s) {
  return from_unix_seconds(static_cast<std::int64_t>(s) + kEpoch2000);
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool bound_holds(const std::vector<Correlation::Bound>& bounds, std::uint64_t count) {
  for (const auto& b : bounds) {
    const auto v = static_cast<std::uint64_t>(b.value);
    bool ok = true;
    switch (b.op) {
      case Correlation::Op::kGt: ok = count > v; break;
      case Correlation::Op::kGte: ok = count >= v; break;
      case Correlation::Op::kLt: ok = count < v; break;
      case Correlation::Op::kLte: ok = count <= v; break;
      case Correlation::Op::kEq: ok = count == v; break;
      case Correlation::Op::kNeq: ok = count != v; break;
    }
    if (!ok) return false;
  }
  return true;
}

// Groups of one correlation: fixed-size records (a 64-bit key, then the correlation's words) in
// chunks of 1024, indexed by an open-addressing table of record numbers (linear probing, load at
// most 3/4). No per-group allocation: a group costs 8 + 4·words bytes of record plus 4/load bytes
// of index. Removal happens only in sweep(), which rebuilds the index.
class GroupTable {
 public:
  explicit GroupTable(std::uint32_t words = 0) : words_(words), stride_(words + 2) {}

  std::size_t size() const noexcept { return count_; }
  std::size_t bytes() const noexcept {
    return chunks_.size() * kChunk * stride_ * 4 + slots_.size() * 4;
  }

  // The group's words, or nullptr.
  std::uint32_t* find(std::uint64_t key) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t v = slots_[i];
      if (v == 0) return nullptr;
      std::uint32_t* r = record(v - 1);
      if (key_of(r) == key) return r + 2;
    }
  }

  // Inserts a zeroed group (the key must not be present).
  std::uint32_t* insert(std::uint64_t key) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    std::uint32_t idx;
    if (!free_.empty()) {
      idx = free_.back();
      free_.pop_back();
    } else {
      if (next_ == chunks_.size() * kChunk) {
        chunks_.push_back(std::make_unique<std::uint32_t[]>(kChunk * stride_));
      }
      idx = next_++;
    }
    std::uint32_t* r = record(idx);
    std::fill(r, r + stride_, 0u);
    r[0] = static_cast<std::uint32_t>(key);
    r[1] = static_cast<std::uint32_t>(key >> 32);
    place(key, idx);
    ++count_;
    return r + 2;
  }

  // Drops the groups for which expired(words) holds; rebuilds the index.
  template <class F>
  void sweep(F&& expired) {
    std::vector<std::uint32_t> live;
    for (std::uint32_t v : slots_) {
      if (v == 0) continue;
      std::uint32_t* r = record(v - 1);
      if (expired(r + 2)) {
        free_.push_back(v - 1);
      } else {
        live.push_back(v - 1);
      }
    }
    std::fill(slots_.begin(), slots_.end(), 0u);
    count_ = live.size();
    for (auto idx : live) place(key_of(record(idx)), idx);
  }

 private:
  static constexpr std::size_t kChunk = 1024;
  static std::uint64_t mix(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
  }
  static std::uint64_t key_of(const std::uint32_t* r) noexcept {
    return static_cast<std::uint64_t>(r[0]) | (static_cast<std::uint64_t>(r[1]) << 32);
  }
  std::uint32_t* record(std::uint32_t idx) noexcept {
    return chunks_[idx / kChunk].get() + (idx % kChunk) * stride_;
  }
  void place(std::uint64_t key, std::uint32_t idx) {
    for (std::size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == 0) {
        slots_[i] = idx + 1;
        return;
      }
    }
  }
  void grow() {
    std::vector<std::uint32_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, 0u);
    mask_ = slots_.size() - 1;
    for (std::uint32_t v : old) {
      if (v != 0) place(key_of(record(v - 1)), v - 1);
    }
  }

  std::uint32_t words_, stride_;
  std::vector<std::unique_ptr<std::uint32_t[]>> chunks_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0, count_ = 0;
  std::uint32_t next_ = 0;
  std::vector<std::uint32_t> free_;
};

struct Spec {
  std::uint32_t rule = 0;
  Correlation::Type type = Correlation::Type::kEventCount;
  std::uint32_t span = 0;  // seconds
  std::vector<Correlation::Bound> bounds;
  bool windowed = false;
  std::uint32_t need = 1;  // sliding: count that fires
  std::uint32_t words = 0;
  std::vector<std::uint32_t> inputs;
  std::vector<std::string> group_names;
  std::vector<std::vector<event::FieldPath>> group_paths;  // [input position][group]
  std::vector<event::FieldPath> value_path;                // [input position]

  // State.
  GroupTable groups;
  std::uint64_t since_sweep = 0;
  bool warned = false;

  struct Window {
    std::uint32_t start = 0;
    std::uint64_t count = 0;
    std::vector<std::uint64_t> values;
    CorrelationInput last;
  };
  std::unordered_map<std::uint64_t, Window> windows;
  // (end, group); 64-bit ends: start + span may pass 2^32 seconds.
  std::deque<std::pair<std::uint64_t, std::uint64_t>> window_ends;
};

}  // namespace

struct Correlator::Impl {
  std::shared_ptr<const Engine> engine;
  CorrelationOptions options;
  std::deque<Spec> specs;             // deque: Spec is move-only and never relocated
  std::vector<std::int32_t> spec_of;  // rule index -> spec index, -1 if not a correlation

  struct Pending {
    CorrelationInput input;
    bool operator>(const Pending& o) const {
      if (input.time != o.input.time) return input.time > o.input.time;
      return input.sequence > o.input.sequence;
    }
  };
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> buffer;
  TimePoint max_time{};
  bool have_max = false;
  TimePoint released{};
  std::uint64_t sequence = 0;
  CorrelationStats stats;

  std::string field_for(const Correlation& c, const Rule& input, const std::string& name) const {
    auto it = c.aliases.find(name);
    if (it != c.aliases.end()) {
      for (const std::string* k : {&input.name, &input.id}) {
        if (k->empty()) continue;
        auto f = it->second.find(*k);
        if (f != it->second.end()) return f->second;
      }
    }
    return name;
  }

  void build() {
    const auto& rules = engine->rules();
    spec_of.assign(rules.size(), -1);
    for (std::uint32_t r = 0; r < rules.size(); ++r) {
      if (!engine->is_correlation(r)) continue;
      const Correlation& c = *rules[r].correlation;
      Spec s;
      s.rule = r;
      s.type = c.type;
      // Clamped, never truncated: a timespan beyond the 32-bit second range (136 years) is the
      // same as "forever" for events after 2000.
      s.span = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(c.timespan).count(), 1, 0xFFFFFFFFLL));
      s.bounds = c.condition;
      s.inputs = engine->correlation_inputs(r);
      s.group_names = c.group_by;
      for (auto in : s.inputs) {
        std::vector<event::FieldPath> paths;
        for (const auto& g : c.group_by) paths.emplace_back(field_for(c, rules[in], g));
        s.group_paths.push_back(std::move(paths));
        s.value_path.emplace_back(c.field.empty() ? std::string()
                                                  : field_for(c, rules[in], c.field));
      }
      std::int64_t need = 0;
      for (const auto& b : c.condition) {
        if (b.op == Correlation::Op::kGt)
          need = std::max(need, b.value + 1);
        else if (b.op == Correlation::Op::kGte)
          need = std::max(need, b.value);
        else
          s.windowed = true;
      }
      const bool temporal =
          c.type == Correlation::Type::kTemporal || c.type == Correlation::Type::kTemporalOrdered;
      if (temporal) s.windowed = false;  // temporal conditions are evaluated on each match
      s.need = static_cast<std::uint32_t>(std::clamp<std::int64_t>(need, 1, 65535));
      const auto R = static_cast<std::uint32_t>(s.inputs.size());
      switch (c.type) {
        case Correlation::Type::kEventCount: s.words = 2 + s.need; break;
        case Correlation::Type::kValueCount: s.words = 2 + 2 * s.need; break;
        case Correlation::Type::kTemporal:
        case Correlation::Type::kTemporalOrdered: s.words = 2 + R; break;
      }
      s.groups = GroupTable(s.words);
      spec_of[r] = static_cast<std::int32_t>(specs.size());
      specs.push_back(std::move(s));
    }
  }

  const CorrelationInput::Key* key_for(const CorrelationInput& in, std::uint32_t corr) const {
    for (const auto& k : in.keys)
      if (k.correlation == corr) return &k;
    return nullptr;
  }

  // A new group met a full table: counted, and warned about once per correlation.
  void drop_group(Spec& s) {
    ++stats.dropped_groups;
    if (!s.warned) {
      s.warned = true;
      log::warn(
          "correlation '{}': {} groups are live, the cap; new groups are not tracked "
          "until old ones expire (raise max_groups or narrow the rule)",
          engine->rules()[s.rule].title, options.max_groups);
    }
  }

  std::uint32_t* record(Spec& s, std::uint64_t group, std::uint32_t now) {
    if (std::uint32_t* r = s.groups.find(group)) return r;
    if (s.groups.size() >= options.max_groups) {
      sweep(s, now);
      if (s.groups.size() >= options.max_groups) {
        drop_group(s);
        return nullptr;
      }
    }
    return s.groups.insert(group);
  }

  void sweep(Spec& s, std::uint32_t now) {
    s.since_sweep = 0;
    const std::uint32_t span = s.span;
    s.groups.sweep([&](const std::uint32_t* words) {
      return static_cast<std::uint64_t>(words[0]) + span < now;
    });
  }

  void emit(const Spec& s, const CorrelationInput& in, const CorrelationInput::Key& key,
            std::uint64_t count, std::uint32_t window_start, std::vector<Finding>& out) {
    const std::uint32_t r = s.rule;
    if (engine->emits(r) || options.emit_all) {
      Finding f;
      set_rule(f, engine->rules()[r]);
      f.event = in.event;
      f.time = in.time;
      f.source = in.source;
      f.event_name = in.event_name;
      f.entities = in.entities;
      f.correlation_type = std::string(to_string(s.type));
      f.group = key.group_values;
      f.count = count;
      f.window_start = time_of(window_start);
      assign_id(f);
      out.push_back(std::move(f));
      ++stats.findings;
    }
    for (auto next : engine->consumers(r)) apply(next, in, r, out);
  }

  void close_windows(Spec& s, std::uint32_t now, bool all, std::vector<Finding>& out) {
    while (!s.window_ends.empty() && (all || s.window_ends.front().first < now)) {
      const std::uint64_t g = s.window_ends.front().second;
      s.window_ends.pop_front();
      auto it = s.windows.find(g);
      if (it == s.windows.end()) continue;
      Spec::Window w = std::move(it->second);
      s.windows.erase(it);
      if (bound_holds(s.bounds, w.count)) {
        const auto* key = key_for(w.last, s.rule);
        if (key) emit(s, w.last, *key, w.count, w.start, out);
      }
    }
  }

  void apply(std::uint32_t corr, const CorrelationInput& in, std::uint32_t from,
             std::vector<Finding>& out) {
    const std::int32_t si = spec_of[corr];
    if (si < 0) return;
    Spec& s = specs[static_cast<std::size_t>(si)];
    const CorrelationInput::Key* key = key_for(in, corr);
    if (key == nullptr) return;
    const std::uint32_t t = seconds_of(in.time);
    std::size_t pos = 0;
    while (pos < s.inputs.size() && s.inputs[pos] != from) ++pos;
    if (pos == s.inputs.size()) return;

    if (s.windowed) {
      close_windows(s, t, false, out);
      if (s.type == Correlation::Type::kValueCount && !key->has_value) return;
      auto [it, inserted] = s.windows.try_emplace(key->group);
      Spec::Window& w = it->second;
      if (inserted) {
        if (s.windows.size() > options.max_groups) {
          s.windows.erase(it);
          drop_group(s);
          return;
        }
        w.start = t;
        s.window_ends.emplace_back(static_cast<std::uint64_t>(t) + s.span, key->group);
      }
      if (s.type == Correlation::Type::kValueCount) {
        if (std::find(w.values.begin(), w.values.end(), key->value) == w.values.end() &&
            w.values.size() < 1000000) {
          w.values.push_back(key->value);
        }
        w.count = w.values.size();
      } else {
        ++w.count;
      }
      w.last = in;
      return;
    }

    if (++s.since_sweep > std::max<std::uint64_t>(1024, s.groups.size())) sweep(s, t);
    std::uint32_t* rec = record(s, key->group, t);
    if (rec == nullptr) return;
    rec[0] = std::max(rec[0], t);
    const std::uint32_t span = s.span;
    auto fresh = [&](std::uint32_t when) {
      return when != 0 && static_cast<std::uint64_t>(when) + span >= t;
    };
    auto reset = [&] { std::fill(rec + 1, rec + s.words, 0u); };

    switch (s.type) {
      case Correlation::Type::kEventCount: {
        const std::uint32_t K = s.need;
        std::uint32_t head = rec[1] >> 16, count = rec[1] & 0xFFFF;
        std::uint32_t* ring = rec + 2;
        while (count > 0 && !fresh(ring[head])) {
          head = (head + 1) % K;
          --count;
        }
        if (count == K) {  // cannot happen (we fire at K), kept for safety
          head = (head + 1) % K;
          --count;
        }
        ring[(head + count) % K] = t;
        ++count;
        if (count >= K) {
          const std::uint32_t start = ring[head];
          reset();
          emit(s, in, *key, count, start, out);
          return;
        }
        rec[1] = (head << 16) | count;
        break;
      }
      case Correlation::Type::kValueCount: {
        if (!key->has_value) return;
        const std::uint32_t K = s.need;
        std::uint32_t n = rec[1];
        std::uint32_t* pairs = rec + 2;  // (value hash, time)
        const auto vh = static_cast<std::uint32_t>(key->value ^ (key->value >> 32));
        // Drop expired values.
        std::uint32_t w = 0;
        for (std::uint32_t i = 0; i < n; ++i) {
          if (fresh(pairs[2 * i + 1])) {
            pairs[2 * w] = pairs[2 * i];
            pairs[2 * w + 1] = pairs[2 * i + 1];
            ++w;
          }
        }
        n = w;
        bool found = false;
        for (std::uint32_t i = 0; i < n; ++i) {
          if (pairs[2 * i] == vh) {
            pairs[2 * i + 1] = t;
            found = true;
          }
        }
        if (!found) {
          if (n == K) {  // full without firing cannot happen; evict the oldest for safety
            std::uint32_t oldest = 0;
            for (std::uint32_t i = 1; i < n; ++i)
              if (pairs[2 * i + 1] < pairs[2 * oldest + 1]) oldest = i;
            pairs[2 * oldest] = vh;
            pairs[2 * oldest + 1] = t;
          } else {
            pairs[2 * n] = vh;
            pairs[2 * n + 1] = t;
            ++n;
          }
        }
        if (n >= K) {
          std::uint32_t start = t;
          for (std::uint32_t i = 0; i < n; ++i) start = std::min(start, pairs[2 * i + 1]);
          reset();
          emit(s, in, *key, n, start, out);
          return;
        }
        rec[1] = n;
        break;
      }
      case Correlation::Type::kTemporal: {
        std::uint32_t* last = rec + 2;
        for (std::size_t p = 0; p < s.inputs.size(); ++p)
          if (s.inputs[p] == from) last[p] = t;
        std::uint64_t distinct = 0;
        std::uint32_t start = t;
        for (std::size_t p = 0; p < s.inputs.size(); ++p) {
          if (fresh(last[p])) {
            ++distinct;
            start = std::min(start, last[p]);
          }
        }
        const bool hit =
            s.bounds.empty() ? distinct == s.inputs.size() : bound_holds(s.bounds, distinct);
        if (hit) {
          reset();
          emit(s, in, *key, distinct, start, out);
        }
        break;
      }
      case Correlation::Type::kTemporalOrdered: {
        std::uint32_t* start = rec + 2;  // start time of the latest chain through position p
        const std::size_t R = s.inputs.size();
        for (std::size_t p = R; p-- > 0;) {
          if (s.inputs[p] != from) continue;
          if (p == 0) {
            start[0] = t;
          } else if (fresh(start[p - 1])) {
            start[p] = std::max(start[p], start[p - 1]);
          }
        }
        if (fresh(start[R - 1]) && s.inputs[R - 1] == from) {
          const std::uint32_t begin = start[R - 1];
          reset();
          emit(s, in, *key, R, begin, out);
        }
        break;
      }
    }
  }

  void process(const CorrelationInput& in, std::vector<Finding>& out) {
    ++stats.inputs;
    for (auto r : in.rules) {
      for (auto c : engine->consumers(r)) apply(c, in, r, out);
    }
  }

  void release(bool all, std::vector<Finding>& out) {
    const TimePoint limit = max_time - options.lateness;
    while (!buffer.empty() && (all || buffer.top().input.time <= limit)) {
      Pending p = std::move(const_cast<Pending&>(buffer.top()));
      buffer.pop();
      released = std::max(released, p.input.time);
      process(p.input, out);
    }
  }
};

Correlator::Correlator(std::shared_ptr<const Engine> engine, CorrelationOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->engine = std::move(engine);
  impl_->options = options;
  impl_->build();
}
Correlator::~Correlator() = default;
Correlator::Correlator(Correlator&&) noexcept = default;
Correlator& Correlator::operator=(Correlator&&) noexcept = default;

bool Correlator::wants(const std::vector<std::uint32_t>& matched) const noexcept {
  for (auto r : matched)
    if (!impl_->engine->consumers(r).empty()) return true;
  return false;
}

CorrelationInput Correlator::extract(const event::Event& e,
                                     const std::vector<std::uint32_t>& matched) const {
  CorrelationInput in;
  in.time = e.time();
  in.event = EventRef::of(e);
  in.source = e.source();
  in.event_name = std::string(e.name());
  in.entities = extract_entities(e);
  const Engine& engine = *impl_->engine;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> work;  // (correlation, input rule)
  for (auto r : matched) {
    if (engine.consumers(r).empty()) continue;
    in.rules.push_back(r);
    for (auto c : engine.consumers(r)) work.emplace_back(c, r);
  }
  for (std::size_t i = 0; i < work.size() && i < 4096; ++i) {
    const auto [c, from] = work[i];
    bool have = false;
    for (const auto& k : in.keys) have = have || k.correlation == c;
    if (have) continue;
    const std::int32_t si = impl_->spec_of[c];
    if (si < 0) continue;
    const Spec& s = impl_->specs[static_cast<std::size_t>(si)];
    std::size_t pos = 0;
    while (pos < s.inputs.size() && s.inputs[pos] != from) ++pos;
    if (pos == s.inputs.size()) continue;
    CorrelationInput::Key key;
    key.correlation = c;
    std::uint64_t h = 1469598103934665603ull;
    for (std::size_t g = 0; g < s.group_names.size(); ++g) {
      std::string value;
      if (auto v = e.get(s.group_paths[pos][g]); v && !v->is_null()) value = v->text();
      h = fnv1a(value, h);
      h = fnv1a("\x1f", h);
      key.group_values.emplace_back(s.group_names[g], std::move(value));
    }
    key.group = h;
    if (!s.value_path[pos].empty()) {
      if (auto v = e.get(s.value_path[pos]); v && !v->is_null()) {
        key.value = fnv1a(v->text());
        key.has_value = true;
      }
    }
    in.keys.push_back(std::move(key));
    for (auto next : engine.consumers(c)) work.emplace_back(next, c);
  }
  return in;
}

void Correlator::add(CorrelationInput input, std::vector<Finding>& out) {
  Impl& m = *impl_;
  input.sequence = m.sequence++;
  const TimePoint watermark = m.max_time - m.options.lateness;
  if (m.have_max && input.time < watermark && input.time < m.released) {  // already past
    ++m.stats.late;
    m.process(input, out);
    return;
  }
  if (!m.have_max || input.time > m.max_time) {
    m.max_time = input.time;
    m.have_max = true;
  }
  m.buffer.push(Impl::Pending{std::move(input)});
  m.release(false, out);
}

void Correlator::flush(std::vector<Finding>& out) {
  Impl& m = *impl_;
  m.release(true, out);
  for (auto& s : m.specs) {
    if (s.windowed) m.close_windows(s, 0, true, out);
  }
}

CorrelationStats Correlator::stats() const {
  CorrelationStats s = impl_->stats;
  s.live_groups = 0;
  s.state_bytes = 0;
  for (const auto& sp : impl_->specs) {
    s.live_groups += sp.groups.size() + sp.windows.size();
    s.state_bytes += sp.groups.bytes();
  }
  return s;
}

}  // namespace firebreak::detect
