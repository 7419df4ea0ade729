#include "firebreak/event/parallel.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include "firebreak/core/fs.h"
#include "input.h"
#include "reader_impl.h"

namespace firebreak::event {

namespace {

struct FileUnit {
  std::filesystem::path path;
};
struct ChunkUnit {
  std::shared_ptr<const std::string> file;
  std::shared_ptr<const detail::Sniff> sniff;
  std::unique_ptr<char[]> bytes;  // with simdjson padding
  std::size_t size = 0;
  std::size_t capacity = 0;
  std::uint64_t first_line = 0;
};
struct ErrorUnit {
  Error error;
  bool failed_file = false;
};
using Unit = std::variant<FileUnit, ChunkUnit, ErrorUnit>;

// A queue whose chunk units are bounded (memory); file and error units are small.
class WorkQueue {
 public:
  // At most `max_chunks` chunks wait in the queue; `workers` more may be in the workers' hands
  // and one in the producer's.
  WorkQueue(std::size_t max_chunks, std::size_t workers)
      : max_chunks_(max_chunks), max_buffers_(max_chunks + workers + 1) {}

  void push(Unit u) {
    std::unique_lock lock(mu_);
    const bool chunk = std::holds_alternative<ChunkUnit>(u);
    if (chunk) space_.wait(lock, [&] { return chunks_ < max_chunks_; });
    chunks_ += chunk;
    items_.push_back(std::move(u));
    ready_.notify_one();
  }
  // Chunk buffers are recycled: fresh multi-megabyte allocations would be mapped and faulted in
  // for every chunk. The pool keeps as many as can be in use at once (queued, in the workers'
  // hands and being filled); a smaller pool dropped one buffer per chunk and the producer faulted
  // in a fresh one, which held two workers to the speed of one.
  // Called by the producer only (max_chunk_bytes_ is its own).
  std::unique_ptr<char[]> take_buffer(std::size_t size, std::size_t& capacity) {
    {
      std::lock_guard lock(mu_);
      while (!pool_.empty()) {
        auto [buf, cap] = std::move(pool_.back());
        pool_.pop_back();
        if (cap >= size) {
          capacity = cap;
          return std::move(buf);
        }
      }
    }
    // A chunk can outgrow the expected size (the producer's window holds more than one chunk's
    // worth); buffers grow with headroom and every later one is that big, so that pooled buffers
    // fit the next chunks instead of being dropped for being a few bytes short.
    if (size > max_chunk_bytes_) max_chunk_bytes_ = size + size / 4;
    capacity = max_chunk_bytes_;
    return std::unique_ptr<char[]>(new char[capacity]);
  }
  void give_buffer(std::unique_ptr<char[]> buf, std::size_t capacity) {
    std::lock_guard lock(mu_);
    if (pool_.size() < max_buffers_) pool_.emplace_back(std::move(buf), capacity);
  }
  void set_chunk_bytes(std::size_t n) { max_chunk_bytes_ = n; }

  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_all();
  }
  std::optional<Unit> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    Unit u = std::move(items_.front());
    items_.pop_front();
    if (std::holds_alternative<ChunkUnit>(u)) {
      --chunks_;
      space_.notify_one();
    }
    return u;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<Unit> items_;
  std::size_t chunks_ = 0, max_chunks_, max_buffers_;
  bool closed_ = false;
  std::vector<std::pair<std::unique_ptr<char[]>, std::size_t>> pool_;
  std::size_t max_chunk_bytes_ = 0;
};

bool worth_splitting(const std::filesystem::path& p, const ParallelOptions& parallel) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (ec) return false;
  // Compressed files hold several times their size; gzip is recognised by its name here and by
  // its magic number when opened.
  const bool gz = p.extension() == ".gz";
  return size >= (gz ? parallel.split_min_bytes / 8 : parallel.split_min_bytes);
}

