// Ingest throughput of the event readers against bare baselines on the same bytes, and memory
// against file size. One run does everything:
//   1. generates a synthetic CloudTrail corpus (`events generate`'s generator): gzip delivery
//      files, one JSON Lines file, and that file gzipped; plus a corpus twice as large for memory;
//   2. JSON: firebreak's ingest (read + parse + normalised fields, events delivered to a sink)
//      vs a bare simdjson parse of the same bytes (DOM, parse_many for lines; documents one by
//      one for delivery files), both from memory or page cache;
//   3. gzip: firebreak's ingest of .gz input vs bare zlib inflate of the same files (and libdeflate
//      for reference), serial and with two threads (files in parallel; one big file pipelined:
//      the calling thread inflates while a worker parses);
//   4. memory: maximum RSS of a child process reading the gzip JSON Lines of each corpus size.
// Figures are MB/s of uncompressed JSON. Best of --repeat runs. Each row keeps its reader (or
// parser) across repeats, as a process reading many files does: the baselines reuse their simdjson
// parser, so a fresh reader per repeat would charge firebreak alone for allocating and faulting in
// its buffers.
//
// Usage: bench_event_ingest [--records N] [--repeat R] [--dir DIR] [--rss-read FILE]

#include <fmt/format.h>
#include <libdeflate.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench_clock.h"
#include "firebreak/core/fs.h"
#include "firebreak/event/generate.h"
#include "firebreak/event/parallel.h"
#include "firebreak/event/reader.h"

namespace fs = std::filesystem;
using namespace firebreak;

namespace {

class CountSink final : public event::EventSink {
 public:
  explicit CountSink(bool touch = false) : touch_(touch) {}
  void on_event(const event::Event& e) override {
    ++events;
    names += e.name().size() + e.service().size();
    if (touch_) {
      // What a handful of Sigma rules read per event.
      if (auto v = e.get(arn_)) names += v->string().value_or("").size();
      if (auto v = e.get(agent_)) names += v->string().value_or("").size();
      if (auto v = e.get(error_)) names += v->is_null() ? 0 : 1;
    }
  }
  void on_error(const Error& e) override {
    ++errors;
    if (errors < 5) fmt::print(stderr, "error: {}\n", e.describe());
  }
  std::uint64_t events = 0, errors = 0, names = 0;

 private:
  bool touch_;
  event::FieldPath arn_{"userIdentity.arn"}, agent_{"userAgent"}, error_{"errorCode"};
};

// --clock cpu measures single-threaded rows in CPU time of the measuring thread (user + system,
// CLOCK_THREAD_CPUTIME_ID), which other processes competing for the cores do not inflate; rows
// that use more than one thread are always wall time.
bool g_cpu_clock = false;

double seconds_of(const std::function<void()>& fn, int repeat, bool threads = false) {
  return bench::best_of(repeat, g_cpu_clock && !threads, fn);
}

std::string slurp(const fs::path& p) {
  auto r = read_file(p, 1ull << 34);
  if (!r) {
    fmt::print(stderr, "{}\n", r.error().describe());
    std::exit(4);
  }
  return std::move(*r);
}

std::string inflate_zlib(std::string_view gz, std::size_t* out_bytes = nullptr) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 32);
  std::string out;
  std::vector<char> buf(256u << 10);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::size_t total = 0;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    total += buf.size() - zs.avail_out;
    if (!out_bytes) out.append(buf.data(), buf.size() - zs.avail_out);
    if (rc != Z_OK) break;
  }
  inflateEnd(&zs);
  if (out_bytes) *out_bytes = total;
  return out;
}

void gzip_file(const fs::path& in, const fs::path& out) {
  std::ifstream src(in, std::ios::binary);
  gzFile gz = gzopen(out.c_str(), "wb6");
  std::vector<char> buf(1u << 20);
  while (src) {
    src.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (src.gcount() > 0) gzwrite(gz, buf.data(), static_cast<unsigned>(src.gcount()));
  }
  gzclose(gz);
}

