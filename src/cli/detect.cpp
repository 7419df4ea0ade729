// `firebreak detect`: Sigma detection over telemetry files.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>

#include "command.h"
#include "firebreak/core/log.h"
#include "firebreak/detect/detector.h"
#include "firebreak/detect/loader.h"
#include "rules_common.h"

namespace firebreak::cli {

namespace {

struct DetectArgs {
  std::vector<std::string> rules;
  std::vector<std::string> filters;
  std::vector<std::string> placeholders;
  std::vector<std::string> files;
  std::string format = "jsonl";
  std::size_t threads = 1;
  bool no_self_exclusion = false;
  std::string lateness = "15m";
  std::size_t max_groups = 200000;
};

// "<n><s|m|h|d>", at most 3650d: checked here (not only by parse_duration) so that no value can
// overflow a Duration.
std::optional<Duration> parse_lateness(std::string_view text) {
  std::int64_t n = 0;
  std::size_t digits = 0;
  while (digits + 1 < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9') {
    n = n * 10 + (text[digits] - '0');
    ++digits;
  }
  const std::size_t unit = std::string_view("smhd").find(text.empty() ? 'x' : text.back());
  if (digits == 0 || digits + 1 != text.size() || unit == std::string_view::npos) {
    return std::nullopt;
  }
  constexpr std::int64_t kUnitSeconds[] = {1, 60, 3600, 86400};
  const std::int64_t seconds = n * kUnitSeconds[unit];
  if (seconds > 3650LL * 86400) return std::nullopt;
  return std::chrono::seconds(seconds);
}

int run_detect(const DetectArgs& a) {
  auto lateness = parse_lateness(a.lateness);
  if (!lateness) {
    fmt::print(stderr,
               "firebreak detect: --lateness '{}' is not a number followed by s, m, h or d, at "
               "most 3650d (e.g. 15m)\n",
               a.lateness);
    return kExitUsage;
  }
  auto loaded = load_rule_dirs(a.rules, a.filters, a.placeholders);
  if (!loaded) {
    fmt::print(stderr, "firebreak detect: {}\n", loaded.error().describe());
    return kExitFailure;
  }
  detect::RuleSet& set = *loaded;
  detect::EngineOptions eopts;
  eopts.self_exclusion = !a.no_self_exclusion;
  std::vector<detect::Rejection> rejected = set.rejected;
  auto engine = detect::Engine::compile(set, eopts, &rejected);
  if (!engine) {
    fmt::print(stderr, "firebreak detect: {}\n", engine.error().describe());
    return kExitFailure;
  }
  for (const auto& r : rejected) log::warn("rule rejected: {}", r.describe());
  const auto& st = (*engine)->stats();
  log::info("rules: {} loaded ({} detection, {} correlation, {} filters), {} rejected", st.rules,
            st.detection_rules, st.correlation_rules, set.filters.size(), rejected.size());
  if (st.rules == 0) {
    fmt::print(stderr, "firebreak detect: no rule loaded\n");
    return kExitFailure;
  }

  detect::DetectOptions opts;
  opts.threads = a.threads;
  opts.correlation.lateness = *lateness;
  opts.correlation.max_groups = a.max_groups;
  std::vector<std::filesystem::path> paths(a.files.begin(), a.files.end());
  std::vector<detect::Finding> table;
  std::uint64_t errors = 0;
  auto summary = detect::detect_files(
      *engine, paths, opts,
      [&](const detect::Finding& f) {
        if (a.format == "table") {
          table.push_back(f);
        } else {
          const std::string line = detect::to_json(f);
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fputc('\n', stdout);
        }
      },
      [&](const Error& e) {
        ++errors;
        if (errors <= 20) log::warn("{}", e.describe());
      });
  if (!summary) {
    fmt::print(stderr, "firebreak detect: {}\n", summary.error().describe());
    return kExitFailure;
  }
  if (a.format == "table") {
    const std::string t = detect::to_table(table);
    std::fwrite(t.data(), 1, t.size(), stdout);
  }
  std::fflush(stdout);
  const auto& s = *summary;
  log::info(
      "read {} files, {} events ({} skipped, {} files failed); {} findings, {} duplicate "
      "deliveries dropped",
      s.read.files, s.read.events, s.read.skipped, s.read.failed_files, s.findings, s.duplicates);
  if (s.correlation.dropped_groups || s.correlation.late) {
    log::warn("correlation: {} groups not tracked (cap), {} late matches",
              s.correlation.dropped_groups, s.correlation.late);
  }
  if (s.findings > 0) return kExitFound;
  if (s.read.skipped > 0 || s.read.failed_files > 0) return kExitPartial;
  return kExitOk;
}

}  // namespace

void add_detect_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DetectArgs>();
  auto* cmd = app.add_subcommand(
      "detect",
      "Run Sigma rules over telemetry files (CloudTrail, GuardDuty, Security Hub, VPC Flow Logs). "
      "Exit status 1 when anything matched, 0 when nothing did, 3 when nothing matched but some "
      "input was bad.");
  cmd->add_option("--rules", args->rules, "Rule directory or file (repeatable)")
      ->required()
      ->take_all();
  cmd->add_option("--filters", args->filters, "Sigma filter directory or file (repeatable)")
      ->take_all();
  cmd->add_option("--placeholders", args->placeholders,
                  "YAML file of |expand placeholder values (repeatable; a rules directory's "
                  "placeholders.yml is read automatically)");
  cmd->add_option("--format", args->format, "Output: jsonl (default) or table")
      ->check(CLI::IsMember({"jsonl", "table"}));
  cmd->add_option("--threads", args->threads, "Files read in parallel (default 1)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--no-self-exclusion", args->no_self_exclusion,
                "Also detect firebreak's own API calls (user agent / role session 'firebreak*')");
  cmd->add_option("--lateness", args->lateness,
                  "Correlation lateness tolerance for out-of-order events (default 15m)");
  cmd->add_option("--max-groups", args->max_groups,
                  "Live groups per correlation rule before new ones are dropped (default 200000)");
  cmd->add_option("files", args->files, "Telemetry files or directories")->required();
  cmd->callback([args, &ctx] { ctx.exit_code = run_detect(*args); });
}

}  // namespace firebreak::cli
