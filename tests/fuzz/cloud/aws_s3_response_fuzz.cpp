// Fuzzes S3's REST-XML answers, header-borne metadata, "200 with an <Error>" bodies and errors.
#include "aws_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Harness h(data, size, "application/xml");
  if (!h.session) return 0;
  auto& s3 = h.session->s3();
  auto sink = [](std::string_view) -> firebreak::Status { return {}; };
  h.each([&] { return s3.list_buckets(); });
  h.each([&] { return s3.get_bucket_versioning("b"); });
  h.each([&] { return s3.put_object({.bucket = "b", .key = "k", .body = "x"}); });
  h.each([&] { return s3.get_object("b", "k", "", sink); });
  h.each([&] { return s3.head_object("b", "k"); });
  h.each([&] { return s3.list_object_versions("b"); });
  h.each([&] { return s3.get_object_lock_configuration("b"); });
  h.each([&] { return s3.get_object_retention("b", "k", "v"); });
  h.each([&] { return s3.get_bucket_policy("b"); });
  h.each([&] { return s3.get_bucket_policy_status("b"); });
  h.each([&] { return s3.get_bucket_acl("b"); });
  h.each([&] { return s3.get_public_access_block("b"); });
  h.each([&] { return s3.get_bucket_ownership_controls("b"); });
  h.each([&] { return s3.put_bucket_versioning("b", true); });
  return 0;
}
