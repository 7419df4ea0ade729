#include "firebreak/event/reader.h"

#include <fmt/format.h>
#include <zlib.h>

#include "decode.h"
#include "dom.h"
#include "firebreak/core/fs.h"

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

namespace {

bool is_gzip(std::string_view b) {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

Result<std::string> gunzip(std::string_view in, std::size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return fail(ErrorCode::kInternal, "inflateInit failed");
  std::string out;
  out.resize(std::min<std::size_t>(limit, std::max<std::size_t>(in.size() * 8, 1 << 16)));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::size_t produced = 0;
  int rc = Z_OK;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= limit) {
        inflateEnd(&zs);
        return fail(ErrorCode::kLimitExceeded,
                    fmt::format("inflated data exceeds the {} byte limit", limit));
      }
      out.resize(std::min(limit, out.size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are valid gzip: continue with the next one.
      if (zs.avail_in > 0 && inflateReset(&zs) == Z_OK) continue;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  out.resize(produced);
  if (rc != Z_STREAM_END) {
    return fail(ErrorCode::kParse,
                fmt::format("truncated or corrupt gzip data after {} bytes", produced));
  }
  return out;
}

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

}  // namespace

struct Reader::Impl {
  ReadOptions options;
  dom::parser parser;
  dom::parser inner_parser;  // for lookup-events' embedded JSON strings

  explicit Impl(ReadOptions o) : options(o), parser(o.max_document_bytes) {}

  void emit_record(dom::element record, const RecordRef& ref, EventSink& sink, ReadSummary& s) {
    const std::optional<SourceKind> kind = kind_for(options.format);
    auto status = detail::decode_records(from_dom(record), kind, ref, [&](const Event& e) {
      ++s.events;
      sink.on_event(e);
    });
    if (!status) {
      ++s.skipped;
      sink.on_error(status.error());
    }
  }

  void emit_lookup_event(dom::element wrapper, const RecordRef& ref, EventSink& sink,
                         ReadSummary& s) {
    std::string_view text;
    if (wrapper["CloudTrailEvent"].get_string().get(text) != simdjson::SUCCESS) {
      ++s.skipped;
      sink.on_error(Error(ErrorCode::kParse, "lookup-events entry has no string 'CloudTrailEvent'",
                          ErrorContext{.where = ref.describe()}));
      return;
    }
    dom::element inner;
    if (auto err = inner_parser.parse(text.data(), text.size()).get(inner); err) {
      ++s.skipped;
      sink.on_error(
          Error(ErrorCode::kParse,
                fmt::format("CloudTrailEvent is not valid JSON: {}", simdjson::error_message(err)),
                ErrorContext{.where = ref.describe()}));
      return;
    }
    emit_record(inner, ref, sink, s);
  }

  void read_array(dom::array records, const std::shared_ptr<const std::string>& file, bool lookup,
                  EventSink& sink, ReadSummary& s) {
    std::uint64_t index = 0;
    for (dom::element record : records) {
      RecordRef ref{file, index++, 0};
      if (lookup)
        emit_lookup_event(record, ref, sink, s);
      else
        emit_record(record, ref, sink, s);
    }
  }

  void read_document(std::string_view bytes, const std::shared_ptr<const std::string>& file,
                     EventSink& sink, ReadSummary& s) {
    dom::element root;
    if (auto err = parser.parse(bytes.data(), bytes.size()).get(root); err) {
      ++s.skipped;
      sink.on_error(Error(ErrorCode::kParse,
                          fmt::format("not valid JSON: {}", simdjson::error_message(err)),
                          ErrorContext{.where = *file}));
      return;
    }
    dom::array arr;
    if (root.get_array().get(arr) == simdjson::SUCCESS) {
      read_array(arr, file, options.format == InputFormat::kLookupEvents, sink, s);
      return;
    }
    dom::object obj;
    if (root.get_object().get(obj) == simdjson::SUCCESS) {
      for (std::string_view key : {"Records", "Events", "Findings", "findings"}) {
        dom::array inner;
        if (obj[key].get_array().get(inner) == simdjson::SUCCESS) {
          read_array(inner, file, key == "Events", sink, s);
          return;
        }
      }
    }
    emit_record(root, RecordRef{file, 0, 0}, sink, s);
  }

  void read_lines(std::string_view bytes, const std::shared_ptr<const std::string>& file,
                  EventSink& sink, ReadSummary& s) {
    std::uint64_t line_no = 0, index = 0;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      std::size_t end = bytes.find('\n', pos);
      if (end == std::string_view::npos) end = bytes.size();
      std::string_view line = bytes.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      RecordRef ref{file, index++, line_no};
      if (line.size() > options.max_record_bytes) {
        ++s.skipped;
        sink.on_error(Error(ErrorCode::kLimitExceeded,
                            fmt::format("record of {} bytes exceeds the {} byte limit", line.size(),
                                        options.max_record_bytes),
                            ErrorContext{.where = ref.describe()}));
        continue;
      }
      dom::element root;
      if (auto err = parser.parse(line.data(), line.size()).get(root); err) {
        ++s.skipped;
        sink.on_error(Error(ErrorCode::kParse,
                            fmt::format("not valid JSON: {}", simdjson::error_message(err)),
                            ErrorContext{.where = ref.describe()}));
        continue;
      }
      if (options.format == InputFormat::kLookupEvents)
        emit_lookup_event(root, ref, sink, s);
      else
        emit_record(root, ref, sink, s);
    }
  }

  void read_bytes(std::string_view bytes, const std::shared_ptr<const std::string>& file,
                  EventSink& sink, ReadSummary& s) {
    s.bytes += bytes.size();
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;  // empty file: no records
    // JSON Lines: a JSON object on the first line followed by another value on a later line.
    const auto nl = bytes.find('\n', first);
    const bool multi_line = nl != std::string_view::npos &&
                            bytes.find_first_not_of(" \t\r\n", nl) != std::string_view::npos;
    if (bytes[first] == '{' && multi_line) {
      dom::element probe;
      std::string_view first_line = bytes.substr(first, nl - first);
      if (parser.parse(first_line.data(), first_line.size()).get(probe) == simdjson::SUCCESS) {
        read_lines(bytes, file, sink, s);
        return;
      }
    }
    if (bytes[first] == '{' || bytes[first] == '[') {
      read_document(bytes, file, sink, s);
      return;
    }
    ++s.skipped;
    sink.on_error(Error(ErrorCode::kUnsupported, "not a recognised telemetry format",
                        ErrorContext{.where = *file}));
  }
};

Reader::Reader(ReadOptions options) : impl_(std::make_unique<Impl>(options)) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

ReadSummary Reader::read_buffer(std::string_view bytes, std::string_view name, EventSink& sink) {
  ReadSummary s;
  s.files = 1;
  auto file = std::make_shared<const std::string>(name);
  if (is_gzip(bytes)) {
    auto inflated = gunzip(bytes, impl_->options.max_document_bytes);
    if (!inflated) {
      ++s.failed_files;
      sink.on_error(inflated.error().at(name));
      return s;
    }
    impl_->read_bytes(*inflated, file, sink, s);
    return s;
  }
  impl_->read_bytes(bytes, file, sink, s);
  return s;
}

ReadSummary Reader::read_file(const std::filesystem::path& path, EventSink& sink) {
  auto bytes = firebreak::read_file(path, impl_->options.max_document_bytes);
  if (!bytes) {
    ReadSummary s;
    s.files = 1;
    s.failed_files = 1;
    sink.on_error(bytes.error().at(path.string()));
    return s;
  }
  return read_buffer(*bytes, path.string(), sink);
}

ReadSummary Reader::read_paths(const std::vector<std::filesystem::path>& paths, EventSink& sink) {
  ReadSummary total;
  for (const auto& p : paths) {
    auto files = expand_paths({p});
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