// Reads a large line-format file on the calling thread and queues chunks of whole lines.
// Returns false when the file is not a line format (a worker then reads it whole).
bool produce_chunks(const std::filesystem::path& path, detail::ReaderCore& core,
                    const ParallelOptions& parallel, WorkQueue& queue, ReadSummary& summary) {
  auto stream = detail::open_input(path);
  if (!stream) return false;  // a worker reopens it and reports the error
  detail::Window w(**stream, std::max<std::size_t>(parallel.chunk_bytes / 2, 64u << 10));
  const detail::Sniff sn = core.sniff(w);
  if (sn.layout != detail::Layout::kJsonLines && sn.layout != detail::Layout::kFlowLog) {
    return false;
  }
  ++summary.files;
  auto file = std::make_shared<const std::string>(path.string());
  auto shared_sniff = std::make_shared<const detail::Sniff>(sn);
  const std::size_t max_record = core.options().max_record_bytes;
  std::uint64_t line_no = 1 + sn.header_lines;
  auto push = [&](std::string_view bytes) {
    ChunkUnit c;
    c.file = file;
    c.sniff = shared_sniff;
    c.bytes = queue.take_buffer(bytes.size() + simdjson::SIMDJSON_PADDING, c.capacity);
    std::memcpy(c.bytes.get(), bytes.data(), bytes.size());
    std::memset(c.bytes.get() + bytes.size(), 0, simdjson::SIMDJSON_PADDING);
    c.size = bytes.size();
    c.first_line = line_no;
    for (const char* p = bytes.data();
         (p = static_cast<const char*>(std::memchr(p, '\n', bytes.data() + bytes.size() - p)));
         ++p) {
      ++line_no;
    }
    queue.push(std::move(c));
  };
  for (;;) {
    w.fill_to(parallel.chunk_bytes);
    auto v = w.view();
    if (v.empty()) break;
    if (w.eof()) {
      push(v);
      w.consume(v.size());
      break;
    }
    auto nl = v.rfind('\n');
    while (nl == std::string_view::npos && w.size() <= max_record && !w.eof()) {
      w.fill_to(w.size() * 2);
      v = w.view();
      nl = v.rfind('\n');
    }
    if (nl == std::string_view::npos) {
      // One line longer than the record limit: the worker reports it; drop the rest of it here.
      push(v);
      w.consume(v.size());
      for (;;) {
        if (!w.fill()) break;
        const auto rest = w.view();
        const auto end = rest.find('\n');
        if (end != std::string_view::npos) {
          w.consume(end + 1);
          ++line_no;
          break;
        }
        w.consume(rest.size());
      }
      continue;
    }
    push(v.substr(0, nl + 1));
    w.consume(nl + 1);
  }
  if (w.error()) {
    queue.push(ErrorUnit{Error(w.error()->code(), w.error()->message(),
                               ErrorContext{.where = fmt::format("{} line {}", *file, line_no)}),
                         false});
  }
  return true;
}

}  // namespace

ParallelReadResult read_parallel(const std::vector<std::filesystem::path>& paths,
                                 const ReadOptions& options, const ParallelOptions& parallel,
                                 const SinkFactory& make_sink) {
  const std::size_t n = std::max<std::size_t>(1, parallel.threads);
  ParallelReadResult result;
  result.sinks.reserve(n);
  for (std::size_t w = 0; w < n; ++w) result.sinks.push_back(make_sink(w));

  WorkQueue queue(2 * n, n);
  queue.set_chunk_bytes(parallel.chunk_bytes + (parallel.chunk_bytes / 4) +
                        simdjson::SIMDJSON_PADDING);
  std::vector<ReadSummary> summaries(n);
  auto work = [&](std::size_t w) {
    detail::ReaderCore core(options);
    Reader reader(options);
    EventSink& sink = *result.sinks[w];
    ReadSummary& s = summaries[w];
    while (auto unit = queue.pop()) {
      if (auto* f = std::get_if<FileUnit>(&*unit)) {
        s += reader.read_file(f->path, sink);
      } else if (auto* c = std::get_if<ChunkUnit>(&*unit)) {
        core.read_line_chunk(std::string_view(c->bytes.get(), c->size), c->first_line, *c->sniff,
                             c->file, sink, s);
        queue.give_buffer(std::move(c->bytes), c->capacity);
      } else {
        auto& e = std::get<ErrorUnit>(*unit);
        if (e.failed_file)
          ++s.failed_files;
        else
          ++s.skipped;
        sink.on_error(e.error);
      }
    }
  };
  std::vector<std::jthread> workers;
  for (std::size_t w = 0; w < n; ++w) workers.emplace_back(work, w);

  ReadSummary produced;
  detail::ReaderCore core(options);
  std::vector<std::filesystem::path> big;
  for (const auto& p : paths) {
    auto expanded = detail::expand_inputs(p);
    if (!expanded) {
      queue.push(ErrorUnit{expanded.error(), true});
      continue;
    }
    for (auto& f : *expanded) {
      if (worth_splitting(f, parallel))
        big.push_back(std::move(f));
      else
        queue.push(FileUnit{std::move(f)});
    }
  }
  for (auto& f : big) {
    if (!produce_chunks(f, core, parallel, queue, produced)) queue.push(FileUnit{std::move(f)});
  }
  queue.close();
  workers.clear();  // joins
  result.summary = produced;
  for (const auto& s : summaries) result.summary += s;
  return result;
}

}  // namespace firebreak::event
