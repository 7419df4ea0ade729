// S3ObjectLockStore through the real AWS client (SigV4, REST-XML) against moto_server: locked
// versions that nobody can delete or overwrite (COMPLIANCE; GOVERNANCE only with the bypass
// flag; legal hold), SSE-KMS with a key created in moto's KMS, x-amz-checksum-sha256, content
// verified on every read, multipart upload of large artifacts, the locker and bundles on top,
// and `firebreak evidence --evidence-store s3://...` end to end.
//
// moto 5.2.1 has no GetObjectRetention (it answers with the object itself), so retention is
// checked through HeadObject's x-amz-object-lock-mode / x-amz-object-lock-retain-until-date /
// x-amz-object-lock-legal-hold headers, which is also what the store itself reads.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "firebreak/core/hash.h"
#include "firebreak/evidence/bundle.h"
#include "firebreak/evidence/locker.h"
#include "firebreak/evidence/s3_store.h"
#include "moto_fixture.h"

using namespace firebreak;
using namespace firebreak::evidence;
using firebreak::testing::MotoTest;
namespace fs = std::filesystem;

namespace {

constexpr const char* kBucket = "evidence-locked";

std::string b64(const Sha256Digest& d) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Deterministic, incompressible-looking bytes.
std::string pattern(std::size_t n, std::uint64_t seed) {
  std::string s(n, '\0');
  std::uint64_t x = seed | 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

ArtifactSpec spec(std::string incident, std::string name) {
  ArtifactSpec s;
  s.incident = std::move(incident);
  s.name = std::move(name);
  s.source = ArtifactSource{.kind = SourceKind::kInstance, .id = "i-0abc", .detail = ""};
  s.tool = "test";
  s.tool_version = "1";
  return s;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "fb-evs3-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(path_, ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class S3EvidenceMoto : public MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(session().s3().create_bucket({kBucket, "", /*object_lock_enabled=*/true}));
    ASSERT_TRUE(
        moto().boto3("print(c('kms').create_key(Description='evidence')"
                     "['KeyMetadata']['Arn'])",
                     &kms_key_))
        << kms_key_;
    ASSERT_TRUE(kms_key_.starts_with("arn:aws:kms:")) << kms_key_;
  }

  S3StoreOptions options(std::string mode = "COMPLIANCE") {
    S3StoreOptions o;
    o.bucket = kBucket;
    o.prefix = "cases/";
    o.lock_mode = std::move(mode);
    o.retain_days = 30;
    o.sse_kms_key_id = kms_key_;
    o.staging_dir = tmp_.path();
    return o;
  }

  std::unique_ptr<S3ObjectLockStore> open_store(S3StoreOptions o) {
    auto s = S3ObjectLockStore::open(session().s3(), real_clock(), std::move(o));
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }

  static ArtifactInfo store(ArtifactStore& st, const std::string& data, std::string name,
                            std::size_t chunk = 1 << 16) {
    auto w = st.begin(spec("inc-7", std::move(name)));
    EXPECT_TRUE(w) << w.error().describe();
    for (std::size_t off = 0; off < data.size(); off += chunk) {
      EXPECT_TRUE((*w)->write(std::string_view(data).substr(off, chunk)));
    }
    auto info = (*w)->commit();
    EXPECT_TRUE(info) << info.error().describe();
    return info ? *info : ArtifactInfo{};
  }

  static Result<std::string> read_all(ArtifactStore& st, std::string_view sha) {
    FIREBREAK_TRY(auto r, st.open(sha));
    std::string out;
    char buf[1 << 16];
    for (;;) {
      FIREBREAK_TRY(std::size_t n, r->read(std::span<char>(buf, sizeof buf)));
      if (n == 0) break;
      out.append(buf, n);
    }
    return out;
  }

  std::string raw_get(const std::string& key, const std::string& version) {
    std::string body;
    auto r = session().s3().get_object(kBucket, key, version, [&](std::string_view c) -> Status {
      body.append(c);
      return {};
    });
    EXPECT_TRUE(r) << r.error().describe();
    return body;
  }

  std::string kms_key_;
  TempDir tmp_;
};

}  // namespace

