// S3 in the simulator: buckets, versioned objects with streaming and lazily generated bodies,
// bucket policies and ACLs, Block Public Access, ownership controls, Object Lock (COMPLIANCE,
// GOVERNANCE, legal hold) enforced as AWS enforces it, SSE markers and SHA-256 checksums.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "firebreak/core/hash.h"
#include "lazy_body.h"
#include "session.h"

namespace firebreak::cloud::sim {
namespace {

constexpr std::uint64_t kInlineLimit = 64ull << 20;  // larger bodies spill to a temp file
constexpr std::uint64_t kMaxPutSize = 5ull << 30;    // S3's single PUT limit
constexpr std::size_t kChunk = 1 << 20;

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view d) { EVP_DigestUpdate(ctx_, d.data(), d.size()); }
  std::string hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return to_hex(std::span<const std::uint8_t>(out, n));
  }

 private:
  EVP_MD_CTX* ctx_;
};

bool valid_bucket_name(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  for (char c : n) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-'))
      return false;
  }
  if (!std::isalnum(static_cast<unsigned char>(n.front())) ||
      !std::isalnum(static_cast<unsigned char>(n.back())))
    return false;
  if (n.find("..") != std::string_view::npos) return false;
  if (parse_ip(n)) return false;
  if (n.starts_with("xn--") || n.ends_with("-s3alias")) return false;
  return true;
}

std::string canonical_id(const std::string& account) { return sha256_hex("canonical:" + account); }

std::string bucket_arn(std::string_view b) { return fmt::format("arn:aws:s3:::{}", b); }
std::string object_arn(std::string_view b, std::string_view k) {
  return fmt::format("arn:aws:s3:::{}/{}", b, k);
}

std::string new_version_id(World::State& s) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  std::string out(32, 'A');
  for (auto& c : out) c = kAlphabet[s.ids.uniform(64)];
  return out;
}

PublicAccessBlock effective_pab(const World::State& s, const BucketRec& b) {
  PublicAccessBlock p = b.pab.value_or(PublicAccessBlock{});
  if (const auto& a = s.accounts[b.account].s3_pab) {
    p.block_public_acls |= a->block_public_acls;
    p.ignore_public_acls |= a->ignore_public_acls;
    p.block_public_policy |= a->block_public_policy;
    p.restrict_public_buckets |= a->restrict_public_buckets;
  }
  return p;
}

bool acl_public(const BucketRec& b) {
  return std::any_of(b.acl.begin(), b.acl.end(), [](const Grant& g) {
    return g.grantee_type == "Group" && (g.grantee.ends_with("/global/AllUsers") ||
                                         g.grantee.ends_with("/global/AuthenticatedUsers"));
  });
}

// The bucket the call names, or NoSuchBucket.
Result<BucketRec*> need_bucket(Call& c, const std::string& name) {
  auto it = c.s.buckets.find(name);
  if (it == c.s.buckets.end())
    return c.error(ErrorCode::kNotFound, "NoSuchBucket", "The specified bucket does not exist",
                   404);
  return &it->second;
}

void bucket_params(Call& c, const std::string& bucket, std::string_view extra_key = {},
                   std::string_view extra_value = {}) {
  auto w = c.params_writer();
  w.begin_object()
      .field("bucketName", bucket)
      .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()));
  if (!extra_key.empty()) w.field(extra_key, extra_value);
  w.end_object();
}

// Authorises an S3 action on a bucket (and object): identity policies, the bucket policy (with
// Block Public Access's RestrictPublicBuckets), and public ACLs for reads.
Status s3_authorize(Call& c, const BucketRec& b, std::string_view action, const std::string& arn) {
  const Policy* pol = b.policy ? b.policy->parsed.get() : nullptr;
  const auto pab = effective_pab(c.s, b);
  if (pol != nullptr && pab.restrict_public_buckets && pol->grants_public_access() &&
      (c.caller.kind == CallerKind::kAnonymous || c.caller.account != b.account)) {
    // Only principals of the owner account (and AWS services) get access through a public policy.
    pol = nullptr;
  }
  if (c.caller.kind == CallerKind::kAnonymous && !pab.ignore_public_acls &&
      b.ownership != "BucketOwnerEnforced" && acl_public(b) &&
      (action == "s3:getobject" || action == "s3:listbucket" || action == "s3:getobjectversion")) {
    return {};
  }
  return c.authorize(arn, {}, pol, b.account, action);
}

ObjectVersionRec* find_version(BucketRec& b, const std::string& key, const std::string& vid) {
  auto it = b.objects.find(key);
  if (it == b.objects.end() || it->second.empty()) return nullptr;
  if (vid.empty()) return &it->second.back();
  for (auto& v : it->second) {
    if (v.version_id == vid) return &v;
  }
  return nullptr;
}

bool valid_version_id(std::string_view v) {
  return v == "null" || (v.size() == 32 && std::all_of(v.begin(), v.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                  c == '_';
                         }));
}

ObjectInfo info_of(const BucketRec& b, const std::string& key, const ObjectVersionRec& v) {
  ObjectInfo o;
  o.bucket = b.name;
  o.key = key;
  o.version_id = v.version_id;
  o.content_length = v.size;
  o.etag = v.etag;
  o.content_type = v.content_type;
  o.checksum_sha256 = v.checksum_sha256;
  o.server_side_encryption = v.sse;
  o.sse_kms_key_id = v.kms_key;
  o.lock = v.lock;
  o.last_modified = v.modified;
  o.metadata = v.metadata;
  return o;
}

void object_resources(Call& c, const std::string& bucket, const std::string& key) {
  c.resources.emplace_back("AWS::S3::Object", object_arn(bucket, key));
  c.resources.emplace_back("AWS::S3::Bucket", bucket_arn(bucket));
}

std::string iso_millis(TimePoint t) { return format_iso8601(t, TimePrecision::kMillis); }

