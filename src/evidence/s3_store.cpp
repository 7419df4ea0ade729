#include "firebreak/evidence/s3_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>
#include <vector>

#include "firebreak/core/hash.h"
#include "firebreak/core/log.h"
#include "firebreak/evidence/local_store.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;

namespace {

// An anonymous staging file (unlinked at once: nothing is left behind whatever happens).
Result<int> staging_file(const fs::path& dir) {
  std::string tmpl = (dir / "firebreak-s3-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return fail(ErrorCode::kIo, fmt::format("cannot create staging file: {}", std::strerror(errno)),
                ErrorContext{.where = dir.string()});
  }
  ::unlink(tmpl.c_str());
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, fmt::format("staging write failed: {}", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string raw_digest(const Sha256Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Reads a whole staged file back through a verifying reader.
class StagedReader final : public ArtifactReader {
 public:
  StagedReader(int fd, std::string sha, std::uint64_t size)
      : fd_(fd), sha_(std::move(sha)), size_(size) {}
  ~StagedReader() override { ::close(fd_); }
  Result<std::size_t> read(std::span<char> buf) override {
    if (done_) return std::size_t{0};
    const ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(off_));
    if (n < 0) return fail(ErrorCode::kIo, "staging read failed");
    if (n > 0) {
      hash_.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      off_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    done_ = true;
    const std::string got = to_hex(hash_.finish());
    if (got != sha_ || off_ != size_) {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("artifact {} is corrupt: its {} bytes hash to {}", sha_, off_, got));
    }
    return std::size_t{0};
  }
  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::string sha_;
  std::uint64_t size_;
  std::uint64_t off_ = 0;
  Sha256Stream hash_;
  bool done_ = false;
};

bool valid_bucket_name(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  for (char c : b) {
    if (!alnum(c) && c != '-' && c != '.') return false;
  }
  return b.find("..") == std::string_view::npos;
}

}  // namespace

constexpr std::size_t kMaxPrefixBytes = 512;

Result<S3StoreLocation> parse_s3_store_url(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("evidence store must be s3://BUCKET[/PREFIX]: {}", why));
  };
  if (!url.starts_with(kScheme)) return bad("the location does not start with s3://");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  S3StoreLocation loc;
  loc.bucket = std::string(url.substr(0, slash));
  if (!valid_bucket_name(loc.bucket)) {
    return bad("the bucket name is not 3-63 characters of a-z, 0-9, '.' and '-'");
  }
  if (slash == std::string_view::npos) return loc;
  std::string_view prefix = url.substr(slash + 1);
  if (prefix.empty()) return loc;
  if (prefix.back() == '/') prefix.remove_suffix(1);
  // The stored prefix ends in '/': that byte counts, so a location parses back to itself.
  if (prefix.size() + 1 > kMaxPrefixBytes) {
    return bad(
        fmt::format("the prefix (with its final '/') is longer than {} bytes", kMaxPrefixBytes));
  }
  std::string_view rest = prefix;
  while (true) {
    const auto end = rest.find('/');
    const std::string_view seg = rest.substr(0, end);
    if (seg.empty() || seg == "." || seg == "..") {
      return bad("the prefix has an empty, \".\" or \"..\" segment");
    }
    for (char c : seg) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '\\') {
        return bad("the prefix has a control character or a backslash");
      }
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  loc.prefix = std::string(prefix) + "/";
  return loc;
}

class S3Writer final : public ArtifactWriter {
 public:
  S3Writer(S3ObjectLockStore& store, ArtifactSpec spec, int fd)
      : store_(store),
        spec_(std::move(spec)),
        fd_(fd),
        started_(spec_.started.value_or(store.clock_.now())) {}
  ~S3Writer() override { abort(); }
  Status write(std::string_view chunk) override {
    if (fd_ < 0) return fail(ErrorCode::kFailedPrecondition, "artifact writer is finished");
    hash_.update(chunk);
    written_ += chunk.size();
    return write_all(fd_, chunk);
  }
  Result<ArtifactInfo> commit() override {
    if (fd_ < 0) return fail(ErrorCode::kFailedPrecondition, "artifact writer is finished");
    auto r = store_.commit_spooled(spec_, fd_, written_, hash_.finish(), started_);
    abort();
    return r;
  }
  void abort() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::uint64_t bytes_written() const override { return written_; }