TEST_F(S3EvidenceMoto, compliance_locked_artifact_cannot_be_deleted_or_overwritten) {
  auto st = open_store(options());
  ASSERT_TRUE(st);
  auto& s3 = session().s3();
  const std::string data = pattern(300 * 1024 + 17, 7);
  const TimePoint before = real_clock().now();
  const ArtifactInfo info = store(*st, data, "memory.lime");
  ASSERT_EQ(info.sha256, to_hex(sha256(data)));
  EXPECT_EQ(info.size, data.size());
  EXPECT_EQ(info.backend, "s3");
  EXPECT_EQ(info.lock_mode, "COMPLIANCE");
  const std::string key = st->object_key(info.sha256);
  EXPECT_EQ(key, "cases/objects/" + info.sha256);

  // What S3 recorded on the version (HeadObject headers; see the note at the top).
  auto head = s3.head_object(kBucket, key);
  ASSERT_TRUE(head) << head.error().describe();
  const std::string version = head->version_id;
  ASSERT_FALSE(version.empty());
  EXPECT_NE(info.location.find("versionId=" + version), std::string::npos) << info.location;
  EXPECT_EQ(head->lock.mode, "COMPLIANCE");
  ASSERT_TRUE(head->lock.retain_until.has_value());
  const auto days =
      std::chrono::duration_cast<std::chrono::hours>(*head->lock.retain_until - before).count() /
      24.0;
  EXPECT_GT(days, 29.9);
  EXPECT_LT(days, 30.1);
  EXPECT_EQ(head->server_side_encryption, "aws:kms");
  EXPECT_EQ(head->sse_kms_key_id, kms_key_);
  EXPECT_EQ(head->checksum_sha256, b64(sha256(data)));
  EXPECT_EQ(head->content_length, data.size());
  auto ret = st->retention(info.sha256);
  ASSERT_TRUE(ret) << ret.error().describe();
  EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*ret),
            std::chrono::floor<std::chrono::seconds>(info.retain_until));

  // Nobody deletes the locked version: not the store, not a raw DeleteObject, not with bypass.
  auto refused = st->remove(info.sha256);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  auto raw = s3.delete_object(kBucket, key, version);
  ASSERT_FALSE(raw) << "S3 must refuse deleting a COMPLIANCE-locked version";
  EXPECT_EQ(raw.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(raw.error().context().aws_code, "AccessDenied");
  EXPECT_FALSE(s3.delete_object(kBucket, key, version, /*bypass_governance_retention=*/true));
  // Retention can be extended, never shortened.
  auto shorter = st->extend_retention(info.sha256, info.retain_until - std::chrono::hours(24));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(st->extend_retention(info.sha256, info.retain_until + std::chrono::hours(24)));
  head = s3.head_object(kBucket, key, version);
  ASSERT_TRUE(head);
  EXPECT_GE(*head->lock.retain_until, info.retain_until + std::chrono::hours(23));

  // "Overwriting" only adds a newer version: the locked one keeps its bytes, and the store
  // still returns the content that hashes to the name.
  cloud::PutObjectRequest evil;
  evil.bucket = kBucket;
  evil.key = key;
  evil.body = "tampered";
  auto over = s3.put_object(evil);
  ASSERT_TRUE(over) << over.error().describe();
  EXPECT_NE(over->version_id, version);
  EXPECT_TRUE(raw_get(key, version) == data);
  auto back = read_all(*st, info.sha256);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == data);

  // A delete marker hides nothing either.
  ASSERT_TRUE(s3.delete_object(kBucket, key));
  back = read_all(*st, info.sha256);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == data);
  EXPECT_TRUE(raw_get(key, version) == data);

  // The metadata object is locked and encrypted the same way, and list() reads it back.
  auto listed = st->list("inc-7");
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].sha256, info.sha256);
  EXPECT_EQ((*listed)[0].name, "memory.lime");
  auto metas = s3.list_object_versions(kBucket, "cases/meta/inc-7/");
  ASSERT_TRUE(metas) << metas.error().describe();
  ASSERT_EQ(metas->size(), 1u);
  auto mhead = s3.head_object(kBucket, (*metas)[0].key, (*metas)[0].version_id);
  ASSERT_TRUE(mhead) << mhead.error().describe();
  EXPECT_EQ(mhead->lock.mode, "COMPLIANCE");
  EXPECT_EQ(mhead->server_side_encryption, "aws:kms");
  EXPECT_FALSE(s3.delete_object(kBucket, (*metas)[0].key, (*metas)[0].version_id));
}

