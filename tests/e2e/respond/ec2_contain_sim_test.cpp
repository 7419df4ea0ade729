// ec2-contain end to end on the simulator: the shipped playbook through the real Executor and
// the built-in actions, acting as firebreak does (cross-account role session), with every
// post-condition read back from the simulated organisation rather than from the run's own
// outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "firebreak/core/hash.h"
#include "sim_fixture.h"

namespace firebreak::respond::e2e {
namespace {
using namespace std::chrono_literals;

constexpr const char* kBucket = "prod-ir-artifacts";

class Ec2ContainSim : public SimRespond {
 protected:
  // The attacker: a reverse shell from the instance to their host (tracked by connection
  // tracking: the group's egress allows it, its ingress does not allow the replies from
  // everywhere) and the instance role's credentials stolen from IMDS.
  void compromise() {
    cloud::sim::ConnectionSpec shell;
    shell.instance_id = instance_;
    shell.remote_ip = kAttackerIp;
    shell.remote_port = 4444;
    shell.direction = cloud::sim::Direction::kOutbound;
    shell.label = "bash -i";
    auto id = world_->open_connection(shell);
    ASSERT_TRUE(id) << id.error().describe();
    shell_ = *id;
    world_->advance(2min);
    ASSERT_TRUE(world_->exchange(shell_, 4096, 512));
    const auto state = world_->connection(shell_);
    ASSERT_TRUE(state.alive);
    ASSERT_TRUE(state.tracked) << "the test needs a tracked connection to be meaningful";
    auto creds = world_->instance_credentials(instance_);
    ASSERT_TRUE(creds) << creds.error().describe();
    stolen_ = *creds;
    // The stolen credentials work before containment.
    ASSERT_TRUE(attacker_session()->ec2().describe_instances({}));
    world_->advance(1min);
  }

  std::shared_ptr<cloud::CloudSession> attacker_session() {
    cloud::sim::Identity a;
    a.credentials = stolen_;
    a.source_ip = kAttackerIp;
    return cloud::sim::make_session(world_, a, "us-east-1");
  }

  Json contain_inputs() { return {{"evidence_bucket", kBucket}}; }

  std::string contain() {
    auto id = executor_->start(playbook("ec2-contain"), contain_request(contain_inputs()));
    EXPECT_TRUE(id) << id.error().describe();
    auto r = executor_->run_until_idle();
    EXPECT_TRUE(r) << r.error().describe();
    return id ? *id : std::string{};
  }