 private:
  S3ObjectLockStore& store_;
  ArtifactSpec spec_;
  int fd_;
  TimePoint started_;
  Sha256Stream hash_;
  std::uint64_t written_ = 0;
};

S3ObjectLockStore::S3ObjectLockStore(cloud::S3& s3, Clock& clock, S3StoreOptions options)
    : s3_(s3), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<S3ObjectLockStore>> S3ObjectLockStore::open(cloud::S3& s3, Clock& clock,
                                                                   S3StoreOptions options) {
  if (options.bucket.empty()) return fail(ErrorCode::kInvalidArgument, "no S3 bucket given");
  if (options.lock_mode != "COMPLIANCE" && options.lock_mode != "GOVERNANCE") {
    return fail(ErrorCode::kInvalidArgument, "Object Lock mode must be COMPLIANCE or GOVERNANCE");
  }
  if (options.retain_days == 0) {
    return fail(ErrorCode::kInvalidArgument, "Object Lock retention must be at least one day");
  }
  if (options.staging_dir.empty()) options.staging_dir = fs::temp_directory_path();
  auto lock = s3.get_object_lock_configuration(options.bucket);
  // S3 answers a bucket without Object Lock with ObjectLockConfigurationNotFoundError (404).
  const bool no_lock = !lock && lock.error().code() == ErrorCode::kNotFound &&
                       lock.error().context().aws_code == "ObjectLockConfigurationNotFoundError";
  if (!lock && !no_lock) return fail(lock.error());
  if (no_lock || !lock->enabled) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("bucket {} does not have Object Lock enabled; evidence needs it "
                            "(create the bucket with Object Lock)",
                            options.bucket));
  }
  return std::unique_ptr<S3ObjectLockStore>(new S3ObjectLockStore(s3, clock, std::move(options)));
}

std::string S3ObjectLockStore::object_key(std::string_view sha256) const {
  return options_.prefix + "objects/" + std::string(sha256);
}

std::string S3ObjectLockStore::describe() const {
  return fmt::format("s3://{}/{} (Object Lock {}, {} days{}{})", options_.bucket, options_.prefix,
                     options_.lock_mode, options_.retain_days,
                     options_.legal_hold ? ", legal hold" : "",
                     options_.sse_kms_key_id.empty() ? "" : ", SSE-KMS " + options_.sse_kms_key_id);
}

Result<std::unique_ptr<ArtifactWriter>> S3ObjectLockStore::begin(ArtifactSpec spec) {
  FIREBREAK_TRY_STATUS(validate_incident_id(spec.incident));
  if (spec.expected_sha256 && !is_sha256_hex(*spec.expected_sha256)) {
    return fail(ErrorCode::kInvalidArgument, "expected SHA-256 is not 64 lower-case hex digits");
  }
  FIREBREAK_TRY(int fd, staging_file(options_.staging_dir));
  return std::unique_ptr<ArtifactWriter>(new S3Writer(*this, std::move(spec), fd));
}