// Is this version protected from permanent deletion or retention shortening right now?
enum class Lock { kNone, kLegalHold, kCompliance, kGovernance };
Lock lock_state(const ObjectVersionRec& v, TimePoint now) {
  if (v.lock.legal_hold) return Lock::kLegalHold;
  if (v.lock.retain_until && *v.lock.retain_until > now) {
    if (v.lock.mode == "COMPLIANCE") return Lock::kCompliance;
    if (v.lock.mode == "GOVERNANCE") return Lock::kGovernance;
  }
  return Lock::kNone;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Status SimS3::create_bucket(const CreateBucketRequest& req) {
  SIM_OP("s3", "CreateBucket");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    const std::string region = req.region.empty() ? c.session_region() : req.region;
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", req.bucket)
        .field("Host", fmt::format("{}.s3.amazonaws.com", req.bucket));
    if (region != "us-east-1")
      w.key("CreateBucketConfiguration")
          .begin_object()
          .field("LocationConstraint", region)
          .end_object();
    if (req.object_lock_enabled) w.field("x-amz-bucket-object-lock-enabled", "true");
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(bucket_arn(req.bucket)));
    if (!valid_bucket_name(req.bucket))
      return c.invalid("InvalidBucketName", "The specified bucket is not valid.");
    if (!is_known_region(region))
      return c.invalid("InvalidLocationConstraint",
                       "The specified location-constraint is not valid");
    if (auto it = c.s.buckets.find(req.bucket); it != c.s.buckets.end()) {
      if (it->second.account != c.account())
        return c.error(ErrorCode::kAlreadyExists, "BucketAlreadyExists",
                       "The requested bucket name is not available. The bucket namespace is shared "
                       "by all users of the system. Please select a different name and try again.",
                       409);
      if (region == "us-east-1" && it->second.region == "us-east-1" && !req.object_lock_enabled)
        return {};  // us-east-1 answers 200 to its owner (legacy behaviour)
      return c.error(ErrorCode::kAlreadyExists, "BucketAlreadyOwnedByYou",
                     "Your previous request to create the named bucket succeeded and you already "
                     "own it.",
                     409);
    }
    BucketRec b;
    b.name = req.bucket;
    b.account = c.account();
    b.region = region;
    b.created = c.s.now();
    b.pab = PublicAccessBlock{true, true, true, true};
    b.ownership = "BucketOwnerEnforced";
    if (req.object_lock_enabled) {
      b.object_lock = true;
      b.versioning = "Enabled";
    }
    c.s.buckets.emplace(req.bucket, std::move(b));
    c.history_resources.emplace_back("AWS::S3::Bucket", req.bucket);
    return {};
  });
}

Result<std::vector<std::string>> SimS3::list_buckets() {
  SIM_OP("s3", "ListBuckets");
  return s_.run<Result<std::vector<std::string>>>(
      kOp, [&](Call& c) -> Result<std::vector<std::string>> {
        auto w = c.params_writer();
        w.begin_object().field("Host", "s3.amazonaws.com").end_object();
        FIREBREAK_TRY_STATUS(c.authorize("*", {}, nullptr, std::nullopt, "s3:listallmybuckets"));
        std::vector<std::string> out;
        for (const auto& [name, b] : c.s.buckets) {
          if (b.account == c.account()) out.push_back(name);
        }
        return out;
      });
}

Status SimS3::put_bucket_versioning(const std::string& bucket, bool enabled) {
  SIM_OP("s3", "PutBucketVersioning");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    bucket_params(c, bucket);
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketversioning", bucket_arn(bucket)));
    if (b->object_lock && !enabled)
      return c.error(ErrorCode::kFailedPrecondition, "InvalidBucketState",
                     "An Object Lock configuration is present on this bucket, so the versioning "
                     "state cannot be changed.",
                     409);
    if (!enabled && b->versioning.empty()) return {};
    b->versioning = enabled ? "Enabled" : "Suspended";
    return {};
  });
}

Result<std::string> SimS3::get_bucket_versioning(const std::string& bucket) {
  SIM_OP("s3", "GetBucketVersioning");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    bucket_params(c, bucket);
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketversioning", bucket_arn(bucket)));
    return b->versioning;
  });
}

// ---- objects ----

