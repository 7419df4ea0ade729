// S3ObjectLockStore against an in-memory double of the cloud seam's S3 interface that enforces
// what S3 enforces for evidence: Object Lock on versions (COMPLIANCE: no delete, no shortening
// before the date), x-amz-checksum-sha256 verification, and streamed bodies. The same store runs
// against moto_server through the real AWS client in tests/integration/aws/evidence_s3_test.cpp.
#include "firebreak/evidence/s3_store.h"

#include <gtest/gtest.h>

#include <map>

#include "firebreak/core/hash.h"
#include "support.h"

namespace firebreak::evidence {
namespace {

class FakeS3 final : public cloud::S3 {
 public:
  explicit FakeS3(Clock& clock) : clock_(clock) {}
  struct Version {
    std::string id, body, checksum, kms;
    cloud::ObjectLockSettings lock;
  };
  std::map<std::string, std::vector<Version>> objects;  // key -> versions, newest last
  bool lock_enabled = true;
  int puts = 0;

  Status create_bucket(const cloud::CreateBucketRequest&) override { return {}; }
  Result<std::vector<std::string>> list_buckets() override { return std::vector<std::string>{}; }
  Status put_bucket_versioning(const std::string&, bool) override { return {}; }
  Result<std::string> get_bucket_versioning(const std::string&) override { return "Enabled"; }

