#include "firebreak/event/reader.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <functional>

#include "decode.h"
#include "dom.h"
#include "firebreak/core/fs.h"
#include "reader_impl.h"
#include "scan.h"

namespace firebreak::event {
namespace dom = simdjson::dom;
using detail::from_dom;

std::string_view to_string(InputFormat f) noexcept {
  switch (f) {
    case InputFormat::kAuto: return "auto";
    case InputFormat::kCloudTrail: return "cloudtrail";
    case InputFormat::kLookupEvents: return "lookup-events";
    case InputFormat::kEventBridge: return "eventbridge";
    case InputFormat::kGuardDuty: return "guardduty";
    case InputFormat::kSecurityHub: return "securityhub";
    case InputFormat::kVpcFlow: return "vpcflow";
  }
  return "auto";
}

std::optional<InputFormat> parse_input_format(std::string_view t) noexcept {
  for (auto f : {InputFormat::kAuto, InputFormat::kCloudTrail, InputFormat::kLookupEvents,
                 InputFormat::kEventBridge, InputFormat::kGuardDuty, InputFormat::kSecurityHub,
                 InputFormat::kVpcFlow}) {
    if (to_string(f) == t) return f;
  }
  return std::nullopt;
}

ReadSummary& ReadSummary::operator+=(const ReadSummary& o) {
  files += o.files;
  events += o.events;
  skipped += o.skipped;
  failed_files += o.failed_files;
  bytes += o.bytes;
  return *this;
}

namespace detail {

namespace {

constexpr std::size_t kSniffBytes = 64u << 10;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<SourceKind> kind_for(InputFormat f) {
  switch (f) {
    case InputFormat::kCloudTrail:
    case InputFormat::kLookupEvents: return SourceKind::kCloudTrail;
    case InputFormat::kGuardDuty: return SourceKind::kGuardDuty;
    case InputFormat::kSecurityHub: return SourceKind::kSecurityHub;
    case InputFormat::kVpcFlow: return SourceKind::kVpcFlow;
    default: return std::nullopt;
  }
}

std::string_view strip_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool blank(std::string_view line) {
  for (char c : line) {
    if (!is_ws(c)) return false;
  }
  return true;
}

std::string json_error(simdjson::error_code err) {
  return fmt::format("not valid JSON: {}", simdjson::error_message(err));
}

}  // namespace

Result<std::vector<std::filesystem::path>> expand_inputs(const std::filesystem::path& input) {
  FIREBREAK_TRY(auto files, expand_paths({input}));
  std::error_code ec;
  if (std::filesystem::is_directory(input, ec)) {
    std::erase_if(files, [](const std::filesystem::path& f) {
      const auto name = f.filename().string();
      return name.starts_with("README") || f.extension() == ".md";
    });
  }
  return files;
}

ReaderCore::ReaderCore(const ReadOptions& options) : options_(options) {
  // Depth: a record may nest max_depth deep; a container document adds two levels around it.
  // An allocation failure here surfaces as an error from the first parse.
  if (doc_parser_.allocate(1u << 16, options_.max_depth + 2)) {
  }
  if (line_parser_.allocate(1u << 16, options_.max_depth + 2)) {
  }
  if (inner_parser_.allocate(1u << 16, options_.max_depth)) {
  }
}

void ReaderCore::skip(Error error, EventSink& sink, ReadSummary& s) {
  ++s.skipped;
  sink.on_error(error);
}

std::size_t ReaderCore::line_end(Window& w, std::size_t from) const {
  for (;;) {
    const auto v = w.view();
    const auto nl = v.find('\n', from);
    if (nl != std::string_view::npos) return nl;
    if (v.size() > options_.max_document_bytes || !w.fill()) return v.size();
  }
}

Sniff ReaderCore::sniff(Window& w) {
  Sniff out;
  w.fill_to(kSniffBytes);
  if (w.view().starts_with("\xEF\xBB\xBF")) w.consume(3);  // UTF-8 byte-order mark
  const auto v0 = w.view();
  std::size_t first = 0;
  while (first < v0.size() && is_ws(v0[first])) ++first;
  if (first == v0.size()) {
    out.layout = Layout::kEmpty;
    return out;
  }
  const char c = v0[first];
  const bool json = c == '{' || c == '[';
  if (options_.format == InputFormat::kVpcFlow || !json) {
    // Flow logs: a header line, or the default format without one.
    const std::size_t e1 = line_end(w, first);
    const auto line = strip_line(w.view().substr(first, e1 - first));
    if (auto header = parse_flow_header(line)) {
      out.layout = Layout::kFlowLog;
      out.flow = std::make_shared<const FlowFormat>(std::move(*header));
      out.header_lines = 1;
      w.consume(std::min(w.size(), e1 + 1));
      return out;
    }
    if (options_.format == InputFormat::kVpcFlow || is_default_flow_line(line)) {
      out.layout = Layout::kFlowLog;
      out.flow = default_flow_format();
      return out;
    }
    out.layout = Layout::kUnknown;
    return out;
  }
  if (c == '[') {
    out.layout = Layout::kDocument;
    return out;
  }
  const auto head = v0.substr(first, sniff_head_);
  if (std::memchr(head.data(), '\n', head.size()) == nullptr &&
      w.size() <= options_.max_document_bytes) {
    // Bytes lent by the caller but for their last few (read_buffer): take the rest now, a copy
    // that parsing a document needs anyway (simdjson reads padding after it).
    if (w.lent() && !w.holds_all()) w.fill_to(options_.max_document_bytes + 1);
    if (w.holds_all() && w.size() <= options_.max_document_bytes) {
      out.layout = Layout::kLongFirstLine;
      return out;
    }
  }
  sniff_object_lines(w, out);
  return out;
}

void ReaderCore::sniff_object_lines(Window& w, Sniff& out) {
  // '{': a document, or JSON Lines. JSON Lines when one of the first two non-blank lines is a
  // complete object on its own (so a broken first line does not hide the format) and there is
  // more than one non-blank line. A pretty-printed document has no line that is a whole object.
  std::size_t first = 0;
  while (first < w.size() && is_ws(w.view()[first])) ++first;
  const std::size_t e1 = line_end(w, first);
  std::size_t s2 = e1;
  {
    const auto v = w.view();
    while (s2 < v.size() && is_ws(v[s2])) ++s2;
    if (s2 == v.size() && !w.eof()) {
      w.fill_to(v.size() + 4096);
      const auto v2 = w.view();
      while (s2 < v2.size() && is_ws(v2[s2])) ++s2;
    }
  }
  if (s2 >= w.size()) {
    out.layout = Layout::kDocument;  // a single line (or a single value)
    return;
  }
  bool lines = is_single_object_line(w.view().substr(first, e1 - first));
  if (!lines) {
    const std::size_t e2 = line_end(w, s2);
    lines = is_single_object_line(w.view().substr(s2, e2 - s2));
  }
  out.layout = lines ? Layout::kJsonLines : Layout::kDocument;
}

void ReaderCore::read_stream(ByteStream& stream, const std::shared_ptr<const std::string>& file,
                             EventSink& sink, ReadSummary& s) {
  Window w(stream, 1u << 20, &window_buffer_);
  Sniff sn = sniff(w);
  switch (sn.layout) {
    case Layout::kEmpty: break;
    case Layout::kUnknown:
      ++s.failed_files;
      sink.on_error(Error(ErrorCode::kUnsupported,
                          "not a recognised telemetry format (expected JSON: CloudTrail, "
                          "EventBridge, GuardDuty, Security Hub; or VPC Flow Logs text)",
                          ErrorContext{.where = *file}));
      break;
    case Layout::kJsonLines:
    case Layout::kFlowLog: read_lines(w, sn, file, sink, s); break;
    case Layout::kDocument: read_document(w, file, sink, s); break;
    case Layout::kLongFirstLine: {
      bool whole = false;
      simdjson::error_code parse_err = simdjson::SUCCESS;
      if (read_whole_document(w, file, sink, s, whole, parse_err)) break;
      sniff_object_lines(w, sn);
      if (sn.layout == Layout::kJsonLines) {
        read_lines(w, sn, file, sink, s);
      } else {
        split_document(w, file, sink, s, whole, parse_err);
      }
      break;
    }
  }
  // Drain what is left so `bytes` counts the whole file and a late stream error is seen.
  while (w.size() > 0 || !w.eof()) {
    w.consume(w.size());
    if (!w.fill()) break;
  }
  s.bytes += w.offset();
  if (w.error() && sn.layout != Layout::kJsonLines && sn.layout != Layout::kFlowLog &&
      sn.layout != Layout::kDocument && sn.layout != Layout::kLongFirstLine) {
    skip(Error(w.error()->code(), w.error()->message(), ErrorContext{.where = *file}), sink, s);
  }
}

// ---- line formats ----

void ReaderCore::read_lines(Window& w, Sniff& sn, const std::shared_ptr<const std::string>& file,
                            EventSink& sink, ReadSummary& s) {
  std::uint64_t line_no = 1 + sn.header_lines;
  for (;;) {
    const std::size_t used = process_lines(w.view(), false, line_no, sn, file, sink, s);
    w.consume(used);
    if (w.size() > options_.max_record_bytes) {
      // A line longer than the limit: report it, then drop bytes up to its newline.
      skip(
          Error(ErrorCode::kLimitExceeded,
                fmt::format("line longer than the {} byte record limit", options_.max_record_bytes),
                ErrorContext{.where = RecordRef{file, line_no - 1, line_no}.describe()}),
          sink, s);
      for (;;) {
        const auto v = w.view();
        const auto nl = v.find('\n');
        if (nl != std::string_view::npos) {
          w.consume(nl + 1);
          break;
        }
        w.consume(v.size());
        if (!w.fill()) break;
      }
      ++line_no;
      continue;
    }
    if (!w.fill()) {
      process_lines(w.view(), true, line_no, sn, file, sink, s);
      w.consume(w.size());
      break;
    }
  }
  if (w.error()) {
    skip(Error(w.error()->code(), w.error()->message(),
               ErrorContext{.where = fmt::format("{} line {}", *file, line_no)}),
         sink, s);
  }
}

void ReaderCore::read_line_chunk(std::string_view bytes, std::uint64_t first_line,
                                 const Sniff& chunk_sniff,
                                 const std::shared_ptr<const std::string>& file, EventSink& sink,
                                 ReadSummary& s) {
  Sniff sn = chunk_sniff;
  std::uint64_t line_no = first_line;
  s.bytes += bytes.size();
  process_lines(bytes, true, line_no, sn, file, sink, s);
}

std::size_t ReaderCore::process_lines(std::string_view bytes, bool final, std::uint64_t& line_no,
                                      Sniff& sn, const std::shared_ptr<const std::string>& file,
                                      EventSink& sink, ReadSummary& s) {
  // Complete lines only, unless this is the end of the input.
  std::size_t end = bytes.size();
  if (!final) {
    const void* nl = memrchr(bytes.data(), '\n', bytes.size());
    if (!nl) return 0;
    end = static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) + 1;
  }
  if (sn.layout != Layout::kJsonLines || !batch_lines_) {
    return lines_one_by_one(bytes, 0, end, UINT64_MAX, line_no, sn, file, sink, s);
  }
  // A batch that does not line up is read line by line from where it stopped, for a stretch that
  // doubles while batches keep failing without progress (each failed attempt costs a stage 1
  // over up to kLineBatchBytes), so input that is mostly bad is not parsed twice over.
  std::size_t pos = 0;
  std::uint64_t backoff = 1;
  while (pos < end) {
    const std::uint64_t before = line_no;
    pos = lines_batched(bytes, pos, end, line_no, file, sink, s);
    if (pos >= end) break;
    backoff = line_no - before < 64 ? std::min<std::uint64_t>(backoff * 2, 4096) : 1;
    pos = lines_one_by_one(bytes, pos, end, backoff, line_no, sn, file, sink, s);
  }
  return end;
}

std::size_t ReaderCore::lines_one_by_one(std::string_view bytes, std::size_t pos, std::size_t end,
                                         std::uint64_t max_lines, std::uint64_t& line_no, Sniff& sn,
                                         const std::shared_ptr<const std::string>& file,
                                         EventSink& sink, ReadSummary& s) {
  for (std::uint64_t n = 0; n < max_lines && pos < end; ++n) {
    const void* nl = std::memchr(bytes.data() + pos, '\n', end - pos);
    const std::size_t le =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) : end;
    const auto line = strip_line(bytes.substr(pos, le - pos));
    if (line.size() > options_.max_record_bytes) {
      skip(Error(ErrorCode::kLimitExceeded,
                 fmt::format("line of {} bytes exceeds the {} byte record limit", line.size(),
                             options_.max_record_bytes),
                 ErrorContext{.where = RecordRef{file, line_no - 1, line_no}.describe()}),
           sink, s);
    } else if (!blank(line)) {
      process_line(line, line_no, sn, file, sink, s);
    }
    ++line_no;
    pos = le + 1;
  }
  return std::min(pos, end);
}

