// Conformance: S3 exposure response and evidence storage (Object Lock, checksums, streaming).
#include <algorithm>

#include "firebreak/core/hash.h"
#include "helpers.h"

namespace firebreak::testing {

using namespace std::chrono_literals;

namespace {

std::string b64_sha256(std::string_view s) {
  const auto d = sha256(s);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Result<std::string> read_all(cloud::S3& s3, const std::string& b, const std::string& k,
                             const std::string& v = {}) {
  std::string out;
  FIREBREAK_TRY(auto info, s3.get_object(b, k, v, [&](std::string_view c) -> Status {
    out.append(c);
    return {};
  }));
  (void)info;
  return out;
}

}  // namespace

TEST_P(CloudConformance, bucket_and_object_round_trip) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-evidence-1", {}, false}));
  auto list = s3.list_buckets();
  ASSERT_OK(list);
  EXPECT_NE(std::find(list->begin(), list->end(), "fb-evidence-1"), list->end());
  ASSERT_OK(s3.put_bucket_versioning("fb-evidence-1", true));
  EXPECT_EQ(s3.get_bucket_versioning("fb-evidence-1").value_or(""), "Enabled");
  cloud::PutObjectRequest put;
  put.bucket = "fb-evidence-1";
  put.key = "INC-1/notes.txt";
  put.body = "first";
  put.checksum_sha256 = b64_sha256(put.body);
  auto v1 = s3.put_object(put);
  ASSERT_OK(v1);
  EXPECT_FALSE(v1->version_id.empty());
  put.body = "second version";
  put.checksum_sha256.clear();
  auto v2 = s3.put_object(put);
  ASSERT_OK(v2);
  EXPECT_EQ(read_all(s3, put.bucket, put.key).value_or(""), "second version");
  EXPECT_EQ(read_all(s3, put.bucket, put.key, v1->version_id).value_or(""), "first");
  auto head = s3.head_object(put.bucket, put.key);
  ASSERT_OK(head);
  EXPECT_EQ(head->content_length, std::string("second version").size());
  auto versions = s3.list_object_versions(put.bucket, "INC-1/");
  ASSERT_OK(versions);
  EXPECT_EQ(versions->size(), 2u);
  ASSERT_OK(s3.delete_object(put.bucket, put.key));
  EXPECT_AWS_ERROR(read_all(s3, put.bucket, put.key), "NoSuchKey");
  EXPECT_EQ(read_all(s3, put.bucket, put.key, v1->version_id).value_or(""), "first");
}

TEST_P(CloudConformance, streaming_body_and_checksum) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-stream", {}, false}));
  std::string body(3 << 20, 'x');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  std::size_t off = 0;
  cloud::PutObjectRequest put;
  put.bucket = "fb-stream";
  put.key = "mem.lime";
  put.content_length = body.size();
  put.source = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
    const std::size_t n = std::min(cap, body.size() - off);
    std::copy_n(body.data() + off, n, buf);
    off += n;
    return n;
  };
  put.checksum_sha256 = b64_sha256(body);
  ASSERT_OK(s3.put_object(put));
  auto back = read_all(s3, put.bucket, put.key);
  ASSERT_OK(back);
  EXPECT_EQ(sha256_hex(*back), sha256_hex(body));
  cloud::PutObjectRequest bad;
  bad.bucket = "fb-stream";
  bad.key = "bad";
  bad.body = "tampered";
  bad.checksum_sha256 = b64_sha256("original");
  auto r = s3.put_object(bad);
  ASSERT_FALSE(r);
}