  std::string shell_;
  cloud::Credentials stolen_;
};

TEST_F(Ec2ContainSim, contains_the_instance_and_every_post_condition_holds_in_the_world) {
  compromise();
  auto& ec2 = auditor_->ec2();
  const auto volumes_before =
      ec2.describe_volumes({.filters = {{"attachment.instance-id", {instance_}}}});
  ASSERT_TRUE(volumes_before);
  ASSERT_EQ(volumes_before->size(), 2u);

  const std::string id = contain();
  ASSERT_EQ(run(id).state, RunState::kSucceeded) << describe_run(id);
  // The decisions the playbook took for this instance.
  for (const char* s :
       {"record", "preserve", "drain-asg", "drain-elb", "revoke-sessions", "replace-profile",
        "snapshot", "capture-before-isolation", "isolate-after-capture", "release-addresses",
        "mark", "snapshots-complete", "verify"}) {
    auto st = step(id, s);
    ASSERT_TRUE(st) << s;
    EXPECT_EQ(st->state, StepState::kVerified) << s << ": " << st->error;
  }
  for (const char* s : {"approve-prod", "isolate", "capture-after-isolation", "escalate"}) {
    EXPECT_EQ(step(id, s).value().state, StepState::kSkipped) << s;
  }
  EXPECT_TRUE(step(id, "verify")->outputs.value("effective", false))
      << dump_json(step(id, "verify")->outputs);

  // The attacker's established (tracked) connection is cut, and cannot carry traffic.
  const auto shell = world_->connection(shell_);
  EXPECT_FALSE(shell.alive);
  EXPECT_FALSE(world_->exchange(shell_, 10, 10));

  // Out of the Auto Scaling group, the target group and the classic load balancer.
  auto asg = auditor_->autoscaling().describe_auto_scaling_instances({instance_});
  ASSERT_TRUE(asg);
  EXPECT_TRUE(asg->empty());
  auto tgs = auditor_->elbv2().describe_target_groups({});
  ASSERT_TRUE(tgs);
  ASSERT_EQ(tgs->size(), 1u);
  auto health = auditor_->elbv2().describe_target_health(tgs->front().target_group_arn);
  ASSERT_TRUE(health);
  for (const auto& h : *health) {
    if (h.target.id == instance_) {
      EXPECT_EQ(h.state, "draining");  // still draining at most
    }
  }
  auto clbs = auditor_->elb().describe_load_balancers({"web-elb"});
  ASSERT_TRUE(clbs);
  ASSERT_EQ(clbs->size(), 1u);
  EXPECT_EQ(
      std::count(clbs->front().instance_ids.begin(), clbs->front().instance_ids.end(), instance_),
      0);

  // The Elastic IP is disassociated (and kept: it is not released).
  auto addrs = ec2.describe_addresses({});
  ASSERT_TRUE(addrs);
  ASSERT_EQ(addrs->size(), 1u);
  EXPECT_TRUE(addrs->front().association_id.empty());
  EXPECT_TRUE(addrs->front().instance_id.empty());

  // Preserved: termination protection, shutdown behaviour stop, DeleteOnTermination off.
  EXPECT_EQ(ec2.describe_instance_attribute(instance_, "disableApiTermination").value(), "true");
  EXPECT_EQ(ec2.describe_instance_attribute(instance_, "instanceInitiatedShutdownBehavior").value(),
            "stop");
  auto inst = ec2.describe_instances({.ids = {instance_}});
  ASSERT_TRUE(inst);
  ASSERT_EQ(inst->size(), 1u);
  const auto& i = inst->front();
  ASSERT_EQ(i.block_devices.size(), 2u);
  for (const auto& b : i.block_devices) EXPECT_FALSE(b.delete_on_termination) << b.device_name;
  EXPECT_EQ(i.state, "running");
  EXPECT_EQ(cloud::find_tag(i.tags, "Quarantine"), kIncident);

  // Every ENI sits only in an isolation group that admits nothing.
  for (const auto& n : i.network_interfaces) {
    auto enis = ec2.describe_network_interfaces({.ids = {n.network_interface_id}});
    ASSERT_TRUE(enis);
    for (const auto& g : enis->front().groups) {
      auto sg = ec2.describe_security_groups({.ids = {g.group_id}});
      ASSERT_TRUE(sg);
      EXPECT_TRUE(sg->front().group_name.starts_with("firebreak-isolation"))
          << sg->front().group_name;
      EXPECT_TRUE(sg->front().ingress.empty());
    }
  }

  // The instance profile is the deny-all one.
  auto assoc =
      ec2.describe_iam_instance_profile_associations({.filters = {{"instance-id", {instance_}}}});
  ASSERT_TRUE(assoc);
  ASSERT_FALSE(assoc->empty());
  for (const auto& a : *assoc) {
    if (a.state == "associated") {
      EXPECT_TRUE(a.iam_instance_profile_arn.ends_with("/firebreak-deny-all"))
          << a.iam_instance_profile_arn;
    }
  }

  // Role credentials issued before containment are rejected now.
  auto after = attacker_session()->ec2().describe_instances({});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), ErrorCode::kPermissionDenied) << after.error().describe();
  auto s3_after = attacker_session()->s3().list_buckets();
  EXPECT_FALSE(s3_after);

