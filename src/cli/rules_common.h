#pragma once
// Private to the CLI: loading rule directories, filter directories and placeholder files the
// same way for `detect` and `rules`.

#include <string>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/detect/loader.h"

namespace firebreak::cli {

// Loads rules from `rules`, filters from `filters` (only their Sigma filters are kept) and
// placeholder files. Fails only when a placeholder file cannot be read.
[[nodiscard]] Result<detect::RuleSet> load_rule_dirs(const std::vector<std::string>& rules,
                                                     const std::vector<std::string>& filters,
                                                     const std::vector<std::string>& placeholders);

}  // namespace firebreak::cli
