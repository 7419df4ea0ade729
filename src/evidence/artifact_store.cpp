#include "firebreak/evidence/artifact_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"

namespace firebreak::evidence {
namespace {
constexpr std::array<std::string_view, 6> kSourceNames = {"instance", "volume", "snapshot",
                                                          "command",  "file",   "other"};
constexpr std::size_t kMaxField = 4096;
}  // namespace

std::string_view to_string(SourceKind k) noexcept {
  return kSourceNames[static_cast<std::size_t>(k)];
}

std::optional<SourceKind> parse_source_kind(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kSourceNames.size(); ++i) {
    if (kSourceNames[i] == s) return static_cast<SourceKind>(i);
  }
  return std::nullopt;
}

Json to_json(const ArtifactInfo& info) {
  Json j = Json::object();
  j["backend"] = info.backend;
  j["committed"] = record_time(info.committed);
  j["incident"] = info.incident;
  j["location"] = info.location;
  j["lock_mode"] = info.lock_mode;
  j["media_type"] = info.media_type;
  j["name"] = info.name;
  j["retain_until"] = record_time(info.retain_until);
  j["sha256"] = info.sha256;
  j["size"] = info.size;
  j["source"] = {{"detail", info.source.detail},
                 {"id", info.source.id},
                 {"kind", std::string(to_string(info.source.kind))}};
  j["started"] = record_time(info.started);
  j["tool"] = info.tool;
  j["tool_version"] = info.tool_version;
  return j;
}

Result<ArtifactInfo> artifact_info_from_json(const Json& j) {
  if (!j.is_object()) return fail(ErrorCode::kParse, "artifact metadata must be a JSON object");
  auto str = [&](const Json& o, const char* k) -> Result<std::string> {
    auto it = o.find(k);
    if (it == o.end() || !it->is_string()) {
      return fail(ErrorCode::kParse,
                  fmt::format("artifact metadata: \"{}\" missing or not a string", k));
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > kMaxField) {
      return fail(ErrorCode::kLimitExceeded, fmt::format("artifact metadata: \"{}\" too long", k));
    }
    return s;
  };
  auto time = [&](const char* k) -> Result<TimePoint> {
    FIREBREAK_TRY(std::string s, str(j, k));
    auto t = parse_iso8601(s);
    if (!t)
      return fail(ErrorCode::kParse, fmt::format("artifact metadata: \"{}\" is not a time", k));
    return *t;
  };
  ArtifactInfo info;
  FIREBREAK_TRY(info.backend, str(j, "backend"));
  FIREBREAK_TRY(info.committed, time("committed"));
  FIREBREAK_TRY(info.incident, str(j, "incident"));
  FIREBREAK_TRY_STATUS(validate_incident_id(info.incident));
  FIREBREAK_TRY(info.location, str(j, "location"));
  FIREBREAK_TRY(info.lock_mode, str(j, "lock_mode"));
  FIREBREAK_TRY(info.media_type, str(j, "media_type"));
  FIREBREAK_TRY(info.name, str(j, "name"));
  FIREBREAK_TRY(info.retain_until, time("retain_until"));
  FIREBREAK_TRY(info.sha256, str(j, "sha256"));
  if (!is_sha256_hex(info.sha256)) {
    return fail(ErrorCode::kParse, "artifact metadata: \"sha256\" is not 64 lower-case hex digits");
  }
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned()) {
    return fail(ErrorCode::kParse, "artifact metadata: \"size\" missing or not an integer");
  }
  info.size = size->get<std::uint64_t>();
  auto source = j.find("source");
  if (source == j.end() || !source->is_object()) {
    return fail(ErrorCode::kParse, "artifact metadata: \"source\" missing or not an object");
  }
  FIREBREAK_TRY(info.source.detail, str(*source, "detail"));
  FIREBREAK_TRY(info.source.id, str(*source, "id"));
  FIREBREAK_TRY(std::string kind, str(*source, "kind"));
  auto k = parse_source_kind(kind);
  if (!k) return fail(ErrorCode::kParse, "artifact metadata: unknown source kind");
  info.source.kind = *k;
  FIREBREAK_TRY(info.started, time("started"));
  FIREBREAK_TRY(info.tool, str(j, "tool"));
  FIREBREAK_TRY(info.tool_version, str(j, "tool_version"));
  return info;
}

Result<ArtifactInfo> store_from_fd(ArtifactStore& store, ArtifactSpec spec, int fd) {
  FIREBREAK_TRY(auto writer, store.begin(std::move(spec)));
  std::vector<char> buf(1u << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      writer->abort();
      return fail(ErrorCode::kIo,
                  fmt::format("reading the artifact source failed: {}", std::strerror(err)));
    }
    if (n == 0) break;
    if (auto w = writer->write(std::string_view(buf.data(), static_cast<std::size_t>(n))); !w) {
      writer->abort();
      return fail(w.error());
    }
  }
  return writer->commit();
}

Result<std::uint64_t> verify_object(ArtifactStore& store, std::string_view sha256) {
  FIREBREAK_TRY(auto reader, store.open(sha256));
  std::vector<char> buf(1u << 20);
  std::uint64_t total = 0;
  for (;;) {
    FIREBREAK_TRY(std::size_t n, reader->read(buf));
    if (n == 0) break;
    total += n;
  }
  return total;
}

}  // namespace firebreak::evidence