namespace {

struct Stored {
  std::shared_ptr<const std::string> inline_body;
  std::shared_ptr<LazyBody> lazy;
  std::uint64_t size = 0;
  std::string sha256_b64;
  std::string etag;
};

// Consumes a body (in memory or from a source), hashing it and storing it inline, as a
// reference to a generated body it copies, or in a spill file.
Result<Stored> ingest(World::State& s, const PutObjectRequest& req) {
  Stored out;
  if (!req.source) {
    Md5 md5;
    md5.update(req.body);
    out.size = req.body.size();
    out.sha256_b64 =
        base64_encode(std::string_view(reinterpret_cast<const char*>(sha256(req.body).data()), 32));
    out.etag = md5.hex();
    out.inline_body = std::make_shared<const std::string>(req.body);
    return out;
  }
  if (req.content_length > kMaxPutSize)
    return fail(ErrorCode::kLimitExceeded, "Your proposed upload exceeds the maximum allowed size",
                ErrorContext{.aws_code = "EntityTooLarge", .http_status = 400});
  Md5 md5;
  Sha256Stream sha;
  std::string mem;
  std::FILE* spill = nullptr;
  std::shared_ptr<LazyBody> candidate;  // a generated body this upload may be a copy of
  bool still_copy = false;
  std::vector<char> buf(kChunk), expect(kChunk);
  std::uint64_t total = 0;
  for (;;) {
    auto n = req.source(buf.data(), buf.size());
    if (!n) {
      if (spill) std::fclose(spill);
      return fail(n.error().wrap("reading the request body"));
    }
    if (*n == 0) break;
    if (total + *n > req.content_length) {
      if (spill) std::fclose(spill);
      return fail(ErrorCode::kInvalidArgument, "The request body is longer than Content-Length",
                  ErrorContext{.aws_code = "IncompleteBody", .http_status = 400});
    }
    const std::string_view chunk(buf.data(), *n);
    if (total == 0 && *n >= LazyBody::kHeader) {
      auto it = s.lazy_index.find(std::string(chunk.substr(0, LazyBody::kHeader)));
      if (it != s.lazy_index.end()) {
        candidate = it->second.lock();
        still_copy = candidate && candidate->size == req.content_length;
      }
    }
    if (still_copy) {
      if (!candidate->read(total, expect.data(), *n) ||
          std::memcmp(expect.data(), chunk.data(), *n) != 0)
        still_copy = false;
    }
    md5.update(chunk);
    sha.update(chunk);
    if (req.content_length <= kInlineLimit) {
      mem.append(chunk);
    } else if (!still_copy || spill != nullptr) {
      if (spill == nullptr) {
        spill = std::tmpfile();
        if (spill == nullptr)
          return fail(ErrorCode::kIo, "cannot create a temporary file for a large object body");
        // Bytes consumed while the upload still looked like a copy are regenerated.
        for (std::uint64_t off = 0; off < total;) {
          const std::size_t m =
              static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, total - off));
          (void)candidate->read(off, expect.data(), m);
          std::fwrite(expect.data(), 1, m, spill);
          off += m;
        }
      }
      if (std::fwrite(chunk.data(), 1, chunk.size(), spill) != chunk.size()) {
        std::fclose(spill);
        return fail(ErrorCode::kIo, "writing a large object body to a temporary file failed");
      }
    }
    total += *n;
  }
  if (total != req.content_length) {
    if (spill) std::fclose(spill);
    return fail(
        ErrorCode::kInvalidArgument,
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
        ErrorContext{.aws_code = "IncompleteBody", .http_status = 400});
  }
  const auto digest = sha.finish();
  out.size = total;
  out.sha256_b64 =
      base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 32));
  out.etag = md5.hex();
  if (still_copy && candidate && spill == nullptr && total > kInlineLimit) {
    if (!candidate->sha256) candidate->sha256 = to_hex(digest);
    out.lazy = candidate;
  } else if (spill != nullptr) {
    auto lb = std::make_shared<LazyBody>();
    lb->size = total;
    lb->generated = false;
    lb->spill = spill;
    lb->sha256 = to_hex(digest);
    lb->md5_hex = out.etag;
    out.lazy = lb;
  } else {
    out.inline_body = std::make_shared<const std::string>(std::move(mem));
  }
  return out;
}

Status check_lock_request(Call& c, const BucketRec& b, const ObjectLockSettings& lock) {
  if (lock.mode.empty() && !lock.retain_until && !lock.legal_hold) return {};
  if (!b.object_lock)
    return c.invalid("InvalidRequest", "Bucket is missing Object Lock Configuration");
  if (lock.mode.empty() != !lock.retain_until.has_value())
    return c.invalid("InvalidArgument",
                     "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be "
                     "supplied");
  if (!lock.mode.empty() && lock.mode != "COMPLIANCE" && lock.mode != "GOVERNANCE")
    return c.invalid("InvalidArgument", "Unknown wormMode directive.");
  if (lock.retain_until && *lock.retain_until <= c.s.now())
    return c.invalid("InvalidArgument", "The retain until date must be in the future!");
  return {};
}

}  // namespace

Result<PutObjectResult> SimS3::put_object(const PutObjectRequest& req) {
  static const OpDesc& kOp = op_desc("s3", "PutObject", true);
  return s_.run<Result<PutObjectResult>>(kOp, [&](Call& c) -> Result<PutObjectResult> {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", req.bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", req.bucket, c.session_region()))
        .field("key", req.key);
    if (!req.sse_kms_key_id.empty())
      w.field("x-amz-server-side-encryption", "aws:kms")
          .field("x-amz-server-side-encryption-aws-kms-key-id", req.sse_kms_key_id);
    if (!req.lock.mode.empty()) w.field("x-amz-object-lock-mode", req.lock.mode);
    if (req.lock.retain_until)
      w.field("x-amz-object-lock-retain-until-date", iso_millis(*req.lock.retain_until));
    if (req.lock.legal_hold) w.field("x-amz-object-lock-legal-hold", "ON");
    if (!req.checksum_sha256.empty()) w.field("x-amz-checksum-sha256", req.checksum_sha256);
    w.end_object();
    object_resources(c, req.bucket, req.key);
    FIREBREAK_TRY(auto b, need_bucket(c, req.bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putobject", object_arn(req.bucket, req.key)));
    if (req.key.empty() || req.key.size() > 1024)
      return c.invalid("KeyTooLongError", "Your key is too long");
    FIREBREAK_TRY_STATUS(check_lock_request(c, *b, req.lock));
    if (!req.lock.mode.empty())
      FIREBREAK_TRY_STATUS(
          s3_authorize(c, *b, "s3:putobjectretention", object_arn(req.bucket, req.key)));
    if (req.lock.legal_hold)
      FIREBREAK_TRY_STATUS(
          s3_authorize(c, *b, "s3:putobjectlegalhold", object_arn(req.bucket, req.key)));
    auto stored = ingest(c.s, req);
    if (!stored) return c.from(stored.error());
    if (!req.checksum_sha256.empty() && req.checksum_sha256 != stored->sha256_b64)
      return c.invalid("BadDigest",
                       "The SHA256 you specified did not match the calculated checksum.");
    ObjectVersionRec v;
    v.size = stored->size;
    v.body = stored->inline_body;
    v.lazy = stored->lazy;
    v.etag = stored->etag;
    v.content_type = req.content_type;
    v.checksum_sha256 = req.checksum_sha256.empty() ? std::string() : stored->sha256_b64;
    v.sse = req.sse_kms_key_id.empty() ? "AES256" : "aws:kms";
    if (!req.sse_kms_key_id.empty()) {
      v.kms_key = req.sse_kms_key_id.starts_with("arn:")
                      ? req.sse_kms_key_id
                      : fmt::format("arn:aws:kms:{}:{}:key/{}", b->region,
                                    c.s.accounts[b->account].id, req.sse_kms_key_id);
    }
    v.lock = req.lock;
    if (v.lock.mode.empty() && b->object_lock && !b->lock_default_mode.empty()) {
      v.lock.mode = b->lock_default_mode;
      v.lock.retain_until = c.s.now() + std::chrono::hours(24) * b->lock_default_days;
    }
    v.modified = c.s.now();
    v.metadata = req.metadata;
    v.owner_account = c.caller.account;
    auto& versions = b->objects[req.key];
    if (b->versioning == "Enabled") {
      v.version_id = new_version_id(c.s);
    } else {
      v.version_id = "null";
      std::erase_if(versions, [](const ObjectVersionRec& x) { return x.version_id == "null"; });
    }
    PutObjectResult out{v.etag, b->versioning.empty() ? std::string() : v.version_id,
                        v.checksum_sha256};
    versions.push_back(std::move(v));
    auto rw = c.response_writer();
    rw.begin_object().field("x-amz-server-side-encryption", versions.back().sse);
    if (!out.version_id.empty()) rw.field("x-amz-version-id", out.version_id);
    rw.end_object();
    c.additional = fmt::format(
        R"({{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":{},"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{}","bytesTransferredOut":0}})",
        stored->size, c.s.events.alnum(56));
    return out;
  });
}

