#include "firebreak/evidence/paths.h"

#include <fmt/format.h>

#include "firebreak/core/json.h"

namespace firebreak::evidence {

Status validate_path_component(std::string_view name) {
  auto reject = [&](std::string_view why) {
    std::string shown;
    append_json_string(shown, name.substr(0, 80));
    return fail(ErrorCode::kInvalidArgument, fmt::format("unsafe name {}: {}", shown, why));
  };
  if (name.empty()) return reject("empty");
  if (name.size() > 255) return reject("longer than 255 bytes");
  if (name == "." || name == "..") return reject("a relative directory reference");
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return reject("contains a path separator");
    if (u == 0) return reject("contains a NUL byte");
    if (u < 0x20 || u == 0x7f) return reject("contains a control character");
  }
  return {};
}

Result<std::filesystem::path> safe_join(const std::filesystem::path& root, std::string_view name) {
  FIREBREAK_TRY_STATUS(validate_path_component(name));
  return root / std::filesystem::path(std::string(name));
}

Status validate_incident_id(std::string_view id) {
  auto reject = [&](std::string_view why) {
    std::string shown;
    append_json_string(shown, id.substr(0, 80));
    return fail(ErrorCode::kInvalidArgument, fmt::format("invalid incident id {}: {}", shown, why));
  };
  if (id.empty()) return reject("empty");
  if (id.size() > 128) return reject("longer than 128 bytes");
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(id.front())) return reject("must start with a letter or digit");
  for (const char c : id) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-' && c != ':') {
      return reject("only letters, digits and . _ - : are allowed");
    }
  }
  return {};
}

bool is_sha256_hex(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

Result<std::filesystem::path> default_evidence_dir(const EnvLookup& env) {
  if (auto d = env("FIREBREAK_EVIDENCE_DIR")) return std::filesystem::path(*d);
  // XDG base directory spec: relative values are invalid and must be ignored.
  if (auto d = env("XDG_DATA_HOME"); d && !d->empty() && (*d)[0] == '/') {
    return std::filesystem::path(*d) / "firebreak" / "evidence";
  }
  if (auto h = env("HOME")) {
    return std::filesystem::path(*h) / ".local" / "share" / "firebreak" / "evidence";
  }
  return fail(ErrorCode::kInvalidArgument,
              "no evidence directory: pass --evidence-dir or set FIREBREAK_EVIDENCE_DIR "
              "(neither XDG_DATA_HOME nor HOME is set)");
}

}  // namespace firebreak::evidence
