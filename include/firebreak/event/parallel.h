#pragma once
// Reading a set of paths with several threads, for `firebreak detect --threads N` and
// `firebreak events stats --threads N`.
//
// Units of work are files, and chunks of whole lines of a large line-format file (JSON Lines or
// VPC Flow Logs, plain or gzip): the calling thread reads (and inflates) such a file and hands
// chunks of complete lines to the workers through a bounded queue, so memory stays bounded by
// `threads * 2` chunks whatever the file size, and inflating overlaps parsing. Other files are read
// whole by one worker each (see reader.h for what "whole" means and its limits).
//
// Sinks: `make_sink(w)` is called once per worker w in [0, threads), on the calling thread, before
// any reading starts. Worker w calls only its own sink, from its own thread, never concurrently, so
// a sink needs no locking. Within a unit, events arrive in record order; across units and workers
// there is no order. Record locations (RecordRef) are the same as a serial read gives: for line
// formats the line number, and `index` = line - 1.
//
// The result hands the sinks back (in worker order) so the caller can merge what they gathered.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "firebreak/event/reader.h"

namespace firebreak::event {

struct ParallelOptions {
  std::size_t threads = 1;                  // parsing workers (>= 1)
  std::size_t chunk_bytes = 4u << 20;       // target size of one chunk of lines
  std::size_t split_min_bytes = 32u << 20;  // line-format files at least this big are chunked
};

using SinkFactory = std::function<std::unique_ptr<EventSink>(std::size_t worker)>;

struct ParallelReadResult {
  ReadSummary summary;                            // sum over every worker
  std::vector<std::unique_ptr<EventSink>> sinks;  // sinks[w] is worker w's sink
};

// Expands `paths` (directories recurse, sorted) and reads every file with `parallel.threads`
// workers. Problems go to the sinks' on_error exactly as with Reader::read_paths.
[[nodiscard]] ParallelReadResult read_parallel(const std::vector<std::filesystem::path>& paths,
                                               const ReadOptions& options,
                                               const ParallelOptions& parallel,
                                               const SinkFactory& make_sink);

}  // namespace firebreak::event