Result<ObjectInfo> SimS3::get_object(const std::string& bucket, const std::string& key,
                                     const std::string& version_id, const ByteSink& sink) {
  static const OpDesc& kOp = op_desc("s3", "GetObject", true);
  return s_.run<Result<ObjectInfo>>(kOp, [&](Call& c) -> Result<ObjectInfo> {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("key", key);
    if (!version_id.empty()) w.field("versionId", version_id);
    w.end_object();
    object_resources(c, bucket, key);
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b,
                                      version_id.empty() ? "s3:getobject" : "s3:getobjectversion",
                                      object_arn(bucket, key)));
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.invalid("InvalidArgument", "Invalid version id specified");
    ObjectVersionRec* v = find_version(*b, key, version_id);
    if (v == nullptr) {
      if (!version_id.empty())
        return c.error(ErrorCode::kNotFound, "NoSuchVersion",
                       "The specified version does not exist.", 404);
      return c.error(ErrorCode::kNotFound, "NoSuchKey", "The specified key does not exist.", 404);
    }
    if (v->delete_marker) {
      if (version_id.empty())
        return c.error(ErrorCode::kNotFound, "NoSuchKey", "The specified key does not exist.", 404);
      return c.error(ErrorCode::kAws, "MethodNotAllowed",
                     "The specified method is not allowed against this resource.", 405);
    }
    const auto info = info_of(*b, key, *v);
    const auto body = v->body;
    const auto lazy = v->lazy;
    const std::uint64_t size = v->size;
    if (body) {
      for (std::size_t off = 0; off < body->size(); off += kChunk) {
        auto st = sink(std::string_view(*body).substr(off, kChunk));
        if (!st)
          return c.from(Error(st.error().code(), st.error().message(),
                              ErrorContext{.aws_code = "RequestAborted"}));
      }
    } else if (lazy) {
      std::vector<char> buf(kChunk);
      for (std::uint64_t off = 0; off < size;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - off));
        if (auto r = lazy->read(off, buf.data(), n); !r)
          return c.from(Error(ErrorCode::kUnavailable, r.error().message(),
                              ErrorContext{.aws_code = "InternalError", .http_status = 500}));
        auto st = sink(std::string_view(buf.data(), n));
        if (!st)
          return c.from(Error(st.error().code(), st.error().message(),
                              ErrorContext{.aws_code = "RequestAborted"}));
        off += n;
      }
    }
    c.additional = fmt::format(
        R"({{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{}","bytesTransferredOut":{}}})",
        c.s.events.alnum(56), size);
    return info;
  });
}

Result<ObjectInfo> SimS3::head_object(const std::string& bucket, const std::string& key,
                                      const std::string& version_id) {
  static const OpDesc& kOp = op_desc("s3", "HeadObject", true);
  return s_.run<Result<ObjectInfo>>(kOp, [&](Call& c) -> Result<ObjectInfo> {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("key", key);
    if (!version_id.empty()) w.field("versionId", version_id);
    w.end_object();
    object_resources(c, bucket, key);
    auto it = c.s.buckets.find(bucket);
    if (it == c.s.buckets.end()) return c.error(ErrorCode::kNotFound, "NotFound", "Not Found", 404);
    auto* b = &it->second;
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b,
                                      version_id.empty() ? "s3:getobject" : "s3:getobjectversion",
                                      object_arn(bucket, key)));
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.error(ErrorCode::kInvalidArgument, "BadRequest", "Bad Request", 400);
    ObjectVersionRec* v = find_version(*b, key, version_id);
    if (v == nullptr || (v->delete_marker && version_id.empty()))
      return c.error(ErrorCode::kNotFound, "NotFound", "Not Found", 404);
    if (v->delete_marker)
      return c.error(ErrorCode::kAws, "MethodNotAllowed", "Method Not Allowed", 405);
    return info_of(*b, key, *v);
  });
}

