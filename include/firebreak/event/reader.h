#pragma once
// Reading telemetry files into Events.
//
// The container is sniffed from the bytes of each file (gzip is recognised by its magic number,
// whatever the file name):
//   {"Records":[...]}           CloudTrail S3 delivery file (plain or .json.gz)
//   [ {...}, ... ]              a JSON array of records (Stratus detonation logs)
//   {"Events":[{"CloudTrailEvent":"<json string>"}, ...]}   `aws cloudtrail lookup-events`
//   {"Findings":[...]} / {"findings":[...]}                  GuardDuty GetFindings, ASFF
//   {...}                       a single record or EventBridge envelope
//   one JSON value per line     JSON Lines
//   text with a header line     VPC Flow Logs (default v2 format or a custom field list)
// and each record is classified by its shape (see src/event/decode.h); EventBridge envelopes are
// unwrapped. ReadOptions::format overrides the sniffing for a whole file.
//
// Bad input never stops the read: a malformed, oversized or unrecognised record is reported to
// the sink's on_error with its location (file and record index or line) and skipped; the other
// records and files are still read. Memory is bounded by the largest record (line formats) or the
// document size limit (whole-document formats), never by the file size.

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
  std::size_t max_record_bytes = 16u << 20;     // one record (line, array element)
  std::size_t max_document_bytes = 512u << 20;  // a whole-document container after inflation
  std::size_t max_depth = 64;                   // JSON nesting
};

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
  // Expands directories (recursively) and reads every file in sorted order.
  ReadSummary read_paths(const std::vector<std::filesystem::path>& paths, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firebreak::event
