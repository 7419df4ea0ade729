#include "firebreak/core/ids.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <set>

namespace firebreak {
namespace {

TEST(IdGenerator, same_seed_same_ids) {
  IdGenerator a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.aws_id("i");
    EXPECT_EQ(x, b.aws_id("i"));
  }
  EXPECT_NE(IdGenerator(42).uuid(), c.uuid());
}

TEST(IdGenerator, ids_have_aws_shapes) {
  IdGenerator g(7);
  EXPECT_TRUE(RE2::FullMatch(g.aws_id("i"), "i-[0-9a-f]{17}"));
  EXPECT_TRUE(RE2::FullMatch(
      g.uuid(), "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_TRUE(RE2::FullMatch(g.access_key_id(), "AKIA[A-Z2-7]{16}"));
  EXPECT_TRUE(RE2::FullMatch(g.access_key_id("ASIA"), "ASIA[A-Z2-7]{16}"));
  EXPECT_TRUE(RE2::FullMatch(g.secret_access_key(), "[A-Za-z0-9+/]{40}"));
}

TEST(IdGenerator, uniform_stays_in_bounds_and_spreads) {
  IdGenerator g(1);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto v = g.uniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  for (int i = 0; i < 1000; ++i) {
    const double u = g.unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace firebreak
