// Conformance: EC2 instances as containment uses them (record, preserve, mark, verify).
#include <algorithm>

#include "helpers.h"

namespace firebreak::testing {

using namespace std::chrono_literals;

TEST_P(CloudConformance, run_and_describe_instances) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session(), {{"Name", "web-1"}});
  ASSERT_FALSE(id.empty());
  auto all = ec2.describe_instances({});
  ASSERT_OK(all);
  ASSERT_TRUE(
      std::any_of(all->begin(), all->end(), [&](const auto& i) { return i.instance_id == id; }));
  auto one = ec2.describe_instances({{id}, {}});
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  const auto& inst = one->front();
  EXPECT_EQ(inst.state, "running");
  EXPECT_EQ(inst.subnet_id, world().subnet_id());
  EXPECT_EQ(inst.vpc_id, world().vpc_id());
  EXPECT_EQ(cloud::find_tag(inst.tags, "Name"), "web-1");
  ASSERT_FALSE(inst.network_interfaces.empty());
  EXPECT_FALSE(inst.network_interfaces[0].network_interface_id.empty());
  EXPECT_FALSE(inst.block_devices.empty());
  auto filtered = ec2.describe_instances({{}, {{"tag:Name", {"web-1"}}}});
  ASSERT_OK(filtered);
  ASSERT_EQ(filtered->size(), 1u);
  EXPECT_EQ(filtered->front().instance_id, id);
}

TEST_P(CloudConformance, describe_instances_not_found) {
  EXPECT_AWS_ERROR(session().ec2().describe_instances({{kMissingInstance}, {}}),
                   "InvalidInstanceID.NotFound");
  auto r = session().ec2().describe_instances({{kMissingInstance}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
}

TEST_P(CloudConformance, describe_instances_refuses_unknown_filter) {
  SKIP_UNLESS(strict_validation, "moto answers 500 for unknown filters");
  EXPECT_AWS_ERROR(session().ec2().describe_instances({{}, {{"no-such-filter", {"x"}}}}),
                   "InvalidParameterValue");
}

TEST_P(CloudConformance, preserve_attributes_round_trip) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  cloud::ModifyInstanceAttributeRequest term;
  term.instance_id = id;
  term.disable_api_termination = true;
  ASSERT_OK(ec2.modify_instance_attribute(term));
  EXPECT_EQ(ec2.describe_instance_attribute(id, "disableApiTermination").value_or(""), "true");

  // New instances already stop on shutdown: that this call changes anything is shown by
  // shutdown_behavior_changes_both_ways.
  cloud::ModifyInstanceAttributeRequest shutdown;
  shutdown.instance_id = id;
  shutdown.instance_initiated_shutdown_behavior = "stop";
  ASSERT_OK(ec2.modify_instance_attribute(shutdown));
  EXPECT_EQ(ec2.describe_instance_attribute(id, "instanceInitiatedShutdownBehavior").value_or(""),
            "stop");

  auto inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  ASSERT_FALSE(inst->front().block_devices.empty());
  cloud::ModifyInstanceAttributeRequest dot;
  dot.instance_id = id;
  dot.block_device_mappings.push_back({inst->front().block_devices[0].device_name, false});
  ASSERT_OK(ec2.modify_instance_attribute(dot));
  inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  EXPECT_FALSE(inst->front().block_devices[0].delete_on_termination);
}

TEST_P(CloudConformance, shutdown_behavior_changes_both_ways) {
  // moto 5.2.1 accepts the call the SDKs send (InstanceInitiatedShutdownBehavior.Value=...) but
  // changes nothing: its ModifyInstanceAttribute knows that attribute only in the
  // Attribute=/Value= form and hands the request to its security-group handler instead.
  SKIP_UNLESS(shutdown_behavior_modification,
              "moto ignores InstanceInitiatedShutdownBehavior.Value (it keeps the old value)");
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  for (const char* value : {"terminate", "stop"}) {
    cloud::ModifyInstanceAttributeRequest req;
    req.instance_id = id;
    req.instance_initiated_shutdown_behavior = value;
    ASSERT_OK(ec2.modify_instance_attribute(req));
    EXPECT_EQ(ec2.describe_instance_attribute(id, "instanceInitiatedShutdownBehavior").value_or(""),
              value);
  }
}

TEST_P(CloudConformance, modify_instance_attribute_not_found) {
  cloud::ModifyInstanceAttributeRequest req;
  req.instance_id = kMissingInstance;
  req.disable_api_termination = true;
  EXPECT_AWS_ERROR(session().ec2().modify_instance_attribute(req), "InvalidInstanceID.NotFound");
}

TEST_P(CloudConformance, modify_instance_attribute_refuses_two_attributes) {
  const auto id = launch(*this, world(), session());
  cloud::ModifyInstanceAttributeRequest req;
  req.instance_id = id;
  req.disable_api_termination = true;
  req.instance_initiated_shutdown_behavior = "stop";
  auto r = session().ec2().modify_instance_attribute(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << r.error().describe();
}

TEST_P(CloudConformance, modify_instance_attribute_refuses_unknown_device) {
  SKIP_UNLESS(strict_validation, "moto answers 500 for a device the instance does not have");
  const auto id = launch(*this, world(), session());
  cloud::ModifyInstanceAttributeRequest req;
  req.instance_id = id;
  req.block_device_mappings.push_back({"/dev/sdz", false});
  auto r = session().ec2().modify_instance_attribute(req);
  ASSERT_FALSE(r);
}

TEST_P(CloudConformance, terminate_refused_with_termination_protection) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  cloud::ModifyInstanceAttributeRequest req;
  req.instance_id = id;
  req.disable_api_termination = true;
  ASSERT_OK(ec2.modify_instance_attribute(req));
  auto r = ec2.terminate_instances({id});
  EXPECT_AWS_ERROR(r, "OperationNotPermitted");
  EXPECT_EQ(r.error().code(), ErrorCode::kFailedPrecondition);
  auto still = ec2.describe_instances({{id}, {}});
  ASSERT_OK(still);
  EXPECT_EQ(still->front().state, "running");
  req.disable_api_termination = false;
  ASSERT_OK(ec2.modify_instance_attribute(req));
  auto done = ec2.terminate_instances({id});
  ASSERT_OK(done);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ(done->front().previous_state, "running");
  EXPECT_TRUE(done->front().current_state == "shutting-down" ||
              done->front().current_state == "terminated");
}

TEST_P(CloudConformance, terminate_not_found) {
  EXPECT_AWS_ERROR(session().ec2().terminate_instances({kMissingInstance}),
                   "InvalidInstanceID.NotFound");
}

TEST_P(CloudConformance, stop_and_start_instances) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto stop = ec2.stop_instances({id}, false);
  ASSERT_OK(stop);
  EXPECT_EQ(stop->front().previous_state, "running");
  world().let_time_pass(60s);
  auto inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  EXPECT_EQ(inst->front().state, "stopped");
  auto start = ec2.start_instances({id});
  ASSERT_OK(start);
  EXPECT_EQ(start->front().previous_state, "stopped");
  world().let_time_pass(60s);
  inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  EXPECT_EQ(inst->front().state, "running");
  EXPECT_AWS_ERROR(ec2.stop_instances({kMissingInstance}, false), "InvalidInstanceID.NotFound");
}

