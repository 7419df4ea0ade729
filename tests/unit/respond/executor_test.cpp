#include "firebreak/respond/executor.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

namespace firebreak::respond {
namespace {
using namespace std::chrono_literals;

// ---- a cloud that must not be touched: these tests exercise the executor, not AWS ----

[[noreturn]] void no_cloud() {
  ADD_FAILURE() << "fake actions must not use the cloud";
  std::abort();
}

class NoCloudSession final : public cloud::CloudSession {
 public:
  const std::string& account_id() const override { return account_; }
  const std::string& region() const override { return region_; }
  cloud::Ec2& ec2() override { no_cloud(); }
  cloud::AutoScaling& autoscaling() override { no_cloud(); }
  cloud::Elbv2& elbv2() override { no_cloud(); }
  cloud::ClassicElb& elb() override { no_cloud(); }
  cloud::Iam& iam() override { no_cloud(); }
  cloud::Sts& sts() override { no_cloud(); }
  cloud::S3& s3() override { no_cloud(); }
  cloud::Ssm& ssm() override { no_cloud(); }
  cloud::CloudTrail& cloudtrail() override { no_cloud(); }
  cloud::GuardDuty& guardduty() override { no_cloud(); }
  cloud::SecurityHub& securityhub() override { no_cloud(); }
  cloud::Sns& sns() override { no_cloud(); }
  cloud::Sqs& sqs() override { no_cloud(); }
  void add_hook(std::shared_ptr<cloud::CallHook>) override {}

