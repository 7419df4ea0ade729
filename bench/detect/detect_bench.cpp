// Detection benchmarks, each measured against a bare simdjson parse of the same bytes in the same
// run (docs/performance.md has the figures and targets). One run does everything:
//   1. throughput: the 57 SigmaHQ CloudTrail rules over the synthetic 200k-record corpus
//      (`events generate`'s generator, JSON Lines in memory): read + match vs bare parse_many;
//   2. rule scaling: per-event match time of 10 vs 1,000 generated eventName-anchored rules, and of
//      10 vs 1,000 unanchored `contains` rules (Matcher::match timed alone while events stream);
//   3. compile time of 1,000 and 10,000 rules;
//   4. correlation: matches/s through an event_count correlation with 50k live group keys, and
//      the state per key (the correlator's own count and the heap growth);
//   5. threads: `detect_files` over the corpus as gzip delivery files with 1 and 2 threads.
// Best of --repeat runs.
//
// Usage: bench_detect [--records N] [--repeat R] [--testdata DIR] [--dir TMPDIR]
//                     [--only throughput|scaling|compile|correlation|threads] [--clock cpu|wall]
// --clock cpu times single-threaded rows in CPU time of the measuring thread (for a machine shared
// with other work); the threads section and the threaded reference parse are always wall time.

#include <fmt/format.h>
#include <malloc.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench_clock.h"
#include "firebreak/core/fs.h"
#include "firebreak/detect/correlation.h"
#include "firebreak/detect/detector.h"
#include "firebreak/detect/engine.h"
#include "firebreak/detect/loader.h"
#include "firebreak/event/generate.h"
#include "firebreak/event/reader.h"

namespace fs = std::filesystem;
using namespace firebreak;

namespace {

bool g_cpu_clock = false;  // --clock cpu

// Best of `repeat` runs in wall time.
double best_of_wall(int repeat, const std::function<void()>& fn) {
  return bench::best_of(repeat, false, fn);
}

// Best of `repeat` runs of single-threaded work: wall time, or with --clock cpu the CPU time of
// the measuring thread.
double best_of(int repeat, const std::function<void()>& fn) {
  return bench::best_of(repeat, g_cpu_clock, fn);
}

// Bare baseline: simdjson DOM parse of every line, touching each document.
// The baseline parse runs on one thread, like the reader and matcher it is compared with:
// Debian's simdjson is built with SIMDJSON_THREADS_ENABLED, and parse_many would otherwise run
// its stage 1 on a second thread. `threaded` gives that two-thread figure as a reference only.
std::uint64_t bare_parse_lines(const std::string& bytes, bool threaded = false) {
  simdjson::dom::parser parser;
  parser.threaded = threaded;
  simdjson::dom::document_stream stream;
  std::uint64_t n = 0;
  if (parser.parse_many(bytes.data(), bytes.size(), 1 << 20).get(stream)) return 0;
  for (auto doc : stream) {
    simdjson::dom::element e;
    if (!doc.get(e)) ++n;
  }
  return n;
}

class MatchSink final : public event::EventSink {
 public:
  explicit MatchSink(detect::Matcher* m) : m_(m) {}
  void on_event(const event::Event& e) override {
    ++events;
    if (m_) {
      out_.clear();
      m_->match(e, out_);
      matches += out_.size();
    }
  }
  void on_error(const Error&) override { ++errors; }
  std::uint64_t events = 0, matches = 0, errors = 0;