TEST_P(CloudConformance, start_refused_for_terminated_instance) {
  SKIP_UNLESS(strict_validation, "moto restarts terminated instances");
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  ASSERT_OK(ec2.terminate_instances({id}));
  world().let_time_pass(60s);
  EXPECT_AWS_ERROR(ec2.start_instances({id}), "IncorrectInstanceState");
}

TEST_P(CloudConformance, console_output) {
  const auto id = launch(*this, world(), session());
  ASSERT_OK(session().ec2().get_console_output(id));
  EXPECT_AWS_ERROR(session().ec2().get_console_output(kMissingInstance),
                   "InvalidInstanceID.NotFound");
}

TEST_P(CloudConformance, run_instances_refuses_unknown_image) {
  cloud::RunInstancesRequest req;
  req.image_id = "ami-0fffffffffffffff1";
  req.subnet_id = world().subnet_id();
  auto r = session().ec2().run_instances(req);
  if (!caps().strict_validation && r) GTEST_SKIP() << GetParam() << " accepts any image id";
  EXPECT_AWS_ERROR(r, "InvalidAMIID.NotFound");
}

TEST_P(CloudConformance, tags_create_and_delete) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  ASSERT_OK(ec2.create_tags({id}, {{"Quarantine", "INC-42"}, {"Ticket", "SEC-7"}}));
  auto inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  EXPECT_EQ(cloud::find_tag(inst->front().tags, "Quarantine"), "INC-42");
  auto by_tag = ec2.describe_instances({{}, {{"tag:Quarantine", {"INC-*"}}}});
  ASSERT_OK(by_tag);
  EXPECT_EQ(by_tag->size(), 1u);
  ASSERT_OK(ec2.delete_tags({id}, {{"Ticket", ""}}));
  inst = ec2.describe_instances({{id}, {}});
  ASSERT_OK(inst);
  EXPECT_FALSE(cloud::find_tag(inst->front().tags, "Ticket").has_value());
  EXPECT_TRUE(cloud::find_tag(inst->front().tags, "Quarantine").has_value());
}

TEST_P(CloudConformance, tags_refused_for_unknown_resources) {
  auto& ec2 = session().ec2();
  EXPECT_AWS_ERROR(ec2.create_tags({"bogus-123"}, {{"a", "b"}}), "InvalidID");
  auto r = ec2.create_tags({kMissingInstance}, {{"a", "b"}});
  if (!caps().strict_validation && r) GTEST_SKIP() << GetParam() << " tags ids that do not exist";
  EXPECT_AWS_ERROR(r, "InvalidInstanceID.NotFound");
}

TEST_P(CloudConformance, refused_without_permission) {
  SKIP_UNLESS(policy_evaluation, "moto does not evaluate IAM policies");
  auto nobody = world().unprivileged_session();
  ASSERT_OK(nobody);
  auto r = (*nobody)->ec2().describe_instances({});
  EXPECT_AWS_ERROR(r, "UnauthorizedOperation");
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_AWS_ERROR((*nobody)->iam().list_users(), "AccessDenied");
  EXPECT_AWS_ERROR((*nobody)->s3().list_buckets(), "AccessDenied");
}

}  // namespace firebreak::testing