Result<ArtifactInfo> S3ObjectLockStore::commit_spooled(const ArtifactSpec& spec, int fd,
                                                       std::uint64_t size,
                                                       const Sha256Digest& digest,
                                                       TimePoint started) {
  const std::string sha = to_hex(digest);
  if (spec.expected_sha256 && *spec.expected_sha256 != sha) {
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("artifact content hashes to {}, expected {}", sha, *spec.expected_sha256));
  }
  if (size > kMaxS3ObjectBytes) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("artifact of {} bytes exceeds S3's 5 TiB object limit", size));
  }
  const TimePoint now = clock_.now();
  const TimePoint until = spec.retain_until.value_or(
      now + std::chrono::hours(24) * spec.retain_days.value_or(options_.retain_days));
  const std::string key = object_key(sha);
  const std::string checksum = base64_encode(raw_digest(digest));

  std::string version;
  TimePoint effective_until = until;
  auto existing = s3_.head_object(options_.bucket, key);
  // Only S3's own full-object checksum proves the current version is this content (metadata can
  // be written by anyone who can put; a multipart object has a composite checksum): without it,
  // upload again rather than extend the retention of bytes that may be something else.
  if (existing && existing->content_length == size && existing->checksum_sha256 == checksum) {
    // Same content already locked: keep that version, extend its retention if needed.
    version = existing->version_id;
    const auto current = existing->lock.retain_until;
    if (!current || *current < until) {
      FIREBREAK_TRY_STATUS(s3_.put_object_retention(
          options_.bucket, key, version,
          cloud::ObjectLockSettings{.mode = options_.lock_mode, .retain_until = until}));
    } else {
      effective_until = *current;
    }
    if (options_.legal_hold && !existing->lock.legal_hold) {
      FIREBREAK_TRY_STATUS(s3_.put_object_legal_hold(options_.bucket, key, version, true));
    }
  } else {
    if (!existing && existing.error().code() != ErrorCode::kNotFound) return fail(existing.error());
    cloud::PutObjectRequest req;
    req.bucket = options_.bucket;
    req.key = key;
    req.content_type = spec.media_type;
    req.content_length = size;
    req.checksum_sha256 = checksum;
    req.sse_kms_key_id = options_.sse_kms_key_id;
    req.lock = cloud::ObjectLockSettings{
        .mode = options_.lock_mode, .retain_until = until, .legal_hold = options_.legal_hold};
    req.metadata = {{"firebreak-sha256", sha}, {"firebreak-incident", spec.incident}};
    std::uint64_t off = 0;
    req.source = [fd, &off](char* buf, std::size_t cap) -> Result<std::size_t> {
      const ssize_t n = ::pread(fd, buf, cap, static_cast<off_t>(off));
      if (n < 0) return fail(ErrorCode::kIo, "staging read failed");
      off += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    };
    FIREBREAK_TRY(auto put, s3_.put_object(req));
    if (!put.checksum_sha256.empty() && put.checksum_sha256 != checksum) {
      return fail(ErrorCode::kFailedPrecondition,
                  fmt::format("S3 reports checksum {} for {}, expected {}", put.checksum_sha256,
                              key, checksum));
    }
    version = put.version_id;
    FIREBREAK_TRY_STATUS(ensure_locked(key, version, until));
  }

  ArtifactInfo info{
      .incident = spec.incident,
      .name = spec.name,
      .source = spec.source,
      .tool = spec.tool,
      .tool_version = spec.tool_version,
      .media_type = spec.media_type,
      .sha256 = sha,
      .size = size,
      .started = started,
      .committed = now,
      .retain_until = effective_until,
      .backend = "s3",
      .location = fmt::format("s3://{}/{}?versionId={}", options_.bucket, key, version),
      .lock_mode = options_.lock_mode};
  const std::string meta = canonical_json(to_json(info)) + "\n";
  cloud::PutObjectRequest mreq;
  mreq.bucket = options_.bucket;
  mreq.key = fmt::format(
      "{}meta/{}/{}.{}.json", options_.prefix, spec.incident, sha,
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  mreq.content_type = "application/json";
  mreq.body = meta;
  mreq.content_length = meta.size();
  mreq.checksum_sha256 = base64_encode(raw_digest(sha256(meta)));
  mreq.sse_kms_key_id = options_.sse_kms_key_id;
  mreq.lock = cloud::ObjectLockSettings{.mode = options_.lock_mode,
                                        .retain_until = effective_until,
                                        .legal_hold = options_.legal_hold};
  FIREBREAK_TRY_STATUS(s3_.put_object(mreq));
  return info;
}