Status SimS3::delete_object(const std::string& bucket, const std::string& key,
                            const std::string& version_id, bool bypass) {
  static const OpDesc& kOp = op_desc("s3", "DeleteObject", true);
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("key", key);
    if (!version_id.empty()) w.field("versionId", version_id);
    if (bypass) w.field("x-amz-bypass-governance-retention", "true");
    w.end_object();
    object_resources(c, bucket, key);
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(
        s3_authorize(c, *b, version_id.empty() ? "s3:deleteobject" : "s3:deleteobjectversion",
                     object_arn(bucket, key)));
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.invalid("InvalidArgument", "Invalid version id specified");
    auto it = b->objects.find(key);
    if (version_id.empty()) {
      if (b->versioning.empty()) {
        if (it != b->objects.end()) b->objects.erase(it);
        return {};
      }
      // Versioned: a delete marker becomes the current version; nothing is destroyed.
      ObjectVersionRec marker;
      marker.delete_marker = true;
      marker.modified = c.s.now();
      marker.version_id = b->versioning == "Enabled" ? new_version_id(c.s) : "null";
      auto& versions = b->objects[key];
      if (marker.version_id == "null") {
        // A null version may only be replaced when it is not protected.
        for (const auto& x : versions) {
          if (x.version_id == "null" && lock_state(x, c.s.now()) != Lock::kNone)
            return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                           "Access Denied because object protected by object lock.", 403);
        }
        std::erase_if(versions, [](const ObjectVersionRec& x) { return x.version_id == "null"; });
      }
      c.response = fmt::format(R"({{"x-amz-delete-marker":"true","x-amz-version-id":"{}"}})",
                               marker.version_id);
      versions.push_back(std::move(marker));
      return {};
    }
    if (it == b->objects.end()) return {};  // deleting what is not there succeeds, as in S3
    auto& versions = it->second;
    auto v = std::find_if(versions.begin(), versions.end(),
                          [&](const ObjectVersionRec& x) { return x.version_id == version_id; });
    if (v == versions.end()) return {};
    switch (lock_state(*v, c.s.now())) {
      case Lock::kLegalHold:
      case Lock::kCompliance:
        return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                       "Access Denied because object protected by object lock.", 403);
      case Lock::kGovernance:
        if (!bypass)
          return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                         "Access Denied because object protected by object lock.", 403);
        FIREBREAK_TRY_STATUS(
            s3_authorize(c, *b, "s3:bypassgovernanceretention", object_arn(bucket, key)));
        break;
      case Lock::kNone: break;
    }
    versions.erase(v);
    if (versions.empty()) b->objects.erase(it);
    return {};
  });
}

Result<std::vector<ObjectVersion>> SimS3::list_object_versions(const std::string& bucket,
                                                               const std::string& prefix) {
  SIM_OP("s3", "ListObjectVersions");
  return s_.run<Result<std::vector<ObjectVersion>>>(
      kOp, [&](Call& c) -> Result<std::vector<ObjectVersion>> {
        auto w = c.params_writer();
        w.begin_object()
            .field("bucketName", bucket)
            .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
            .field("versions", "");
        if (!prefix.empty()) w.field("prefix", prefix);
        w.end_object();
        FIREBREAK_TRY(auto b, need_bucket(c, bucket));
        FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:listbucketversions", bucket_arn(bucket)));
        std::vector<ObjectVersion> out;
        for (auto it = b->objects.lower_bound(prefix); it != b->objects.end(); ++it) {
          if (!it->first.starts_with(prefix)) break;
          const auto& versions = it->second;
          for (std::size_t i = versions.size(); i-- > 0;) {
            const auto& v = versions[i];
            out.push_back({it->first, v.version_id, i + 1 == versions.size(), v.delete_marker,
                           v.size, v.modified});
          }
        }
        return out;
      });
}

// ---- Object Lock ----

Result<ObjectLockConfiguration> SimS3::get_object_lock_configuration(const std::string& bucket) {
  SIM_OP("s3", "GetObjectLockConfiguration");
  return s_.run<Result<ObjectLockConfiguration>>(
      kOp, [&](Call& c) -> Result<ObjectLockConfiguration> {
        bucket_params(c, bucket, "object-lock", "");
        FIREBREAK_TRY(auto b, need_bucket(c, bucket));
        FIREBREAK_TRY_STATUS(
            s3_authorize(c, *b, "s3:getbucketobjectlockconfiguration", bucket_arn(bucket)));
        if (!b->object_lock)
          return c.error(ErrorCode::kNotFound, "ObjectLockConfigurationNotFoundError",
                         "Object Lock configuration does not exist for this bucket", 404);
        return ObjectLockConfiguration{true, b->lock_default_mode, b->lock_default_days};
      });
}

Status SimS3::put_object_lock_configuration(const std::string& bucket,
                                            const ObjectLockConfiguration& config) {
  SIM_OP("s3", "PutObjectLockConfiguration");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    bucket_params(c, bucket, "object-lock", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(
        s3_authorize(c, *b, "s3:putbucketobjectlockconfiguration", bucket_arn(bucket)));
    if (!config.enabled)
      return c.invalid("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema");
    if (!config.default_mode.empty() &&
        ((config.default_mode != "GOVERNANCE" && config.default_mode != "COMPLIANCE") ||
         config.default_days <= 0))
      return c.invalid("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema");
    if (!b->object_lock && b->versioning != "Enabled")
      return c.error(ErrorCode::kFailedPrecondition, "InvalidBucketState",
                     "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                     "configuration",
                     409);
    b->object_lock = true;
    b->lock_default_mode = config.default_mode;
    b->lock_default_days = config.default_days;
    return {};
  });
}

Result<ObjectLockSettings> SimS3::get_object_retention(const std::string& bucket,
                                                       const std::string& key,
                                                       const std::string& version_id) {
  SIM_OP("s3", "GetObjectRetention");
  return s_.run<Result<ObjectLockSettings>>(kOp, [&](Call& c) -> Result<ObjectLockSettings> {
    auto w = c.params_writer();
    w.begin_object().field("bucketName", bucket).field("key", key).field("retention", "");
    if (!version_id.empty()) w.field("versionId", version_id);
    w.end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getobjectretention", object_arn(bucket, key)));
    if (!b->object_lock)
      return c.invalid("InvalidRequest", "Bucket is missing Object Lock Configuration");
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.invalid("InvalidArgument", "Invalid version id specified");
    ObjectVersionRec* v = find_version(*b, key, version_id);
    if (v == nullptr || (v->delete_marker && version_id.empty()))
      return c.error(ErrorCode::kNotFound, version_id.empty() ? "NoSuchKey" : "NoSuchVersion",
                     version_id.empty() ? "The specified key does not exist."
                                        : "The specified version does not exist.",
                     404);
    if (v->lock.mode.empty())
      return c.error(ErrorCode::kNotFound, "NoSuchObjectLockConfiguration",
                     "The specified object does not have a ObjectLock configuration", 404);
    ObjectLockSettings out = v->lock;
    out.legal_hold = v->lock.legal_hold;
    return out;
  });
}

