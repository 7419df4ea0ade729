// `firebreak events stats`: what a set of telemetry files holds — counts by source, event,
// account and region, the time span, and the event rate (mean and busiest minute), which is the
// figure the cost model uses.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "events_common.h"
#include "firebreak/core/json.h"
#include "firebreak/event/parallel.h"
#include "progress.h"

namespace firebreak::cli {

namespace {

struct Stats {
  std::uint64_t events = 0, timed = 0;
  std::map<std::string, std::uint64_t, std::less<>> by_source, by_account, by_region;
  std::map<std::pair<std::string, std::string>, std::uint64_t> by_event;  // (service, name)
  std::unordered_map<std::int64_t, std::uint64_t> per_minute;
  std::optional<TimePoint> first, last;

  void add(const event::Event& e) {
    ++events;
    ++by_source[std::string(event::to_string(e.source()))];
    ++by_account[std::string(e.account().empty() ? "-" : e.account())];
    ++by_region[std::string(e.region().empty() ? "-" : e.region())];
    ++by_event[{std::string(e.service()), std::string(e.name().empty() ? "-" : e.name())}];
    if (e.time() != TimePoint{}) {
      ++timed;
      if (!first || e.time() < *first) first = e.time();
      if (!last || e.time() > *last) last = e.time();
      ++per_minute[to_unix_seconds(e.time()) / 60];
    }
  }
  void merge(const Stats& o) {
    events += o.events;
    timed += o.timed;
    for (auto& [k, v] : o.by_source) by_source[k] += v;
    for (auto& [k, v] : o.by_account) by_account[k] += v;
    for (auto& [k, v] : o.by_region) by_region[k] += v;
    for (auto& [k, v] : o.by_event) by_event[k] += v;
    for (auto& [k, v] : o.per_minute) per_minute[k] += v;
    if (o.first && (!first || *o.first < *first)) first = o.first;
    if (o.last && (!last || *o.last > *last)) last = o.last;
  }
  [[nodiscard]] double span_seconds() const {
    if (!first) return 0;
    return std::chrono::duration<double>(*last - *first).count();
  }
  [[nodiscard]] double mean_rate() const {
    // Events over the span; a span under a second counts as one second.
    return timed ? static_cast<double>(timed) / std::max(1.0, span_seconds()) : 0.0;
  }
  [[nodiscard]] std::pair<std::int64_t, std::uint64_t> peak_minute() const {
    std::pair<std::int64_t, std::uint64_t> best{0, 0};
    for (auto& [m, n] : per_minute) {
      if (n > best.second || (n == best.second && m < best.first)) best = {m, n};
    }
    return best;
  }
};

class StatsSink final : public event::EventSink {
 public:
  StatsSink(ErrorReporter& errors, Progress& progress) : errors_(errors), progress_(progress) {}
  void on_event(const event::Event& e) override {
    stats.add(e);
    progress_.done.fetch_add(1, std::memory_order_relaxed);
  }
  void on_error(const Error& e) override { errors_.report(e); }
  Stats stats;

