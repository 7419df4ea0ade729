#include "firebreak/detect/condition.h"

#include <gtest/gtest.h>

#include <string>

namespace firebreak::detect {
namespace {

std::string canon(std::string_view text) {
  auto c = parse_condition(text);
  EXPECT_TRUE(c.has_value()) << text << ": " << (c ? "" : c.error().message());
  return c ? c->to_string() : std::string();
}

std::string error_of(std::string_view text) {
  auto c = parse_condition(text);
  EXPECT_FALSE(c.has_value()) << text << " parsed as " << (c ? c->to_string() : "");
  return c ? std::string() : c.error().message();
}

TEST(ConditionParser, single_identifier) { EXPECT_EQ(canon("selection"), "selection"); }

TEST(ConditionParser, and_binds_tighter_than_or) {
  EXPECT_EQ(canon("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(canon("a and b or c"), "((a and b) or c)");
}

TEST(ConditionParser, not_binds_tighter_than_and) {
  EXPECT_EQ(canon("a and not b"), "(a and not b)");
  EXPECT_EQ(canon("not a or b"), "(not a or b)");
  EXPECT_EQ(canon("not not a"), "not not a");
}

TEST(ConditionParser, parentheses_group) {
  EXPECT_EQ(canon("(a or b) and c"), "((a or b) and c)");
  EXPECT_EQ(canon("a and (b or (c and not d))"), "(a and (b or (c and not d)))");
}

TEST(ConditionParser, keywords_are_case_insensitive) {
  EXPECT_EQ(canon("a AND NOT b Or c"), "((a and not b) or c)");
  EXPECT_EQ(canon("ALL OF sel*"), "all of sel*");
}

TEST(ConditionParser, one_of_and_all_of_patterns) {
  EXPECT_EQ(canon("1 of selection_*"), "1 of selection_*");
  EXPECT_EQ(canon("all of sel* and not 1 of filter*"), "(all of sel* and not 1 of filter*)");
  EXPECT_EQ(canon("1 of them"), "1 of them");
  EXPECT_EQ(canon("all of them"), "all of them");
  EXPECT_EQ(canon("1 of *_x*"), "1 of *_x*");
}

TEST(ConditionParser, flat_chains_have_all_operands) {
  auto c = parse_condition("a or b or c or d");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, ConditionNode::Kind::kOr);
  EXPECT_EQ(c->children.size(), 4u);
}

TEST(ConditionParser, rejects_aggregation_syntax_with_reason) {
  EXPECT_NE(error_of("selection | count() > 5").find("obsolete"), std::string::npos);
  EXPECT_NE(error_of("selection1 | near selection2").find("correlation rule"), std::string::npos);
}

TEST(ConditionParser, rejects_malformed_conditions_with_offsets) {
  EXPECT_NE(error_of("(a and b").find("expected ')'"), std::string::npos);
  EXPECT_NE(error_of("a and").find("unexpected end"), std::string::npos);
  EXPECT_NE(error_of("and a").find("needs an expression"), std::string::npos);
  EXPECT_NE(error_of("a b").find("offset 2"), std::string::npos);
  EXPECT_NE(error_of("a )").find("unexpected ')'"), std::string::npos);
  EXPECT_NE(error_of("2 of sel*").find("only '1 of' and 'all of'"), std::string::npos);
  EXPECT_NE(error_of("all sel").find("expected 'of'"), std::string::npos);
  EXPECT_NE(error_of("1 of").find("after 'of'"), std::string::npos);
  EXPECT_NE(error_of("sel*").find("only allowed after"), std::string::npos);
  EXPECT_NE(error_of("them").find("must follow"), std::string::npos);
  EXPECT_NE(error_of("a & b").find("unexpected character"), std::string::npos);
  EXPECT_FALSE(parse_condition("").has_value());
}

TEST(ConditionParser, bounds_depth_and_size) {
  std::string deep(5000, '(');
  deep += "a";
  deep += std::string(5000, ')');
  EXPECT_NE(error_of(deep).find("nested deeper"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 2000; ++i) nots += "not ";
  nots += "a";
  EXPECT_FALSE(parse_condition(nots).has_value());
  EXPECT_NE(error_of(std::string(kMaxConditionBytes + 1, 'a')).find("limit"), std::string::npos);
  std::string ok(60, '(');
  ok += "a";
  ok += std::string(60, ')');
  EXPECT_TRUE(parse_condition(ok).has_value());
}

TEST(ConditionParser, identifier_patterns) {
  EXPECT_TRUE(identifier_matches("sel*", "selection"));
  EXPECT_TRUE(identifier_matches("*", "anything"));
  EXPECT_TRUE(identifier_matches("*_a*", "sel_abc"));
  EXPECT_TRUE(identifier_matches("filter", "filter"));
  EXPECT_FALSE(identifier_matches("sel*", "filter"));
  EXPECT_FALSE(identifier_matches("filter", "filters"));
  EXPECT_TRUE(identifier_matches("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(identifier_matches("a*b*c", "aXXbYY"));
}

}  // namespace
}  // namespace firebreak::detect