Status SimS3::put_object_retention(const std::string& bucket, const std::string& key,
                                   const std::string& version_id,
                                   const ObjectLockSettings& retention, bool bypass) {
  SIM_OP("s3", "PutObjectRetention");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("bucketName", bucket).field("key", key).field("retention", "");
    if (!version_id.empty()) w.field("versionId", version_id);
    if (bypass) w.field("x-amz-bypass-governance-retention", "true");
    w.key("Retention").begin_object().field("Mode", retention.mode);
    if (retention.retain_until) w.field("RetainUntilDate", iso_millis(*retention.retain_until));
    w.end_object().end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putobjectretention", object_arn(bucket, key)));
    if (!b->object_lock)
      return c.invalid("InvalidRequest", "Bucket is missing Object Lock Configuration");
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.invalid("InvalidArgument", "Invalid version id specified");
    if (!retention.mode.empty() && retention.mode != "COMPLIANCE" && retention.mode != "GOVERNANCE")
      return c.invalid("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema");
    if (retention.mode.empty() != !retention.retain_until.has_value())
      return c.invalid("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema");
    if (retention.retain_until && *retention.retain_until <= c.s.now())
      return c.invalid("InvalidArgument", "The retain until date must be in the future!");
    ObjectVersionRec* v = find_version(*b, key, version_id);
    if (v == nullptr || v->delete_marker)
      return c.error(ErrorCode::kNotFound, version_id.empty() ? "NoSuchKey" : "NoSuchVersion",
                     version_id.empty() ? "The specified key does not exist."
                                        : "The specified version does not exist.",
                     404);
    const auto now = c.s.now();
    const bool active = v->lock.retain_until && *v->lock.retain_until > now;
    if (active) {
      const bool shorter =
          !retention.retain_until || *retention.retain_until < *v->lock.retain_until;
      if (v->lock.mode == "COMPLIANCE") {
        // Nobody, root included, can shorten COMPLIANCE retention or weaken its mode.
        if (shorter || retention.mode != "COMPLIANCE")
          return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                         "Access Denied because object protected by object lock.", 403);
      } else if (v->lock.mode == "GOVERNANCE") {
        const bool weakening = shorter || retention.mode.empty();
        if (weakening) {
          if (!bypass)
            return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                           "Access Denied because object protected by object lock.", 403);
          FIREBREAK_TRY_STATUS(
              s3_authorize(c, *b, "s3:bypassgovernanceretention", object_arn(bucket, key)));
        }
      }
    }
    v->lock.mode = retention.mode;
    v->lock.retain_until = retention.retain_until;
    return {};
  });
}

Status SimS3::put_object_legal_hold(const std::string& bucket, const std::string& key,
                                    const std::string& version_id, bool on) {
  SIM_OP("s3", "PutObjectLegalHold");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("bucketName", bucket).field("key", key).field("legal-hold", "");
    if (!version_id.empty()) w.field("versionId", version_id);
    w.key("LegalHold").begin_object().field("Status", on ? "ON" : "OFF").end_object().end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putobjectlegalhold", object_arn(bucket, key)));
    if (!b->object_lock)
      return c.invalid("InvalidRequest", "Bucket is missing Object Lock Configuration");
    if (!version_id.empty() && !valid_version_id(version_id))
      return c.invalid("InvalidArgument", "Invalid version id specified");
    ObjectVersionRec* v = find_version(*b, key, version_id);
    if (v == nullptr || v->delete_marker)
      return c.error(ErrorCode::kNotFound, version_id.empty() ? "NoSuchKey" : "NoSuchVersion",
                     version_id.empty() ? "The specified key does not exist."
                                        : "The specified version does not exist.",
                     404);
    v->lock.legal_hold = on;
    return {};
  });
}

// ---- exposure ----

namespace {

Status owner_only(Call& c, const BucketRec& b) {
  if (c.caller.kind == CallerKind::kAnonymous || c.caller.account != b.account)
    return c.error(ErrorCode::kAws, "MethodNotAllowed",
                   "The specified method is not allowed against this resource.", 405);
  return {};
}

}  // namespace

Result<std::string> SimS3::get_bucket_policy(const std::string& bucket) {
  SIM_OP("s3", "GetBucketPolicy");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    bucket_params(c, bucket, "policy", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketpolicy", bucket_arn(bucket)));
    FIREBREAK_TRY_STATUS(owner_only(c, *b));
    if (!b->policy)
      return c.error(ErrorCode::kNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist",
                     404);
    return b->policy->text;
  });
}

Status SimS3::put_bucket_policy(const std::string& bucket, const std::string& policy) {
  SIM_OP("s3", "PutBucketPolicy");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("bucketPolicy", policy)
        .field("policy", "")
        .end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketpolicy", bucket_arn(bucket)));
    FIREBREAK_TRY_STATUS(owner_only(c, *b));
    auto parsed = Policy::parse(policy, PolicyKind::kResource);
    if (!parsed) return c.invalid("MalformedPolicy", parsed.error().message());
    // Every Resource must be this bucket or its objects.
    auto doc = parse_json(policy);
    if (doc && doc->contains("Statement")) {
      const auto& st = (*doc)["Statement"];
      std::vector<const Json*> list;
      if (st.is_array())
        for (const auto& x : st) list.push_back(&x);
      else
        list.push_back(&st);
      for (const auto* x : list) {
        for (const char* field : {"Resource", "NotResource"}) {
          if (!x->contains(field)) continue;
          std::vector<std::string> res;
          if ((*x)[field].is_string())
            res.push_back((*x)[field].get<std::string>());
          else if ((*x)[field].is_array())
            for (const auto& r : (*x)[field])
              if (r.is_string()) res.push_back(r.get<std::string>());
          for (const auto& r : res) {
            if (r != bucket_arn(bucket) && !r.starts_with(bucket_arn(bucket) + "/"))
              return c.invalid("MalformedPolicy", "Policy has invalid resource");
          }
        }
      }
    }
    if ((*parsed)->grants_public_access() && effective_pab(c.s, *b).block_public_policy)
      return c.error(ErrorCode::kPermissionDenied, "AccessDenied",
                     "User: " + c.caller.ref.arn +
                         " is not authorized to perform: s3:PutBucketPolicy on resource: \"" +
                         bucket_arn(bucket) +
                         "\" because public policies are blocked by the BlockPublicPolicy block "
                         "public access setting.",
                     403);
    b->policy = PolicyDoc{policy, *parsed};
    c.history_resources.emplace_back("AWS::S3::Bucket", bucket);
    return {};
  });
}

