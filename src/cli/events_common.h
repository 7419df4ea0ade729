#pragma once
// Private to the CLI: what `events cat` and `events stats` share — input flags, error reporting
// on stderr, and the exit status for a read.

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "command.h"
#include "firebreak/event/reader.h"

namespace firebreak::cli {

struct InputFlags {
  std::vector<std::string> paths;
  std::string format = "auto";
  std::size_t max_record_bytes = 16u << 20;
  std::size_t max_document_bytes = 64u << 20;

  // --input-format (also spelled --format when `format_alias`, for commands with one output).
  void add_to(CLI::App& cmd, bool format_alias);
  [[nodiscard]] event::ReadOptions options() const;
  [[nodiscard]] std::vector<std::filesystem::path> fs_paths() const;
};

// Prints the first `limit` errors to stderr as they come (thread-safe), counts the rest.
class ErrorReporter {
 public:
  explicit ErrorReporter(std::size_t limit = 20) : limit_(limit) {}
  void report(const Error& e);
  // After the read: the summary line and the exit status (0 ok, 3 partial, 4 nothing readable).
  [[nodiscard]] int finish(const event::ReadSummary& s, std::string_view command);

 private:
  std::mutex mu_;
  std::size_t limit_, seen_ = 0;
};

void add_events_cat(CLI::App& events, Context& ctx);
void add_events_stats(CLI::App& events, Context& ctx);
void add_events_generate(CLI::App& events, Context& ctx);

}  // namespace firebreak::cli
