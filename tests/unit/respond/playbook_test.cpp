#include "firebreak/respond/playbook.h"

#include <gtest/gtest.h>

namespace firebreak::respond {
namespace {

// A minimal action for loader tests: one required string, one optional bool.
class FakeAction final : public Action {
 public:
  explicit FakeAction(std::string name) {
    spec_.name = std::move(name);
    spec_.params = {{"instance_id", ParamType::kString, true, nullptr, ""},
                    {"force", ParamType::kBool, false, false, ""}};
  }
  const ActionSpec& spec() const override { return spec_; }
  Result<std::vector<ApiCall>> plan(ActionContext&) override { return std::vector<ApiCall>{}; }
  Result<ApplyResult> apply(ActionContext&) override { return ApplyResult{}; }
  Result<Verification> verify(ActionContext&, const Json&) override {
    return Verification{true, ""};
  }

 private:
  ActionSpec spec_;
};

ActionRegistry registry() {
  ActionRegistry r;
  r.add(std::make_unique<FakeAction>("ec2.record"));
  r.add(std::make_unique<FakeAction>("ec2.protect"));
  return r;
}

constexpr std::string_view kGood = R"(id: contain
title: Contain
target: ec2-instance
triggers:
  finding_types: ["Backdoor:EC2/*"]
  response_tags: [Isolate]
inputs:
  memory_capture: {type: bool, default: true}
steps:
  - id: record
    action: ec2.record
    params: {instance_id: "{{ target.id }}"}
  - id: drain
    branches:
      - when: "steps.record.outputs.asg != null"
        steps:
          - id: detach
            action: ec2.protect
            params: {instance_id: "{{ target.id }}", force: true}
      - steps:
          - id: nothing
            approval: required
  - id: protect
    action: ec2.protect
    approval: {when: "steps.record.outputs.tags.Environment == 'prod'"}
    on_failure: rollback
    timeout: 10m
    retries: 5
    params: {instance_id: "{{ target.id }}"}
outputs:
  protected: "{{ steps.protect.outputs }}"
)";

TEST(Playbook, loads_a_valid_playbook) {
  auto reg = registry();
  auto pb = parse_playbook(kGood, "contain.yml", reg);
  ASSERT_TRUE(pb) << pb.error().describe();
  EXPECT_EQ(pb->id, "contain");
  EXPECT_EQ(pb->target_type, TargetType::kEc2Instance);
  EXPECT_EQ(pb->triggers.finding_types, std::vector<std::string>{"Backdoor:EC2/*"});
  ASSERT_EQ(pb->inputs.size(), 1u);
  EXPECT_EQ(pb->inputs[0].default_value, true);
  EXPECT_EQ(pb->step_ids(),
            (std::vector<std::string>{"record", "drain", "detach", "nothing", "protect"}));
  const Step* protect = pb->find_step("protect");
  ASSERT_TRUE(protect);
  EXPECT_EQ(protect->approval, ApprovalMode::kConditional);
  EXPECT_EQ(protect->on_failure, OnFailure::kRollback);
  EXPECT_EQ(protect->retries, 5);
  EXPECT_EQ(protect->timeout, std::chrono::minutes(10));
  EXPECT_EQ(protect->where.line, 23);
  EXPECT_EQ(pb->digest.size(), 64u);
}

struct BadCase {
  std::string yaml;
  std::string where;    // expected "file:line" prefix in the error
  std::string message;  // expected substring
};

TEST(Playbook, rejects_bad_files_with_precise_locations) {
  const std::string head = "id: p\ntarget: ec2-instance\nsteps:\n";
  const std::vector<BadCase> cases = {
      {head + "  - id: a\n    action: ec2.nope\n    params: {instance_id: x}\n", "bad.yml:5:13",
       "unknown action 'ec2.nope'"},
      {head + "  - id: a\n    action: ec2.record\n", "bad.yml:4:5",
       "needs parameter 'instance_id'"},
      {head + "  - id: a\n    action: ec2.record\n    params: {instance_id: x, colour: red}\n",
       "bad.yml:6:30", "has no parameter 'colour'"},
      {head +
           "  - id: a\n    action: ec2.record\n    params: {instance_id: x, force: yes-please}\n",
       "bad.yml:6:37", "must be a bool"},
      {head + "  - id: a\n    action: ec2.record\n    params: {instance_id: x}\n    colour: red\n",
       "bad.yml:7:5", "unknown key 'colour'"},
      {head + "  - id: a\n    action: ec2.record\n    params: {instance_id: x}\n"
              "  - id: a\n    action: ec2.record\n    params: {instance_id: x}\n",
       "bad.yml:7:9", "duplicate step id 'a'"},
      {head + "  - id: a\n    when: \"steps.b.outputs.x\"\n    action: ec2.record\n"
              "    params: {instance_id: x}\n  - id: b\n    action: ec2.record\n"
              "    params: {instance_id: x}\n",
       "bad.yml:5:11", "step 'b', which does not come earlier"},
      {head + "  - id: a\n    when: \"target.id ==\"\n    action: ec2.record\n"
              "    params: {instance_id: x}\n",
       "bad.yml:5:11", "unexpected end"},
      {head +
           "  - id: a\n    action: ec2.record\n    params: {instance_id: x}\n    timeout: soon\n",
       "bad.yml:7:14", "'timeout' is a duration"},
      {"id: p\ntarget: ec2-instance\nsteps:\n  - id: a\n    action: ec2.record\n"
       "    params: {instance_id: \"{{ target.id\"}\n",
       "bad.yml:6:13", "never closed"},
      {"id: p\ntarget: spaceship\nsteps: []\n", "bad.yml:2:9", "unknown target 'spaceship'"},
      {"id: p\ntarget: ec2-instance\nsteps:\n  - id: a\n    branches:\n      - steps: []\n"
       "      - when: 'true'\n        steps: []\n",
       "bad.yml:6:9", "only the last branch may omit 'when'"},
      {"id: p\ntarget: ec2-instance\nsteps: [\n", "bad.yml:", "end of"},
      {"id: p\ntarget: ec2-instance\nsteps:\n  - id: a\n", "bad.yml:4:5", "does nothing"},
  };
  auto reg = registry();
  for (const auto& c : cases) {
    auto pb = parse_playbook(c.yaml, "bad.yml", reg);
    ASSERT_FALSE(pb) << c.yaml;
    const std::string d = pb.error().describe();
    EXPECT_EQ(d.rfind(c.where, 0), 0u) << "got: " << d << "\nfor:\n" << c.yaml;
    EXPECT_NE(d.find(c.message), std::string::npos) << "got: " << d << "\nfor:\n" << c.yaml;
  }
}

TEST(Playbook, bounded_input) {
  auto reg = registry();
  std::string deep = "id: p\ntarget: ec2-instance\nsteps: " + std::string(500, '[') + "\n";
  auto pb = parse_playbook(deep, "deep.yml", reg);
  ASSERT_FALSE(pb);
  EXPECT_EQ(pb.error().code(), ErrorCode::kLimitExceeded);
  auto big = parse_playbook(std::string(2u << 20, '#'), "big.yml", reg);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), ErrorCode::kLimitExceeded);
}

}  // namespace
}  // namespace firebreak::respond
