#include "firebreak/evidence/call_recorder.h"

#include <gtest/gtest.h>

#include "support.h"

namespace firebreak::evidence {
namespace {

cloud::OperationInfo op(std::string_view operation, bool mutating) {
  return cloud::OperationInfo{.service = "ec2",
                              .operation = operation,
                              .mutating = mutating,
                              .account = "123456789012",
                              .region = "eu-west-1"};
}

std::vector<Record> records(const std::filesystem::path& dir) {
  std::vector<Record> out;
  for (const auto& line : test::lines_of(test::slurp(dir / "ledger.log"))) {
    out.push_back(parse_ledger_line(line).value());
  }
  return out;
}

TEST(LedgerCallRecorder, records_request_and_outcome_of_every_call) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  std::shared_ptr<Ledger> ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  cloud::HookChain chain;
  auto recorder = std::make_shared<LedgerCallRecorder>(
      ledger, CallRecorderOptions{.actor = "arn:aws:iam::123456789012:role/firebreak"});
  chain.add(recorder);

  int calls = 0;
  auto ok = chain.run(op("ModifyInstanceAttribute", true), [&]() -> Status {
    ++calls;
    return {};
  });
  EXPECT_TRUE(ok);
  auto failed = chain.run(op("CreateSnapshot", true), [&]() -> Status {
    ++calls;
    return fail(
        ErrorCode::kPermissionDenied, "secret-looking message",
        ErrorContext{
            .aws_code = "UnauthorizedOperation", .request_id = "req-1", .http_status = 403});
  });
  EXPECT_FALSE(failed);
  auto read = chain.run(op("DescribeInstances", false), [&]() -> Status {
    ++calls;
    return {};
  });
  EXPECT_TRUE(read);
  EXPECT_EQ(calls, 3);

  const auto recs = records(tmp / "inc");
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].kind, RecordKind::kActionRequest);
  EXPECT_EQ(recs[0].actor, "arn:aws:iam::123456789012:role/firebreak");
  EXPECT_EQ(recs[0].payload["call"]["iam_action"], "ec2:ModifyInstanceAttribute");
  EXPECT_EQ(recs[0].payload["call"]["region"], "eu-west-1");
  EXPECT_EQ(recs[1].kind, RecordKind::kActionResult);
  EXPECT_EQ(recs[1].payload["request_seq"], 1);
  EXPECT_EQ(recs[1].payload["outcome"]["ok"], true);
  EXPECT_EQ(recs[2].kind, RecordKind::kActionRequest);
  EXPECT_EQ(recs[3].kind, RecordKind::kActionResult);
  EXPECT_EQ(recs[3].payload["request_seq"], 3);
  EXPECT_EQ(recs[3].payload["outcome"]["ok"], false);
  EXPECT_EQ(recs[3].payload["outcome"]["aws_code"], "UnauthorizedOperation");
  EXPECT_EQ(recs[3].payload["outcome"]["http_status"], 403);
  EXPECT_EQ(recs[3].payload["outcome"]["request_id"], "req-1");
  EXPECT_EQ(recs[3].body.find("secret-looking"), std::string::npos) << "no error messages";
  EXPECT_EQ(recs[4].kind, RecordKind::kObservation);
  EXPECT_EQ(recs[4].payload["call"]["operation"], "DescribeInstances");
  EXPECT_EQ(recorder->failures(), 0u);

  CallRecorderOptions quiet;
  quiet.record_reads = false;
  cloud::HookChain chain2;
  chain2.add(std::make_shared<LedgerCallRecorder>(ledger, quiet));
  EXPECT_TRUE(chain2.run(op("DescribeVolumes", false), []() -> Status { return {}; }));
  EXPECT_EQ(records(tmp / "inc").size(), 5u);
}

TEST(LedgerCallRecorder, a_mutating_call_that_cannot_be_recorded_is_not_made) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  std::shared_ptr<Ledger> ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  ASSERT_TRUE(ledger->append(
      RecordInput{.actor = "tester", .kind = RecordKind::kNote, .payload = {{"text", "x"}}}));
  // Truncation behind the ledger's back makes it refuse appends (ledger_test.cpp).
  std::filesystem::resize_file(tmp / "inc" / "ledger.log", 10);
  cloud::HookChain chain;
  chain.add(std::make_shared<LedgerCallRecorder>(ledger));
  int calls = 0;
  auto r = chain.run(op("TerminateInstances", true), [&]() -> Status {
    ++calls;
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 0);
  EXPECT_NE(r.error().describe().find("ec2:TerminateInstances"), std::string::npos)
      << r.error().describe();
}

}  // namespace
}  // namespace firebreak::evidence