TEST_F(S3EvidenceMoto, content_is_verified_on_read_and_a_wrong_only_version_fails) {
  auto st = open_store(options());
  ASSERT_TRUE(st);
  // An object at a content address whose bytes do not hash to it (put there behind the store's
  // back, without a lock): reading fails, it never returns wrong data.
  const std::string fake_sha = to_hex(sha256("the real content"));
  cloud::PutObjectRequest put;
  put.bucket = kBucket;
  put.key = st->object_key(fake_sha);
  put.body = "forged content";
  ASSERT_TRUE(session().s3().put_object(put));
  auto r = read_all(*st, fake_sha);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message().find("corrupt"), std::string::npos) << r.error().describe();

  auto missing = st->open(to_hex(sha256("never stored")));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  auto bad_name = st->open("../../etc/passwd");
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code(), ErrorCode::kInvalidArgument);

  // A writer whose content does not match the expected hash uploads nothing.
  auto s = spec("inc-7", "x");
  s.expected_sha256 = fake_sha;
  auto w = st->begin(s);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write("something else"));
  auto c = (*w)->commit();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kFailedPrecondition);
  auto versions = session().s3().list_object_versions(kBucket, "cases/objects/");
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->size(), 1u);  // only the forged one above
}

TEST_F(S3EvidenceMoto, governance_needs_the_bypass_and_legal_hold_blocks_even_that) {
  auto& s3 = session().s3();
  auto gov = open_store(options("GOVERNANCE"));
  ASSERT_TRUE(gov);
  const std::string a = pattern(4096, 1);
  const ArtifactInfo ia = store(*gov, a, "a.bin");
  const std::string key_a = gov->object_key(ia.sha256);
  auto ha = s3.head_object(kBucket, key_a);
  ASSERT_TRUE(ha);
  EXPECT_EQ(ha->lock.mode, "GOVERNANCE");
  EXPECT_FALSE(ha->lock.legal_hold);
  EXPECT_FALSE(s3.delete_object(kBucket, key_a, ha->version_id)) << "locked without the bypass";
  EXPECT_FALSE(gov->remove(ia.sha256));
  // GOVERNANCE is weaker by design: s3:BypassGovernanceRetention deletes it.
  EXPECT_TRUE(s3.delete_object(kBucket, key_a, ha->version_id, true));

  auto o = options("GOVERNANCE");
  o.legal_hold = true;
  auto held = open_store(o);
  ASSERT_TRUE(held);
  EXPECT_NE(held->describe().find("legal hold"), std::string::npos);
  const std::string b = pattern(4096, 2);
  const ArtifactInfo ib = store(*held, b, "b.bin");
  const std::string key_b = held->object_key(ib.sha256);
  auto hb = s3.head_object(kBucket, key_b);
  ASSERT_TRUE(hb);
  EXPECT_TRUE(hb->lock.legal_hold);
  auto by = s3.delete_object(kBucket, key_b, hb->version_id, true);
  EXPECT_FALSE(by) << "a legal hold is not bypassed by the governance bypass";
  auto rb = read_all(*held, ib.sha256);
  ASSERT_TRUE(rb) << rb.error().describe();
  EXPECT_TRUE(*rb == b);

  // Storing content that is already there keeps that version and adds the hold to it.
  const std::string c = pattern(4096, 3);
  const ArtifactInfo ic = store(*gov, c, "c.bin");
  auto hc = s3.head_object(kBucket, gov->object_key(ic.sha256));
  ASSERT_TRUE(hc);
  const ArtifactInfo again = store(*held, c, "c-again.bin");
  EXPECT_EQ(again.sha256, ic.sha256);
  auto hc2 = s3.head_object(kBucket, gov->object_key(ic.sha256));
  ASSERT_TRUE(hc2);
  EXPECT_EQ(hc2->version_id, hc->version_id);
  EXPECT_TRUE(hc2->lock.legal_hold);
}