// Checks what S3 recorded on a freshly written version and fails closed: Object Lock headers on
// CreateMultipartUpload are not honoured by every S3 implementation (moto 5.2 ignores them), so a
// version without the retention (or hold) gets it set explicitly, and one that is not encrypted
// with the configured key is an error.
Status S3ObjectLockStore::ensure_locked(const std::string& key, const std::string& version,
                                        TimePoint until) {
  FIREBREAK_TRY(auto head, s3_.head_object(options_.bucket, key, version));
  if (head.lock.mode != options_.lock_mode || !head.lock.retain_until ||
      *head.lock.retain_until < until - std::chrono::seconds(1)) {
    FIREBREAK_TRY_STATUS(s3_.put_object_retention(
        options_.bucket, key, version,
        cloud::ObjectLockSettings{.mode = options_.lock_mode, .retain_until = until}));
  }
  if (options_.legal_hold && !head.lock.legal_hold) {
    FIREBREAK_TRY_STATUS(s3_.put_object_legal_hold(options_.bucket, key, version, true));
  }
  FIREBREAK_TRY(head, s3_.head_object(options_.bucket, key, version));
  if (head.lock.mode != options_.lock_mode || !head.lock.retain_until ||
      *head.lock.retain_until < until - std::chrono::seconds(1) ||
      (options_.legal_hold && !head.lock.legal_hold)) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("s3://{}/{} version {} was written without the requested Object Lock",
                            options_.bucket, key, version));
  }
  if (!options_.sse_kms_key_id.empty() && head.server_side_encryption != "aws:kms") {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("s3://{}/{} version {} is not encrypted with SSE-KMS", options_.bucket,
                            key, version));
  }
  return {};
}

// Downloads one version of `key` into a fresh staging file while hashing it. kFailedPrecondition
// when its bytes do not hash to `sha256`.
Result<std::unique_ptr<ArtifactReader>> S3ObjectLockStore::fetch_verified(
    const std::string& key, const std::string& version_id, std::string_view sha256,
    std::string* got_version) {
  FIREBREAK_TRY(int fd, staging_file(options_.staging_dir));
  std::uint64_t got = 0;
  Sha256Stream hash;
  auto obj = s3_.get_object(options_.bucket, key, version_id,
                            [fd, &got, &hash](std::string_view chunk) -> Status {
                              got += chunk.size();
                              hash.update(chunk);
                              return write_all(fd, chunk);
                            });
  if (!obj) {
    ::close(fd);
    return fail(obj.error());
  }
  if (got_version != nullptr) *got_version = obj->version_id;
  const std::string digest = to_hex(hash.finish());
  if (digest != sha256) {
    ::close(fd);
    return fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("s3://{}/{} version {} is corrupt: its {} bytes hash to {}", options_.bucket,
                    key, obj->version_id.empty() ? "-" : obj->version_id, got, digest));
  }
  return std::unique_ptr<ArtifactReader>(new StagedReader(fd, std::string(sha256), got));
}

Result<std::unique_ptr<ArtifactReader>> S3ObjectLockStore::open(std::string_view sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(ErrorCode::kInvalidArgument, "not a SHA-256 (64 lower-case hex digits)");
  }
  const std::string key = object_key(sha256);
  std::string latest;
  auto first = fetch_verified(key, "", sha256, &latest);
  if (first) return first;
  const ErrorCode code = first.error().code();
  if (code != ErrorCode::kNotFound && code != ErrorCode::kFailedPrecondition) {
    return fail(first.error());
  }
  // The current version is missing (a delete marker) or was overwritten: the locked original is
  // still there as an older version, and it is the content that matters, not which version is
  // current. Say so loudly - on a WORM bucket this only happens through tampering.
  FIREBREAK_TRY(auto versions, s3_.list_object_versions(options_.bucket, key));
  for (const auto& v : versions) {
    if (v.key != key || v.is_delete_marker || v.version_id.empty() || v.version_id == latest) {
      continue;
    }
    auto r = fetch_verified(key, v.version_id, sha256, nullptr);
    if (r) {
      log::warn("artifact {}: the current version of s3://{}/{} is {}; read the intact version {}",
                sha256, options_.bucket, key,
                code == ErrorCode::kNotFound ? "deleted" : "not this content", v.version_id);
      return r;
    }
  }
  if (code == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound, fmt::format("artifact {} is not in the store", sha256));
  }
  return fail(ErrorCode::kFailedPrecondition,
              fmt::format("artifact {} is corrupt: no version of s3://{}/{} hashes to its name",
                          sha256, options_.bucket, key));
}

