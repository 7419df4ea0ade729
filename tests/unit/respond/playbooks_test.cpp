// The shipped playbooks load against the built-in action registry.
#include <gtest/gtest.h>

#include <set>

#include "firebreak/respond/playbook.h"
#include "firebreak/respond/response_tag.h"
#include "testdata.h"

namespace firebreak::respond {
namespace {

TEST(ShippedPlaybooks, load_without_errors) {
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto set = load_playbooks({testing::source_dir() / "playbooks"}, registry);
  for (const auto& e : set.errors) ADD_FAILURE() << e.describe();
  ASSERT_TRUE(set.find("ec2-contain"));
  ASSERT_TRUE(set.find("iam-key-compromise"));
  EXPECT_EQ(set.find("ec2-contain")->target_type, TargetType::kEc2Instance);
  EXPECT_EQ(set.find("iam-key-compromise")->target_type, TargetType::kAccessKey);
}

// The product's tag: `Response=Isolate+MemoryCapture` contains an instance with ec2-contain and
// memory capture on; `Response=Isolate` without it.
TEST(ShippedPlaybooks, the_isolate_and_memory_capture_tag_starts_ec2_contain_with_capture) {
  ActionRegistry registry;
  register_builtin_actions(registry);
  auto set = load_playbooks({testing::source_dir() / "playbooks"}, registry);
  ResponseTagRequest req;
  req.instance_ids = {"i-0123456789abcdef0"};
  req.verbs = parse_response_verbs("Isolate+MemoryCapture");
  auto plan = plan_response_tag(req, set.playbooks);
  ASSERT_EQ(plan.runs.size(), 1u);
  EXPECT_EQ(plan.runs[0].playbook->id, "ec2-contain");
  EXPECT_EQ(plan.runs[0].inputs, (Json{{"memory_capture", true}}));
  EXPECT_TRUE(plan.problems.empty());
  req.verbs = parse_response_verbs("Isolate");
  plan = plan_response_tag(req, set.playbooks);
  ASSERT_EQ(plan.runs.size(), 1u);
  EXPECT_EQ(plan.runs[0].inputs, (Json{{"memory_capture", false}}));
}

TEST(BuiltinActions, declare_permissions_and_unique_names) {
  ActionRegistry registry;
  register_builtin_actions(registry);
  std::set<std::string> names;
  for (const ActionSpec* spec : registry.specs()) {
    EXPECT_TRUE(names.insert(spec->name).second) << "duplicate " << spec->name;
    EXPECT_FALSE(spec->permissions.empty()) << spec->name;
    EXPECT_FALSE(spec->description.empty()) << spec->name;
    for (const auto& p : spec->permissions) {
      EXPECT_NE(p.find(':'), std::string::npos) << spec->name << ": " << p;
    }
  }
  EXPECT_GE(names.size(), 20u);
}

}  // namespace
}  // namespace firebreak::respond