std::size_t ReaderCore::lines_batched(std::string_view bytes, std::size_t pos, std::size_t end,
                                      std::uint64_t& line_no,
                                      const std::shared_ptr<const std::string>& file,
                                      EventSink& sink, ReadSummary& s) {
  // Lines of about a record each: batches of this size keep the parser's buffers in cache.
  constexpr std::size_t kLineBatchBytes = 256u << 10;
  if (batch_parser_.capacity() < kLineBatchBytes) {
    batch_parser_.threaded = false;  // one thread per reader (read_parallel adds threads)
    if (batch_parser_.allocate(kLineBatchBytes, options_.max_depth + 2)) return pos;
  }
  const std::size_t base = pos;
  RecordRef ref{file, 0, 0};  // one copy of the file name for the batch
  dom::document_stream stream;
  if (batch_parser_
          .parse_many(reinterpret_cast<const std::uint8_t*>(bytes.data() + base), end - base,
                      kLineBatchBytes)
          .get(stream)) {
    return pos;
  }
  // Each document must be exactly the content of one line (whitespace around it allowed), the
  // lines between documents blank: then the per-line parse would have read the same record from
  // the same line. Anything else (a document over several lines, two on one line, bytes that are
  // not a document, a parse error) stops the batch at that line.
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    dom::element root;
    if ((*it).get(root) != simdjson::SUCCESS) return pos;
    const std::size_t ds = base + it.current_index();
    const std::size_t de = ds + it.source().size();
    std::size_t le;  // the end of the document's line
    if (ds == pos && bytes[ds] == '{' && de < end && bytes[de] == '\n' &&
        de - pos <= options_.max_record_bytes &&
        std::memchr(bytes.data() + ds, '\n', de - ds) == nullptr) {
      // The usual line: an object from the line's first byte to its newline, and none inside it
      // (whitespace between its tokens may be one), so no blank checks are needed.
      le = de;
    } else {
      for (;;) {
        const void* nl = std::memchr(bytes.data() + pos, '\n', end - pos);
        le = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) : end;
        if (ds < le) break;
        if (!blank(bytes.substr(pos, le - pos))) return pos;
        ++line_no;
        pos = le + 1;
        if (pos >= end) return end;
      }
      if (ds < pos || (bytes[ds] != '{' && bytes[ds] != '[')) return pos;
      if (de > le || !blank(bytes.substr(pos, ds - pos)) || !blank(bytes.substr(de, le - de)) ||
          strip_line(bytes.substr(pos, le - pos)).size() > options_.max_record_bytes) {
        return pos;
      }
    }
    ref.index = line_no - 1;
    ref.line = line_no;
    emit_root(root, ref, true, sink, s);
    ++line_no;
    pos = le + 1;
    if (pos >= end) return end;
  }
  return pos;
}

