// The shipped playbooks load against the built-in action registry.
#include <gtest/gtest.h>

#include <set>

#include "firebreak/respond/playbook.h"
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