TEST_P(CloudConformance, s3_not_found) {
  auto& s3 = session().s3();
  EXPECT_AWS_ERROR(read_all(s3, "fb-no-such-bucket-zz", "k"), "NoSuchBucket");
  EXPECT_AWS_ERROR(s3.get_bucket_policy("fb-no-such-bucket-zz"), "NoSuchBucket");
  ASSERT_OK(s3.create_bucket({"fb-nf", {}, false}));
  EXPECT_AWS_ERROR(read_all(s3, "fb-nf", "missing"), "NoSuchKey");
  EXPECT_AWS_ERROR(s3.get_bucket_policy("fb-nf"), "NoSuchBucketPolicy");
  auto head = s3.head_object("fb-nf", "missing");
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), ErrorCode::kNotFound);
  EXPECT_AWS_ERROR(s3.get_object_lock_configuration("fb-nf"),
                   "ObjectLockConfigurationNotFoundError");
  SKIP_UNLESS(strict_validation, "moto accepts invalid bucket names");
  EXPECT_AWS_ERROR(s3.create_bucket({"Not_A_Valid_Bucket", {}, false}), "InvalidBucketName");
}

TEST_P(CloudConformance, object_lock_compliance_cannot_be_shortened_or_deleted) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-worm", {}, true}));
  auto cfg = s3.get_object_lock_configuration("fb-worm");
  ASSERT_OK(cfg);
  EXPECT_TRUE(cfg->enabled);
  cloud::PutObjectRequest put;
  put.bucket = "fb-worm";
  put.key = "INC-1/ledger.jsonl";
  put.body = "evidence";
  put.checksum_sha256 = b64_sha256(put.body);
  put.lock.mode = "COMPLIANCE";
  put.lock.retain_until = from_unix_seconds(4102444800);  // 2100-01-01
  auto v = s3.put_object(put);
  ASSERT_OK(v);
  if (caps().s3_object_retention) {  // moto 5.2.1 has no GetObjectRetention
    auto ret = s3.get_object_retention(put.bucket, put.key, v->version_id);
    ASSERT_OK(ret);
    EXPECT_EQ(ret->mode, "COMPLIANCE");
  }
  auto del = s3.delete_object(put.bucket, put.key, v->version_id, true);
  EXPECT_AWS_ERROR(del, "AccessDenied");
  EXPECT_EQ(del.error().code(), ErrorCode::kPermissionDenied);
  cloud::ObjectLockSettings shorter{"COMPLIANCE", from_unix_seconds(4070908800), false};  // 2099
  if (caps().strict_validation) {  // moto 5.2.1 lets COMPLIANCE retention be shortened
    EXPECT_AWS_ERROR(s3.put_object_retention(put.bucket, put.key, v->version_id, shorter, true),
                     "AccessDenied");
  }
  cloud::ObjectLockSettings longer{"COMPLIANCE", from_unix_seconds(4133980800), false};  // 2101
  ASSERT_OK(s3.put_object_retention(put.bucket, put.key, v->version_id, longer, false));
  EXPECT_EQ(read_all(s3, put.bucket, put.key, v->version_id).value_or(""), "evidence");
}

TEST_P(CloudConformance, object_lock_governance_needs_bypass) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-gov", {}, true}));
  cloud::PutObjectRequest put;
  put.bucket = "fb-gov";
  put.key = "a";
  put.body = "x";
  put.checksum_sha256 = b64_sha256(put.body);
  put.lock.mode = "GOVERNANCE";
  put.lock.retain_until = from_unix_seconds(4102444800);
  auto v = s3.put_object(put);
  ASSERT_OK(v);
  EXPECT_AWS_ERROR(s3.delete_object("fb-gov", "a", v->version_id, false), "AccessDenied");
  ASSERT_OK(s3.delete_object("fb-gov", "a", v->version_id, true));
}

TEST_P(CloudConformance, legal_hold_blocks_deletion) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-hold", {}, true}));
  cloud::PutObjectRequest put;
  put.bucket = "fb-hold";
  put.key = "a";
  put.body = "x";
  put.checksum_sha256 = b64_sha256(put.body);
  auto v = s3.put_object(put);
  ASSERT_OK(v);
  ASSERT_OK(s3.put_object_legal_hold("fb-hold", "a", v->version_id, true));
  EXPECT_AWS_ERROR(s3.delete_object("fb-hold", "a", v->version_id, true), "AccessDenied");
  ASSERT_OK(s3.put_object_legal_hold("fb-hold", "a", v->version_id, false));
  ASSERT_OK(s3.delete_object("fb-hold", "a", v->version_id, false));
}

