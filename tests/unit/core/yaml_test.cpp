#include "firebreak/core/yaml.h"

#include <gtest/gtest.h>

namespace firebreak {
namespace {

TEST(Yaml, converts_to_json_with_core_schema_scalars) {
  auto n =
      load_yaml("a: 1\nb: true\nc: ~\nd: '1'\ne: [x, 2.5]\nf: {g: null}\nh: -7\ni: 1e3\n", "t.yml");
  ASSERT_TRUE(n) << n.error().describe();
  auto j = yaml_to_json(*n, "t.yml");
  ASSERT_TRUE(j);
  EXPECT_EQ(*j, Json::parse(R"({"a":1,"b":true,"c":null,"d":"1","e":["x",2.5],"f":{"g":null},
                                 "h":-7,"i":1000.0})"));
}

TEST(Yaml, syntax_errors_name_line_and_column) {
  auto n = load_yaml("a: [1, 2\nb: c\n", "bad.yml");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), ErrorCode::kParse);
  EXPECT_EQ(n.error().describe().rfind("bad.yml:", 0), 0u) << n.error().describe();
}

TEST(Yaml, limits_depth_size_and_documents) {
  EXPECT_EQ(load_yaml(std::string(100, '[') + std::string(100, ']'), "d.yml").error().code(),
            ErrorCode::kLimitExceeded);
  std::string indented;
  for (int i = 0; i < 80; ++i)
    indented += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  EXPECT_EQ(load_yaml(indented, "i.yml").error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(load_yaml(std::string(10, 'x'), "s.yml", {.max_bytes = 5}).error().code(),
            ErrorCode::kLimitExceeded);
  auto docs = load_yaml_documents("a: 1\n---\nb: 2\n", "m.yml");
  ASSERT_TRUE(docs);
  EXPECT_EQ(docs->size(), 2u);
}

TEST(Yaml, where_points_at_a_node) {
  auto n = load_yaml("a:\n  b: 1\n", "w.yml");
  ASSERT_TRUE(n);
  EXPECT_EQ(yaml_where("w.yml", (*n)["a"]["b"]), "w.yml:2:6");
}

}  // namespace
}  // namespace firebreak