void ReaderCore::process_line(std::string_view line, std::uint64_t line_no, Sniff& sn,
                              const std::shared_ptr<const std::string>& file, EventSink& sink,
                              ReadSummary& s) {
  const RecordRef ref{file, line_no - 1, line_no};
  if (sn.layout == Layout::kFlowLog) {
    // A header line again (concatenated files) switches the field list for the lines after it.
    if (line[0] >= 'a' && line[0] <= 'z') {
      if (auto header = parse_flow_header(line)) {
        sn.flow = std::make_shared<const FlowFormat>(std::move(*header));
        return;
      }
    }
    if (auto st = flow_line_to_json(*sn.flow, line, flow_json_); !st) {
      skip(st.error().at(ref.describe()), sink, s);
      return;
    }
    flow_json_.reserve(flow_json_.size() + simdjson::SIMDJSON_PADDING);
    dom::element root;
    if (auto err = line_parser_.parse(flow_json_.data(), flow_json_.size(), false).get(root)) {
      skip(Error(ErrorCode::kParse, json_error(err), ErrorContext{.where = ref.describe()}), sink,
           s);
      return;
    }
    auto e = decode_record(from_dom(root), SourceKind::kVpcFlow, ref);
    if (!e) {
      skip(e.error(), sink, s);
      return;
    }
    ++s.events;
    sink.on_event(*e);
    return;
  }
  dom::element root;
  if (auto err = line_parser_.parse(line.data(), line.size(), false).get(root)) {
    skip(Error(err == simdjson::DEPTH_ERROR ? ErrorCode::kLimitExceeded : ErrorCode::kParse,
               err == simdjson::DEPTH_ERROR
                   ? fmt::format("record nests deeper than the limit of {}", options_.max_depth)
                   : json_error(err),
               ErrorContext{.where = ref.describe()}),
         sink, s);
    return;
  }
  emit_root(root, ref, true, sink, s);
}

