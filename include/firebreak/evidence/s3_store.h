#pragma once
// S3ObjectLockStore: the artifact store on S3 with Object Lock, through the cloud seam's S3
// interface (so the same code runs against AWS, moto_server and the simulator).
//
//   <prefix>objects/<sha256>                     content, one locked version per store
//   <prefix>meta/<incident>/<sha256>.<micros>.json  metadata of each store, locked likewise
//
// Every PutObject carries Object Lock retention (COMPLIANCE by default: nobody, root included,
// can delete the version or shorten its retention before the date), SSE-KMS with the configured
// key, and x-amz-checksum-sha256 so S3 itself verifies the upload. The bucket must have Object
// Lock enabled (open() checks). Writes are spooled to a local staging file while hashing
// (constant memory; S3 needs the checksum before the upload, and the key is the hash), then
// streamed up through one streaming PutObject; the AWS client turns large streamed bodies into a
// multipart upload with a SHA-256 checksum per part and aborts it on any failure, so memory
// stays bounded by one part. Reads download to a staging file while hashing; a version whose
// bytes do not hash to the object's name is never returned (older versions of the key are tried:
// an overwrite cannot hide the locked original). Thread-safe if the S3 client is.

#include <filesystem>
#include <memory>
#include <string>

#include "firebreak/cloud/s3.h"
#include "firebreak/core/hash.h"
#include "firebreak/evidence/artifact_store.h"

namespace firebreak::evidence {

struct S3StoreOptions {
  std::string bucket;
  std::string prefix = "firebreak/";
  std::string lock_mode = "COMPLIANCE";  // or "GOVERNANCE"
  std::uint32_t retain_days = 365;
  // Also place a legal hold on every version (independent of retention: the version cannot be
  // deleted until someone with s3:PutObjectLegalHold lifts it, even after the retention date).
  bool legal_hold = false;
  std::string sse_kms_key_id;         // empty: the bucket's default encryption
  std::filesystem::path staging_dir;  // local spool (default: the system temp directory)
};

// S3's largest object (5 TiB); larger artifacts are refused before anything is uploaded.
inline constexpr std::uint64_t kMaxS3ObjectBytes = 5ull << 40;

// Where an S3 store lives, as given on the command line: "s3://BUCKET[/PREFIX]". The bucket
// follows S3's naming rules (3-63 of [a-z0-9.-], starting and ending with a letter or digit);
// the prefix is at most 512 bytes with its trailing "/", has no control characters, no empty, "."
// or ".." segments and no leading "/", and gains a trailing "/" (so "s3://b/cases" stores under
// "cases/").
struct S3StoreLocation {
  std::string bucket;
  std::string prefix;  // empty or ending in "/"
};
[[nodiscard]] Result<S3StoreLocation> parse_s3_store_url(std::string_view url);

class S3ObjectLockStore final : public ArtifactStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<S3ObjectLockStore>> open(cloud::S3& s3, Clock& clock,
                                                                       S3StoreOptions options);

  [[nodiscard]] Result<std::unique_ptr<ArtifactWriter>> begin(ArtifactSpec spec) override;
  [[nodiscard]] Result<std::unique_ptr<ArtifactReader>> open(std::string_view sha256) override;
  [[nodiscard]] Result<std::vector<ArtifactInfo>> list(std::string_view incident) override;
  [[nodiscard]] Result<TimePoint> retention(std::string_view sha256) override;
  [[nodiscard]] Status extend_retention(std::string_view sha256, TimePoint until) override;
  [[nodiscard]] Status remove(std::string_view sha256) override;
  [[nodiscard]] std::string describe() const override;

  [[nodiscard]] std::string object_key(std::string_view sha256) const;
  [[nodiscard]] const S3StoreOptions& options() const { return options_; }

 private:
  S3ObjectLockStore(cloud::S3& s3, Clock& clock, S3StoreOptions options);
  friend class S3Writer;
  Result<ArtifactInfo> commit_spooled(const ArtifactSpec& spec, int fd, std::uint64_t size,
                                      const Sha256Digest& digest, TimePoint started);
  Status ensure_locked(const std::string& key, const std::string& version, TimePoint until);
  Result<std::unique_ptr<ArtifactReader>> fetch_verified(const std::string& key,
                                                         const std::string& version_id,
                                                         std::string_view sha256,
                                                         std::string* got_version);
  cloud::S3& s3_;
  Clock& clock_;
  S3StoreOptions options_;
};

}  // namespace firebreak::evidence