TEST_F(S3EvidenceMoto, large_artifacts_go_up_in_checksummed_parts) {
  auto cfg = base_config();
  cfg.multipart_threshold = 6u << 20;
  cfg.multipart_part_size = 5u << 20;
  connect(cfg);
  auto st = open_store(options());
  ASSERT_TRUE(st);
  const std::string data = pattern((13u << 20) + 4321, 99);  // 3 parts
  const ArtifactInfo info = store(*st, data, "disk.img", 1 << 20);
  ASSERT_EQ(info.sha256, to_hex(sha256(data)));
  auto head = session().s3().head_object(kBucket, st->object_key(info.sha256));
  ASSERT_TRUE(head) << head.error().describe();
  EXPECT_NE(head->etag.find("-3"), std::string::npos) << "a multipart ETag: " << head->etag;
  EXPECT_EQ(head->lock.mode, "COMPLIANCE");
  EXPECT_EQ(head->server_side_encryption, "aws:kms");
  EXPECT_EQ(head->content_length, data.size());
  EXPECT_FALSE(
      session().s3().delete_object(kBucket, st->object_key(info.sha256), head->version_id));
  auto back = read_all(*st, info.sha256);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_TRUE(*back == data);
  // Nothing is left half-uploaded.
  std::string uploads;
  ASSERT_TRUE(moto().boto3(
      fmt::format("print(len(c('s3').list_multipart_uploads(Bucket='{}').get('Uploads', [])))",
                  kBucket),
      &uploads))
      << uploads;
  EXPECT_EQ(uploads, "0");
}

TEST_F(S3EvidenceMoto, locker_records_and_bundles_artifacts_from_s3) {
  auto st = open_store(options());
  ASSERT_TRUE(st);
  std::shared_ptr<ArtifactStore> shared(std::move(st));
  auto locker = EvidenceLocker::open(
      LockerOptions{.dir = tmp_.path() / "ev", .artifact_store = shared, .clock = &real_clock()});
  ASSERT_TRUE(locker) << locker.error().describe();
  const std::string data = pattern(100000, 5);
  const fs::path file = tmp_.path() / "capture.bin";
  std::ofstream(file, std::ios::binary) << data;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto info = (*locker)->store_artifact(spec("inc-7", "capture.bin"), fd, "operator:test");
  ::close(fd);
  ASSERT_TRUE(info) << info.error().describe();
  auto report = (*locker)->verify("inc-7");
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_TRUE(report->ok()) << describe(*report);
  EXPECT_EQ(report->artifacts_verified, 1u);

  auto bundle = export_bundle(**locker, "inc-7", tmp_.path() / "bundle", {});
  ASSERT_TRUE(bundle) << bundle.error().describe();
  auto vb = verify_bundle(bundle->dir, {});
  ASSERT_TRUE(vb) << vb.error().describe();
  EXPECT_TRUE(vb->ok()) << describe(*vb);
}