// ---- documents ----

namespace {

// Hands split records to the record parser.
class SplitToRecords final : public SplitHandler {
 public:
  using Emit = std::function<void(std::string_view, std::uint64_t, std::string_view)>;
  using Fail = std::function<void(std::uint64_t, Error)>;
  SplitToRecords(Emit emit, Fail fail) : emit_(std::move(emit)), fail_(std::move(fail)) {}
  void record(std::string_view bytes, std::uint64_t index, std::string_view key) override {
    emit_(bytes, index, key);
  }
  void record_error(std::uint64_t index, Error error) override { fail_(index, std::move(error)); }

 private:
  Emit emit_;
  Fail fail_;
};

}  // namespace

void ReaderCore::read_document(Window& w, const std::shared_ptr<const std::string>& file,
                               EventSink& sink, ReadSummary& s) {
  bool whole = false;
  simdjson::error_code parse_err = simdjson::SUCCESS;
  if (read_whole_document(w, file, sink, s, whole, parse_err)) return;
  split_document(w, file, sink, s, whole, parse_err);
}

bool ReaderCore::read_whole_document(Window& w, const std::shared_ptr<const std::string>& file,
                                     EventSink& sink, ReadSummary& s, bool& whole,
                                     simdjson::error_code& parse_err) {
  w.fill_to(options_.max_document_bytes + 1);
  whole = w.eof() && !w.error() && w.size() <= options_.max_document_bytes;
  parse_err = simdjson::SUCCESS;
  if (whole) {
    // Fast path: the whole document in one simdjson parse.
    const auto v = w.view();
    if (doc_parser_.capacity() < v.size()) {
      // Grow in powers of two (from 1 MiB): simdjson would grow to each new largest document,
      // and every regrowth maps and page-faults fresh buffers (several times over the first
      // delivery files of a trail). Only the pages a document uses are touched.
      const std::size_t cap = std::min(std::bit_ceil(std::max<std::size_t>(v.size(), 1u << 20)),
                                       std::max(v.size(), options_.max_document_bytes));
      if (doc_parser_.allocate(cap, options_.max_depth + 2)) {
      }  // on failure the parse below reports it
    }
    dom::element root;
    parse_err = doc_parser_.parse(v.data(), v.size(), false).get(root);
    if (!parse_err) {
      emit_root(root, RecordRef{file, 0, 0}, false, sink, s);
      return true;
    }
  }
  return false;
}