 private:
  detect::Matcher* m_;
  std::vector<std::uint32_t> out_;
};

std::shared_ptr<const detect::Engine> compile_text(const std::string& yaml, double* seconds,
                                                   std::size_t* rules) {
  const auto t0 = std::chrono::steady_clock::now();
  detect::RuleSet set = detect::load_rules_text(yaml, "generated.yml");
  auto e = detect::Engine::compile(set);
  const auto t1 = std::chrono::steady_clock::now();
  if (seconds) *seconds = std::chrono::duration<double>(t1 - t0).count();
  if (!e) {
    fmt::print(stderr, "compile failed: {}\n", e.error().describe());
    std::exit(1);
  }
  if (rules) *rules = (*e)->stats().rules;
  return *e;
}

// Rule i is anchored on eventName names[i] (the corpus's own names first, then names the corpus
// never uses) and also needs a user agent that rarely occurs. With `cycle`, rules reuse the
// corpus's names instead (n / names rules per name: every event meets many candidates).
std::string anchored_rules(std::size_t n, const std::vector<std::string>& names, bool cycle) {
  std::string y;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name =
        cycle || i < names.size() ? names[i % names.size()] : fmt::format("SyntheticApiCall{}", i);
    y += fmt::format(
        "title: anchored {}\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n"
        "  sel:\n    eventName: '{}'\n    userAgent|contains: 'agent-{}/'\n  condition: sel\n---\n",
        i, name, i);
  }
  return y;
}

std::string contains_rules(std::size_t n) {
  std::string y;
  for (std::size_t i = 0; i < n; ++i) {
    y += fmt::format(
        "title: contains {0}\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n"
        "  sel:\n    userAgent|contains: 'scanner-{0}/'\n  condition: sel\n---\n",
        i);
  }
  return y;
}

// Times Matcher::match alone, per event, with the time-stamp counter around each call (a few
// cycles of overhead), while a reader streams the events: the document a rule reads is hot in
// cache, as in production. Converted to ns by calibrating the counter against steady_clock.
class TimedMatchSink final : public event::EventSink {
 public:
  explicit TimedMatchSink(detect::Matcher* m) : m_(m) {}
  void on_event(const event::Event& e) override {
    out_.clear();
    const std::uint64_t t0 = __builtin_ia32_rdtsc();
    m_->match(e, out_);
    cycles += __builtin_ia32_rdtsc() - t0;
    ++events;
  }
  void on_error(const Error&) override {}
  std::uint64_t cycles = 0, events = 0;

 private:
  detect::Matcher* m_;
  std::vector<std::uint32_t> out_;
};

double ns_per_cycle() {
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t c0 = __builtin_ia32_rdtsc();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200)) {
  }
  const std::uint64_t c1 = __builtin_ia32_rdtsc();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(c1 - c0);
}

