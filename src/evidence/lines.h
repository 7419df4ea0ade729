#pragma once
// Private: streams a file line by line in bounded memory.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak::evidence::detail {

struct Line {
  std::string_view text;     // without LF; empty when oversized
  std::uint64_t number = 0;  // 1-based
  bool terminated = true;    // false for a final line without LF
  bool oversized = false;    // longer than max_line (content dropped)
};

// Calls `f` for every line; `f` returns false to stop early.
[[nodiscard]] Status stream_lines(const std::filesystem::path& path, std::size_t max_line,
                                  const std::function<bool(const Line&)>& f);

}  // namespace firebreak::evidence::detail
