#pragma once
// Private to the event module: string-aware scanning of JSON text without parsing it.
//  - ValueScanner finds where one JSON value ends, incrementally (the value may arrive in pieces).
//  - split_container() cuts a container document ({"Records":[...]}, [...], {"Events":[...]},
//    {"Findings":[...]}) into its records, reading through a Window with bounded memory. It is
//    the path for documents too large to parse whole, and the fallback for malformed ones: a bad
//    record costs only itself.

#include <cstdint>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"
#include "input.h"

namespace firebreak::event::detail {

class ValueScanner {
 public:
  static constexpr std::size_t npos = std::string_view::npos;
  // Begins a value whose first (non-whitespace) byte is `first`; the scan starts at that byte.
  void start(char first) noexcept;
  // Scans data[i, n). Returns one past the value's last byte, or npos when it continues beyond n.
  // A scalar (number, true, null) ends before the first delimiter; at the end of input the caller
  // decides (scalar_open() says whether it was a scalar still being read).
  std::size_t scan(const char* data, std::size_t i, std::size_t n) noexcept;
  [[nodiscard]] std::size_t max_depth() const noexcept { return max_depth_; }
  [[nodiscard]] bool scalar_open() const noexcept { return mode_ == Mode::kScalar; }

 private:
  enum class Mode : std::uint8_t { kContainer, kString, kScalar };
  Mode mode_ = Mode::kContainer;
  std::size_t depth_ = 0, max_depth_ = 0;
  bool in_string_ = false, escape_ = false;
};

// True when `line` (without its newline) is exactly one JSON object, with only whitespace around
// it. Does not validate the inside: it checks the brackets balance outside strings.
[[nodiscard]] bool is_single_object_line(std::string_view line) noexcept;

// The container keys of a top-level object whose array holds the records.
[[nodiscard]] bool is_container_key(std::string_view key) noexcept;

struct SplitLimits {
  std::size_t max_record_bytes;
  std::size_t max_depth;  // of a record
};

class SplitHandler {
 public:
  virtual ~SplitHandler() = default;
  // One record's bytes (with readable simdjson padding after them), its 0-based index, and the
  // container key it came from ("" for a top-level array).
  virtual void record(std::string_view bytes, std::uint64_t index, std::string_view key) = 0;
  // A record that was cut out but cannot be used (oversized, too deep). Skipped.
  virtual void record_error(std::uint64_t index, Error error) = 0;
};

struct SplitOutcome {
  bool container = false;  // false: the document is not a record container (nothing was emitted)
  std::uint64_t records = 0;
};

// Splits the document at the window's start. A structural error that leaves no way to find the
// next record ends the split with an error naming the record index and byte offset; every record
// before it has been handed over.
[[nodiscard]] Result<SplitOutcome> split_container(Window& w, const SplitLimits& limits,
                                                   SplitHandler& handler);

}  // namespace firebreak::event::detail