  Result<cloud::PutObjectResult> put_object(const cloud::PutObjectRequest& req) override {
    std::string body = req.body;
    if (req.source) {
      body.clear();
      char buf[4096];
      for (;;) {
        FIREBREAK_TRY(std::size_t n, req.source(buf, sizeof buf));
        if (n == 0) break;
        body.append(buf, n);
      }
      if (body.size() != req.content_length) return fail(ErrorCode::kInvalidArgument, "length");
    }
    const auto digest = sha256(body);
    const std::string sum =
        base64_encode(std::string(reinterpret_cast<const char*>(digest.data()), 32));
    if (!req.checksum_sha256.empty() && req.checksum_sha256 != sum) {
      return fail(ErrorCode::kInvalidArgument, "BadDigest");
    }
    if (!req.lock.mode.empty() && !lock_enabled) {
      return fail(ErrorCode::kInvalidArgument, "InvalidRequest: bucket is missing Object Lock");
    }
    ++puts;
    auto& vs = objects[req.key];
    vs.push_back(Version{std::to_string(++next_version_), body, sum, req.sse_kms_key_id, req.lock});
    return cloud::PutObjectResult{.etag = "e", .version_id = vs.back().id, .checksum_sha256 = sum};
  }
  Result<cloud::ObjectInfo> get_object(const std::string& bucket, const std::string& key,
                                       const std::string& version_id,
                                       const cloud::ByteSink& sink) override {
    FIREBREAK_TRY(auto info, head_object(bucket, key, version_id));
    const Version* v = find(key, version_id);
    for (std::size_t off = 0; off < v->body.size(); off += 1000) {
      FIREBREAK_TRY_STATUS(sink(std::string_view(v->body).substr(off, 1000)));
    }
    return info;
  }
  Result<cloud::ObjectInfo> head_object(const std::string& bucket, const std::string& key,
                                        const std::string& version_id) override {
    const Version* v = find(key, version_id);
    if (!v) return fail(ErrorCode::kNotFound, "NoSuchKey");
    return cloud::ObjectInfo{.bucket = bucket,
                             .key = key,
                             .version_id = v->id,
                             .content_length = v->body.size(),
                             .checksum_sha256 = v->checksum,
                             .server_side_encryption = v->kms.empty() ? "" : "aws:kms",
                             .sse_kms_key_id = v->kms,
                             .lock = v->lock};
  }
  Status delete_object(const std::string&, const std::string& key, const std::string& version_id,
                       bool bypass) override {
    auto it = objects.find(key);
    if (it == objects.end()) return {};
    for (auto v = it->second.begin(); v != it->second.end(); ++v) {
      if (v->id != version_id) continue;
      if (v->lock.retain_until && clock_.now() < *v->lock.retain_until &&
          (v->lock.mode == "COMPLIANCE" || !bypass)) {
        return fail(ErrorCode::kPermissionDenied, "AccessDenied: object is WORM protected");
      }
      it->second.erase(v);
      return {};
    }
    return {};
  }
  Result<std::vector<cloud::ObjectVersion>> list_object_versions(
      const std::string&, const std::string& prefix) override {
    std::vector<cloud::ObjectVersion> out;
    for (const auto& [key, vs] : objects) {
      if (key.rfind(prefix, 0) != 0) continue;
      for (std::size_t i = 0; i < vs.size(); ++i) {
        out.push_back(cloud::ObjectVersion{.key = key,
                                           .version_id = vs[i].id,
                                           .is_latest = i + 1 == vs.size(),
                                           .size = vs[i].body.size()});
      }
    }
    return out;
  }
  Result<cloud::ObjectLockConfiguration> get_object_lock_configuration(
      const std::string&) override {
    return cloud::ObjectLockConfiguration{.enabled = lock_enabled};
  }
  Status put_object_lock_configuration(const std::string&,
                                       const cloud::ObjectLockConfiguration&) override {
    return {};
  }
  Result<cloud::ObjectLockSettings> get_object_retention(const std::string&, const std::string& key,
                                                         const std::string& version_id) override {
    const Version* v = find(key, version_id);
    if (!v) return fail(ErrorCode::kNotFound, "NoSuchKey");
    return v->lock;
  }
  Status put_object_retention(const std::string&, const std::string& key,
                              const std::string& version_id, const cloud::ObjectLockSettings& r,
                              bool) override {
    Version* v = find(key, version_id);
    if (!v) return fail(ErrorCode::kNotFound, "NoSuchKey");
    if (v->lock.mode == "COMPLIANCE" && v->lock.retain_until && r.retain_until &&
        *r.retain_until < *v->lock.retain_until) {
      return fail(ErrorCode::kPermissionDenied, "AccessDenied");
    }
    v->lock = r;
    return {};
  }
  Status put_object_legal_hold(const std::string&, const std::string&, const std::string&,
                               bool) override {
    return {};
  }
  Result<std::string> get_bucket_policy(const std::string&) override {
    return unsupported<std::string>();
  }
  Status put_bucket_policy(const std::string&, const std::string&) override {
    return unsupported_s();
  }
  Status delete_bucket_policy(const std::string&) override { return unsupported_s(); }
  Result<bool> get_bucket_policy_status(const std::string&) override { return unsupported<bool>(); }
  Result<cloud::BucketAcl> get_bucket_acl(const std::string&) override {
    return unsupported<cloud::BucketAcl>();
  }
  Status put_bucket_acl(const std::string&, const std::string&) override { return unsupported_s(); }
  Result<cloud::PublicAccessBlock> get_public_access_block(const std::string&) override {
    return unsupported<cloud::PublicAccessBlock>();
  }
  Status put_public_access_block(const std::string&, const cloud::PublicAccessBlock&) override {
    return unsupported_s();
  }
  Status delete_public_access_block(const std::string&) override { return unsupported_s(); }
  Result<std::string> get_bucket_ownership_controls(const std::string&) override {
    return unsupported<std::string>();
  }
  Status put_bucket_ownership_controls(const std::string&, const std::string&) override {
    return unsupported_s();
  }
  Status put_account_public_access_block(const std::string&,
                                         const cloud::PublicAccessBlock&) override {
    return unsupported_s();
  }

