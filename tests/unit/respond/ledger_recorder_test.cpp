#include "firebreak/respond/ledger_recorder.h"

#include <gtest/gtest.h>

#include "firebreak/core/clock.h"
#include "testdata.h"

namespace firebreak::respond {
namespace {

TEST(LedgerRecorder, records_runs_into_the_signed_ledger) {
  testing::TempDir tmp;
  SimClock clock(*parse_iso8601("2024-05-01T12:00:00Z"));
  auto locker =
      evidence::EvidenceLocker::open(evidence::LockerOptions{.dir = tmp / "ev", .clock = &clock})
          .value();
  LedgerRecorder rec(*locker);
  ASSERT_TRUE(
      rec.record("inc-1", "run-1", "firebreak", "action_request", Json{{"action", "ec2.isolate"}}));
  ASSERT_TRUE(rec.record("inc-1", "run-1", "firebreak", "action_result", Json("ok")));
  EXPECT_FALSE(rec.record("inc-1", "run-1", "firebreak", "bogus", Json::object()));
  ASSERT_TRUE(rec.checkpoint("inc-1"));
  auto report = locker->verify("inc-1").value();
  EXPECT_TRUE(report.ok()) << evidence::describe(report);
  EXPECT_EQ(report.records, 2u);
  EXPECT_EQ(report.signed_through, 2u);
}

}  // namespace
}  // namespace firebreak::respond