Status SimS3::delete_bucket_policy(const std::string& bucket) {
  SIM_OP("s3", "DeleteBucketPolicy");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    bucket_params(c, bucket, "policy", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:deletebucketpolicy", bucket_arn(bucket)));
    FIREBREAK_TRY_STATUS(owner_only(c, *b));
    b->policy.reset();
    return {};
  });
}

Result<bool> SimS3::get_bucket_policy_status(const std::string& bucket) {
  SIM_OP("s3", "GetBucketPolicyStatus");
  return s_.run<Result<bool>>(kOp, [&](Call& c) -> Result<bool> {
    bucket_params(c, bucket, "policyStatus", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketpolicystatus", bucket_arn(bucket)));
    if (!b->policy)
      return c.error(ErrorCode::kNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist",
                     404);
    return b->policy->parsed->grants_public_access();
  });
}

Result<BucketAcl> SimS3::get_bucket_acl(const std::string& bucket) {
  SIM_OP("s3", "GetBucketAcl");
  return s_.run<Result<BucketAcl>>(kOp, [&](Call& c) -> Result<BucketAcl> {
    bucket_params(c, bucket, "acl", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketacl", bucket_arn(bucket)));
    BucketAcl out;
    out.owner_id = canonical_id(c.s.accounts[b->account].id);
    out.grants.push_back({"CanonicalUser", out.owner_id, "FULL_CONTROL"});
    for (const auto& g : b->acl) out.grants.push_back(g);
    return out;
  });
}

Status SimS3::put_bucket_acl(const std::string& bucket, const std::string& canned) {
  SIM_OP("s3", "PutBucketAcl");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("acl", "")
        .field("x-amz-acl", canned)
        .end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketacl", bucket_arn(bucket)));
    std::vector<Grant> grants;
    const std::string all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
    const std::string auth_users = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    if (canned == "private" || canned == "bucket-owner-full-control") {
    } else if (canned == "public-read") {
      grants.push_back({"Group", all_users, "READ"});
    } else if (canned == "public-read-write") {
      grants.push_back({"Group", all_users, "READ"});
      grants.push_back({"Group", all_users, "WRITE"});
    } else if (canned == "authenticated-read") {
      grants.push_back({"Group", auth_users, "READ"});
    } else if (canned == "log-delivery-write") {
      grants.push_back({"Group", "http://acs.amazonaws.com/groups/s3/LogDelivery", "WRITE"});
      grants.push_back({"Group", "http://acs.amazonaws.com/groups/s3/LogDelivery", "READ_ACP"});
    } else {
      return c.invalid("InvalidArgument", fmt::format("Invalid canned ACL: {}", canned));
    }
    if (b->ownership == "BucketOwnerEnforced" && !grants.empty())
      return c.invalid("AccessControlListNotSupported", "The bucket does not allow ACLs");
    BucketRec probe = *b;
    probe.acl = grants;
    if (acl_public(probe) && effective_pab(c.s, *b).block_public_acls)
      return c.error(ErrorCode::kPermissionDenied, "AccessDenied", "Access Denied", 403);
    b->acl = std::move(grants);
    c.history_resources.emplace_back("AWS::S3::Bucket", bucket);
    return {};
  });
}

Result<PublicAccessBlock> SimS3::get_public_access_block(const std::string& bucket) {
  SIM_OP("s3", "GetBucketPublicAccessBlock");
  return s_.run<Result<PublicAccessBlock>>(kOp, [&](Call& c) -> Result<PublicAccessBlock> {
    bucket_params(c, bucket, "publicAccessBlock", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketpublicaccessblock", bucket_arn(bucket)));
    if (!b->pab)
      return c.error(ErrorCode::kNotFound, "NoSuchPublicAccessBlockConfiguration",
                     "The public access block configuration was not found", 404);
    return *b->pab;
  });
}

Status SimS3::put_public_access_block(const std::string& bucket, const PublicAccessBlock& block) {
  SIM_OP("s3", "PutBucketPublicAccessBlock");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("publicAccessBlock", "")
        .key("PublicAccessBlockConfiguration")
        .begin_object()
        .field("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/")
        .field("BlockPublicAcls", block.block_public_acls)
        .field("IgnorePublicAcls", block.ignore_public_acls)
        .field("BlockPublicPolicy", block.block_public_policy)
        .field("RestrictPublicBuckets", block.restrict_public_buckets)
        .end_object()
        .end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketpublicaccessblock", bucket_arn(bucket)));
    b->pab = block;
    c.history_resources.emplace_back("AWS::S3::Bucket", bucket);
    return {};
  });
}

Status SimS3::delete_public_access_block(const std::string& bucket) {
  SIM_OP("s3", "DeleteBucketPublicAccessBlock");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    bucket_params(c, bucket, "publicAccessBlock", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketpublicaccessblock", bucket_arn(bucket)));
    b->pab.reset();
    return {};
  });
}

Result<std::string> SimS3::get_bucket_ownership_controls(const std::string& bucket) {
  SIM_OP("s3", "GetBucketOwnershipControls");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    bucket_params(c, bucket, "ownershipControls", "");
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:getbucketownershipcontrols", bucket_arn(bucket)));
    if (b->ownership.empty())
      return c.error(ErrorCode::kNotFound, "OwnershipControlsNotFoundError",
                     "The bucket ownership controls were not found", 404);
    return b->ownership;
  });
}

