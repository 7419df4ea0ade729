#include "scan.h"

#include <fmt/format.h>

#include <cstring>

namespace firebreak::event::detail {

namespace {
bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

void ValueScanner::start(char first) noexcept {
  depth_ = 0;
  max_depth_ = 0;
  in_string_ = false;
  escape_ = false;
  if (first == '{' || first == '[') {
    mode_ = Mode::kContainer;
  } else if (first == '"') {
    mode_ = Mode::kString;
  } else {
    mode_ = Mode::kScalar;
  }
}

std::size_t ValueScanner::scan(const char* data, std::size_t i, std::size_t n) noexcept {
  switch (mode_) {
    case Mode::kScalar:
      for (; i < n; ++i) {
        const char c = data[i];
        if (c == ',' || c == ']' || c == '}' || is_ws(c)) return i;
      }
      return npos;
    case Mode::kString:
      // The opening quote is data[start]; in_string_ becomes true when we pass it.
      for (; i < n; ++i) {
        const char c = data[i];
        if (!in_string_) {
          in_string_ = true;  // the opening quote
          continue;
        }
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
          return i + 1;
        }
      }
      return npos;
    case Mode::kContainer:
      for (; i < n; ++i) {
        if (in_string_) {
          // Jump to the next quote or backslash: most bytes of a record are inside strings.
          const char* p = data + i;
          const char* end = data + n;
          if (escape_) {
            escape_ = false;
            continue;
          }
          while (p < end && *p != '"' && *p != '\\') ++p;
          i = static_cast<std::size_t>(p - data);
          if (i >= n) return npos;
          if (*p == '\\') {
            escape_ = true;
          } else {
            in_string_ = false;
          }
          continue;
        }
        const char c = data[i];
        if (c == '"') {
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          if (++depth_ > max_depth_) max_depth_ = depth_;
        } else if (c == '}' || c == ']') {
          if (depth_ == 0 || --depth_ == 0) return i + 1;
        }
      }
      return npos;
  }
  return npos;
}

bool is_single_object_line(std::string_view line) noexcept {
  std::size_t i = 0;
  while (i < line.size() && is_ws(line[i])) ++i;
  if (i == line.size() || line[i] != '{') return false;
  ValueScanner s;
  s.start('{');
  const std::size_t end = s.scan(line.data(), i, line.size());
  if (end == ValueScanner::npos) return false;
  for (std::size_t j = end; j < line.size(); ++j) {
    if (!is_ws(line[j])) return false;
  }
  return true;
}

bool is_container_key(std::string_view key) noexcept {
  return key == "Records" || key == "Events" || key == "Findings" || key == "findings";
}

namespace {

class Splitter {
 public:
  Splitter(Window& w, const SplitLimits& limits, SplitHandler& h) : w_(w), limits_(limits), h_(h) {}

  Result<SplitOutcome> run() {
    auto c = next_nonws();
    if (!c) return SplitOutcome{};
    if (*c == '[') {
      w_.consume(1);
      out_.container = true;
      FIREBREAK_TRY_STATUS(read_array(""));
      return out_;
    }
    if (*c != '{') return SplitOutcome{};
    w_.consume(1);
    // Members of the top-level object: records are in the container key's array; any other
    // member is skipped without being kept in memory.
    bool first = true;
    for (;;) {
      auto k = next_nonws();
      if (!k) return structural("the document ends inside its top-level object");
      if (*k == '}') {
        w_.consume(1);
        return out_;
      }
      if (!first) {
        if (*k != ',') return structural(fmt::format("expected ',' or '}}', found '{}'", *k));
        w_.consume(1);
        k = next_nonws();
        if (!k) return structural("the document ends inside its top-level object");
      }
      first = false;
      if (*k != '"') return structural(fmt::format("expected a member name, found '{}'", *k));
      FIREBREAK_TRY(std::string key, read_key());
      auto colon = next_nonws();
      if (!colon || *colon != ':') return structural("expected ':' after a member name");
      w_.consume(1);
      auto v = next_nonws();
      if (!v) return structural("the document ends before a member's value");
      if (*v == '[' && is_container_key(key) && !out_.container) {
        w_.consume(1);
        out_.container = true;
        FIREBREAK_TRY_STATUS(read_array(key));
      } else {
        FIREBREAK_TRY_STATUS(skip_value(*v));
      }
    }
  }

