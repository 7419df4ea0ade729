#include "firebreak/event/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "firebreak/core/fs.h"

namespace firebreak::event {

ParallelReadResult read_parallel(const std::vector<std::filesystem::path>& paths,
                                 const ReadOptions& options, const ParallelOptions& parallel,
                                 const SinkFactory& make_sink) {
  const std::size_t n = std::max<std::size_t>(1, parallel.threads);
  ParallelReadResult result;
  result.sinks.reserve(n);
  for (std::size_t w = 0; w < n; ++w) result.sinks.push_back(make_sink(w));

  std::vector<std::filesystem::path> files;
  for (const auto& p : paths) {
    auto expanded = expand_paths({p});
    if (!expanded) {
      ++result.summary.failed_files;
      result.sinks[0]->on_error(expanded.error());
      continue;
    }
    files.insert(files.end(), expanded->begin(), expanded->end());
  }

  std::atomic<std::size_t> next{0};
  std::vector<ReadSummary> summaries(n);
  auto work = [&](std::size_t w) {
    Reader reader(options);
    for (;;) {
      const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= files.size()) break;
      summaries[w] += reader.read_file(files[i], *result.sinks[w]);
    }
  };
  std::vector<std::jthread> workers;
  for (std::size_t w = 1; w < n; ++w) workers.emplace_back(work, w);
  work(0);
  workers.clear();
  for (const auto& s : summaries) result.summary += s;
  return result;
}

}  // namespace firebreak::event
