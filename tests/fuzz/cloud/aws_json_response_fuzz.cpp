// Fuzzes the JSON protocols' answers and errors: SSM and CloudTrail (JSON 1.1), SQS and DynamoDB
// (JSON 1.0), GuardDuty and Security Hub (REST-JSON).
#include "aws_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Harness h(data, size, "application/x-amz-json-1.1");
  if (!h.session) return 0;
  auto& s = *h.session;
  h.each([&] { return s.ssm().describe_instance_information({}); });
  h.each([&] {
    return s.ssm().send_command({.document_name = "AWS-RunShellScript", .instance_ids = {"i-1"}});
  });
  h.each([&] { return s.ssm().get_command_invocation("c", "i-1"); });
  h.each([&] { return s.ssm().list_commands("i-1"); });
  h.each([&] { return s.cloudtrail().describe_trails({}); });
  h.each([&] { return s.cloudtrail().get_trail_status("t"); });
  h.each([&] { return s.cloudtrail().get_event_selectors("t"); });
  h.each([&] { return s.cloudtrail().lookup_events({}); });
  h.each([&] { return s.guardduty().list_detectors(); });
  h.each([&] { return s.guardduty().list_findings("d"); });
  h.each([&] { return s.guardduty().get_findings("d", {"f"}); });
  h.each([&] { return s.securityhub().get_findings(nullptr, 100); });
  h.each([&] { return s.sqs().receive_message("q", 10, 0, 30); });
  h.each([&] { return s.sqs().get_queue_url("q"); });
  h.each([&] { return s.dynamodb().get_item("t", firebreak::Json{{"pk", {{"S", "x"}}}}); });
  return 0;
}
