#pragma once
// Private to the event module: the reading machinery behind Reader and read_parallel.

#include <simdjson.h>

#include <memory>
#include <string>

#include "firebreak/event/reader.h"
#include "flowlog.h"
#include "input.h"

namespace firebreak::event::detail {

// How a file's bytes are laid out, decided from its head.
enum class Layout : std::uint8_t {
  kEmpty,      // nothing but whitespace
  kJsonLines,  // one JSON value per line
  kFlowLog,    // VPC Flow Logs text
  kDocument,   // one JSON document (a container or a single record)
  // Starts with '{' and has no newline in the sniffing head, the whole input in the window: a
  // one-line document (a delivery file) unless it fails to parse whole, then sniffed line by line.
  // (Finding where a one-line document's line ends would scan all of it before the parse does.)
  kLongFirstLine,
  kUnknown,  // none of the above
};

struct Sniff {
  Layout layout = Layout::kUnknown;
  std::shared_ptr<const FlowFormat> flow;  // kFlowLog: the field list
  std::uint64_t header_lines = 0;          // lines consumed by sniff (a flow-log header)
};

// Expands inputs like core's expand_paths, then drops documentation met inside directories
// (*.md, README*): a named file is always read.
[[nodiscard]] Result<std::vector<std::filesystem::path>> expand_inputs(
    const std::filesystem::path& input);

class ReaderCore {
 public:
  explicit ReaderCore(const ReadOptions& options);

  [[nodiscard]] const ReadOptions& options() const noexcept { return options_; }

  // Decides the layout from the window's head, filling it as needed. Consumes only a byte-order
  // mark and the header line of a flow log (sniff.header_lines says how many lines).
  [[nodiscard]] Sniff sniff(Window& w);

  // Reads a whole file from `stream`, reporting everything to `sink` and counting into `s`.
  void read_stream(ByteStream& stream, const std::shared_ptr<const std::string>& file,
                   EventSink& sink, ReadSummary& s);

  // Reads complete lines of a line-format file (`bytes` ends with a newline or is the file's
  // last part, and has simdjson padding after it). `first_line` is the 1-based number of its first
  // line.
  void read_line_chunk(std::string_view bytes, std::uint64_t first_line, const Sniff& sniff,
                       const std::shared_ptr<const std::string>& file, EventSink& sink,
                       ReadSummary& s);

  // JSON Lines are parsed in batches (simdjson parse_many) when every document of the batch is
  // exactly one line; a batch that does not line up, or fails, is read one line at a time from
  // the first line it could not account for. Off: always one parse per line (tests compare the
  // two).
  void set_batch_lines(bool on) noexcept { batch_lines_ = on; }

  // How much of a '{' file's head must hold no newline for the whole-document parse to be tried
  // before its lines are searched (Layout::kLongFirstLine). Tests and fuzzers lower it to reach
  // that path with small inputs.
  void set_sniff_head(std::size_t bytes) noexcept { sniff_head_ = bytes; }

 private:
  void read_lines(Window& w, Sniff& sniff, const std::shared_ptr<const std::string>& file,
                  EventSink& sink, ReadSummary& s);
  std::size_t process_lines(std::string_view bytes, bool final, std::uint64_t& line_no,
                            Sniff& sniff, const std::shared_ptr<const std::string>& file,
                            EventSink& sink, ReadSummary& s);
  // Reads lines of bytes[pos, end) one at a time, at most max_lines of them; returns where it
  // stopped (a line start, or end).
  std::size_t lines_one_by_one(std::string_view bytes, std::size_t pos, std::size_t end,
                               std::uint64_t max_lines, std::uint64_t& line_no, Sniff& sniff,
                               const std::shared_ptr<const std::string>& file, EventSink& sink,
                               ReadSummary& s);
  // Reads JSON Lines of bytes[pos, end) with one parse_many, as long as each document is exactly
  // the content of one line; returns the start of the first line it did not read (end when it
  // read all).
  std::size_t lines_batched(std::string_view bytes, std::size_t pos, std::size_t end,
                            std::uint64_t& line_no, const std::shared_ptr<const std::string>& file,
                            EventSink& sink, ReadSummary& s);
  void process_line(std::string_view line, std::uint64_t line_no, Sniff& sniff,
                    const std::shared_ptr<const std::string>& file, EventSink& sink,
                    ReadSummary& s);
  // Where the line that holds byte `from` of the window ends (its newline, or the end of the
  // input), filling the window as needed but not beyond max_document_bytes.
  std::size_t line_end(Window& w, std::size_t from) const;
  // JSON Lines or a document, for input that starts with '{' (sn.layout is set).
  void sniff_object_lines(Window& w, Sniff& sn);
  void read_document(Window& w, const std::shared_ptr<const std::string>& file, EventSink& sink,
                     ReadSummary& s);
  // A document's fast path: parses it whole when it fits the window and emits its records.
  // False when it was not read: `whole` says whether it was parsed (and `parse_err` why it failed).
  bool read_whole_document(Window& w, const std::shared_ptr<const std::string>& file,
                           EventSink& sink, ReadSummary& s, bool& whole,
                           simdjson::error_code& parse_err);
  // The slow path: splits the document into records, so one bad record costs only itself.
  void split_document(Window& w, const std::shared_ptr<const std::string>& file, EventSink& sink,
                      ReadSummary& s, bool whole, simdjson::error_code parse_err);
  void emit_root(simdjson::dom::element root, const RecordRef& ref, bool line_format,
                 EventSink& sink, ReadSummary& s);
  void emit_record(simdjson::dom::element record, const RecordRef& ref, bool lookup,
                   EventSink& sink, ReadSummary& s);
  void skip(Error error, EventSink& sink, ReadSummary& s);

  ReadOptions options_;
  simdjson::dom::parser doc_parser_;    // whole documents
  simdjson::dom::parser line_parser_;   // one record (line, split record, flow-log line)
  simdjson::dom::parser inner_parser_;  // lookup-events' embedded CloudTrailEvent strings
  simdjson::dom::parser batch_parser_;  // JSON Lines batches (parse_many), allocated on first use
  bool batch_lines_ = true;
  std::size_t sniff_head_ = 64u << 10;
  std::string flow_json_;
  WindowBuffer window_buffer_;  // reused by every file this reader reads
};

}  // namespace firebreak::event::detail
