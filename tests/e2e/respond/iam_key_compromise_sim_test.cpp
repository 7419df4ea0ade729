// iam-key-compromise end to end on the simulator, in the sample organisation (worlds/acme.yaml):
// the CI deployer's key leaks and the attacker uses it to build persistence — a backdoor user
// with its own key, administrator rights and a console password, a new role trusting the
// attacker's account, and a trust edit on an existing role. The shipped playbook runs through the
// real Executor as firebreak does; post-conditions are read from the simulator by an auditor and
// by the attacker's own next calls.
#include <gtest/gtest.h>

#include <algorithm>

#include "firebreak/cloud/sim/attack.h"
#include "sim_fixture.h"

namespace firebreak::respond::e2e {
namespace {
using namespace std::chrono_literals;

constexpr const char* kAcmeProd = "222222222222";
constexpr const char* kAdmin = "arn:aws:iam::aws:policy/AdministratorAccess";

// scenarios/attacks/leaked-key-persistence.yaml, extended with the persistence the playbook
// must also find (login profile, a created role, a trust edit) — and the backdoor key's own
// activity, which the hunt must follow.
constexpr std::string_view kAttack = R"(name: leaked-key-deep-persistence
attacker: {ip: 198.51.100.23}
steps:
  - at: 0s
    as: {user: prod/ci-deployer}
    call: sts:GetCallerIdentity
  - after: 20s
    call: iam:ListUsers
  - after: 40s
    call: iam:CreateUser
    with: {user_name: svc-backup-agent}
  - after: 5s
    call: iam:CreateAccessKey
    with: {user_name: svc-backup-agent}
    save: backdoor
  - after: 5s
    call: iam:AttachUserPolicy
    with: {user_name: svc-backup-agent, policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess"}
  - after: 5s
    call: iam:CreateLoginProfile
    with: {user_name: svc-backup-agent, password: "Sup3r-Secret-Backdoor!"}
  - after: 5s
    call: iam:CreateRole
    with:
      role_name: maintenance
      trust_policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}'
  - after: 5s
    call: iam:UpdateAssumeRolePolicy
    with:
      role_name: app-role
      policy_document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}'
  - after: 2m
    as: {saved: backdoor}
    call: sts:GetCallerIdentity
  - after: 10s
    call: iam:CreateAccessKey
    with: {user_name: bob}
    save: second
)";

class IamKeyCompromiseSim : public ::testing::Test {
 protected:
  void SetUp() override {
    cloud::sim::WorldLoadOptions lo;
    lo.base.clock = &clock_;
    auto w = cloud::sim::load_world_file(testing::source_dir() / "worlds" / "acme.yaml", lo);
    ASSERT_TRUE(w) << w.error().describe();
    loaded_ = std::move(*w);
    world_ = loaded_.world;
    leaked_ = loaded_.user_keys.at("prod/ci-deployer");
    cloud::sim::UserSpec auditor;
    auditor.name = "auditor";
    auditor.access_keys = 1;
    auditor.managed_policy_arns = {kAdmin};
    auto keys = world_->add_user(kAcmeProd, auditor);
    ASSERT_TRUE(keys) << keys.error().describe();
    auditor_ = session_as(keys->at(0), "10.100.0.9");
    cloud::sim::Identity me;
    me.credentials = loaded_.responder.value();
    me.source_ip = "10.100.0.5";
    me.user_agent = kFirebreakUa;
    provider_ = std::make_shared<cloud::sim::SimProvider>(world_, me);
    register_builtin_actions(registry_);
    journal_ = Journal::open(":memory:", clock_).value();
    executor_ = std::make_unique<Executor>(*journal_, registry_, *provider_, clock_, recorder_,
                                           ExecutorOptions{.seed = 9});
  }

  std::shared_ptr<cloud::CloudSession> session_as(const cloud::Credentials& c, const char* ip) {
    cloud::sim::Identity id;
    id.credentials = c;
    id.source_ip = ip;
    return cloud::sim::make_session(world_, id, "us-east-1");
  }

  // Plays the attack to its end; returns the outcome of every step.
  std::vector<cloud::sim::StepOutcome> attack() {
    auto script = cloud::sim::parse_attack(kAttack, "attack.yaml");
    EXPECT_TRUE(script) << script.error().describe();
    if (!script) return {};
    cloud::sim::AttackRunner runner(loaded_, *script, world_->now());
    while (auto next = runner.next()) {
      world_->run_until(*next);
      runner.run_due();
    }
    world_->advance(1min);
    return runner.outcomes();
  }

  SimClock clock_{from_unix_seconds(1717200000)};
  cloud::sim::LoadedWorld loaded_;
  std::shared_ptr<cloud::sim::World> world_;
  cloud::Credentials leaked_;
  std::shared_ptr<cloud::CloudSession> auditor_;
  std::shared_ptr<cloud::sim::SimProvider> provider_;
  ActionRegistry registry_;
  std::unique_ptr<Journal> journal_;
  NullRecorder recorder_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(IamKeyCompromiseSim, contains_the_key_and_the_persistence_it_created) {
  const auto outcomes = attack();
  ASSERT_FALSE(outcomes.empty());
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok) << o.step << ": " << o.detail;
  auto& iam = auditor_->iam();
  // The persistence exists before the response.
  auto backdoor_keys = iam.list_access_keys("svc-backup-agent");
  ASSERT_TRUE(backdoor_keys);
  ASSERT_EQ(backdoor_keys->size(), 1u);
  auto bob_keys_before = iam.list_access_keys("bob");
  ASSERT_TRUE(bob_keys_before);
  ASSERT_EQ(bob_keys_before->size(), 2u);  // bob's own and the one the backdoor created
  ASSERT_TRUE(session_as(leaked_, kAttackerIp)->sts().get_caller_identity());

