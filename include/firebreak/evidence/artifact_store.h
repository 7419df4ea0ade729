#pragma once
// The artifact store: write-once, content-addressed (SHA-256) storage for evidence such as memory
// captures, disk extracts and command output. The response engine streams into an ArtifactWriter
// without knowing the backend; backends are LocalWormStore (local_store.h, the default) and an S3
// Object Lock store implemented against the cloud S3 seam.
//
// Contract for every backend:
//  - Streaming: write() may be called any number of times with chunks of any size; memory stays
//    constant (the hash is computed while streaming).
//  - Content addressing: an object is named by the lower-case hex SHA-256 of its bytes. The same
//    bytes stored twice are one object; each store() records its own metadata.
//  - Write once: nothing ever overwrites a committed object; remove() refuses before the object's
//    retention date (kPermissionDenied), whoever asks, firebreak included. Retention can be
//    extended, never shortened.
//  - All or nothing: until commit() returns, the object is not visible; an interrupted write
//    (abort, destructor, crash) leaves nothing that looks like a complete object.
//  - Verify on read: readers hash what they return and fail at the end if it does not match.
//  - Names from outside (spec.name, source ids) are metadata only, never paths.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::evidence {

enum class SourceKind : std::uint8_t { kInstance, kVolume, kSnapshot, kCommand, kFile, kOther };
[[nodiscard]] std::string_view to_string(SourceKind k) noexcept;  // "instance", "volume", ...
[[nodiscard]] std::optional<SourceKind> parse_source_kind(std::string_view s) noexcept;

struct ArtifactSource {
  SourceKind kind = SourceKind::kOther;
  std::string id;      // "i-0abc...", "vol-...", "snap-...", the command line, a file name
  std::string detail;  // free text: region/account, device, path inside a capture, ...
};

// What the caller knows before streaming.
struct ArtifactSpec {
  std::string incident;  // validated as an incident id
  std::string name;      // display name from outside ("memory.lime"); metadata only
  ArtifactSource source;
  std::string tool;  // what produced the bytes ("LiME", "dd", "aws ssm send-command")
  std::string tool_version;
  std::string media_type = "application/octet-stream";
  std::optional<TimePoint> started;  // when acquisition began (default: begin())
  // Retention: absolute date, or days from commit; neither = the store's default.
  std::optional<TimePoint> retain_until;
  std::optional<std::uint32_t> retain_days;
  std::optional<std::string> expected_sha256;  // if known in advance, commit() checks it
};

// What the store recorded at commit.
struct ArtifactInfo {
  std::string incident;
  std::string name;
  ArtifactSource source;
  std::string tool;
  std::string tool_version;
  std::string media_type;
  std::string sha256;  // 64 hex; the object's name
  std::uint64_t size = 0;
  TimePoint started;
  TimePoint committed;
  TimePoint retain_until;
  std::string backend;    // "local" or "s3"
  std::string location;   // where it is: "objects/ab/<sha>" or "s3://bucket/key?versionId=..."
  std::string lock_mode;  // "" (local), "COMPLIANCE" or "GOVERNANCE" (S3)
};

// Canonical JSON form (the payload of a ledger "artifact" record and of metadata files).
[[nodiscard]] Json to_json(const ArtifactInfo& info);
[[nodiscard]] Result<ArtifactInfo> artifact_info_from_json(const Json& j);

class ArtifactWriter {
 public:
  virtual ~ArtifactWriter() = default;  // destroying an uncommitted writer aborts it
  [[nodiscard]] virtual Status write(std::string_view chunk) = 0;
  // Makes the object durable and visible; afterwards the writer is finished.
  [[nodiscard]] virtual Result<ArtifactInfo> commit() = 0;
  // Discards everything written; nothing becomes visible.
  virtual void abort() = 0;
  [[nodiscard]] virtual std::uint64_t bytes_written() const = 0;
};

class ArtifactReader {
 public:
  virtual ~ArtifactReader() = default;
  // Reads up to buf.size() bytes; 0 at the end. At the end the content's hash and size are
  // checked: a mismatch is an error (kFailedPrecondition), never a silent short read.
  [[nodiscard]] virtual Result<std::size_t> read(std::span<char> buf) = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<ArtifactWriter>> begin(ArtifactSpec spec) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<ArtifactReader>> open(std::string_view sha256) = 0;
  // Metadata recorded for `incident` (every store() of it), oldest first.
  [[nodiscard]] virtual Result<std::vector<ArtifactInfo>> list(std::string_view incident) = 0;
  // Retention date of a stored object (kNotFound if absent).
  [[nodiscard]] virtual Result<TimePoint> retention(std::string_view sha256) = 0;
  // Extends retention; a date earlier than the current one is refused.
  [[nodiscard]] virtual Status extend_retention(std::string_view sha256, TimePoint until) = 0;
  // Deletes an object whose retention has passed; kPermissionDenied before.
  [[nodiscard]] virtual Status remove(std::string_view sha256) = 0;
  // "local WORM store at /path" / "s3://bucket/prefix (Object Lock COMPLIANCE)".
  [[nodiscard]] virtual std::string describe() const = 0;
};

// Streams everything readable from `fd` (file, pipe, socket) into a new artifact and commits it.
[[nodiscard]] Result<ArtifactInfo> store_from_fd(ArtifactStore& store, ArtifactSpec spec, int fd);
// Reads the whole object, verifying it; returns its size.
[[nodiscard]] Result<std::uint64_t> verify_object(ArtifactStore& store, std::string_view sha256);

}  // namespace firebreak::evidence