void ReaderCore::split_document(Window& w, const std::shared_ptr<const std::string>& file,
                                EventSink& sink, ReadSummary& s, bool whole,
                                simdjson::error_code parse_err) {
  // Too large to parse whole, malformed, or cut short: split it into records, so one bad record
  // (or a truncated end) costs only itself.
  SplitToRecords handler(
      [&](std::string_view bytes, std::uint64_t index, std::string_view key) {
        const RecordRef ref{file, index, 0};
        dom::element rec;
        if (auto err = line_parser_.parse(bytes.data(), bytes.size(), false).get(rec)) {
          skip(Error(
                   err == simdjson::DEPTH_ERROR ? ErrorCode::kLimitExceeded : ErrorCode::kParse,
                   err == simdjson::DEPTH_ERROR
                       ? fmt::format("record nests deeper than the limit of {}", options_.max_depth)
                       : json_error(err),
                   ErrorContext{.where = ref.describe()}),
               sink, s);
          return;
        }
        emit_record(rec, ref, key == "Events", sink, s);
      },
      [&](std::uint64_t index, Error error) {
        skip(std::move(error).at(RecordRef{file, index, 0}.describe()), sink, s);
      });
  auto outcome = split_container(w, {options_.max_record_bytes, options_.max_depth}, handler);
  if (!outcome) {
    skip(outcome.error().at(*file), sink, s);
    return;
  }
  if (!outcome->container) {
    // Not a record container: a single record that did not parse, or one too large.
    if (w.error()) {
      skip(Error(w.error()->code(), w.error()->message(), ErrorContext{.where = *file}), sink, s);
    } else if (!whole) {
      skip(Error(ErrorCode::kLimitExceeded,
                 fmt::format("document larger than the {} byte limit and not a record container",
                             options_.max_document_bytes),
                 ErrorContext{.where = *file}),
           sink, s);
    } else {
      skip(Error(parse_err == simdjson::DEPTH_ERROR ? ErrorCode::kLimitExceeded : ErrorCode::kParse,
                 parse_err == simdjson::DEPTH_ERROR
                     ? fmt::format("document nests deeper than the limit of {}", options_.max_depth)
                     : json_error(parse_err),
                 ErrorContext{.where = *file}),
           sink, s);
    }
    return;
  }
  // The split went to the end of the document; trailing bytes after it are an error.
  for (;;) {
    const auto v = w.view();
    std::size_t i = 0;
    while (i < v.size() && is_ws(v[i])) ++i;
    if (i < v.size()) {
      skip(Error(ErrorCode::kParse,
                 fmt::format("unexpected bytes after the document at byte {}", w.offset() + i),
                 ErrorContext{.where = *file}),
           sink, s);
      break;
    }
    w.consume(i);
    if (!w.fill()) break;
  }
  if (w.error()) {
    skip(Error(w.error()->code(), w.error()->message(), ErrorContext{.where = *file}), sink, s);
  }
}