 private:
  std::string account_ = "111122223333", region_ = "us-east-1";
};

class NoCloud final : public cloud::CloudProvider {
 public:
  std::string_view backend() const override { return "test"; }
  Result<std::shared_ptr<cloud::CloudSession>> session(const cloud::SessionRequest& req) override {
    last_session_name = req.role_session_name;
    return std::make_shared<NoCloudSession>();
  }
  void add_hook(std::shared_ptr<cloud::CallHook>) override {}
  std::string last_session_name;
};

// ---- a fake world and actions over it ----

struct CrashNow {};  // thrown by a crash point: the process "dies" there

struct World {
  std::map<std::string, int> effects;                  // side effects by name, counted
  std::map<std::string, std::string> done_tokens;      // idempotency: token -> effect
  std::map<std::string, std::vector<Error>> failures;  // action -> errors to return first
  std::map<std::string, int> waits;                    // action -> waits left
  std::string crash_before;                            // effect name: crash before applying it
  std::string crash_after;  // effect name: crash after applying, before returning
};

class WorldAction final : public Action {
 public:
  WorldAction(World& w, std::string name, bool mutating = true, bool rollback = false) : world_(w) {
    spec_.name = std::move(name);
    spec_.params = {{"effect", ParamType::kString, true, nullptr, ""},
                    {"value", ParamType::kAny, false, "v", ""}};
    spec_.outputs = {"effect", "value"};
    spec_.permissions = {"test:" + spec_.name};
    spec_.mutating = mutating;
    spec_.has_rollback = rollback;
  }
  const ActionSpec& spec() const override { return spec_; }
  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{{"test", "Do" + ctx.params()["effect"].get<std::string>(), true,
                                 "would apply " + ctx.params()["effect"].get<std::string>()}};
  }
  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string effect = ctx.params()["effect"];
    if (auto& f = world_.failures[spec_.name]; !f.empty()) {
      Error e = f.front();
      f.erase(f.begin());
      return fail(e);
    }
    if (auto& w = world_.waits[spec_.name]; w > 0) {
      --w;
      Json st = ctx.state().is_object() ? ctx.state() : Json::object();
      st["waited"] = st.value("waited", 0) + 1;
      if (!ctx.save_state(st)) return fail(ErrorCode::kIo, "save_state");
      return ApplyResult{Json::object(), false, std::chrono::minutes(5), "waiting"};
    }
    ApplyResult r;
    r.outputs = {{"effect", effect}, {"value", ctx.params()["value"]}};
    if (!spec_.mutating) return r;  // a read changes nothing
    // Idempotent: the token says whether this step's effect already happened.
    if (world_.done_tokens.contains(ctx.idempotency_token())) {
      r.summary = "already applied";
      return r;
    }
    if (world_.crash_before == effect) {
      world_.crash_before.clear();
      throw CrashNow{};
    }
    world_.effects[effect] += 1;
    world_.done_tokens[ctx.idempotency_token()] = effect;
    if (world_.crash_after == effect) {
      world_.crash_after.clear();
      throw CrashNow{};
    }
    r.changed = true;
    r.summary = "applied " + effect;
    return r;
  }
  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    return Verification{world_.effects[outputs.value("effect", "")] > 0 || !spec_.mutating ||
                            ctx.params().value("effect", "") == "",
                        "checked"};
  }
  Result<ApplyResult> rollback(ActionContext&, const Json& outputs) override {
    world_.effects[outputs.value("effect", "") + "-undone"] += 1;
    return ApplyResult{Json::object(), true, std::nullopt, "undid " + outputs.value("effect", "")};
  }

 private:
  World& world_;
  ActionSpec spec_;
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : clock_(from_unix_seconds(1700000000)) {
    registry_.add(std::make_unique<WorldAction>(world_, "t.do"));
    registry_.add(std::make_unique<WorldAction>(world_, "t.flaky"));
    registry_.add(std::make_unique<WorldAction>(world_, "t.slow"));
    registry_.add(std::make_unique<WorldAction>(world_, "t.read", /*mutating=*/false));
    registry_.add(std::make_unique<WorldAction>(world_, "t.undoable", true, /*rollback=*/true));
    auto j = Journal::open(":memory:", clock_);
    EXPECT_TRUE(j);
    journal_ = std::move(*j);
    recorder_ = std::make_unique<JournalRecorder>(*journal_);
    executor_ = make_executor();
  }

  std::unique_ptr<Executor> make_executor() {
    return std::make_unique<Executor>(*journal_, registry_, cloud_, clock_, *recorder_,
                                      ExecutorOptions{.seed = 7});
  }

  Playbook load(std::string_view yaml) {
    auto pb = parse_playbook(yaml, "test.yml", registry_);
    EXPECT_TRUE(pb) << pb.error().describe();
    return pb ? std::move(*pb) : Playbook{};
  }

  StartRequest request() {
    StartRequest r;
    r.incident_id = "inc-1";
    r.target = {TargetType::kEc2Instance, "i-1", "", ""};
    return r;
  }

  std::string start_and_run(const Playbook& pb, StartRequest req = {}) {
    if (req.target.id.empty()) req = request();
    auto id = executor_->start(pb, req);
    EXPECT_TRUE(id) << id.error().describe();
    auto r = executor_->run_until_idle();
    EXPECT_TRUE(r) << r.error().describe();
    return *id;
  }

  RunRecord run(const std::string& id) { return journal_->run(id).value(); }
  StepRecord step(const std::string& run_id, const std::string& step_id) {
    return journal_->step(run_id, step_id).value().value();
  }

  SimClock clock_;
  World world_;
  ActionRegistry registry_;
  NoCloud cloud_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<JournalRecorder> recorder_;
  std::unique_ptr<Executor> executor_;
};

constexpr std::string_view kLinear = R"(id: linear
target: ec2-instance
inputs:
  colour: {type: string, default: blue}
steps:
  - id: a
    action: t.do
    params: {effect: first, value: "{{ inputs.colour }}"}
  - id: b
    action: t.do
    params: {effect: "second-{{ steps.a.outputs.value }}"}
  - id: c
    action: t.read
    params: {effect: "{{ target.id }}"}
outputs:
  b: "{{ steps.b.outputs.effect }}"
)";

TEST_F(ExecutorTest, runs_steps_in_order_with_templated_params) {
  const auto id = start_and_run(load(kLinear));
  const RunRecord r = run(id);
  EXPECT_EQ(r.state, RunState::kSucceeded) << r.error;
  EXPECT_EQ(world_.effects["first"], 1);
  EXPECT_EQ(world_.effects["second-blue"], 1);
  EXPECT_EQ(r.outputs["b"], "second-blue");
  EXPECT_EQ(step(id, "c").state, StepState::kVerified);
  EXPECT_EQ(cloud_.last_session_name, "firebreak-inc-1");
}