  // A completed snapshot of every volume, tagged with the incident.
  std::set<std::string> snapshotted;
  auto snaps = ec2.describe_snapshots({.filters = {{"tag:FirebreakIncident", {kIncident}}}});
  ASSERT_TRUE(snaps);
  for (const auto& s : *snaps) {
    EXPECT_EQ(s.state, "completed") << s.snapshot_id;
    snapshotted.insert(s.volume_id);
  }
  for (const auto& v : *volumes_before)
    EXPECT_TRUE(snapshotted.contains(v.volume_id)) << v.volume_id;
  EXPECT_EQ(snaps->size(), volumes_before->size());

  // The memory image's hash is recorded and matches the object in the evidence bucket.
  const Json capture = step(id, "capture-before-isolation")->outputs;
  const std::string artifact = capture.value("artifact", "");
  ASSERT_TRUE(artifact.starts_with(std::string("s3://") + kBucket + "/")) << artifact;
  const std::string key = artifact.substr(std::string("s3://").size() + std::strlen(kBucket) + 1);
  Sha256Stream h;
  std::uint64_t size = 0;
  auto obj = auditor_->s3().get_object(kBucket, key, "", [&](std::string_view c) -> Status {
    h.update(c);
    size += c.size();
    return {};
  });
  ASSERT_TRUE(obj) << obj.error().describe();
  EXPECT_GE(size, 16ull << 20);  // the instance's memory (16 MiB) and the LiME headers
  EXPECT_EQ(capture.value("size", std::uint64_t{0}), size);
  const std::string digest = to_hex(h.finish());
  EXPECT_EQ(capture.value("sha256", ""), digest);
  EXPECT_EQ(run(id).outputs.value("memory_sha256", ""), digest);
}

// Identity: every call firebreak made in the run is attributed to a role session named for the
// incident and carries firebreak's user agent, so detection can exclude it.
TEST_F(Ec2ContainSim, its_calls_carry_the_role_session_name_and_user_agent) {
  compromise();
  const std::string id = contain();
  ASSERT_EQ(run(id).state, RunState::kSucceeded) << describe_run(id);
  const std::string session = cloud::role_session_name_for(kIncident);
  ASSERT_EQ(session, std::string("firebreak-") + kIncident);
  std::size_t ours = 0;
  for (const auto& r : prod_records()) {
    const auto& who = r.j["userIdentity"];
    if (r.j.value("sourceIPAddress", "") != "10.100.0.5") continue;  // firebreak's host
    if (r.name() == "AssumeRole") continue;  // by the security account's user, checked below
    ++ours;
    EXPECT_EQ(who.value("type", ""), "AssumedRole") << r.name();
    EXPECT_TRUE(who.value("arn", "").ends_with(":assumed-role/firebreak-responder/" + session))
        << who.value("arn", "");
    EXPECT_TRUE(r.j.value("userAgent", "").starts_with(cloud::kUserAgentPrefix))
        << r.j.value("userAgent", "");
  }
  EXPECT_GT(ours, 30u);
  // The AssumeRole that opened the session names it too.
  bool assumed = false;
  for (const auto& r : prod_records()) {
    if (r.name() == "AssumeRole" &&
        r.j["requestParameters"].value("roleSessionName", "") == session) {
      assumed = true;
    }
  }
  EXPECT_TRUE(assumed);
}

// A dry run reads for real (so decisions see real state) and makes no mutating call: nothing
// but read-only events in CloudTrail, and nothing changed.
// No action without its trace: when the request of an API call cannot be recorded for the
// incident, the call is not made (fail closed), and the run says why.
TEST_F(Ec2ContainSim, a_call_whose_request_cannot_be_recorded_is_not_made) {
  compromise();
  recorder_.refuse_call_requests = true;
  const std::string id = contain();
  EXPECT_EQ(run(id).state, RunState::kFailed) << describe_run(id);
  EXPECT_TRUE(firebreak_mutations().empty());
  EXPECT_NE(describe_run(id).find("could not be recorded"), std::string::npos) << describe_run(id);
  EXPECT_TRUE(world_->connection(shell_).alive);
  EXPECT_EQ(auditor_->ec2().describe_instance_attribute(instance_, "disableApiTermination").value(),
            "false");
}

