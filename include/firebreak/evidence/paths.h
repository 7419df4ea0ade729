#pragma once
// Where evidence lives, and how names from outside become paths without escaping.
//
// Names that reach the evidence store from outside (incident ids, instance ids, file names inside
// captures, paths read from a bundle someone handed us) never become paths on their own: they are
// validated as ONE path component first. Rejected: empty, longer than 255 bytes, "." and "..",
// anything containing '/', '\\', NUL or another control character. Content-addressed objects are
// named only by their lower-case hex SHA-256, which is validated the same way.

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak::evidence {

// Accepts `name` as a single, harmless path component (see above); the error says why not.
[[nodiscard]] Status validate_path_component(std::string_view name);

// root / name after validate_path_component(name).
[[nodiscard]] Result<std::filesystem::path> safe_join(const std::filesystem::path& root,
                                                      std::string_view name);

// Incident ids are also directory names: 1-128 bytes of [A-Za-z0-9._:-], starting with a letter
// or digit.
[[nodiscard]] Status validate_incident_id(std::string_view id);

// True for exactly 64 lower-case hex digits (the form every SHA-256 takes in the evidence store).
[[nodiscard]] bool is_sha256_hex(std::string_view s) noexcept;

// Reads an environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
[[nodiscard]] std::optional<std::string> process_env(const char* name);

// The evidence directory when no --evidence-dir flag is given:
//   $FIREBREAK_EVIDENCE_DIR, else $XDG_DATA_HOME/firebreak/evidence,
//   else $HOME/.local/share/firebreak/evidence. Fails only if none of these is set.
[[nodiscard]] Result<std::filesystem::path> default_evidence_dir(
    const EnvLookup& env = process_env);

}  // namespace firebreak::evidence