// The child reports its own peak (VmHWM): getrusage's ru_maxrss would carry the parent's peak
// across fork + exec.
long child_max_rss_kb(const char* self, const fs::path& file) {
  const std::string cmd = std::string(self) + " --rss-read '" + file.string() + "'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  long kb = -1;
  if (p) {
    if (std::fscanf(p, "%ld", &kb) != 1) kb = -1;
    ::pclose(p);
  }
  return kb;
}

long own_peak_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

struct Corpus {
  fs::path dir;
  std::vector<fs::path> gz_files;
  fs::path jsonl, jsonl_gz;
  std::uint64_t json_bytes = 0;
};

Corpus make_corpus(const fs::path& dir, std::uint64_t records) {
  Corpus c;
  c.dir = dir;
  const event::GenerateOptions o{.count = records, .seed = 2024};
  if (!fs::exists(dir / "delivery")) {
    if (!event::write_corpus(o, dir / "delivery", event::CorpusLayout::kDelivery)) std::exit(4);
    if (!event::write_corpus(o, dir, event::CorpusLayout::kJsonLines)) std::exit(4);
    gzip_file(dir / "cloudtrail.jsonl", dir / "cloudtrail.jsonl.gz");
  }
  c.gz_files = *expand_paths({dir / "delivery"});
  c.jsonl = dir / "cloudtrail.jsonl";
  c.jsonl_gz = dir / "cloudtrail.jsonl.gz";
  c.json_bytes = fs::file_size(c.jsonl);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t records = 200000;
  int repeat = 3;
  std::string only;  // one section: jsonl, docs, gz, gzlines, rss
  fs::path dir = fs::temp_directory_path() / "firebreak-bench-event";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--records" && i + 1 < argc)
      records = std::stoull(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc)
      repeat = std::stoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--clock" && i + 1 < argc)
      g_cpu_clock = std::string_view(argv[++i]) == "cpu";
    else if (a == "--rss-read" && i + 1 < argc) {
      event::Reader reader;
      CountSink sink;
      reader.read_file(argv[++i], sink);
      fmt::print("{}\n", own_peak_kb());
      return sink.events > 0 ? 0 : 1;
    } else {
      fmt::print(stderr,
                 "usage: {} [--records N] [--repeat R] [--dir DIR] "
                 "[--only jsonl|docs|gz|gzlines|rss] [--clock wall|cpu]\n",
                 argv[0]);
      return 2;
    }
  }
  fmt::print("corpus: {} records, seed 2024, in {}; clock: {}\n", records, dir.string(),
             g_cpu_clock ? "CPU time of the measuring thread (multi-threaded rows: wall)" : "wall");
  const Corpus c = make_corpus(dir / std::to_string(records), records);
  fmt::print("  {} gzip delivery files, {:.1f} MB of JSON ({:.0f} bytes/record)\n",
             c.gz_files.size(), static_cast<double>(c.json_bytes) / 1e6,
             static_cast<double>(c.json_bytes) / static_cast<double>(records));

  auto mbps = [&](double bytes, double s) { return bytes / s / 1e6; };
  auto line = [&](std::string_view what, double bytes, double s, double base) {
    const double v = mbps(bytes, s);
    if (base > 0)
      fmt::print("  {:<58} {:8.1f} MB/s  {:5.1f}%\n", what, v, 100.0 * v / base);
    else
      fmt::print("  {:<58} {:8.1f} MB/s\n", what, v);
  };

  auto want = [&](std::string_view section) { return only.empty() || only == section; };

  // ---- JSON Lines (uncompressed) ----
  if (want("jsonl")) {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(c.jsonl.string()).get(text)) std::exit(4);
    const double bytes = static_cast<double>(c.json_bytes);
    std::uint64_t docs = 0;
    simdjson::dom::parser p;
    // The baseline is single-threaded, like the reader it is compared with: simdjson built with
    // threads (Debian's is) runs parse_many's stage 1 on a second thread unless told not to.
    p.threaded = false;
    auto parse_many = [&](simdjson::dom::parser& parser) {
      docs = 0;
      simdjson::dom::document_stream stream;
      if (parser.parse_many(text, 1u << 20).get(stream)) std::exit(4);
      for (auto doc : stream) docs += doc.error() ? 0 : 1;
    };
    const double bare = seconds_of([&] { parse_many(p); }, repeat);
    fmt::print("\nJSON Lines, {} records\n", docs);
    const double base = mbps(bytes, bare);
    line("bare simdjson parse_many, 1 thread (from memory) = baseline", bytes, bare, 0);
    simdjson::dom::parser threaded;
    const double bare2 = seconds_of([&] { parse_many(threaded); }, repeat, true);
    line("bare simdjson parse_many, stage 1 on a 2nd thread (reference)", bytes, bare2, base);
    // Reference: what one parse per line costs (the reader parses each line on its own, so a bad
    // line costs only itself).
    std::uint64_t lines_ok = 0;
    const double per_line = seconds_of(
        [&] {
          lines_ok = 0;
          const char* b = text.data();
          const char* e = b + text.size();
          while (b < e) {
            const char* nl = static_cast<const char*>(std::memchr(b, '\n', e - b));
            if (!nl) nl = e;
            simdjson::dom::element root;
            if (nl > b && !p.parse(b, nl - b, false).get(root)) ++lines_ok;
            b = nl + 1;
          }
        },
        repeat);
    line("bare simdjson parse, one document per line (reference)", bytes, per_line, base);
    // Baseline for the rows that read the file: reading it (page cache, 1 MiB read()s into one
    // reused buffer, what any streaming reader must do) plus the bare parse from memory above.
    // Loading it whole into fresh memory instead would make the baseline slower (page faults) and
    // flatter the reader.
    std::vector<char> chunk(1u << 20);
    const double read_only = seconds_of(
        [&] {
          std::FILE* f = std::fopen(c.jsonl.c_str(), "rb");
          if (!f) std::exit(4);
          while (std::fread(chunk.data(), 1, chunk.size(), f) > 0) {
          }
          std::fclose(f);
        },
        repeat);
    const double bare_file = read_only + bare;
    const double base_file = mbps(bytes, bare_file);
    line("bare read() of the file in 1 MiB chunks (page cache)", bytes, read_only, 0);
    line("bare read() + bare parse_many = file baseline", bytes, bare_file, 0);
    event::Reader r_ingest;  // kept across repeats, like the baseline's parser
    CountSink s1;
    const double ingest = seconds_of(
        [&] {
          s1 = CountSink();
          r_ingest.read_file(c.jsonl, s1);
        },
        repeat);
    line("firebreak ingest, 1 thread (file, from page cache) vs file baseline", bytes, ingest,
         base_file);
    event::Reader r_mem;  // kept across repeats, like the baseline's parser
    CountSink s0;
    const double mem = seconds_of(
        [&] {
          s0 = CountSink();
          r_mem.read_buffer(std::string_view(text.data(), text.size()), "x.jsonl", s0);
        },
        repeat);
    line("firebreak ingest, 1 thread (from memory)", bytes, mem, base);
    // The same bytes through read_padded, which parses them in place (the padded_string gives
    // simdjson's padding after them) instead of copying them into the reader's window.
    event::Reader r_padded;  // kept across repeats, like the baseline's parser
    CountSink s3;
    const double padded = seconds_of(
        [&] {
          s3 = CountSink();
          r_padded.read_padded(std::string_view(text.data(), text.size()), "x.jsonl", s3);
        },
        repeat);
    line("firebreak ingest, 1 thread, read_padded (in place, memory)", bytes, padded, base);
    CountSink s2(true);
    event::Reader r_touched;  // kept across repeats, like the baseline's parser
    const double touched = seconds_of(
        [&] {
          s2 = CountSink(true);
          r_touched.read_file(c.jsonl, s2);
        },
        repeat);
    line("firebreak ingest + 3 field reads per event (file) vs file baseline", bytes, touched,
         base_file);
    std::uint64_t n = 0;
    const double par = seconds_of(
        [&] {
          auto res =
              event::read_parallel({c.jsonl}, {}, {.threads = 2, .split_min_bytes = 1u << 20},
                                   [](std::size_t) { return std::make_unique<CountSink>(); });
          n = res.summary.events;
        },
        repeat, true);
    line("firebreak ingest, 2 threads (chunks of lines, wall) vs 2-thread bare", bytes, par,
         mbps(bytes, bare2));
    if (s1.events != docs || s2.events != docs || s3.events != docs || n != docs) {
      fmt::print(stderr, "event counts differ: {} {} {} {} vs {}\n", s1.events, s2.events,
                 s3.events, n, docs);
      return 4;
    }
  }

  // ---- delivery files, uncompressed in memory ----
  if (want("docs")) {
    std::vector<simdjson::padded_string> docs;
    double bytes = 0;
    for (const auto& f : c.gz_files) {
      docs.emplace_back(inflate_zlib(slurp(f)));
      bytes += static_cast<double>(docs.back().size());
    }
    simdjson::dom::parser p;
    std::uint64_t recs = 0;
    const double bare = seconds_of(
        [&] {
          recs = 0;
          for (const auto& d : docs) {
            simdjson::dom::element root;
            if (p.parse(d).get(root)) std::exit(4);
            recs += root["Records"].get_array().size();
          }
        },
        repeat);
    fmt::print("\nDelivery documents {{\"Records\":[...]}}, uncompressed, {} files, {} records\n",
               docs.size(), recs);
    const double base = mbps(bytes, bare);
    line("bare simdjson parse (from memory)", bytes, bare, 0);
    event::Reader r_ingest;  // kept across repeats, like the baseline's parser
    CountSink s;
    const double ingest = seconds_of(
        [&] {
          s = CountSink();
          for (const auto& d : docs)
            r_ingest.read_buffer(std::string_view(d.data(), d.size()), "doc", s);
        },
        repeat);
    line("firebreak ingest, 1 thread (from memory)", bytes, ingest, base);
    event::Reader r_padded;  // kept across repeats, like the baseline's parser
    CountSink sp;
    const double padded = seconds_of(
        [&] {
          sp = CountSink();
          for (const auto& d : docs)
            r_padded.read_padded(std::string_view(d.data(), d.size()), "doc", sp);
        },
        repeat);
    line("firebreak ingest, 1 thread, read_padded (in place, memory)", bytes, padded, base);
    if (s.events != recs || sp.events != recs) return 4;
  }

  // ---- gzip ----
  if (want("gz") || want("gzlines")) {
    std::vector<std::string> gz;
    for (const auto& f : c.gz_files) gz.push_back(slurp(f));
    double bytes = 0;
    const double bare = seconds_of(
        [&] {
          bytes = 0;
          for (const auto& g : gz) {
            std::size_t n = 0;
            inflate_zlib(g, &n);
            bytes += static_cast<double>(n);
          }
        },
        repeat);
    fmt::print("\nGzip delivery files (.json.gz), {} files\n", gz.size());
    const double base = mbps(bytes, bare);
    line("bare zlib inflate (from memory, output discarded)", bytes, bare, 0);
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    std::string out;
    const double ld = seconds_of(
        [&] {
          for (const auto& g : gz) {
            const std::uint32_t isize = static_cast<std::uint32_t>(
                static_cast<unsigned char>(g[g.size() - 4]) |
                static_cast<unsigned char>(g[g.size() - 3]) << 8 |
                static_cast<unsigned char>(g[g.size() - 2]) << 16 |
                static_cast<std::uint32_t>(static_cast<unsigned char>(g[g.size() - 1])) << 24);
            out.resize(isize);
            std::size_t got = 0;
            libdeflate_gzip_decompress(d, g.data(), g.size(), out.data(), out.size(), &got);
          }
        },
        repeat);
    libdeflate_free_decompressor(d);
    line("bare libdeflate (reference, whole buffers)", bytes, ld, base);
    event::Reader r_serial;  // kept across repeats, like the baseline's parser
    CountSink s;
    const double serial = seconds_of(
        [&] {
          s = CountSink();
          for (const auto& g : gz) r_serial.read_buffer(g, "x.json.gz", s);
        },
        repeat);
    line("firebreak ingest, 1 thread (inflate then parse)", bytes, serial, base);
    std::uint64_t n = 0;
    const double par = seconds_of(
        [&] {
          auto res =
              event::read_parallel({c.dir / "delivery"}, {}, {.threads = 2},
                                   [](std::size_t) { return std::make_unique<CountSink>(); });
          n = res.summary.events;
        },
        repeat, true);
    line("firebreak ingest, 2 threads (files in parallel, from disk)", bytes, par, base);
    if (s.events != records || n != records) {
      fmt::print(stderr, "event counts differ: {} {} vs {}\n", s.events, n, records);
      return 4;
    }

    // One big gzip JSON Lines file.
    const std::string big = slurp(c.jsonl_gz);
    double big_bytes = 0;
    const double bare_big = seconds_of(
        [&] {
          std::size_t k = 0;
          inflate_zlib(big, &k);
          big_bytes = static_cast<double>(k);
        },
        repeat);
    fmt::print("\nOne gzip JSON Lines file ({:.1f} MB compressed)\n",
               static_cast<double>(big.size()) / 1e6);
    const double base_big = mbps(big_bytes, bare_big);
    line("bare zlib inflate (from memory, output discarded)", big_bytes, bare_big, 0);
    event::Reader r_big;  // one reader for every repeat, as for the rows above
    const double ser_big = seconds_of(
        [&] {
          CountSink k;
          r_big.read_file(c.jsonl_gz, k);
        },
        repeat);
    line("firebreak ingest, 1 thread (streaming inflate + parse)", big_bytes, ser_big, base_big);
    const double pipe_big = seconds_of(
        [&] {
          (void)event::read_parallel({c.jsonl_gz}, {}, {.threads = 1, .split_min_bytes = 1u << 20},
                                     [](std::size_t) { return std::make_unique<CountSink>(); });
        },
        repeat, true);
    line("firebreak ingest, pipelined (inflate thread + 1 parse worker)", big_bytes, pipe_big,
         base_big);
  }

  // ---- memory against file size ----
  if (want("rss")) {
    const Corpus c2 = make_corpus(dir / std::to_string(records * 2), records * 2);
    fmt::print("\nMaximum RSS reading the gzip JSON Lines file (child process, 1 thread)\n");
    for (const Corpus* k : {&c, &c2}) {
      fmt::print("  {:>8.1f} MB JSON ({:>6.1f} MB gz): {:>7.1f} MB max RSS\n",
                 static_cast<double>(k->json_bytes) / 1e6,
                 static_cast<double>(fs::file_size(k->jsonl_gz)) / 1e6,
                 static_cast<double>(child_max_rss_kb(argv[0], k->jsonl_gz)) / 1024.0);
    }
    for (const Corpus* k : {&c, &c2}) {
      fmt::print("  {:>8.1f} MB JSON (plain JSON Lines):  {:>7.1f} MB max RSS\n",
                 static_cast<double>(k->json_bytes) / 1e6,
                 static_cast<double>(child_max_rss_kb(argv[0], k->jsonl)) / 1024.0);
    }
  }
  return 0;
}