TEST_P(CloudConformance, object_lock_refused_without_lock_bucket) {
  SKIP_UNLESS(strict_validation, "moto stores retention on buckets without Object Lock");
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-nolock", {}, false}));
  cloud::PutObjectRequest put;
  put.bucket = "fb-nolock";
  put.key = "a";
  put.body = "x";
  put.lock.mode = "COMPLIANCE";
  put.lock.retain_until = from_unix_seconds(4102444800);
  EXPECT_AWS_ERROR(s3.put_object(put), "InvalidRequest");
}

TEST_P(CloudConformance, public_bucket_containment) {
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-exposed", {}, false}));
  if (caps().s3_secure_defaults) {
    auto pab = s3.get_public_access_block("fb-exposed");
    ASSERT_OK(pab);
    EXPECT_TRUE(pab->block_public_policy);
    EXPECT_EQ(s3.get_bucket_ownership_controls("fb-exposed").value_or(""), "BucketOwnerEnforced");
    ASSERT_OK(s3.delete_public_access_block("fb-exposed"));
  }
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::fb-exposed/*"}]})";
  ASSERT_OK(s3.put_bucket_policy("fb-exposed", policy));
  if (caps().s3_policy_status) {  // moto 5.2.1 has no GetBucketPolicyStatus
    EXPECT_EQ(s3.get_bucket_policy_status("fb-exposed").value_or(false), true);
  }
  ASSERT_OK(s3.get_bucket_policy("fb-exposed"));
  ASSERT_OK(s3.get_bucket_acl("fb-exposed"));
  // Contain: Block Public Access (all four), owner-enforced ownership, remove the policy.
  ASSERT_OK(s3.put_public_access_block("fb-exposed", {true, true, true, true}));
  auto pab = s3.get_public_access_block("fb-exposed");
  ASSERT_OK(pab);
  EXPECT_EQ(*pab, (cloud::PublicAccessBlock{true, true, true, true}));
  ASSERT_OK(s3.put_bucket_ownership_controls("fb-exposed", "BucketOwnerEnforced"));
  EXPECT_EQ(s3.get_bucket_ownership_controls("fb-exposed").value_or(""), "BucketOwnerEnforced");
  ASSERT_OK(s3.delete_bucket_policy("fb-exposed"));
  if (caps().s3_policy_status) {
    EXPECT_AWS_ERROR(s3.get_bucket_policy_status("fb-exposed"), "NoSuchBucketPolicy");
  }
}

TEST_P(CloudConformance, block_public_access_refuses_public_policy_and_acl) {
  SKIP_UNLESS(s3_secure_defaults, "moto does not apply Block Public Access");
  auto& s3 = session().s3();
  ASSERT_OK(s3.create_bucket({"fb-blocked", {}, false}));
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::fb-blocked/*"}]})";
  EXPECT_AWS_ERROR(s3.put_bucket_policy("fb-blocked", policy), "AccessDenied");
  EXPECT_AWS_ERROR(s3.put_bucket_acl("fb-blocked", "public-read"), "AccessControlListNotSupported");
  ASSERT_OK(s3.put_bucket_ownership_controls("fb-blocked", "ObjectWriter"));
  EXPECT_AWS_ERROR(s3.put_bucket_acl("fb-blocked", "public-read"), "AccessDenied");
}

TEST_P(CloudConformance, account_public_access_block) {
  ASSERT_OK(session().s3().put_account_public_access_block(session().account_id(),
                                                           {true, true, true, true}));
}

}  // namespace firebreak::testing
