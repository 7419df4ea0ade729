// `firebreak events`: read telemetry files (cat, stats) and make synthetic ones (generate).
#include <fmt/format.h>

#include "events_common.h"
#include "firebreak/core/log.h"

namespace firebreak::cli {

void InputFlags::add_to(CLI::App& cmd, bool format_alias) {
  cmd.add_option("paths", paths, "Files or directories (recursed) to read")->required();
  cmd.add_option(format_alias ? "--input-format,--format" : "--input-format", format,
                 "Input format for every file instead of detecting it per file: auto, "
                 "cloudtrail, lookup-events, eventbridge, guardduty, securityhub, vpcflow")
      ->check(CLI::IsMember({"auto", "cloudtrail", "lookup-events", "eventbridge", "guardduty",
                             "securityhub", "vpcflow"}));
  cmd.add_option("--max-record-bytes", max_record_bytes,
                 "Largest record (line, array element) accepted")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  cmd.add_option("--max-document-bytes", max_document_bytes,
                 "Documents up to this size are parsed whole; larger ones record by record")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{4} << 30));
}

event::ReadOptions InputFlags::options() const {
  return {.format = *event::parse_input_format(format),
          .max_record_bytes = max_record_bytes,
          .max_document_bytes = max_document_bytes};
}

std::vector<std::filesystem::path> InputFlags::fs_paths() const {
  return {paths.begin(), paths.end()};
}

void ErrorReporter::report(const Error& e) {
  std::lock_guard lock(mu_);
  if (seen_++ < limit_) fmt::print(stderr, "firebreak: {}\n", e.describe());
}

int ErrorReporter::finish(const event::ReadSummary& s, std::string_view command) {
  std::lock_guard lock(mu_);
  if (seen_ > limit_) fmt::print(stderr, "firebreak: ... and {} more errors\n", seen_ - limit_);
  if (s.skipped == 0 && s.failed_files == 0) return kExitOk;
  fmt::print(stderr,
             "firebreak {}: read {} events from {} files; skipped {} bad records, {} files "
             "could not be read\n",
             command, s.events, s.files - s.failed_files, s.skipped, s.failed_files);
  if (s.events == 0 && s.failed_files > 0) return kExitFailure;  // nothing could be read
  return kExitPartial;
}

void add_events_command(CLI::App& app, Context& ctx) {
  auto* events = app.add_subcommand(
      "events",
      "Read security telemetry (CloudTrail, EventBridge, GuardDuty, Security Hub, VPC "
      "Flow Logs) or generate a synthetic CloudTrail corpus");
  events->require_subcommand(1);
  add_events_cat(*events, ctx);
  add_events_stats(*events, ctx);
  add_events_generate(*events, ctx);
}

}  // namespace firebreak::cli