void ReaderCore::emit_root(dom::element root, const RecordRef& ref, bool line_format,
                           EventSink& sink, ReadSummary& s) {
  // One RecordRef for all records of a container, its index set per record (copying the
  // shared file name per record would cost two atomic updates each).
  auto at = [&](RecordRef& where, std::uint64_t index) -> const RecordRef& {
    if (!line_format) where.index = index, where.line = 0;
    return where;
  };
  dom::array arr;
  if (root.get_array().get(arr) == simdjson::SUCCESS) {
    std::uint64_t i = 0;
    RecordRef where = ref;
    for (dom::element rec : arr) {
      emit_record(rec, at(where, i), options_.format == InputFormat::kLookupEvents, sink, s);
      ++i;
    }
    return;
  }
  dom::object obj;
  // Containers have one or two members (the array, maybe NextToken); records have many, so they
  // skip the four lookups.
  if (root.get_object().get(obj) == simdjson::SUCCESS && obj.size() <= 3) {
    for (std::string_view key : {"Records", "Events", "Findings", "findings"}) {
      dom::element inner;
      if (obj.at_key(key).get(inner) != simdjson::SUCCESS) continue;
      dom::array records;
      if (inner.get_array().get(records) != simdjson::SUCCESS) {
        // {"Records": <not an array>} is a broken container, not a record.
        if (classify(from_dom(root)) == RecordShape::kUnknown) {
          skip(Error(ErrorCode::kParse, fmt::format("'{}' is not an array", key),
                     ErrorContext{.where = ref.describe()}),
               sink, s);
          return;
        }
        break;
      }
      std::uint64_t i = 0;
      RecordRef where = ref;
      for (dom::element rec : records) {
        emit_record(rec, at(where, i), key == "Events", sink, s);
        ++i;
      }
      return;
    }
  }
  emit_record(root, ref, false, sink, s);
}