TEST_F(ExecutorTest, inputs_are_checked_at_start) {
  const Playbook pb = load(kLinear);
  StartRequest req = request();
  req.inputs = {{"nope", 1}};
  EXPECT_FALSE(executor_->start(pb, req));
  req.inputs = {{"colour", 1}};
  EXPECT_FALSE(executor_->start(pb, req));
  req.inputs = {{"colour", "red"}};
  const auto id = start_and_run(pb, req);
  EXPECT_EQ(world_.effects["second-red"], 1);
  EXPECT_EQ(run(id).state, RunState::kSucceeded);
}

TEST_F(ExecutorTest, when_false_skips_and_branches_choose_one_case) {
  const auto id = start_and_run(load(R"(id: tree
target: ec2-instance
inputs:
  prod: {type: bool, default: true}
steps:
  - id: never
    when: "target.id == 'i-other'"
    action: t.do
    params: {effect: never}
  - id: decide
    branches:
      - when: "not inputs.prod"
        steps: [{id: dev, action: t.do, params: {effect: dev}}]
      - when: "inputs.prod"
        steps: [{id: prod, action: t.do, params: {effect: prod}}]
      - steps: [{id: other, action: t.do, params: {effect: other}}]
)"));
  EXPECT_EQ(run(id).state, RunState::kSucceeded);
  EXPECT_EQ(step(id, "never").state, StepState::kSkipped);
  EXPECT_EQ(step(id, "decide").branch, 1);
  EXPECT_EQ(step(id, "dev").state, StepState::kSkipped);
  EXPECT_EQ(step(id, "other").state, StepState::kSkipped);
  EXPECT_EQ(world_.effects["prod"], 1);
  EXPECT_EQ(world_.effects.count("dev"), 0u);
  EXPECT_EQ(world_.effects.count("never"), 0u);
}

constexpr std::string_view kApproval = R"(id: gated
target: ec2-instance
steps:
  - id: a
    action: t.do
    params: {effect: before}
  - id: isolate
    action: t.do
    approval: {when: "target.id == 'i-1'"}
    params: {effect: isolate}
  - id: c
    action: t.do
    params: {effect: after}
)";

TEST_F(ExecutorTest, approval_parks_the_run_until_approved) {
  const auto id = start_and_run(load(kApproval));
  EXPECT_EQ(run(id).state, RunState::kAwaitingApproval);
  EXPECT_EQ(step(id, "isolate").state, StepState::kAwaitingApproval);
  EXPECT_EQ(world_.effects["before"], 1);
  EXPECT_EQ(world_.effects.count("isolate"), 0u);
  // Nothing moves while parked.
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(world_.effects.count("isolate"), 0u);
  EXPECT_FALSE(executor_->approve(id, "a", "alice"));  // not awaiting approval
  ASSERT_TRUE(executor_->approve(id, "isolate", "alice", "ticket SEC-1"));
  EXPECT_FALSE(executor_->approve(id, "isolate", "bob"));  // decided once
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(id).state, RunState::kSucceeded);
  EXPECT_EQ(world_.effects["isolate"], 1);
  EXPECT_EQ(world_.effects["after"], 1);
  auto approval = journal_->approval(id, "isolate").value();
  ASSERT_TRUE(approval);
  EXPECT_TRUE(approval->approved);
  EXPECT_EQ(approval->actor, "alice");
  EXPECT_EQ(approval->reason, "ticket SEC-1");
}

TEST_F(ExecutorTest, deny_stops_the_run) {
  const auto id = start_and_run(load(kApproval));
  ASSERT_TRUE(executor_->deny(id, "isolate", "bob", "not this one"));
  ASSERT_TRUE(executor_->run_until_idle());
  const RunRecord r = run(id);
  EXPECT_EQ(r.state, RunState::kFailed);
  EXPECT_NE(r.error.find("denied by bob: not this one"), std::string::npos) << r.error;
  EXPECT_EQ(step(id, "isolate").state, StepState::kDenied);
  EXPECT_EQ(world_.effects.count("isolate"), 0u);
  EXPECT_EQ(world_.effects.count("after"), 0u);
}