  auto pb =
      load_playbook(testing::source_dir() / "playbooks" / "iam-key-compromise.yml", registry_);
  ASSERT_TRUE(pb) << pb.error().describe();
  StartRequest req;
  req.incident_id = "inc-key-1";
  req.target = {TargetType::kAccessKey, leaked_.access_key_id, kAcmeProd, "us-east-1"};
  auto id = executor_->start(*pb, req);
  ASSERT_TRUE(id) << id.error().describe();
  ASSERT_TRUE(executor_->run_until_idle());
  const auto run = journal_->run(*id).value();
  std::string steps;
  const auto all_steps = journal_->steps(*id).value();
  for (const auto& s : all_steps) {
    steps += s.step_id + "=" + std::string(to_string(s.state)) + " " + s.error + "\n";
  }
  ASSERT_EQ(run.state, RunState::kSucceeded) << run.error << "\n" << steps;
  EXPECT_EQ(run.outputs.value("user_name", ""), "ci-deployer");

  // The leaked key fails on its next call, and so do the keys the attacker created with it.
  auto next = session_as(leaked_, kAttackerIp)->sts().get_caller_identity();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().context().aws_code, "InvalidClientTokenId") << next.error().describe();

  // Deactivated, never deleted: the key id stays the thread through CloudTrail.
  auto deployer_keys = iam.list_access_keys("ci-deployer");
  ASSERT_TRUE(deployer_keys);
  ASSERT_EQ(deployer_keys->size(), 1u);
  EXPECT_EQ(deployer_keys->front().access_key_id, leaked_.access_key_id);
  EXPECT_EQ(deployer_keys->front().status, "Inactive");
  // Deny-all and session revocation on the owner.
  auto deployer_inline = iam.list_user_policies("ci-deployer");
  ASSERT_TRUE(deployer_inline);
  EXPECT_GE(deployer_inline->size(), 2u);

  // The backdoor user: key inactive, administrator detached, console password gone, deny-all.
  backdoor_keys = iam.list_access_keys("svc-backup-agent");
  ASSERT_TRUE(backdoor_keys);
  for (const auto& k : *backdoor_keys) EXPECT_EQ(k.status, "Inactive") << k.access_key_id;
  auto attached = iam.list_attached_user_policies("svc-backup-agent");
  ASSERT_TRUE(attached);
  for (const auto& p : *attached) EXPECT_NE(p.policy_arn, kAdmin);
  auto login = iam.get_login_profile("svc-backup-agent");
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code(), ErrorCode::kNotFound);
  auto backdoor_inline = iam.list_user_policies("svc-backup-agent");
  ASSERT_TRUE(backdoor_inline);
  EXPECT_FALSE(backdoor_inline->empty());

  // The key the backdoor created for bob (found by following the created key) is inactive;
  // bob's own key is untouched.
  auto bob_keys = iam.list_access_keys("bob");
  ASSERT_TRUE(bob_keys);
  int active = 0, inactive = 0;
  for (const auto& k : *bob_keys) (k.status == "Active" ? active : inactive) += 1;
  EXPECT_EQ(active, 1);
  EXPECT_EQ(inactive, 1);

  // The created role and the role whose trust was edited deny everything now.
  for (const char* role : {"maintenance", "app-role"}) {
    auto inline_policies = iam.list_role_policies(role);
    ASSERT_TRUE(inline_policies) << role;
    EXPECT_FALSE(inline_policies->empty()) << role;
    auto s = world_->role_session(kAcmeProd, role, "probe");
    ASSERT_TRUE(s) << s.error().describe();
    auto as_role = session_as(*s, kAttackerIp);
    auto call = as_role->iam().list_users();
    EXPECT_FALSE(call) << role << " still works";
  }
}

// The leaked key's owner keeps their own console password unless asked (input default), and a
// dry run of the playbook changes nothing: the key still works afterwards.
TEST_F(IamKeyCompromiseSim, dry_run_changes_nothing) {
  (void)attack();
  auto pb =
      load_playbook(testing::source_dir() / "playbooks" / "iam-key-compromise.yml", registry_);
  ASSERT_TRUE(pb);
  StartRequest req;
  req.incident_id = "inc-key-2";
  req.target = {TargetType::kAccessKey, leaked_.access_key_id, kAcmeProd, "us-east-1"};
  const std::size_t before = world_->records(kAcmeProd).size();
  auto report = executor_->plan(*pb, req);
  ASSERT_TRUE(report) << report.error().describe();
  const auto records = world_->records(kAcmeProd);
  for (std::size_t k = before; k < records.size(); ++k) {
    auto r = parse_json(records[k]).value();
    if (r.value("eventName", "") == "AssumeRole") continue;  // opening firebreak's session
    EXPECT_TRUE(r.value("readOnly", false)) << r.value("eventName", "");
  }
  EXPECT_TRUE(session_as(leaked_, kAttackerIp)->sts().get_caller_identity());
}

}  // namespace
}  // namespace firebreak::respond::e2e
