// Conformance: evidence storage semantics (versions, COMPLIANCE Object Lock) in every backend.
#include "backend.h"

namespace firebreak::testing {

TEST_P(CloudConformance, s3_compliance_locked_version_cannot_be_deleted) {
  auto& s3 = session().s3();
  ASSERT_TRUE(s3.create_bucket({"conformance-evidence", "", true}));
  cloud::PutObjectRequest put;
  put.bucket = "conformance-evidence";
  put.key = "ledger.jsonl";
  put.body = "{\"seq\":1}\n";
  put.lock.mode = "COMPLIANCE";
  put.lock.retain_until = real_clock().now() + std::chrono::hours(24);
  auto r = s3.put_object(put);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_FALSE(r->version_id.empty());

  auto refused = s3.delete_object("conformance-evidence", "ledger.jsonl", r->version_id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(aws_code(refused.error()), "AccessDenied");

  // Without a version id a delete marker hides the object; the locked version stays.
  ASSERT_TRUE(s3.delete_object("conformance-evidence", "ledger.jsonl"));
  auto versions = s3.list_object_versions("conformance-evidence");
  ASSERT_TRUE(versions) << versions.error().describe();
  bool kept = false, marker = false;
  for (const auto& v : *versions) {
    kept |= v.version_id == r->version_id && !v.is_delete_marker;
    marker |= v.is_delete_marker;
  }
  EXPECT_TRUE(kept);
  EXPECT_TRUE(marker);
  std::string body;
  auto old = s3.get_object("conformance-evidence", "ledger.jsonl", r->version_id,
                           [&](std::string_view chunk) -> Status {
                             body.append(chunk);
                             return {};
                           });
  ASSERT_TRUE(old) << old.error().describe();
  EXPECT_EQ(body, put.body);
}

}  // namespace firebreak::testing