TEST_F(ExecutorTest, retryable_errors_back_off_then_succeed) {
  world_.failures["t.flaky"] = {
      Error(ErrorCode::kUnavailable, "503"),
      Error(ErrorCode::kThrottled, "slow down", ErrorContext{.aws_code = "RequestLimitExceeded"})};
  const TimePoint t0 = clock_.now();
  const auto id = start_and_run(load(R"(id: flaky
target: ec2-instance
steps:
  - id: f
    action: t.flaky
    retries: 1
    params: {effect: flaky}
)"));
  EXPECT_EQ(run(id).state, RunState::kSucceeded) << run(id).error;
  EXPECT_EQ(world_.effects["flaky"], 1);
  EXPECT_EQ(step(id, "f").attempts, 3);  // throttling did not use up the single retry
  EXPECT_GT(clock_.now(), t0);           // backoff happened on the (simulated) clock
}

TEST_F(ExecutorTest, non_retryable_failure_stops_or_continues) {
  world_.failures["t.flaky"] = {Error(ErrorCode::kPermissionDenied, "AccessDenied"),
                                Error(ErrorCode::kPermissionDenied, "AccessDenied")};
  const auto stop = start_and_run(load(R"(id: stop
target: ec2-instance
steps:
  - id: f
    action: t.flaky
    params: {effect: x}
  - id: after
    action: t.do
    params: {effect: after-stop}
)"));
  EXPECT_EQ(run(stop).state, RunState::kFailed);
  EXPECT_EQ(step(stop, "f").attempts, 1);
  EXPECT_EQ(world_.effects.count("after-stop"), 0u);

  const auto cont = start_and_run(load(R"(id: cont
target: ec2-instance
steps:
  - id: f
    action: t.flaky
    on_failure: continue
    params: {effect: x}
  - id: after
    action: t.do
    params: {effect: after-continue}
)"));
  EXPECT_EQ(run(cont).state, RunState::kSucceeded);
  EXPECT_EQ(step(cont, "f").state, StepState::kFailed);
  EXPECT_EQ(world_.effects["after-continue"], 1);
}

TEST_F(ExecutorTest, rollback_undoes_applied_steps_newest_first) {
  world_.failures["t.flaky"] = {Error(ErrorCode::kPermissionDenied, "AccessDenied")};
  const auto id = start_and_run(load(R"(id: rb
target: ec2-instance
steps:
  - id: one
    action: t.undoable
    params: {effect: one}
  - id: plain
    action: t.do
    params: {effect: plain}
  - id: two
    action: t.undoable
    params: {effect: two}
  - id: boom
    action: t.flaky
    on_failure: rollback
    params: {effect: boom}
)"));
  EXPECT_EQ(run(id).state, RunState::kRolledBack);
  EXPECT_EQ(world_.effects["one-undone"], 1);
  EXPECT_EQ(world_.effects["two-undone"], 1);
  EXPECT_EQ(world_.effects.count("plain-undone"), 0u);  // no rollback for it
  EXPECT_EQ(step(id, "one").state, StepState::kRolledBack);
  EXPECT_EQ(step(id, "plain").state, StepState::kVerified);
  auto log = journal_->log_entries(id).value();
  std::vector<std::string> order;
  for (const auto& e : log) {
    if (e.kind == "rollback") order.push_back(e.step_id);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"two", "one"}));
}

TEST_F(ExecutorTest, waits_in_simulated_time_and_keeps_step_state) {
  world_.waits["t.slow"] = 3;
  const TimePoint t0 = clock_.now();
  const auto id = start_and_run(load(R"(id: slow
target: ec2-instance
steps:
  - id: s
    action: t.slow
    params: {effect: slow}
)"));
  EXPECT_EQ(run(id).state, RunState::kSucceeded);
  EXPECT_GE(clock_.now() - t0, 15min);
  EXPECT_EQ(step(id, "s").scratch["waited"], 3);
  EXPECT_EQ(step(id, "s").attempts, 1);
}

TEST_F(ExecutorTest, step_timeout_fails_the_step) {
  world_.waits["t.slow"] = 100;
  const auto id = start_and_run(load(R"(id: slow
target: ec2-instance
steps:
  - id: s
    action: t.slow
    timeout: 12m
    params: {effect: slow}
)"));
  EXPECT_EQ(run(id).state, RunState::kFailed);
  EXPECT_NE(step(id, "s").error.find("timed out"), std::string::npos) << step(id, "s").error;
}

TEST_F(ExecutorTest, cancel_stops_a_parked_run) {
  const auto id = start_and_run(load(kApproval));
  ASSERT_TRUE(executor_->cancel(id, "carol"));
  EXPECT_FALSE(executor_->cancel(id, "carol"));
  EXPECT_FALSE(executor_->approve(id, "isolate", "alice"));  // a cancelled run stays cancelled
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(id).state, RunState::kCancelled);
  EXPECT_EQ(world_.effects.count("isolate"), 0u);
}

// Crash at every step boundary — before an effect, after it but before the journal knows —
// then resume with a new executor: every effect happened exactly once.
TEST_F(ExecutorTest, crash_at_any_step_boundary_resumes_without_repeating_effects) {
  const Playbook pb = load(kLinear);
  for (const std::string effect : {"first", "second-blue"}) {
    for (bool after : {false, true}) {
      SCOPED_TRACE(effect + (after ? " after" : " before"));
      world_.effects.clear();
      world_.done_tokens.clear();
      (after ? world_.crash_after : world_.crash_before) = effect;
      auto id = executor_->start(pb, request());
      ASSERT_TRUE(id);
      EXPECT_THROW((void)executor_->run_until_idle(), CrashNow);
      // The process is gone; a new one opens the same journal.
      executor_ = make_executor();
      ASSERT_TRUE(executor_->run_until_idle());
      EXPECT_EQ(run(*id).state, RunState::kSucceeded) << run(*id).error;
      EXPECT_EQ(world_.effects["first"], 1);
      EXPECT_EQ(world_.effects["second-blue"], 1);
    }
  }
}

TEST_F(ExecutorTest, dry_run_plans_mutations_and_runs_reads) {
  const Playbook pb = load(kLinear);
  auto report = executor_->plan(pb, request());
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_TRUE(world_.effects.empty());  // nothing applied
  ASSERT_EQ(report->steps.size(), 3u);
  EXPECT_EQ(report->steps[0].disposition, "plan");
  ASSERT_EQ(report->steps[0].calls.size(), 1u);
  EXPECT_EQ(report->steps[0].calls[0].operation, "Dofirst");
  EXPECT_EQ(report->steps[2].disposition, "run (read-only)");
  EXPECT_EQ(report->permissions, (std::vector<std::string>{"test:Dofirst", "test:Dosecond-"}));
  EXPECT_TRUE(run(report->run_id).dry_run);
}

TEST_F(ExecutorTest, resume_restarts_a_failed_run_from_its_failed_step) {
  world_.failures["t.flaky"] = {Error(ErrorCode::kPermissionDenied, "AccessDenied")};
  const auto id = start_and_run(load(R"(id: fix
target: ec2-instance
steps:
  - id: a
    action: t.do
    params: {effect: a}
  - id: f
    action: t.flaky
    params: {effect: f}
)"));
  ASSERT_EQ(run(id).state, RunState::kFailed);
  ASSERT_TRUE(executor_->resume(id, "alice"));
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(id).state, RunState::kSucceeded);
  EXPECT_EQ(world_.effects["a"], 1);
  EXPECT_EQ(world_.effects["f"], 1);
}

// A run left "running" by a process that died is continued by resume (what `runs resume` does
// after kill -9), without repeating what finished; while a live executor holds the run's lease,
// resume refuses, so no run is driven by two processes at once.
TEST_F(ExecutorTest, resume_continues_a_run_left_running_unless_a_live_owner_holds_it) {
  world_.crash_before = "second-blue";
  auto id = executor_->start(load(kLinear), request());
  ASSERT_TRUE(id);
  EXPECT_THROW((void)executor_->run_until_idle(), CrashNow);
  ASSERT_EQ(run(*id).state, RunState::kRunning);
  executor_ = make_executor();  // the next process

  // Another live executor (another host here: its pid cannot be checked) holds the lease.
  ASSERT_TRUE(journal_->claim(*id, "elsewhere:1:feedface", std::chrono::minutes(2)).value());
  auto refused = executor_->resume(*id, "alice");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().describe().find("another live firebreak process"), std::string::npos)
      << refused.error().describe();
  EXPECT_EQ(run(*id).state, RunState::kRunning);
  EXPECT_EQ(world_.effects["second-blue"], 0);

  // Its owner was a process on this host that is gone: resume at once.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string dead = std::string(host) + ":" + std::to_string(child) + ":0badc0de";
  ASSERT_TRUE(journal_->release(*id, "elsewhere:1:feedface"));
  ASSERT_TRUE(journal_->claim(*id, dead, std::chrono::minutes(2)).value());
  ASSERT_TRUE(executor_->resume(*id, "alice"));
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(*id).state, RunState::kSucceeded) << run(*id).error;
  EXPECT_EQ(world_.effects["first"], 1);
  EXPECT_EQ(world_.effects["second-blue"], 1);
}

TEST_F(ExecutorTest, resume_continues_a_run_whose_owner_lease_expired) {
  world_.crash_before = "first";
  auto id = executor_->start(load(kLinear), request());
  ASSERT_TRUE(id);
  EXPECT_THROW((void)executor_->run_until_idle(), CrashNow);
  executor_ = make_executor();
  ASSERT_TRUE(journal_->claim(*id, "elsewhere:1:feedface", std::chrono::minutes(2)).value());
  EXPECT_FALSE(executor_->resume(*id, "alice"));
  clock_.advance(std::chrono::minutes(3));  // e.g. its host was lost
  ASSERT_TRUE(executor_->resume(*id, "alice"));
  ASSERT_TRUE(executor_->run_until_idle());
  EXPECT_EQ(run(*id).state, RunState::kSucceeded) << run(*id).error;
  EXPECT_EQ(world_.effects["first"], 1);
}

TEST_F(ExecutorTest, resume_refuses_a_run_awaiting_approval_or_finished) {
  const auto parked = start_and_run(load(kApproval));
  ASSERT_EQ(run(parked).state, RunState::kAwaitingApproval);
  auto r = executor_->resume(parked, "alice");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().describe().find("runs approve"), std::string::npos) << r.error().describe();
  const auto done = start_and_run(load(kLinear));
  ASSERT_EQ(run(done).state, RunState::kSucceeded);
  EXPECT_FALSE(executor_->resume(done, "alice"));
}

