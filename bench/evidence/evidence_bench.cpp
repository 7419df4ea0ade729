// Evidence benchmarks (figures in docs/performance.md):
//   ingest  - streaming a large file into the local WORM store (hash + write + fsync + commit),
//             against `sha256sum` on the same file;
//   appends - durable ledger appends per second with 1..N concurrent appenders (group commit)
//             and with append_batch().
// Usage: evidence_bench [--dir DIR] [--gib N] [--appends N] [--skip-ingest] [--skip-appends]
// DIR must be on the file system whose durability is being measured (default: a directory
// under the current one).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/evidence/ledger.h"
#include "firebreak/evidence/local_store.h"

namespace fs = std::filesystem;
using namespace firebreak;
using namespace firebreak::evidence;
using Steady = std::chrono::steady_clock;

namespace {

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

void make_file(const fs::path& path, std::uint64_t bytes) {
  std::ofstream f(path, std::ios::binary);
  std::vector<char> block(1 << 20);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t done = 0; done < bytes; done += block.size()) {
    for (std::size_t i = 0; i < block.size(); i += 8) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      std::memcpy(block.data() + i, &x, 8);
    }
    f.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
}

double time_sha256sum(const fs::path& file) {
  const auto t = Steady::now();
  const std::string cmd = "sha256sum '" + file.string() + "' >/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "sha256sum failed\n");
    std::exit(1);
  }
  return seconds_since(t);
}

long max_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void bench_ingest(const fs::path& dir, std::uint64_t gib) {
  const std::uint64_t bytes = gib << 30;
  const fs::path file = dir / "ingest.bin";
  std::printf("ingest: generating %llu GiB test file...\n", static_cast<unsigned long long>(gib));
  make_file(file, bytes);
  std::error_code ec;
  auto store = LocalWormStore::open(dir / "store", real_clock()).value();
  (void)time_sha256sum(file);  // warm the page cache for both contenders
  const long rss_before = max_rss_kib();
  double best_sum = 1e9, best_ingest = 1e9;
  for (int round = 0; round < 3; ++round) {
    best_sum = std::min(best_sum, time_sha256sum(file));
    const int fd = ::open(file.c_str(), O_RDONLY);
    ArtifactSpec spec;
    spec.incident = "bench";
    spec.name = "ingest.bin";
    spec.retain_days = 0;  // so the bench can clean up
    const auto t = Steady::now();
    auto info = store_from_fd(*store, spec, fd);
    const double s = seconds_since(t);
    ::close(fd);
    if (!info) {
      std::fprintf(stderr, "ingest failed: %s\n", info.error().describe().c_str());
      std::exit(1);
    }
    best_ingest = std::min(best_ingest, s);
    if (auto r = store->remove(info->sha256); !r) {
      std::fprintf(stderr, "cleanup failed: %s\n", r.error().describe().c_str());
    }
  }
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("ingest: %.2f GiB file, best of 3\n", static_cast<double>(bytes) / (1 << 30));
  std::printf("  sha256sum                 %7.2f s  %8.1f MB/s\n", best_sum, mb / best_sum);
  std::printf("  store_from_fd (durable)   %7.2f s  %8.1f MB/s  = %.0f%% of sha256sum\n",
              best_ingest, mb / best_ingest, 100.0 * best_sum / best_ingest);
  std::printf("  peak RSS growth during ingest: %ld KiB\n", max_rss_kib() - rss_before);
  fs::remove(file, ec);
}

void bench_appends(const fs::path& dir, int total) {
  std::printf("appends: %d durable appends per run (each returns after fdatasync)\n", total);
  for (int threads : {1, 8, 32, 64, 128}) {
    const fs::path ldir = dir / ("ledger-" + std::to_string(threads));
    auto ledger = Ledger::open(ldir, "bench", real_clock()).value();
    const int per = std::max(1, total / threads);
    const int n = threads == 1 ? std::min(total, 2000) : per * threads;
    const int each = threads == 1 ? n : per;
    std::atomic<int> failures{0};
    const auto t = Steady::now();
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i) {
      ts.emplace_back([&, i] {
        for (int k = 0; k < each; ++k) {
          auto a = ledger->append(RecordInput{
              .actor = "arn:aws:sts::123456789012:assumed-role/firebreak/run-" + std::to_string(i),
              .kind = RecordKind::kActionResult,
              .payload = {{"action", "ec2.modify_instance_attribute"},
                          {"instance", "i-0123456789abcdef0"},
                          {"outcome", "ok"},
                          {"request_id", "4c1f1a4e-8f1d-4a4b-9d0e-0123456789ab"},
                          {"step", k}}});
          if (!a) ++failures;
        }
      });
    }
    for (auto& th : ts) th.join();
    const double s = seconds_since(t);
    std::printf("  %3d appender%s  %7d records  %6.2f s  %9.0f appends/s%s\n", threads,
                threads == 1 ? " " : "s", n, s, n / s, failures ? "  FAILURES" : "");
    std::error_code ec;
    fs::remove_all(ldir, ec);
  }
  {
    const fs::path ldir = dir / "ledger-batch";
    auto ledger = Ledger::open(ldir, "bench", real_clock()).value();
    const int batch = 100;
    const auto t = Steady::now();
    for (int done = 0; done < total; done += batch) {
      std::vector<RecordInput> in;
      for (int k = 0; k < batch; ++k) {
        in.push_back(RecordInput{.actor = "firebreak",
                                 .kind = RecordKind::kObservation,
                                 .payload = {{"event", "cloudtrail"}, {"k", done + k}}});
      }
      if (!ledger->append_batch(std::move(in))) std::printf("  batch FAILED\n");
    }
    const double s = seconds_since(t);
    std::printf("  append_batch(%d)  %7d records  %6.2f s  %9.0f appends/s\n", batch, total, s,
                total / s);
    std::error_code ec;
    fs::remove_all(ldir, ec);
  }
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = fs::current_path() / "evidence-bench.tmp";
  std::uint64_t gib = 2;
  int appends = 50000;
  bool ingest = true, app = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--gib" && i + 1 < argc) {
      gib = std::stoull(argv[++i]);
    } else if (a == "--appends" && i + 1 < argc) {
      appends = std::stoi(argv[++i]);
    } else if (a == "--skip-ingest") {
      ingest = false;
    } else if (a == "--skip-appends") {
      app = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--dir DIR] [--gib N] [--appends N] [--skip-ingest] "
                   "[--skip-appends]\n",
                   argv[0]);
      return 2;
    }
  }
  fs::create_directories(dir);
  if (app) bench_appends(dir, appends);
  if (ingest) bench_ingest(dir, gib);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(dir, ec);
  return 0;
}