Status SimS3::put_bucket_ownership_controls(const std::string& bucket,
                                            const std::string& ownership) {
  SIM_OP("s3", "PutBucketOwnershipControls");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, c.session_region()))
        .field("ownershipControls", "")
        .key("OwnershipControls")
        .begin_object()
        .key("Rule")
        .begin_object()
        .field("ObjectOwnership", ownership)
        .end_object()
        .end_object()
        .end_object();
    FIREBREAK_TRY(auto b, need_bucket(c, bucket));
    FIREBREAK_TRY_STATUS(s3_authorize(c, *b, "s3:putbucketownershipcontrols", bucket_arn(bucket)));
    if (ownership != "BucketOwnerEnforced" && ownership != "BucketOwnerPreferred" &&
        ownership != "ObjectWriter")
      return c.invalid("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against our "
                       "published schema");
    if (ownership == "BucketOwnerEnforced" && !b->acl.empty())
      return c.invalid("InvalidBucketAclWithObjectOwnership",
                       "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced "
                       "setting");
    b->ownership = ownership;
    c.history_resources.emplace_back("AWS::S3::Bucket", bucket);
    return {};
  });
}

Status SimS3::put_account_public_access_block(const std::string& account,
                                              const PublicAccessBlock& block) {
  SIM_OP("s3", "PutAccountPublicAccessBlock");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("Host", fmt::format("{}.s3-control.{}.amazonaws.com", account, c.session_region()))
        .key("PublicAccessBlockConfiguration")
        .begin_object()
        .field("BlockPublicAcls", block.block_public_acls)
        .field("IgnorePublicAcls", block.ignore_public_acls)
        .field("BlockPublicPolicy", block.block_public_policy)
        .field("RestrictPublicBuckets", block.restrict_public_buckets)
        .end_object()
        .end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize("*", {}, nullptr, std::nullopt, "s3:putaccountpublicaccessblock"));
    if (account != c.account_id())
      return c.error(ErrorCode::kPermissionDenied, "AccessDenied", "Access Denied", 403);
    c.s.accounts[c.account()].s3_pab = block;
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Internals used by other services and builders

void World::State::ensure_bucket(std::uint16_t acct, const std::string& name,
                                 const std::string& region) {
  if (buckets.contains(name)) return;
  BucketRec b;
  b.name = name;
  b.account = acct;
  b.region = region;
  b.created = now_;
  b.pab = PublicAccessBlock{true, true, true, true};
  b.ownership = "BucketOwnerEnforced";
  buckets.emplace(name, std::move(b));
}

Status World::State::s3_put_internal(const Caller& caller, const std::string& bucket,
                                     const std::string& key, std::shared_ptr<LazyBody> lazy,
                                     std::string body, std::string content_type) {
  auto it = buckets.find(bucket);
  if (it == buckets.end())
    return fail(ErrorCode::kNotFound, "The specified bucket does not exist",
                ErrorContext{.aws_code = "NoSuchBucket", .http_status = 404});
  auto& b = it->second;
  ObjectVersionRec v;
  if (lazy) {
    v.size = lazy->size;
    v.etag = lazy->etag();
    v.lazy = std::move(lazy);
    if (v.lazy->generated) {
      lazy_index[LazyBody::header_of(v.size, v.lazy->seed)] = v.lazy;
    }
  } else {
    Md5 md5;
    md5.update(body);
    v.size = body.size();
    v.etag = md5.hex();
    v.body = std::make_shared<const std::string>(std::move(body));
  }
  v.content_type = std::move(content_type);
  v.sse = "AES256";
  v.modified = now_;
  v.owner_account = caller.account;
  if (b.object_lock && !b.lock_default_mode.empty()) {
    v.lock.mode = b.lock_default_mode;
    v.lock.retain_until = now_ + std::chrono::hours(24) * b.lock_default_days;
  }
  auto& versions = b.objects[key];
  if (b.versioning == "Enabled") {
    v.version_id = new_version_id(*this);
  } else {
    v.version_id = "null";
    std::erase_if(versions, [](const ObjectVersionRec& x) { return x.version_id == "null"; });
  }
  versions.push_back(std::move(v));
  return {};
}

Status World::add_bucket(const BucketSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  if (!valid_bucket_name(spec.name))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a valid bucket name", spec.name));
  if (s.buckets.contains(spec.name))
    return fail(ErrorCode::kAlreadyExists, fmt::format("bucket '{}' already exists", spec.name));
  BucketRec b;
  b.name = spec.name;
  b.account = *a;
  b.region = spec.region.empty() ? s.accounts[*a].regions.front() : spec.region;
  b.created = s.now_;
  b.versioning = spec.versioning || spec.object_lock ? "Enabled" : "";
  b.object_lock = spec.object_lock;
  b.lock_default_mode = spec.object_lock_default_mode;
  b.lock_default_days = spec.object_lock_default_days;
  if (!spec.legacy) {
    b.pab = PublicAccessBlock{true, true, true, true};
    b.ownership = "BucketOwnerEnforced";
  }
  if (spec.public_access_block) b.pab = spec.public_access_block;
  if (!spec.ownership.empty()) b.ownership = spec.ownership;
  if (!spec.policy.empty()) {
    auto p = Policy::parse(spec.policy, PolicyKind::kResource);
    if (!p) return fail(p.error().wrap(fmt::format("bucket '{}' policy", spec.name)));
    b.policy = PolicyDoc{spec.policy, *p};
  }
  const std::string all_users = "http://acs.amazonaws.com/groups/global/AllUsers";
  if (spec.canned_acl == "public-read") {
    b.acl.push_back({"Group", all_users, "READ"});
  } else if (spec.canned_acl == "public-read-write") {
    b.acl.push_back({"Group", all_users, "READ"});
    b.acl.push_back({"Group", all_users, "WRITE"});
  } else if (spec.canned_acl != "private") {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("bucket '{}': canned ACL '{}' is not one of private, public-read, "
                            "public-read-write",
                            spec.name, spec.canned_acl));
  }
  s.buckets.emplace(spec.name, std::move(b));
  const Caller owner = s.service_caller(*a, "s3.amazonaws.com");
  for (const auto& o : spec.objects) {
    std::shared_ptr<LazyBody> lazy;
    if (o.body.empty() && o.size > 0) lazy = LazyBody::generate(o.size, s.ids.next_u64());
    FIREBREAK_TRY_STATUS(s.s3_put_internal(owner, spec.name, o.key, lazy, o.body, o.content_type));
  }
  return {};
}

}  // namespace firebreak::cloud::sim