Result<std::vector<ArtifactInfo>> S3ObjectLockStore::list(std::string_view incident) {
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  const std::string prefix = fmt::format("{}meta/{}/", options_.prefix, incident);
  FIREBREAK_TRY(auto versions, s3_.list_object_versions(options_.bucket, prefix));
  std::vector<ArtifactInfo> out;
  for (const auto& v : versions) {
    if (v.is_delete_marker || !v.is_latest || v.size > 64 * 1024) continue;
    std::string body;
    FIREBREAK_TRY_STATUS(
        s3_.get_object(options_.bucket, v.key, v.version_id, [&body](std::string_view c) -> Status {
          if (body.size() + c.size() > 64 * 1024) {
            return fail(ErrorCode::kLimitExceeded, "metadata object too large");
          }
          body.append(c);
          return {};
        }));
    auto j = parse_json(body);
    if (!j) return fail(j.error().at("s3://" + options_.bucket + "/" + v.key));
    auto info = artifact_info_from_json(*j);
    if (!info) return fail(info.error().at("s3://" + options_.bucket + "/" + v.key));
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const ArtifactInfo& a, const ArtifactInfo& b) {
    return std::tie(a.committed, a.sha256) < std::tie(b.committed, b.sha256);
  });
  return out;
}

Result<TimePoint> S3ObjectLockStore::retention(std::string_view sha256) {
  if (!is_sha256_hex(sha256)) {
    return fail(ErrorCode::kInvalidArgument, "not a SHA-256 (64 lower-case hex digits)");
  }
  FIREBREAK_TRY(auto head, s3_.head_object(options_.bucket, object_key(sha256)));
  if (!head.lock.retain_until) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("artifact {} has no Object Lock retention", sha256));
  }
  return *head.lock.retain_until;
}

Status S3ObjectLockStore::extend_retention(std::string_view sha256, TimePoint until) {
  FIREBREAK_TRY(TimePoint current, retention(sha256));
  if (until < current) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("artifact {} is retained until {}; retention can only be extended",
                            sha256, record_time(current)));
  }
  FIREBREAK_TRY(auto head, s3_.head_object(options_.bucket, object_key(sha256)));
  return s3_.put_object_retention(
      options_.bucket, object_key(sha256), head.version_id,
      cloud::ObjectLockSettings{.mode = options_.lock_mode, .retain_until = until});
}

Status S3ObjectLockStore::remove(std::string_view sha256) {
  FIREBREAK_TRY(TimePoint until, retention(sha256));
  if (clock_.now() < until) {
    return fail(ErrorCode::kPermissionDenied,
                fmt::format("artifact {} is under Object Lock until {}: it cannot be deleted",
                            sha256, record_time(until)));
  }
  const std::string key = object_key(sha256);
  FIREBREAK_TRY(auto versions, s3_.list_object_versions(options_.bucket, key));
  for (const auto& v : versions) {
    if (v.key != key) continue;
    // S3 enforces the lock itself; a refusal here is reported as is.
    FIREBREAK_TRY_STATUS(s3_.delete_object(options_.bucket, key, v.version_id));
  }
  return {};
}

}  // namespace firebreak::evidence