TEST_F(Ec2ContainSim, dry_run_makes_no_mutating_call) {
  compromise();
  const std::size_t before = prod_records().size();
  auto report = executor_->plan(playbook("ec2-contain"), contain_request(contain_inputs()));
  ASSERT_TRUE(report) << report.error().describe();
  const auto records = prod_records();
  std::size_t reads = 0;
  for (std::size_t k = before; k < records.size(); ++k) {
    const auto& r = records[k];
    if (r.name() == "AssumeRole")
      continue;  // opening the session, in the security account's
                 // name; STS records it as a write event
    EXPECT_TRUE(r.read_only()) << "mutating call during a dry run: " << r.name();
    if (r.by_firebreak()) ++reads;
  }
  EXPECT_GT(reads, 0u) << "the record step must have read the world";
  // The plan names the mutations it would make and their permissions.
  std::set<std::string> perms(report->permissions.begin(), report->permissions.end());
  for (const char* p :
       {"ec2:ModifyInstanceAttribute", "autoscaling:DetachInstances",
        "ec2:ModifyNetworkInterfaceAttribute", "ec2:CreateSnapshots", "ec2:DisassociateAddress",
        "iam:PutRolePolicy", "ssm:SendCommand", "ec2:CreateTags"}) {
    EXPECT_TRUE(perms.contains(p)) << p;
  }
  // Nothing changed: still attached, still reachable, still protected as before.
  EXPECT_TRUE(world_->connection(shell_).alive);
  EXPECT_EQ(auditor_->ec2().describe_instance_attribute(instance_, "disableApiTermination").value(),
            "false");
  EXPECT_TRUE(attacker_session()->ec2().describe_instances({}));
}

// Production instances (Environment=prod) wait for a human before anything changes; deny stops
// the run with nothing changed, approve lets it contain.
TEST_F(Ec2ContainSim, prod_instances_wait_for_approval_and_deny_changes_nothing) {
  ASSERT_TRUE(auditor_->ec2().create_tags({instance_}, {{"Environment", "prod"}}));
  compromise();
  const auto pb = playbook("ec2-contain");
  auto denied = executor_->start(pb, contain_request(contain_inputs()));
  ASSERT_TRUE(denied);
  ASSERT_TRUE(executor_->run_until_idle());
  ASSERT_EQ(run(*denied).state, RunState::kAwaitingApproval) << describe_run(*denied);
  EXPECT_TRUE(firebreak_mutations().empty());
  ASSERT_TRUE(executor_->deny(*denied, "approve-prod", "alice", "not this one"));
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_NE(run(*denied).state, RunState::kSucceeded);
  EXPECT_EQ(step(*denied, "approve-prod")->state, StepState::kDenied);
  EXPECT_TRUE(firebreak_mutations().empty());
  EXPECT_TRUE(world_->connection(shell_).alive);

  auto approved = executor_->start(pb, contain_request(contain_inputs()));
  ASSERT_TRUE(approved);
  ASSERT_TRUE(executor_->run_until_idle());
  ASSERT_EQ(run(*approved).state, RunState::kAwaitingApproval);
  ASSERT_TRUE(executor_->approve(*approved, "approve-prod", "bob", "contain"));
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(*approved).state, RunState::kSucceeded) << describe_run(*approved);
  EXPECT_FALSE(world_->connection(shell_).alive);
  auto approval = journal_->approval(*approved, "approve-prod").value();
  ASSERT_TRUE(approval);
  EXPECT_EQ(approval->actor, "bob");
  EXPECT_TRUE(approval->approved);
}

}  // namespace
}  // namespace firebreak::respond::e2e
