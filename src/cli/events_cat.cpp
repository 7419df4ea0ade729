// `firebreak events cat`: every event as one line of normalised JSON.
#include <fmt/format.h>

#include <cstdio>

#include "events_common.h"
#include "firebreak/core/json.h"
#include "progress.h"

namespace firebreak::cli {

namespace {

class CatSink final : public event::EventSink {
 public:
  CatSink(ErrorReporter& errors, Progress& progress) : errors_(errors), progress_(progress) {
    out_.reserve(1u << 20);
  }
  ~CatSink() override { flush(); }

  void on_event(const event::Event& e) override {
    JsonWriter w(out_);
    w.begin_object();
    w.field("source", event::to_string(e.source()));
    w.field("time", format_iso8601(e.time(), TimePrecision::kMillis));
    w.field("account", e.account());
    w.field("region", e.region());
    w.field("id", e.id());
    w.field("service", e.service());
    w.field("name", e.name());
    w.field("file", *e.ref().file);
    w.field("index", static_cast<std::uint64_t>(e.ref().index));
    if (e.ref().line) w.field("line", static_cast<std::uint64_t>(e.ref().line));
    w.key("record").raw(e.json());
    w.end_object();
    out_ += '\n';
    progress_.done.fetch_add(1, std::memory_order_relaxed);
    if (out_.size() >= (1u << 20)) flush();
  }
  void on_error(const Error& e) override {
    flush();
    errors_.report(e);
  }
  void flush() {
    if (!out_.empty()) std::fwrite(out_.data(), 1, out_.size(), stdout);
    out_.clear();
  }

 private:
  std::string out_;
  ErrorReporter& errors_;
  Progress& progress_;
};

}  // namespace

void add_events_cat(CLI::App& events, Context& ctx) {
  auto* cmd = events.add_subcommand(
      "cat",
      "Print every event as normalised JSON Lines: source, time, account, region, id, service, "
      "name, where it came from (file, index, line) and the record itself");
  auto flags = std::make_shared<InputFlags>();
  flags->add_to(*cmd, true);
  cmd->footer(
      "Formats are detected per file (gzip by its magic number). Bad records are reported on "
      "stderr with their location and skipped; the exit status is then 3.");
  cmd->callback([flags, &ctx] {
    ErrorReporter errors;
    Progress progress("events");
    event::ReadSummary s;
    {
      CatSink sink(errors, progress);
      event::Reader reader(flags->options());
      s = reader.read_paths(flags->fs_paths(), sink);
    }
    progress.stop();
    std::fflush(stdout);
    ctx.exit_code = errors.finish(s, "events cat");
  });
}

}  // namespace firebreak::cli
