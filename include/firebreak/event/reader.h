#pragma once
// Reading telemetry files into Events.
//
// The layout is sniffed from the head of each file (gzip is recognised by its magic number,
// whatever the file name, and inflated as it is read):
//   {"Records":[...]}           CloudTrail S3 delivery file (plain or .json.gz)
//   [ {...}, ... ]              a JSON array of records (Stratus detonation logs)
//   {"Events":[{"CloudTrailEvent":"<json string>"}, ...]}   `aws cloudtrail lookup-events`
//   {"Findings":[...]} / {"findings":[...]}   GuardDuty GetFindings (CLI / API spelling), ASFF
//   {...}                       a single record or EventBridge envelope
//   one JSON object per line    JSON Lines (any of the records above, one per line)
//   text with a header line     VPC Flow Logs (a header of field names, versions 2-8; or the
//                               default version-2 format without header)
// and each record is classified by its shape (see src/event/decode.h): CloudTrail, GuardDuty
// (either spelling), ASFF, EventBridge envelopes (unwrapped: "AWS API Call via CloudTrail",
// "GuardDuty Finding", "Security Hub Findings - *" with every detail.findings[] element),
// lookup-events entries (their CloudTrailEvent string is parsed), CloudTrail digest files (read
// as no events). ReadOptions::format overrides the sniffing for every file.
//
// Memory: line formats stream (a window of about a megabyte plus the longest line), whatever the
// file size, plain or gzip. A document up to max_document_bytes is parsed whole with simdjson (the
// fast path); a larger one, or one that does not parse, is cut into records by a string-aware
// splitter that streams too, so one bad record (or a truncated end) costs only itself.
//
// Bad input never stops the read: a malformed, oversized, too deep, wrongly typed or
// unrecognised record is reported to the sink's on_error with its location (file and record
// index, or line) and skipped; the other records and files are still read. A truncated or corrupt
// gzip stream is reported after everything before the damage has been read.
//
// Record locations: documents give the 0-based record index; line formats give the 1-based line
// and index = line - 1 (the same in serial and parallel reads).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/event/event.h"

namespace firebreak::event {

enum class InputFormat : std::uint8_t {
  kAuto,          // sniff container and record kind
  kCloudTrail,    // records are CloudTrail events (any JSON container)
  kLookupEvents,  // `aws cloudtrail lookup-events` output
  kEventBridge,   // EventBridge envelopes (any JSON container)
  kGuardDuty,     // GuardDuty findings (any JSON container)
  kSecurityHub,   // ASFF findings (any JSON container)
  kVpcFlow,       // VPC Flow Logs text
};

// "auto", "cloudtrail", "lookup-events", "eventbridge", "guardduty", "securityhub", "vpcflow".
[[nodiscard]] std::string_view to_string(InputFormat f) noexcept;
[[nodiscard]] std::optional<InputFormat> parse_input_format(std::string_view text) noexcept;

struct ReadOptions {
  InputFormat format = InputFormat::kAuto;
  std::size_t max_record_bytes = 16u << 20;    // one record (line, array element)
  std::size_t max_document_bytes = 64u << 20;  // parsed whole up to this; split above it
  std::size_t max_depth = 64;                  // JSON nesting of one record
};

// Readable bytes Reader::read_padded needs after its input (simdjson::SIMDJSON_PADDING).
inline constexpr std::size_t kReadPadding = 64;

// Receives what a read produces. Called on the reading thread; events are views valid only
// during on_event (see event.h).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
  virtual void on_error(const Error& error) = 0;
};

struct ReadSummary {
  std::uint64_t files = 0;         // files opened
  std::uint64_t events = 0;        // events delivered to on_event
  std::uint64_t skipped = 0;       // records reported to on_error and skipped
  std::uint64_t failed_files = 0;  // files that could not be read at all
  std::uint64_t bytes = 0;         // bytes read (after inflation)

  ReadSummary& operator+=(const ReadSummary& o);
};

// Reads files one after another, reusing its parser buffers. Not thread-safe: use one Reader
// per thread.
class Reader {
 public:
  explicit Reader(ReadOptions options = {});
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  // Reads one file. Every problem goes to sink.on_error; the summary counts what happened.
  ReadSummary read_file(const std::filesystem::path& path, EventSink& sink);
  // Reads bytes already in memory (`name` is used in locations and as RecordRef::file).
  ReadSummary read_buffer(std::string_view bytes, std::string_view name, EventSink& sink);
  // The same, parsing the bytes where they are instead of copying them into the reader's
  // window: the caller guarantees that kReadPadding bytes after `bytes` are readable (allocated;
  // their content does not matter and is not changed), as with a simdjson::padded_string.
  ReadSummary read_padded(std::string_view bytes, std::string_view name, EventSink& sink);
  // Expands directories (recursively) and reads every file in sorted order. Inside a directory,
  // hidden entries and documentation (README*, *.md) are skipped; a file named is always read.
  ReadSummary read_paths(const std::vector<std::filesystem::path>& paths, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firebreak::event