 private:
  template <class T>
  static Result<T> unsupported() {
    return fail(ErrorCode::kUnsupported, "not in the fake");
  }
  static Status unsupported_s() { return fail(ErrorCode::kUnsupported, "not in the fake"); }
  Version* find(const std::string& key, const std::string& version_id) {
    auto it = objects.find(key);
    if (it == objects.end() || it->second.empty()) return nullptr;
    if (version_id.empty()) return &it->second.back();
    for (auto& v : it->second) {
      if (v.id == version_id) return &v;
    }
    return nullptr;
  }
  Clock& clock_;
  int next_version_ = 0;
};

S3StoreOptions options() {
  return S3StoreOptions{.bucket = "evidence",
                        .prefix = "fb/",
                        .lock_mode = "COMPLIANCE",
                        .retain_days = 30,
                        .sse_kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/abc",
                        .staging_dir = {}};
}

TEST(S3ObjectLockStore, writes_locked_encrypted_checksummed_objects) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  const std::string content(300000, 'm');
  auto info = test::put(*store, test::spec_for("inc-1", "memory.lime"), content);
  EXPECT_EQ(info.sha256, sha256_hex(content));
  EXPECT_EQ(info.backend, "s3");
  EXPECT_EQ(info.lock_mode, "COMPLIANCE");
  EXPECT_EQ(info.retain_until, test::t0() + std::chrono::hours(24 * 30));
  EXPECT_EQ(info.location.rfind("s3://evidence/fb/objects/" + info.sha256 + "?versionId=", 0), 0u);
  const auto& v = s3.objects.at("fb/objects/" + info.sha256).back();
  EXPECT_EQ(v.lock.mode, "COMPLIANCE");
  EXPECT_EQ(v.kms, options().sse_kms_key_id);
  EXPECT_FALSE(v.checksum.empty());
  EXPECT_EQ(verify_object(*store, info.sha256).value(), content.size());
  auto listed = store->list("inc-1").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "memory.lime");
}

TEST(S3ObjectLockStore, a_locked_version_cannot_be_deleted_by_anyone) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  auto info = test::put(*store, test::spec_for("inc-1", "x"), "evidence");
  auto denied = store->remove(info.sha256);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  // Going around the store to S3 directly is refused by the lock as well.
  const std::string key = store->object_key(info.sha256);
  EXPECT_EQ(s3.delete_object("evidence", key, s3.objects.at(key).back().id, true).error().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_FALSE(store->extend_retention(info.sha256, test::t0()));
  clock.advance(std::chrono::hours(24 * 31));
  ASSERT_TRUE(store->remove(info.sha256));
  EXPECT_EQ(store->open(info.sha256).error().code(), ErrorCode::kNotFound);
}

TEST(S3ObjectLockStore, same_content_is_not_uploaded_twice) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  auto a = test::put(*store, test::spec_for("inc-1", "a"), "same");
  const int puts = s3.puts;
  auto spec = test::spec_for("inc-1", "b");
  spec.retain_days = 90;
  auto b = test::put(*store, spec, "same");
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(s3.puts, puts + 1);  // metadata only
  EXPECT_EQ(store->retention(a.sha256).value(), test::t0() + std::chrono::hours(24 * 90));
}

TEST(S3ObjectLockStore, corrupted_object_fails_on_read) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  auto info = test::put(*store, test::spec_for("inc-1", "x"), std::string(5000, 'a'));
  s3.objects.at(store->object_key(info.sha256)).back().body[10] = 'b';
  auto r = verify_object(*store, info.sha256);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("corrupt"), std::string::npos);
}

TEST(S3ObjectLockStore, an_overwritten_current_version_is_neither_trusted_nor_returned) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  auto a = test::put(*store, test::spec_for("inc-1", "a"), "same");
  // Someone with s3:PutObject adds a newer, unlocked version of the same length.
  auto& versions = s3.objects.at(store->object_key(a.sha256));
  const std::string locked_id = versions.back().id;
  const auto evil = sha256(std::string_view("evil"));
  versions.push_back(
      FakeS3::Version{"evil-1",
                      "evil",
                      base64_encode(std::string(reinterpret_cast<const char*>(evil.data()), 32)),
                      "",
                      {}});
  // Reads skip it and return the locked original.
  EXPECT_EQ(verify_object(*store, a.sha256).value(), 4u);
  // Storing the content again does not take the evil version for it: it uploads anew.
  const int puts = s3.puts;
  auto b = test::put(*store, test::spec_for("inc-1", "b"), "same");
  EXPECT_EQ(s3.puts, puts + 2);
  EXPECT_EQ(b.location.find("evil-1"), std::string::npos) << b.location;
  EXPECT_NE(b.location.find(versions.back().id), std::string::npos) << b.location;
  EXPECT_NE(versions.back().id, locked_id);
}

