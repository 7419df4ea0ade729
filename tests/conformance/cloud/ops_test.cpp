// Conformance: SSM Run Command, Auto Scaling, load balancers, CloudTrail, GuardDuty, SNS/SQS.
#include <algorithm>
#include <map>

#include "helpers.h"

namespace firebreak::testing {

using namespace std::chrono_literals;

// ---- SSM ----

TEST_P(CloudConformance, ssm_run_command_lifecycle) {
  SKIP_UNLESS(ssm_managed_instances,
              "moto runs commands on any instance and completes them at once");
  auto inst = world().managed_instance();
  ASSERT_OK(inst);
  auto& ssm = session().ssm();
  auto info = ssm.describe_instance_information({*inst});
  ASSERT_OK(info);
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ(info->front().ping_status, "Online");
  cloud::SendCommandRequest req;
  req.document_name = "AWS-RunShellScript";
  req.instance_ids = {*inst};
  req.parameters["commands"] = {"hostname", "ss -tnp"};
  auto cmd = ssm.send_command(req);
  ASSERT_OK(cmd);
  EXPECT_EQ(cmd->status, "Pending");
  auto inv = ssm.get_command_invocation(cmd->command_id, *inst);
  ASSERT_OK(inv);
  EXPECT_FALSE(inv->terminal());
  for (int i = 0; i < 30 && !inv->terminal(); ++i) {
    world().let_time_pass(2s);
    inv = ssm.get_command_invocation(cmd->command_id, *inst);
    ASSERT_OK(inv);
  }
  EXPECT_EQ(inv->status, "Success");
  EXPECT_EQ(inv->response_code, 0);
  EXPECT_NE(inv->standard_output.find("ip-"), std::string::npos);
}

TEST_P(CloudConformance, ssm_refusals) {
  SKIP_UNLESS(ssm_managed_instances, "moto runs commands on unmanaged instances");
  auto& ssm = session().ssm();
  const auto unmanaged = launch(*this, world(), session());
  cloud::SendCommandRequest req;
  req.document_name = "AWS-RunShellScript";
  req.instance_ids = {unmanaged};
  req.parameters["commands"] = {"id"};
  EXPECT_AWS_ERROR(ssm.send_command(req), "InvalidInstanceId");
  auto info = ssm.describe_instance_information({unmanaged});
  ASSERT_OK(info);
  EXPECT_TRUE(info->empty());
  EXPECT_AWS_ERROR(ssm.get_command_invocation("0b1e2f3a-0000-4000-8000-000000000000", unmanaged),
                   "InvocationDoesNotExist");
  req.document_name = "No-Such-Document";
  EXPECT_AWS_ERROR(ssm.send_command(req), "InvalidDocument");
}

// SendCommand has no client token; ListCommands by instance is how a caller finds a command it
// sent before a crash (ssm.capture_memory matches its comment).
TEST_P(CloudConformance, ssm_list_commands_by_instance_carries_the_comment) {
  auto& ssm = session().ssm();
  std::string inst;
  if (caps().ssm_managed_instances) {
    auto managed = world().managed_instance();
    ASSERT_OK(managed);
    inst = *managed;
  } else {
    inst = launch(*this, world(), session());  // moto runs commands on any instance
  }
  const auto other = launch(*this, world(), session());
  cloud::SendCommandRequest req;
  req.document_name = "AWS-RunShellScript";
  req.instance_ids = {inst};
  req.parameters["commands"] = {"hostname"};
  req.comment = "firebreak step-token-1";
  auto first = ssm.send_command(req);
  ASSERT_OK(first);
  req.comment = "firebreak step-token-2";
  auto second = ssm.send_command(req);
  ASSERT_OK(second);
  auto listed = ssm.list_commands(inst);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  std::map<std::string, std::string> by_id;
  for (const auto& c : *listed) by_id[c.command_id] = c.comment;
  EXPECT_EQ(by_id[first->command_id], "firebreak step-token-1");
  EXPECT_EQ(by_id[second->command_id], "firebreak step-token-2");
  EXPECT_EQ(listed->front().document_name, "AWS-RunShellScript");
  // moto 5.2.1 adds every instance of the region to a command sent without Targets (its
  // _get_instance_ids_from_targets with no filters), so only a modelled backend shows the
  // command's own instance list and another instance's empty one.
  if (!caps().ssm_managed_instances) return;
  EXPECT_EQ(listed->front().instance_ids, std::vector<std::string>{inst});
  auto none = ssm.list_commands(other);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

// ---- Auto Scaling and load balancers ----

TEST_P(CloudConformance, drain_instance_from_group_and_load_balancers) {
  SKIP_UNLESS(fixtures, "the backend cannot build Auto Scaling fixtures through the seam");
  auto fx = world().fixture();
  ASSERT_OK(fx);
  const auto victim = fx->instance_ids.front();
  auto& asg = session().autoscaling();
  auto members = asg.describe_auto_scaling_instances({victim});
  ASSERT_OK(members);
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().auto_scaling_group_name, fx->auto_scaling_group);
  EXPECT_EQ(members->front().lifecycle_state, "InService");
  auto acts = asg.detach_instances(fx->auto_scaling_group, {victim}, false);
  ASSERT_OK(acts);
  EXPECT_FALSE(acts->empty());
  // Without decrement the group launches a replacement to keep its desired capacity.
  world().let_time_pass(120s);
  auto groups = asg.describe_auto_scaling_groups({fx->auto_scaling_group});
  ASSERT_OK(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->front().desired_capacity, 2);
  EXPECT_EQ(groups->front().instances.size(), 2u);
  EXPECT_TRUE(std::none_of(groups->front().instances.begin(), groups->front().instances.end(),
                           [&](const auto& m) { return m.instance_id == victim; }));
  members = asg.describe_auto_scaling_instances({victim});
  ASSERT_OK(members);
  EXPECT_TRUE(members->empty());
}

TEST_P(CloudConformance, detach_with_decrement_and_standby) {
  SKIP_UNLESS(fixtures, "the backend cannot build Auto Scaling fixtures through the seam");
  auto fx = world().fixture();
  ASSERT_OK(fx);
  auto& asg = session().autoscaling();
  ASSERT_OK(asg.enter_standby(fx->auto_scaling_group, {fx->instance_ids[1]}, true));
  auto m = asg.describe_auto_scaling_instances({fx->instance_ids[1]});
  ASSERT_OK(m);
  EXPECT_EQ(m->front().lifecycle_state, "Standby");
  // desired is now 1 = min: detaching with decrement would go below min.
  EXPECT_AWS_ERROR(asg.detach_instances(fx->auto_scaling_group, {fx->instance_ids[0]}, true),
                   "ValidationError");
  ASSERT_OK(asg.exit_standby(fx->auto_scaling_group, {fx->instance_ids[1]}));
  ASSERT_OK(asg.detach_instances(fx->auto_scaling_group, {fx->instance_ids[0]}, true));
  world().let_time_pass(120s);
  auto groups = asg.describe_auto_scaling_groups({fx->auto_scaling_group});
  ASSERT_OK(groups);
  EXPECT_EQ(groups->front().desired_capacity, 1);
  EXPECT_EQ(groups->front().instances.size(), 1u);
}

TEST_P(CloudConformance, auto_scaling_refusals) {
  SKIP_UNLESS(strict_validation, "moto answers 500 for an unknown group");
  auto& asg = session().autoscaling();
  EXPECT_AWS_ERROR(asg.detach_instances("no-such-group", {kMissingInstance}, true),
                   "ValidationError");
  auto none = asg.describe_auto_scaling_instances({kMissingInstance});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(CloudConformance, target_deregistration_drains) {
  SKIP_UNLESS(fixtures, "the backend cannot build load-balancing fixtures through the seam");
  auto fx = world().fixture();
  ASSERT_OK(fx);
  auto& elb = session().elbv2();
  auto tgs = elb.describe_target_groups({fx->target_group_arn});
  ASSERT_OK(tgs);
  ASSERT_EQ(tgs->size(), 1u);
  auto health = elb.describe_target_health(fx->target_group_arn);
  ASSERT_OK(health);
  ASSERT_EQ(health->size(), 2u);
  EXPECT_EQ(health->front().state, "healthy");
  ASSERT_OK(elb.deregister_targets(fx->target_group_arn, {{fx->instance_ids[0], 0, {}}}));
  health = elb.describe_target_health(fx->target_group_arn);
  ASSERT_OK(health);
  auto it = std::find_if(health->begin(), health->end(),
                         [&](const auto& h) { return h.target.id == fx->instance_ids[0]; });
  ASSERT_NE(it, health->end());
  EXPECT_EQ(it->state, "draining");
  world().let_time_pass(90s);
  health = elb.describe_target_health(fx->target_group_arn);
  ASSERT_OK(health);
  EXPECT_TRUE(std::none_of(health->begin(), health->end(),
                           [&](const auto& h) { return h.target.id == fx->instance_ids[0]; }));
  EXPECT_AWS_ERROR(elb.deregister_targets(fx->target_group_arn, {{fx->instance_ids[0], 0, {}}}),
                   "InvalidTarget");
  ASSERT_OK(elb.register_targets(fx->target_group_arn, {{fx->instance_ids[0], 0, {}}}));
}

TEST_P(CloudConformance, load_balancer_not_found) {
  const std::string arn = "arn:aws:elasticloadbalancing:us-east-1:" + session().account_id() +
                          ":targetgroup/none/0123456789abcdef";
  EXPECT_AWS_ERROR(session().elbv2().describe_target_health(arn), "TargetGroupNotFound");
  EXPECT_AWS_ERROR(session().elbv2().describe_target_groups({arn}), "TargetGroupNotFound");
  EXPECT_AWS_ERROR(session().elb().describe_load_balancers({"no-such-lb"}), "LoadBalancerNotFound");
}

TEST_P(CloudConformance, classic_elb_deregistration) {
  SKIP_UNLESS(fixtures, "the backend cannot build load-balancing fixtures through the seam");
  auto fx = world().fixture();
  ASSERT_OK(fx);
  auto& elb = session().elb();
  auto lbs = elb.describe_load_balancers({fx->classic_load_balancer});
  ASSERT_OK(lbs);
  ASSERT_EQ(lbs->size(), 1u);
  EXPECT_EQ(lbs->front().instance_ids.size(), 2u);
  auto health = elb.describe_instance_health(fx->classic_load_balancer);
  ASSERT_OK(health);
  EXPECT_EQ(health->front().state, "InService");
  ASSERT_OK(elb.deregister_instances(fx->classic_load_balancer, {fx->instance_ids[0]}));
  EXPECT_AWS_ERROR(elb.deregister_instances(fx->classic_load_balancer, {fx->instance_ids[0]}),
                   "InvalidInstance");
  lbs = elb.describe_load_balancers({fx->classic_load_balancer});
  ASSERT_OK(lbs);
  EXPECT_EQ(lbs->front().instance_ids.size(), 1u);
}

// ---- CloudTrail ----

TEST_P(CloudConformance, cloudtrail_trails) {
  auto& ct = session().cloudtrail();
  ASSERT_OK(ct.describe_trails({}));
  EXPECT_AWS_ERROR(ct.get_trail_status("no-such-trail"), "TrailNotFoundException");
}

TEST_P(CloudConformance, cloudtrail_stop_logging_refused_for_unknown_trail) {
  SKIP_UNLESS(strict_validation, "moto answers 500");
  EXPECT_AWS_ERROR(session().cloudtrail().stop_logging("no-such-trail"), "TrailNotFoundException");
}

TEST_P(CloudConformance, cloudtrail_lookup_finds_own_calls) {
  SKIP_UNLESS(cloudtrail_records, "moto does not record calls");
  auto& iam = session().iam();
  ASSERT_OK(iam.create_user("traced", {}));
  cloud::LookupEventsRequest req;
  req.attributes = {{"EventName", "CreateUser"}};
  // IAM is global: its events live in us-east-1's history (this world's region).
  auto ev = session().cloudtrail().lookup_events(req);
  ASSERT_OK(ev);
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ(ev->front().event_source, "iam.amazonaws.com");
  EXPECT_NE(ev->front().cloudtrail_event.find("\"userName\":\"traced\""), std::string::npos);
  req.attributes = {{"EventName", "CreateUser"}, {"ReadOnly", "false"}};
  EXPECT_AWS_ERROR(session().cloudtrail().lookup_events(req), "InvalidLookupAttributesException");
}

// ---- GuardDuty ----

TEST_P(CloudConformance, guardduty_detector) {
  auto& gd = session().guardduty();
  auto id = gd.create_detector(true);
  ASSERT_OK(id);
  auto list = gd.list_detectors();
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);
  SKIP_UNLESS(guardduty_findings, "moto 5.2.1 has no GuardDuty ListFindings");
  auto findings = gd.list_findings(*id);
  ASSERT_OK(findings);
  EXPECT_AWS_ERROR(gd.create_detector(true), "BadRequestException");
  EXPECT_AWS_ERROR(gd.list_findings("00000000000000000000000000000000"), "BadRequestException");
}

// ---- SNS / SQS ----

TEST_P(CloudConformance, sns_and_sqs) {
  auto topic = session().sns().create_topic("firebreak-alerts");
  ASSERT_OK(topic);
  ASSERT_OK(session().sns().publish(*topic, "INC-1", "contained"));
  EXPECT_AWS_ERROR(session().sns().publish(*topic + "-none", "x", "y"), "NotFound");
  auto& sqs = session().sqs();
  auto url = sqs.create_queue("firebreak-events");
  ASSERT_OK(url);
  EXPECT_EQ(sqs.get_queue_url("firebreak-events").value_or(""), *url);
  ASSERT_OK(sqs.send_message(*url, "hello"));
  auto msgs = sqs.receive_message(*url, 10, 0, 30);
  ASSERT_OK(msgs);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ(msgs->front().body, "hello");
  ASSERT_OK(sqs.delete_message(*url, msgs->front().receipt_handle));
  msgs = sqs.receive_message(*url, 10, 0, 30);
  ASSERT_OK(msgs);
  EXPECT_TRUE(msgs->empty());
  auto missing = sqs.get_queue_url("no-such-queue");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace firebreak::testing
