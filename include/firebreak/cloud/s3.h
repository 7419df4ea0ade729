#pragma once
// S3 operations: exposure response (policies, ACLs, Block Public Access, ownership) and evidence
// storage (versioned objects with Object Lock, SSE-KMS, SHA-256 checksums, streaming bodies).
// Object bodies stream through ByteSource/ByteSink so multi-GB artifacts never sit in memory.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloud/types.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud {

// Pulls the next chunk of a body into `buf`; returns bytes written, 0 at the end.
using ByteSource = std::function<Result<std::size_t>(char* buf, std::size_t capacity)>;
// Receives the next chunk of a body; an error stops the transfer.
using ByteSink = std::function<Status(std::string_view chunk)>;

struct ObjectLockSettings {
  std::string mode;  // "COMPLIANCE" or "GOVERNANCE"; empty: no retention on this object
  std::optional<TimePoint> retain_until;
  bool legal_hold = false;
};

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  std::string content_type = "application/octet-stream";
  std::string body;   // used when `source` is empty
  ByteSource source;  // streaming body of exactly `content_length` bytes
  std::uint64_t content_length = 0;
  std::string checksum_sha256;  // base64 SHA-256 of the body; S3 verifies it (may be empty)
  std::string sse_kms_key_id;   // non-empty: SSE-KMS with this key
  ObjectLockSettings lock;
  std::map<std::string, std::string> metadata;  // x-amz-meta-*
};

struct PutObjectResult {
  std::string etag;
  std::string version_id;
  std::string checksum_sha256;
};

struct ObjectInfo {
  std::string bucket;
  std::string key;
  std::string version_id;
  std::uint64_t content_length = 0;
  std::string etag;
  std::string content_type;
  std::string checksum_sha256;
  std::string server_side_encryption;  // "aws:kms", "AES256" or empty
  std::string sse_kms_key_id;
  ObjectLockSettings lock;
  TimePoint last_modified{};
  std::map<std::string, std::string> metadata;
};

struct ObjectVersion {
  std::string key;
  std::string version_id;
  bool is_latest = false;
  bool is_delete_marker = false;
  std::uint64_t size = 0;
  TimePoint last_modified{};
};

struct PublicAccessBlock {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
  friend bool operator==(const PublicAccessBlock&, const PublicAccessBlock&) = default;
};

struct Grant {
  std::string grantee_type;  // "CanonicalUser", "Group", "AmazonCustomerByEmail"
  std::string grantee;       // id, group URI or email
  std::string permission;    // "FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"
};

struct BucketAcl {
  std::string owner_id;
  std::vector<Grant> grants;
};

struct CreateBucketRequest {
  std::string bucket;
  std::string region;  // empty: the session's region
  bool object_lock_enabled = false;
};

struct ObjectLockConfiguration {
  bool enabled = false;
  std::string default_mode;  // empty: no default retention
  int default_days = 0;
};

class S3 {
 public:
  virtual ~S3() = default;

  [[nodiscard]] virtual Status create_bucket(const CreateBucketRequest& req) = 0;
  [[nodiscard]] virtual Result<std::vector<std::string>> list_buckets() = 0;
  [[nodiscard]] virtual Status put_bucket_versioning(const std::string& bucket, bool enabled) = 0;
  [[nodiscard]] virtual Result<std::string> get_bucket_versioning(const std::string& bucket) = 0;

  [[nodiscard]] virtual Result<PutObjectResult> put_object(const PutObjectRequest& req) = 0;
  // Streams the body into `sink`; returns the object's metadata.
  [[nodiscard]] virtual Result<ObjectInfo> get_object(const std::string& bucket,
                                                      const std::string& key,
                                                      const std::string& version_id,
                                                      const ByteSink& sink) = 0;
  [[nodiscard]] virtual Result<ObjectInfo> head_object(const std::string& bucket,
                                                       const std::string& key,
                                                       const std::string& version_id = {}) = 0;
  // Deleting a locked version fails (kPermissionDenied, "AccessDenied"); without a version id a
  // delete marker is created on versioned buckets.
  [[nodiscard]] virtual Status delete_object(const std::string& bucket, const std::string& key,
                                             const std::string& version_id = {},
                                             bool bypass_governance_retention = false) = 0;
  [[nodiscard]] virtual Result<std::vector<ObjectVersion>> list_object_versions(
      const std::string& bucket, const std::string& prefix = {}) = 0;

  [[nodiscard]] virtual Result<ObjectLockConfiguration> get_object_lock_configuration(
      const std::string& bucket) = 0;
  [[nodiscard]] virtual Status put_object_lock_configuration(
      const std::string& bucket, const ObjectLockConfiguration& config) = 0;
  [[nodiscard]] virtual Result<ObjectLockSettings> get_object_retention(
      const std::string& bucket, const std::string& key, const std::string& version_id) = 0;
  // COMPLIANCE retention can only be extended; GOVERNANCE needs the bypass flag to shorten.
  [[nodiscard]] virtual Status put_object_retention(const std::string& bucket,
                                                    const std::string& key,
                                                    const std::string& version_id,
                                                    const ObjectLockSettings& retention,
                                                    bool bypass_governance_retention = false) = 0;
  [[nodiscard]] virtual Status put_object_legal_hold(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id, bool on) = 0;

  // Exposure. Policies are JSON text; get_bucket_policy is kNotFound ("NoSuchBucketPolicy")
  // when the bucket has none; get_public_access_block is kNotFound
  // ("NoSuchPublicAccessBlockConfiguration") when unset.
  [[nodiscard]] virtual Result<std::string> get_bucket_policy(const std::string& bucket) = 0;
  [[nodiscard]] virtual Status put_bucket_policy(const std::string& bucket,
                                                 const std::string& policy) = 0;
  [[nodiscard]] virtual Status delete_bucket_policy(const std::string& bucket) = 0;
  [[nodiscard]] virtual Result<bool> get_bucket_policy_status(const std::string& bucket) = 0;
  [[nodiscard]] virtual Result<BucketAcl> get_bucket_acl(const std::string& bucket) = 0;
  // Canned ACL: "private", "public-read", "public-read-write", "authenticated-read".
  [[nodiscard]] virtual Status put_bucket_acl(const std::string& bucket,
                                              const std::string& canned_acl) = 0;
  [[nodiscard]] virtual Result<PublicAccessBlock> get_public_access_block(
      const std::string& bucket) = 0;
  [[nodiscard]] virtual Status put_public_access_block(const std::string& bucket,
                                                       const PublicAccessBlock& block) = 0;
  [[nodiscard]] virtual Status delete_public_access_block(const std::string& bucket) = 0;
  // "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"; kNotFound when unset.
  [[nodiscard]] virtual Result<std::string> get_bucket_ownership_controls(
      const std::string& bucket) = 0;
  [[nodiscard]] virtual Status put_bucket_ownership_controls(const std::string& bucket,
                                                             const std::string& ownership) = 0;
  // Account-wide Block Public Access (S3 Control).
  [[nodiscard]] virtual Status put_account_public_access_block(const std::string& account_id,
                                                               const PublicAccessBlock& block) = 0;
};

}  // namespace firebreak::cloud
