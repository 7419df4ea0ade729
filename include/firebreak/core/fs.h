#pragma once
// File-system helpers with errors as values and paths in every message.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak {

// Reads a whole file. Fails with kLimitExceeded if it is larger than `max_bytes`.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path,
                                            std::uint64_t max_bytes = 1ull << 30);

// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
// directory. Readers see either the old file or the whole new one, never a part.
[[nodiscard]] Status write_file_atomic(
    const std::filesystem::path& path, std::string_view data,
    std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                   std::filesystem::perms::owner_write);

// Expands files and directories (recursively) into a sorted list of regular files. Hidden
// entries (".*") inside directories are skipped; a named path is always taken as given.
[[nodiscard]] Result<std::vector<std::filesystem::path>> expand_paths(
    const std::vector<std::filesystem::path>& inputs);

}  // namespace firebreak
