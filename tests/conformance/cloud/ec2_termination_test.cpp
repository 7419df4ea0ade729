// Conformance: termination protection and instance tagging behave as in AWS in every backend.
#include "backend.h"

namespace firebreak::testing {

TEST_P(CloudConformance, ec2_terminate_refused_with_termination_protection) {
  auto& ec2 = session().ec2();
  cloud::RunInstancesRequest run;
  run.image_id = world().image_id();
  run.subnet_id = world().subnet_id();
  auto launched = ec2.run_instances(run);
  ASSERT_TRUE(launched) << launched.error().describe();
  ASSERT_EQ(launched->size(), 1u);
  const std::string id = launched->front().instance_id;

  cloud::ModifyInstanceAttributeRequest protect;
  protect.instance_id = id;
  protect.disable_api_termination = true;
  ASSERT_TRUE(ec2.modify_instance_attribute(protect));
  auto refused = ec2.terminate_instances({id});
  ASSERT_FALSE(refused);
  EXPECT_EQ(aws_code(refused.error()), "OperationNotPermitted");
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);

  protect.disable_api_termination = false;
  ASSERT_TRUE(ec2.modify_instance_attribute(protect));
  auto done = ec2.terminate_instances({id});
  ASSERT_TRUE(done) << done.error().describe();
  EXPECT_EQ(done->front().instance_id, id);
}

TEST_P(CloudConformance, ec2_tags_mark_and_filter_instances) {
  auto& ec2 = session().ec2();
  cloud::RunInstancesRequest run;
  run.image_id = world().image_id();
  run.subnet_id = world().subnet_id();
  run.count = 2;
  auto launched = ec2.run_instances(run);
  ASSERT_TRUE(launched) << launched.error().describe();
  ASSERT_EQ(launched->size(), 2u);
  const std::string id = launched->front().instance_id;
  ASSERT_TRUE(ec2.create_tags({id}, {{"Quarantine", "inc-7"}}));
  auto found = ec2.describe_instances({{}, {{"tag:Quarantine", {"inc-7"}}}});
  ASSERT_TRUE(found) << found.error().describe();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().instance_id, id);
  auto missing = ec2.describe_instances({{"i-0000000000000dead"}, {}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(aws_code(missing.error()), "InvalidInstanceID.NotFound");
}

}  // namespace firebreak::testing