 private:
  std::optional<char> next_nonws() {
    for (;;) {
      const auto v = w_.view();
      std::size_t i = 0;
      while (i < v.size() && is_ws(v[i])) ++i;
      w_.consume(i);
      if (i < v.size()) return v[i];
      if (!w_.fill()) return std::nullopt;
    }
  }

  std::unexpected<Error> structural(std::string_view what) {
    std::string msg = fmt::format("malformed document at byte {}", w_.offset());
    if (out_.records > 0) msg += fmt::format(" (after record {})", out_.records - 1);
    msg += fmt::format(": {}", what);
    if (w_.error()) msg += fmt::format(" ({})", w_.error()->message());
    return fail(ErrorCode::kParse, msg);
  }

  Result<std::string> read_key() {
    ValueScanner s;
    s.start('"');
    std::size_t pos = 0;
    for (;;) {
      const auto v = w_.view();
      const std::size_t end = s.scan(v.data(), pos, v.size());
      if (end != ValueScanner::npos) {
        std::string key(v.substr(1, end - 2));
        w_.consume(end);
        return key;
      }
      pos = v.size();
      if (pos > 4096) return structural("member name longer than 4096 bytes");
      if (!w_.fill()) return structural("the document ends inside a member name");
    }
  }

  // Scans one value starting at the window's start. When `keep` is false (or the value outgrows
  // the record limit) scanned bytes are dropped as it goes. Returns the value's length when kept.
  struct Scanned {
    std::size_t length = 0;  // valid when !dropped
    bool dropped = false;
    std::size_t depth = 0;
  };
  Result<Scanned> scan_value(char first, bool keep, std::string_view what) {
    ValueScanner s;
    s.start(first);
    std::size_t pos = 0;
    Scanned out;
    for (;;) {
      const auto v = w_.view();
      const std::size_t end = s.scan(v.data(), pos, v.size());
      if (end != ValueScanner::npos) {
        out.depth = s.max_depth();
        if (!out.dropped && end > limits_.max_record_bytes) out.dropped = true;
        if (out.dropped) {
          w_.consume(end);
        } else {
          out.length = end;
        }
        return out;
      }
      pos = v.size();
      if (!keep || pos > limits_.max_record_bytes) {
        out.dropped = true;
        w_.consume(pos);
        pos = 0;
      }
      if (!w_.fill()) {
        if (s.scalar_open()) {  // a scalar ends at the end of input
          out.depth = 0;
          if (!out.dropped) out.length = pos;
          return out;
        }
        return structural(fmt::format("the document ends inside {}", what));
      }
    }
  }

  Status skip_value(char first) {
    FIREBREAK_TRY(Scanned s, scan_value(first, false, "a member's value"));
    if (!s.dropped) w_.consume(s.length);
    return {};
  }

  Status read_array(std::string_view key) {
    bool first = true;
    for (;;) {
      auto c = next_nonws();
      if (!c) return structural("the document ends inside the record array");
      if (*c == ']') {
        w_.consume(1);
        return {};
      }
      if (!first) {
        if (*c == ',') {
          w_.consume(1);
          c = next_nonws();
          if (!c) return structural("the document ends inside the record array");
        } else if (*c != '{') {
          return structural(fmt::format("expected ',' or ']', found '{}'", *c));
        }
        // A missing comma between two objects: tolerated, each object is still a record.
      }
      first = false;
      const std::uint64_t index = out_.records;
      FIREBREAK_TRY(Scanned s, scan_value(*c, true, fmt::format("record {}", index)));
      ++out_.records;
      if (s.dropped) {
        h_.record_error(
            index, Error(ErrorCode::kLimitExceeded, fmt::format("record exceeds the {} byte limit",
                                                                limits_.max_record_bytes)));
      } else if (s.depth > limits_.max_depth) {
        h_.record_error(index, Error(ErrorCode::kLimitExceeded,
                                     fmt::format("record nests {} deep, more than the limit of {}",
                                                 s.depth, limits_.max_depth)));
        w_.consume(s.length);
      } else {
        h_.record(w_.view().substr(0, s.length), index, key);
        w_.consume(s.length);
      }
    }
  }

  Window& w_;
  SplitLimits limits_;
  SplitHandler& h_;
  SplitOutcome out_;
};

}  // namespace

Result<SplitOutcome> split_container(Window& w, const SplitLimits& limits, SplitHandler& handler) {
  return Splitter(w, limits, handler).run();
}

}  // namespace firebreak::event::detail
