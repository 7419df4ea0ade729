#include "firebreak/core/json.h"

#include <gtest/gtest.h>

namespace firebreak {
namespace {

TEST(JsonWriter, writes_nested_documents) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("a", 1)
      .field("b", "x\"y\n")
      .key("c")
      .begin_array()
      .value(true)
      .null()
      .begin_object()
      .end_object()
      .end_array()
      .field("d", 1.5)
      .end_object();
  EXPECT_EQ(out, R"({"a":1,"b":"x\"y\n","c":[true,null,{}],"d":1.5})");
  EXPECT_TRUE(parse_json(out));
}

TEST(JsonString, escapes_controls_and_replaces_invalid_utf8) {
  std::string out;
  append_json_string(out, std::string_view("\x01ok\xff\xc3\xa9", 6));
  EXPECT_EQ(out, "\"\\u0001ok\xEF\xBF\xBD\xC3\xA9\"");
}

TEST(ParseJson, reports_errors_and_limits) {
  auto bad = parse_json("{\"a\": }");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kParse);
  std::string deep(1000, '[');
  auto too_deep = parse_json(deep, {.max_bytes = 1 << 20, .max_depth = 64});
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code(), ErrorCode::kLimitExceeded);
  auto too_big = parse_json("[1,2,3]", {.max_bytes = 3, .max_depth = 8});
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(parse_json(R"({"k":[1,"2"]})").value()["k"][1], "2");
}

TEST(JsonDepth, ignores_brackets_in_strings) {
  EXPECT_EQ(json_depth(R"({"a":"[[[[", "b":[{}]})", 100), 3u);
}

}  // namespace
}  // namespace firebreak
