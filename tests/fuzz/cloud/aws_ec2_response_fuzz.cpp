// Fuzzes the ec2 query protocol's response decoding (XML answers and errors) through every
// describe/mutating EC2 operation of the aws backend.
#include "aws_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Harness h(data, size, "text/xml");
  if (!h.session) return 0;
  auto& ec2 = h.session->ec2();
  using namespace firebreak::cloud;
  h.each([&] { return ec2.describe_instances({}); });
  h.each([&] { return ec2.describe_instance_attribute("i-1", "userData"); });
  h.each([&] { return ec2.describe_instance_attribute("i-1", "disableApiTermination"); });
  h.each([&] { return ec2.run_instances({.image_id = "ami-1"}); });
  h.each([&] { return ec2.terminate_instances({"i-1"}); });
  h.each([&] { return ec2.get_console_output("i-1"); });
  h.each([&] { return ec2.describe_network_interfaces({}); });
  h.each([&] { return ec2.describe_security_groups({}); });
  h.each([&] { return ec2.create_security_group({"g", "d", "vpc-1", {}}); });
  h.each([&] { return ec2.describe_network_acls({}); });
  h.each([&] { return ec2.describe_addresses({}); });
  h.each([&] { return ec2.associate_address("eipalloc-1", "i-1"); });
  h.each([&] { return ec2.describe_iam_instance_profile_associations({}); });
  h.each([&] { return ec2.replace_iam_instance_profile_association("a", "p"); });
  h.each([&] { return ec2.describe_volumes({}); });
  h.each([&] { return ec2.create_snapshot({"vol-1", "", {}}); });
  h.each([&] { return ec2.create_snapshots({"i-1", "", {}, false}); });
  h.each([&] { return ec2.describe_snapshots({}); });
  h.each([&] { return ec2.create_tags({"i-1"}, {{"k", "v"}}); });
  return 0;
}
