#pragma once
// LocalWormStore: the default artifact store, a directory (layout in docs/evidence.md):
//
//   objects/<aa>/<sha256>     committed content, mode 0444, named by its hash
//   retention/<aa>/<sha256>   retention-until date (RFC 3339), only ever moved later
//   meta/<incident>/<sha256>.<n>.json   metadata of each store(), 0444, never rewritten
//   tmp/<random>.part         writes in progress (flock'ed by their writer)
//
// Writes go to tmp/, are fsync'ed, made read-only and then hard-linked into objects/ (link(2)
// never replaces an existing name, so an object can't be overwritten, even by a racing writer);
// the directory is fsync'ed before commit() returns. A write interrupted at any point leaves at
// most a .part file, which open() removes once no live writer holds it. Reading re-hashes.
// Read-only modes stop accidents, not root; the retention check stops firebreak itself.
// Thread-safe.

#include <filesystem>
#include <memory>
#include <mutex>

#include "firebreak/evidence/artifact_store.h"

namespace firebreak::evidence {

struct LocalStoreOptions {
  std::uint32_t default_retention_days = 365;
  std::size_t buffer_bytes = 1u << 20;  // write buffer per writer
};

class LocalWormStore final : public ArtifactStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<LocalWormStore>> open(
      const std::filesystem::path& root, Clock& clock, LocalStoreOptions options = {});

  [[nodiscard]] Result<std::unique_ptr<ArtifactWriter>> begin(ArtifactSpec spec) override;
  [[nodiscard]] Result<std::unique_ptr<ArtifactReader>> open(std::string_view sha256) override;
  [[nodiscard]] Result<std::vector<ArtifactInfo>> list(std::string_view incident) override;
  [[nodiscard]] Result<TimePoint> retention(std::string_view sha256) override;
  [[nodiscard]] Status extend_retention(std::string_view sha256, TimePoint until) override;
  [[nodiscard]] Status remove(std::string_view sha256) override;
  [[nodiscard]] std::string describe() const override;

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  // Path of a committed object (for copy_file_range-style export); validated hash only.
  [[nodiscard]] Result<std::filesystem::path> object_path(std::string_view sha256) const;
  // Removes abandoned .part files (no live writer); returns how many.
  [[nodiscard]] Result<std::size_t> collect_abandoned_writes();

 private:
  LocalWormStore(std::filesystem::path root, Clock& clock, LocalStoreOptions options);
  friend class LocalWriter;
  std::filesystem::path root_;
  Clock& clock_;
  LocalStoreOptions options_;
  std::mutex mu_;  // retention read-modify-write
};

// A verifying reader over any file that must hash to `sha256` (objects, bundle artifacts).
[[nodiscard]] Result<std::unique_ptr<ArtifactReader>> open_verified_file(
    const std::filesystem::path& path, std::string_view sha256);

}  // namespace firebreak::evidence