TEST(S3ObjectLockStore, refuses_a_bucket_without_object_lock_and_bad_settings) {
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  s3.lock_enabled = false;
  EXPECT_EQ(S3ObjectLockStore::open(s3, clock, options()).error().code(),
            ErrorCode::kFailedPrecondition);
  s3.lock_enabled = true;
  auto o = options();
  o.lock_mode = "NONE";
  EXPECT_FALSE(S3ObjectLockStore::open(s3, clock, o));
  auto store = S3ObjectLockStore::open(s3, clock, options()).value();
  EXPECT_FALSE(store->begin(test::spec_for("../x", "n")));
  EXPECT_FALSE(store->open("../../x"));
}

TEST(S3ObjectLockStore, plugs_into_the_locker_and_bundles) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  FakeS3 s3(clock);
  std::shared_ptr<ArtifactStore> store = S3ObjectLockStore::open(s3, clock, options()).value();
  auto locker = EvidenceLocker::open(
                    LockerOptions{.dir = tmp / "ev", .artifact_store = store, .clock = &clock})
                    .value();
  auto info = test::put(locker->artifacts(), test::spec_for("inc-1", "disk"), "disk bytes");
  ASSERT_TRUE(locker->record_artifact(info, "firebreak"));
  ASSERT_TRUE(locker->ledger("inc-1").value()->checkpoint());
  auto r = locker->verify("inc-1").value();
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.artifacts_verified, 1u);
}

TEST(S3StoreUrl, parses_bucket_and_prefix_and_rejects_the_rest) {
  auto l = parse_s3_store_url("s3://evidence-bucket");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->bucket, "evidence-bucket");
  EXPECT_EQ(l->prefix, "");
  l = parse_s3_store_url("s3://evidence.bucket/cases/2024");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->bucket, "evidence.bucket");
  EXPECT_EQ(l->prefix, "cases/2024/");
  l = parse_s3_store_url("s3://b12/x/");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->prefix, "x/");
  for (const char* bad : {"", "s3:/b12", "http://b12/x", "s3://", "s3://ab", "s3://Upper",
                          "s3://-b12", "s3://b..c", "s3://b12/../x", "s3://b12/a//b", "s3://b12//a",
                          "s3://b12/a/./b", "s3://b_12/a", "s3://b12/a\nb"}) {
    auto r = parse_s3_store_url(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    }
  }
  EXPECT_FALSE(parse_s3_store_url(std::string("s3://b12/a") + '\0' + "b"));
  EXPECT_FALSE(parse_s3_store_url("s3://b12/" + std::string(600, 'a')));
  // The stored prefix's final '/' counts toward the 512-byte limit, so whatever is accepted
  // parses back to itself (found by the fuzz target).
  for (const std::string& prefix :
       {std::string(511, 'a'), std::string(511, 'a') + "/", std::string(512, 'a')}) {
    auto r = parse_s3_store_url("s3://b12/" + prefix);
    if (!r) continue;
    EXPECT_EQ(r->prefix.size(), 512u);
    auto again = parse_s3_store_url("s3://b12/" + r->prefix);
    ASSERT_TRUE(again) << prefix.size();
    EXPECT_EQ(again->prefix, r->prefix);
  }
  EXPECT_TRUE(parse_s3_store_url("s3://b12/" + std::string(511, 'a')));
  EXPECT_FALSE(parse_s3_store_url("s3://b12/" + std::string(512, 'a')));
}

}  // namespace
}  // namespace firebreak::evidence