 private:
  ErrorReporter& errors_;
  Progress& progress_;
};

template <class Map>
std::vector<std::pair<std::string, std::uint64_t>> ranked(const Map& m) {
  std::vector<std::pair<std::string, std::uint64_t>> v;
  for (const auto& [k, n] : m) v.emplace_back(k, n);
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return v;
}

void print_table(const Stats& st, const event::ReadSummary& s, std::size_t top) {
  fmt::print("files     {}  ({} could not be read)\n", s.files, s.failed_files);
  fmt::print("events    {}  ({} bad records skipped)\n", st.events, s.skipped);
  fmt::print("bytes     {}\n", s.bytes);
  if (st.first) {
    fmt::print("first     {}\n", format_iso8601(*st.first));
    fmt::print("last      {}\n", format_iso8601(*st.last));
    fmt::print("span      {}\n",
               format_duration(std::chrono::duration_cast<Duration>(*st.last - *st.first)));
    const auto [minute, n] = st.peak_minute();
    fmt::print("rate      {:.2f} events/s mean; peak minute {} with {} events ({:.2f} events/s)\n",
               st.mean_rate(), format_iso8601(from_unix_seconds(minute * 60)), n,
               static_cast<double>(n) / 60.0);
  }
  auto section = [&](std::string_view title, const auto& rows) {
    if (rows.empty()) return;
    std::size_t width = title.size();
    for (std::size_t i = 0; i < rows.size() && i < top; ++i)
      width = std::max(width, rows[i].first.size());
    fmt::print("\n{:<{}}  {:>10}  {:>6}\n", title, width, "events", "share");
    for (std::size_t i = 0; i < rows.size() && i < top; ++i) {
      fmt::print("{:<{}}  {:>10}  {:>5.1f}%\n", rows[i].first, width, rows[i].second,
                 100.0 * static_cast<double>(rows[i].second) /
                     static_cast<double>(std::max<std::uint64_t>(1, st.events)));
    }
    if (rows.size() > top) fmt::print("({} more)\n", rows.size() - top);
  };
  section("source", ranked(st.by_source));
  section("account", ranked(st.by_account));
  section("region", ranked(st.by_region));
  std::map<std::string, std::uint64_t> events;
  for (auto& [k, n] : st.by_event) events[k.first + " " + k.second] = n;
  section("event", ranked(events));
}

void print_json(const Stats& st, const event::ReadSummary& s) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("files", s.files).field("failed_files", s.failed_files);
  w.field("events", st.events).field("skipped", s.skipped).field("bytes", s.bytes);
  w.key("first");
  st.first ? w.value(format_iso8601(*st.first, TimePrecision::kMillis)) : w.null();
  w.key("last");
  st.last ? w.value(format_iso8601(*st.last, TimePrecision::kMillis)) : w.null();
  w.field("span_seconds", st.span_seconds());
  w.field("events_per_second_mean", st.mean_rate());
  const auto [minute, n] = st.peak_minute();
  w.key("peak_minute");
  st.first ? w.value(format_iso8601(from_unix_seconds(minute * 60))) : w.null();
  w.field("peak_minute_events", n);
  w.field("events_per_second_peak_minute", static_cast<double>(n) / 60.0);
  auto counts = [&](std::string_view key, const auto& m) {
    w.key(key).begin_object();
    for (const auto& [k, v] : m) w.field(k, v);
    w.end_object();
  };
  counts("by_source", st.by_source);
  counts("by_account", st.by_account);
  counts("by_region", st.by_region);
  w.key("by_event").begin_array();
  for (const auto& [k, v] : st.by_event) {
    w.begin_object()
        .field("service", k.first)
        .field("name", k.second)
        .field("count", v)
        .end_object();
  }
  w.end_array();
  w.end_object();
  fmt::print("{}\n", out);
}

}  // namespace

void add_events_stats(CLI::App& events, Context& ctx) {
  auto* cmd = events.add_subcommand(
      "stats",
      "Summarise telemetry: counts by source, event, account and region; time span; events per "
      "second (mean, and the busiest minute)");
  auto flags = std::make_shared<InputFlags>();
  flags->add_to(*cmd, false);
  auto out_format = std::make_shared<std::string>("table");
  auto threads = std::make_shared<std::size_t>(1);
  auto top = std::make_shared<std::size_t>(15);
  // Here --format is the output; the input override is --input-format.
  cmd->add_option("--format", *out_format, "Output: table (for people) or json (for machines)")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag_callback(
      "--json", [out_format] { *out_format = "json"; }, "Same as --format json");
  cmd->add_option("--threads", *threads, "Reading threads")->check(CLI::Range(1, 64));
  cmd->add_option("--top", *top, "Rows per table section")->check(CLI::Range(1, 100000));
  cmd->callback([flags, out_format, threads, top, &ctx] {
    ErrorReporter errors;
    Progress progress("events");
    auto result = event::read_parallel(
        flags->fs_paths(), flags->options(), {.threads = *threads},
        [&](std::size_t) { return std::make_unique<StatsSink>(errors, progress); });
    progress.stop();
    Stats st;
    for (auto& sink : result.sinks) st.merge(static_cast<StatsSink&>(*sink).stats);
    if (*out_format == "json")
      print_json(st, result.summary);
    else
      print_table(st, result.summary, *top);
    std::fflush(stdout);
    ctx.exit_code = errors.finish(result.summary, "events stats");
  });
}

}  // namespace firebreak::cli