TEST_F(ExecutorTest, wave_limit_queues_runs_beyond_the_cap) {
  executor_ =
      std::make_unique<Executor>(*journal_, registry_, cloud_, clock_, *recorder_,
                                 ExecutorOptions{.max_active_per_account_region = 2, .seed = 3});
  world_.waits["t.slow"] = 4;  // the first two runs wait twice each
  const Playbook pb = load(R"(id: slow
target: ec2-instance
steps:
  - id: s
    action: t.slow
    params: {effect: slow}
)");
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    StartRequest req = request();
    req.target.id = "i-" + std::to_string(i);
    ids.push_back(executor_->start(pb, req).value());
  }
  ASSERT_TRUE(executor_->run_until_idle());
  for (const auto& id : ids) EXPECT_EQ(run(id).state, RunState::kSucceeded);
  // The last run could only start after the first two finished their waits.
  EXPECT_GT(step(ids[3], "s").started_at.value(), step(ids[0], "s").started_at.value());
}

// The limit is per account and region: a full wave in one does not hold back another.
TEST_F(ExecutorTest, wave_limit_is_per_account_and_region) {
  executor_ =
      std::make_unique<Executor>(*journal_, registry_, cloud_, clock_, *recorder_,
                                 ExecutorOptions{.max_active_per_account_region = 1, .seed = 3});
  world_.waits["t.slow"] = 6;  // the first runs to start wait twice each
  const Playbook pb = load(R"(id: slow
target: ec2-instance
steps:
  - id: s
    action: t.slow
    params: {effect: slow}
)");
  auto start = [&](std::string account, std::string region, std::string id) {
    StartRequest req = request();
    req.target = {TargetType::kEc2Instance, std::move(id), std::move(account), std::move(region)};
    return executor_->start(pb, req).value();
  };
  const std::string a1 = start("111111111111", "us-east-1", "i-a1");
  const std::string a2 = start("111111111111", "us-east-1", "i-a2");
  const std::string b = start("111111111111", "eu-west-1", "i-b");
  const std::string c = start("222222222222", "us-east-1", "i-c");
  ASSERT_TRUE(executor_->run_until_idle());
  for (const auto& id : {a1, a2, b, c}) EXPECT_EQ(run(id).state, RunState::kSucceeded);
  const auto started = [&](const std::string& id) { return step(id, "s").started_at.value(); };
  // Same account and region: the second waits for the first to finish.
  EXPECT_GT(started(a2), started(a1));
  EXPECT_GE(started(a2), run(a1).finished_at.value());
  // Another region, another account: they start with the first wave.
  EXPECT_EQ(started(b), started(a1));
  EXPECT_EQ(started(c), started(a1));
}

}  // namespace
}  // namespace firebreak::respond
