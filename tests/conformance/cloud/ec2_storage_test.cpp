// Conformance: EBS volumes and snapshots (the evidence step).
#include <algorithm>

#include "helpers.h"

namespace firebreak::testing {

using namespace std::chrono_literals;

TEST_P(CloudConformance, volumes_by_instance) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto vols = ec2.describe_volumes({{}, {{"attachment.instance-id", {id}}}});
  ASSERT_OK(vols);
  ASSERT_FALSE(vols->empty());
  EXPECT_EQ(vols->front().state, "in-use");
  ASSERT_FALSE(vols->front().attachments.empty());
  EXPECT_EQ(vols->front().attachments[0].instance_id, id);
  auto one = ec2.describe_volumes({{vols->front().volume_id}, {}});
  ASSERT_OK(one);
  EXPECT_EQ(one->size(), 1u);
  EXPECT_AWS_ERROR(ec2.describe_volumes({{kMissingVolume}, {}}), "InvalidVolume.NotFound");
}

TEST_P(CloudConformance, snapshot_of_a_volume_completes) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto vols = ec2.describe_volumes({{}, {{"attachment.instance-id", {id}}}});
  ASSERT_OK(vols);
  auto snap =
      ec2.create_snapshot({vols->front().volume_id, "INC-1 evidence", {{"Incident", "INC-1"}}});
  ASSERT_OK(snap);
  EXPECT_EQ(snap->volume_id, vols->front().volume_id);
  EXPECT_TRUE(snap->state == "pending" || snap->state == "completed");
  if (caps().async_snapshots) {
    EXPECT_EQ(snap->state, "pending");
  }
  std::string state;
  for (int i = 0; i < 60 && state != "completed"; ++i) {
    world().let_time_pass(30s);
    auto d = ec2.describe_snapshots({{snap->snapshot_id}, {}});
    ASSERT_OK(d);
    ASSERT_EQ(d->size(), 1u);
    state = d->front().state;
    EXPECT_EQ(cloud::find_tag(d->front().tags, "Incident"), "INC-1");
  }
  EXPECT_EQ(state, "completed");
}

TEST_P(CloudConformance, snapshot_refused_for_missing_volume) {
  EXPECT_AWS_ERROR(session().ec2().create_snapshot({kMissingVolume, "x", {}}),
                   "InvalidVolume.NotFound");
  EXPECT_AWS_ERROR(session().ec2().describe_snapshots({{kMissingSnapshot}, {}}),
                   "InvalidSnapshot.NotFound");
}

TEST_P(CloudConformance, snapshots_of_an_instance) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto snaps = ec2.create_snapshots({id, "crash-consistent", {{"Incident", "INC-2"}}, false});
  ASSERT_OK(snaps);
  ASSERT_FALSE(snaps->empty());
  auto d = ec2.describe_snapshots({{}, {{"tag:Incident", {"INC-2"}}}});
  ASSERT_OK(d);
  EXPECT_EQ(d->size(), snaps->size());
  EXPECT_AWS_ERROR(ec2.create_snapshots({kMissingInstance, "x", {}, false}),
                   "InvalidInstanceID.NotFound");
}

}  // namespace firebreak::testing