double match_ns_per_event(const std::shared_ptr<const detect::Engine>& engine,
                          const std::string& bytes, int repeat) {
  static const double kNsPerCycle = ns_per_cycle();
  event::Reader reader;
  detect::Matcher m(engine);
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    TimedMatchSink sink(&m);
    (void)reader.read_buffer(bytes, "sample.jsonl", sink);
    best = std::min(
        best, static_cast<double>(sink.cycles) * kNsPerCycle / static_cast<double>(sink.events));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t records = 200000;
  int repeat = 3;
  fs::path testdata = fs::path(FIREBREAK_SOURCE_DIR) / "../shared/testdata";
  fs::path dir = fs::temp_directory_path() / "firebreak-bench-detect";
  std::string only;  // run one section: throughput, scaling, compile, correlation, threads
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--records" && i + 1 < argc) {
      records = std::stoull(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::stoi(argv[++i]);
    } else if (a == "--testdata" && i + 1 < argc) {
      testdata = argv[++i];
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--clock" && i + 1 < argc) {
      const std::string c = argv[++i];
      if (c != "cpu" && c != "wall") {
        fmt::print(stderr, "--clock: cpu or wall, not {}\n", c);
        return 2;
      }
      g_cpu_clock = c == "cpu";
    } else {
      fmt::print(
          stderr,
          "usage: {} [--records N] [--repeat R] [--testdata DIR] [--dir DIR] [--only SECTION] "
          "[--clock cpu|wall]\n",
          argv[0]);
      return 2;
    }
  }

  // ---- corpus ----
  event::GenerateOptions gopts;
  gopts.count = records;
  event::CorpusGenerator gen(gopts);
  event::GeneratedRecord rec;
  std::string corpus;
  std::vector<std::string> names;
  while (gen.next(rec)) {
    corpus += rec.json;
    corpus += '\n';
  }
  const double mb = static_cast<double>(corpus.size()) / 1e6;
  fmt::print("corpus: {} records, {:.1f} MB of JSON Lines\n", records, mb);

  auto run = [&](std::string_view section) { return only.empty() || only == section; };
  const fs::path sigma = testdata / "sigma/rules/cloud/aws/cloudtrail";
  event::Reader reader;

  // ---- 1. throughput: 57 SigmaHQ rules vs bare parse ----
  if (run("throughput")) {
    std::uint64_t parsed = 0;
    const double t_bare = best_of(repeat, [&] { parsed = bare_parse_lines(corpus); });
    fmt::print("bare simdjson parse_many, 1 thread: {:.0f} MB/s ({:.0f} ns/record, {} docs)\n",
               mb / t_bare, t_bare * 1e9 / static_cast<double>(records), parsed);
    const double t_threaded = best_of_wall(repeat, [&] { (void)bare_parse_lines(corpus, true); });
    fmt::print("  reference: parse_many with its stage-1 thread: {:.0f} MB/s\n", mb / t_threaded);
    MatchSink none(nullptr);
    const double t_read = best_of(repeat, [&] {
      none = MatchSink(nullptr);
      (void)reader.read_buffer(corpus, "corpus.jsonl", none);
    });
    fmt::print("firebreak read only: {:.0f} MB/s ({:.0f}% of bare)\n", mb / t_read,
               100.0 * t_bare / t_read);
    if (fs::exists(sigma)) {
      detect::RuleSet set = detect::load_rules({sigma});
      auto engine = detect::Engine::compile(set);
      if (!engine) return 1;
      detect::Matcher m(*engine);
      MatchSink sink(&m);
      const double t57 = best_of(repeat, [&] {
        sink = MatchSink(&m);
        (void)reader.read_buffer(corpus, "corpus.jsonl", sink);
      });
      fmt::print(
          "57 SigmaHQ rules ({} loaded): read+match {:.0f} MB/s = {:.0f}% of bare parse "
          "(target >= 60%), {} matches\n",
          set.rules.size(), mb / t57, 100.0 * t_bare / t57, sink.matches);
    } else {
      fmt::print("57 SigmaHQ rules: skipped ({} not found)\n", sigma.string());
    }
  }

  // ---- 2. rule scaling over pre-parsed events ----
  if (run("scaling") || run("compile")) {
    // The scaling sample: the first 50k records (or all) and the distinct eventNames.
    std::string sample_bytes;
    std::uint64_t sample_events = 0;
    {
      std::size_t pos = 0;
      while (pos < corpus.size() && sample_events < 50000) {
        const std::size_t end = corpus.find('\n', pos);
        sample_bytes.append(corpus, pos, end - pos + 1);
        pos = end + 1;
        ++sample_events;
      }
      struct Names final : event::EventSink {
        std::vector<std::string>* names;
        void on_event(const event::Event& e) override {
          const std::string n(e.name());
          if (names->size() < 200 && std::find(names->begin(), names->end(), n) == names->end())
            names->push_back(n);
        }
        void on_error(const Error&) override {}
      } collect;
      collect.names = &names;
      (void)reader.read_buffer(sample_bytes, "sample.jsonl", collect);
    }
    const double t_sample_bare = best_of(repeat, [&] { (void)bare_parse_lines(sample_bytes); });
    const double bare_ns = t_sample_bare * 1e9 / static_cast<double>(sample_events);
    fmt::print(
        "rule scaling over {} events ({} distinct eventNames); bare parse of the same bytes: "
        "{:.0f} ns/event; match time = Matcher::match alone (time-stamp counter)\n",
        sample_events, names.size(), bare_ns);
    if (run("scaling")) {
      double c10 = 0, c1000 = 0;
      std::size_t n10 = 0, n1000 = 0;
      auto a10 = compile_text(anchored_rules(10, names, false), &c10, &n10);
      auto a1000 = compile_text(anchored_rules(1000, names, false), &c1000, &n1000);
      const double m_a10 = match_ns_per_event(a10, sample_bytes, repeat);
      const double m_a1000 = match_ns_per_event(a1000, sample_bytes, repeat);
      fmt::print(
          "eventName-anchored (distinct names): 10 rules {:.0f} ns/event, 1000 rules {:.0f} "
          "ns/event: {:.2f}x (target <= 1.5x); with parse: {:.2f}x\n",
          m_a10, m_a1000, m_a1000 / m_a10, (bare_ns + m_a1000) / (bare_ns + m_a10));
      auto w1000 = compile_text(anchored_rules(1000, names, true), nullptr, nullptr);
      const double m_w1000 = match_ns_per_event(w1000, sample_bytes, repeat);
      fmt::print(
          "eventName-anchored worst case (1000 rules on the corpus's {} names, ~{} candidates "
          "per event): {:.0f} ns/event = {:.2f}x of 10; with parse: {:.2f}x\n",
          names.size(), 1000 / std::max<std::size_t>(1, names.size()), m_w1000, m_w1000 / m_a10,
          (bare_ns + m_w1000) / (bare_ns + m_a10));
      auto k10 = compile_text(contains_rules(10), nullptr, nullptr);
      double ck1000 = 0;
      auto k1000 = compile_text(contains_rules(1000), &ck1000, nullptr);
      const double m_k10 = match_ns_per_event(k10, sample_bytes, repeat);
      const double m_k1000 = match_ns_per_event(k1000, sample_bytes, repeat);
      fmt::print(
          "unanchored contains: 10 rules {:.0f} ns/event, 1000 rules {:.0f} ns/event: {:.2f}x "
          "(target <= 3x); with parse: {:.2f}x\n",
          m_k10, m_k1000, m_k1000 / m_k10, (bare_ns + m_k1000) / (bare_ns + m_k10));
    }
    // ---- 3. compile time ----
    if (run("compile")) {
      double c1000 = 0, ck1000 = 0, ck10000 = 0, ca10000 = 0;
      std::size_t n10000 = 0;
      (void)compile_text(anchored_rules(1000, names, false), &c1000, nullptr);
      (void)compile_text(contains_rules(1000), &ck1000, nullptr);
      (void)compile_text(contains_rules(10000), &ck10000, &n10000);
      (void)compile_text(anchored_rules(10000, names, false), &ca10000, nullptr);
      fmt::print(
          "compile (load YAML + compile): 1000 anchored {:.3f} s, 1000 contains {:.3f} s "
          "(target <= 0.5 s); 10000 anchored {:.3f} s, 10000 contains {:.3f} s "
          "(target <= 5 s)\n",
          c1000, ck1000, ca10000, ck10000);
      (void)n10000;
    }
  }

  // ---- 4. correlation ----
  if (run("correlation")) {
    const std::string yaml =
        "title: base\nname: base\nlogsource: {product: aws, service: cloudtrail}\n"
        "detection: {s: {eventName: X}, condition: s}\n---\n"
        "title: burst\ncorrelation: {type: event_count, rules: [base], "
        "group-by: [userIdentity.arn], timespan: 1h, condition: {gte: 20}}\n";
    auto engine = compile_text(yaml, nullptr, nullptr);
    const std::uint32_t corr = 1;
    const std::size_t keys = 50000, total = 2000000;
    std::vector<detect::CorrelationInput> inputs(total);
    const auto file = std::make_shared<const std::string>("x");
    for (std::size_t i = 0; i < total; ++i) {
      auto& in = inputs[i];
      in.time = from_unix_seconds(1714953600 + static_cast<std::int64_t>(i / 1000));
      in.rules = {0};
      detect::CorrelationInput::Key k;
      k.correlation = corr;
      // a spread of keys (a multiplicative hash of the key number)
      k.group = (i % keys) * 0x9E3779B97F4A7C15ull;
      in.keys.push_back(std::move(k));
      in.event.file = file;
    }
    detect::CorrelationOptions copts;
    copts.lateness = Duration::zero();
    std::vector<detect::Finding> out;
    detect::CorrelationStats st;
    // State per key: the heap growth after 19 matches per key (every key live, none fired yet,
    // so no finding is allocated), divided by the keys.
    double heap_per_key = 0;
    {
      // allocated bytes: arena chunks in use plus mmap'ed blocks (big vectors)
      auto heap = [] {
        const auto m = mallinfo2();
        return m.uordblks + m.hblkhd;
      };
      const std::size_t before = heap();
      detect::Correlator c(engine, copts);
      for (std::size_t i = 0; i < keys * 19; ++i) c.add(inputs[i], out);
      const auto s19 = c.stats();
      heap_per_key = static_cast<double>(heap() - before) / static_cast<double>(s19.live_groups);
    }
    const double t = best_of(repeat, [&] {
      out.clear();
      detect::Correlator c(engine, copts);
      for (auto& in : inputs) c.add(in, out);
      st = c.stats();
    });
    fmt::print(
        "correlation event_count gte 20, {} live keys: {:.2f} M matches/s (target >= 1M/s), "
        "{} findings; state {:.0f} bytes/key by the correlator's count, {:.0f} bytes/key "
        "measured heap growth (target <= 128)\n",
        st.live_groups, static_cast<double>(total) / t / 1e6, out.size(),
        static_cast<double>(st.state_bytes) / static_cast<double>(st.live_groups), heap_per_key);
  }

  // ---- 5. threads over gzip delivery files ----
  if (run("threads")) {
    fs::remove_all(dir);
    auto w = event::write_corpus(gopts, dir, event::CorpusLayout::kDelivery);
    if (!w) {
      fmt::print(stderr, "write_corpus: {}\n", w.error().describe());
      return 1;
    }
    // bare: inflate + simdjson parse of every file, one thread
    auto files = expand_paths({dir});
    std::uint64_t bare_docs = 0;
    const double t_bare_gz = best_of_wall(repeat, [&] {
      simdjson::dom::parser parser;
      for (const auto& f : *files) {
        gzFile gz = gzopen(f.c_str(), "rb");
        std::string data;
        char buf[1 << 16];
        int n;
        while ((n = gzread(gz, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
        gzclose(gz);
        simdjson::dom::element root;
        if (!parser.parse(data).get(root)) {
          simdjson::dom::array recs;
          if (!root["Records"].get(recs)) bare_docs += recs.size();
        }
      }
    });
    const double gz_mb = static_cast<double>(w->bytes) / 1e6;
    fmt::print(
        "delivery files: {} files, {:.1f} MB JSON; bare inflate+parse (1 thread) {:.0f} "
        "MB/s\n",
        w->files, gz_mb, gz_mb / t_bare_gz);
    if (fs::exists(sigma)) {
      detect::RuleSet set = detect::load_rules({sigma});
      auto engine = detect::Engine::compile(set);
      double t1 = 0, t2 = 0;
      for (std::size_t threads : {1u, 2u}) {
        detect::DetectOptions o;
        o.threads = threads;
        const double t = best_of_wall(repeat, [&] {
          auto s = detect::detect_files(
              *engine, {dir}, o, [](const detect::Finding&) {}, [](const Error&) {});
          if (!s) std::exit(1);
        });
        (threads == 1 ? t1 : t2) = t;
        fmt::print("detect_files 57 rules, {} thread(s): {:.0f} MB/s = {:.0f}% of bare\n", threads,
                   gz_mb / t, 100.0 * t_bare_gz / t);
      }
      fmt::print("threads: 2 threads = {:.2f}x one thread (target >= 1.8x)\n", t1 / t2);
    }
    fs::remove_all(dir);
  }
  return 0;
}