void ReaderCore::emit_record(dom::element record, const RecordRef& ref, bool lookup,
                             EventSink& sink, ReadSummary& s) {
  // `aws cloudtrail lookup-events` wraps each record as a JSON string in CloudTrailEvent.
  TopLevel top = scan_top(from_dom(record));
  std::string_view inner_text;
  const auto wrapped = top.get(TopLevel::kCloudTrailEvent);
  const bool wrapper = wrapped && wrapped->string().has_value();
  if (wrapper) inner_text = *wrapped->string();
  if (lookup || options_.format == InputFormat::kLookupEvents || wrapper) {
    if (!wrapper) {
      skip(Error(ErrorCode::kParse, "lookup-events entry has no string 'CloudTrailEvent'",
                 ErrorContext{.where = ref.describe()}),
           sink, s);
      return;
    }
    if (inner_text.size() > options_.max_record_bytes) {
      skip(Error(ErrorCode::kLimitExceeded,
                 fmt::format("CloudTrailEvent exceeds the {} byte record limit",
                             options_.max_record_bytes),
                 ErrorContext{.where = ref.describe()}),
           sink, s);
      return;
    }
    dom::element inner;
    if (auto err = inner_parser_.parse(inner_text.data(), inner_text.size()).get(inner)) {
      skip(Error(ErrorCode::kParse,
                 fmt::format("CloudTrailEvent is not valid JSON: {}", simdjson::error_message(err)),
                 ErrorContext{.where = ref.describe()}),
           sink, s);
      return;
    }
    record = inner;
    top = scan_top(from_dom(record));
  }
  std::optional<SourceKind> kind = kind_for(options_.format);
  if (options_.format == InputFormat::kEventBridge &&
      classify(from_dom(record), top) != RecordShape::kEventBridge) {
    skip(Error(ErrorCode::kParse, "record is not an EventBridge envelope",
               ErrorContext{.where = ref.describe()}),
         sink, s);
    return;
  }
  auto status = decode_records(from_dom(record), top, kind, ref, [&](const Event& e) {
    ++s.events;
    sink.on_event(e);
  });
  if (!status) skip(status.error(), sink, s);
}

}  // namespace detail

// ---- Reader ----

struct Reader::Impl {
  explicit Impl(const ReadOptions& o) : core(o) {}
  detail::ReaderCore core;
};

Reader::Reader(ReadOptions options) : impl_(std::make_unique<Impl>(options)) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

ReadSummary Reader::read_buffer(std::string_view bytes, std::string_view name, EventSink& sink) {
  ReadSummary s;
  s.files = 1;
  auto file = std::make_shared<const std::string>(name);
  auto stream = detail::memory_input(bytes);
  impl_->core.read_stream(*stream, file, sink, s);
  return s;
}

static_assert(kReadPadding >= simdjson::SIMDJSON_PADDING);

ReadSummary Reader::read_padded(std::string_view bytes, std::string_view name, EventSink& sink) {
  ReadSummary s;
  s.files = 1;
  auto file = std::make_shared<const std::string>(name);
  auto stream = detail::memory_input(bytes, true);
  impl_->core.read_stream(*stream, file, sink, s);
  return s;
}

ReadSummary Reader::read_file(const std::filesystem::path& path, EventSink& sink) {
  ReadSummary s;
  s.files = 1;
  auto stream = detail::open_input(path);
  if (!stream) {
    s.failed_files = 1;
    sink.on_error(stream.error().at(path.string()));
    return s;
  }
  impl_->core.read_stream(**stream, std::make_shared<const std::string>(path.string()), sink, s);
  return s;
}

ReadSummary Reader::read_paths(const std::vector<std::filesystem::path>& paths, EventSink& sink) {
  ReadSummary total;
  for (const auto& p : paths) {
    auto files = detail::expand_inputs(p);
    if (!files) {
      ++total.failed_files;
      sink.on_error(files.error());
      continue;
    }
    for (const auto& f : *files) total += read_file(f, sink);
  }
  return total;
}

}  // namespace firebreak::event
