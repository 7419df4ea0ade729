// Fuzzes the query protocol's XML answers and errors: IAM, STS, Auto Scaling, ELBv2, classic
// ELB, SNS.
#include "aws_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Harness h(data, size, "text/xml");
  if (!h.session) return 0;
  auto& s = *h.session;
  h.each([&] { return s.iam().get_user("u"); });
  h.each([&] { return s.iam().list_users(); });
  h.each([&] { return s.iam().list_access_keys("u"); });
  h.each([&] { return s.iam().create_access_key("u"); });
  h.each([&] { return s.iam().get_access_key_last_used("AKIA1"); });
  h.each([&] { return s.iam().list_attached_user_policies("u"); });
  h.each([&] { return s.iam().get_user_policy("u", "p"); });
  h.each([&] { return s.iam().list_mfa_devices("u"); });
  h.each([&] { return s.iam().get_login_profile("u"); });
  h.each([&] { return s.iam().get_role("r"); });
  h.each([&] { return s.iam().get_instance_profile("p"); });
  h.each([&] { return s.sts().get_caller_identity(); });
  h.each([&] { return s.sts().assume_role({"arn:aws:iam::1:role/r", "s", 900, "", ""}); });
  h.each([&] { return s.autoscaling().describe_auto_scaling_instances({"i-1"}); });
  h.each([&] { return s.autoscaling().describe_auto_scaling_groups({}); });
  h.each([&] { return s.autoscaling().detach_instances("g", {"i-1"}, true); });
  h.each([&] { return s.elbv2().describe_target_groups({}); });
  h.each([&] { return s.elbv2().describe_target_health("arn"); });
  h.each([&] { return s.elb().describe_load_balancers({}); });
  h.each([&] { return s.elb().describe_instance_health("lb"); });
  h.each([&] { return s.sns().publish("arn", "s", "m"); });
  return 0;
}
