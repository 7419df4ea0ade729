// Crash-resume on the real ec2-contain playbook: the process "dies" (an exception unwinds out of
// the executor, which nothing catches) just before and just after each mutating API call
// firebreak makes — which covers every step boundary (before a step's first mutation, the
// previous step is journaled complete; after its last, it is not yet) and the windows inside
// multi-call steps. A new executor then resumes from the same journal. Each time, the successful
// mutating calls firebreak made, counted from the simulator's CloudTrail, are exactly those of
// an uninterrupted run: no side effect is repeated, none is lost.
#include <gtest/gtest.h>

#include <atomic>

#include "sim_fixture.h"

namespace firebreak::respond::e2e {
namespace {
using namespace std::chrono_literals;

struct CrashNow {};

// Counts firebreak's mutating calls (STS session set-up aside) and throws at the chosen one.
class CrashHook final : public cloud::CallHook {
 public:
  CrashHook(std::size_t at, bool after) : at_(at), after_(after) {}
  Status before(const cloud::OperationInfo& op) override {
    if (!counts(op)) return {};
    ++seen_;
    if (armed() && !after_) fire();
    return {};
  }
  void after(const cloud::OperationInfo& op, const Status&) override {
    if (counts(op) && armed() && after_) fire();
  }
  [[nodiscard]] std::size_t seen() const { return seen_; }
  [[nodiscard]] bool fired() const { return fired_; }
  std::string last_operation;

 private:
  bool counts(const cloud::OperationInfo& op) {
    if (!op.mutating || op.service == "sts") return false;
    if (!fired_) last_operation = std::string(op.operation);
    return true;
  }
  [[nodiscard]] bool armed() const { return !fired_ && at_ != 0 && seen_ == at_; }
  void fire() {
    fired_ = true;
    throw CrashNow{};
  }
  std::size_t at_;
  bool after_;
  std::size_t seen_ = 0;
  bool fired_ = false;
};

class Ec2ContainCrashSim : public SimRespond {
 protected:
  void compromise() {
    cloud::sim::ConnectionSpec shell;
    shell.instance_id = instance_;
    shell.remote_ip = kAttackerIp;
    shell.remote_port = 4444;
    shell.label = "bash -i";
    shell_ = world_->open_connection(shell).value();
    world_->advance(1min);
  }
  Json inputs() { return {{"evidence_bucket", "prod-ir-artifacts"}}; }
  std::string shell_;
};

TEST_F(Ec2ContainCrashSim, crash_before_and_after_every_mutating_call_resumes_exactly_once) {
  // The uninterrupted run: what "exactly once" means.
  compromise();
  auto counter = std::make_shared<CrashHook>(0, false);
  provider_->add_hook(counter);
  const auto pb = playbook("ec2-contain");
  auto base_id = executor_->start(pb, contain_request(inputs()));
  ASSERT_TRUE(base_id);
  ASSERT_TRUE(executor_->run_until_idle());
  ASSERT_EQ(run(*base_id).state, RunState::kSucceeded) << describe_run(*base_id);
  const auto baseline = firebreak_mutations();
  const std::size_t n = counter->seen();
  ASSERT_GE(n, 10u) << "fewer mutating calls than ec2-contain makes: is the hook counting?";
  for (const auto& [name, count] : baseline) {
    // Effects on the one instance, profile association and ENI happen once in an uninterrupted
    // run (PutRolePolicy is twice: the instance role's revocation and the deny-all role).
    if (name == "DetachInstances" || name == "ReplaceIamInstanceProfileAssociation" ||
        name == "CreateSnapshots" || name == "SendCommand" || name == "DisassociateAddress") {
      EXPECT_EQ(count, 1) << name;
    }
  }

  for (std::size_t k = 1; k <= n; ++k) {
    for (bool after : {false, true}) {
      build();
      compromise();
      auto crash = std::make_shared<CrashHook>(k, after);
      provider_->add_hook(crash);
      auto id = executor_->start(pb, contain_request(inputs()));
      ASSERT_TRUE(id);
      EXPECT_THROW((void)executor_->run_until_idle(), CrashNow);
      ASSERT_TRUE(crash->fired());
      SCOPED_TRACE(::testing::Message()
                   << "crash " << (after ? "after" : "before") << " mutating call " << k << " ("
                   << crash->last_operation << ")");
      new_executor();  // the restarted process, same journal
      auto resumed = executor_->run_until_idle();
      ASSERT_TRUE(resumed) << resumed.error().describe();
      ASSERT_EQ(run(*id).state, RunState::kSucceeded) << describe_run(*id);
      // Exactly once, SendCommand included: a capture sent just before the crash is found again
      // by its comment (ListCommands), not sent twice.
      const auto& expected = baseline;
      EXPECT_EQ(firebreak_mutations(), expected);
      EXPECT_FALSE(world_->connection(shell_).alive);
      if (::testing::Test::HasFailure()) return;  // one clear failure, not dozens
    }
  }
}

}  // namespace
}  // namespace firebreak::respond::e2e
