#include "firebreak/respond/expression.h"

#include <gtest/gtest.h>

namespace firebreak::respond {
namespace {

const Json kCtx = Json::parse(R"({
  "target": {"id": "i-1", "type": "ec2-instance"},
  "inputs": {"memory_capture": true, "n": 3},
  "steps": {"record": {"outputs": {"asg": "web", "tags": {"Environment": "prod"},
                                   "enis": ["eni-1", "eni-2"], "empty": []}}},
  "incident": {"severity": "high"}
})");

Json eval(std::string_view text) {
  auto e = Expression::compile(text, "test");
  EXPECT_TRUE(e) << text << ": " << e.error().describe();
  auto v = e->evaluate(kCtx);
  EXPECT_TRUE(v) << text << ": " << v.error().describe();
  return v.value_or(Json("<error>"));
}

TEST(Expression, paths_literals_and_comparisons) {
  EXPECT_EQ(eval("target.id"), "i-1");
  EXPECT_EQ(eval("steps.record.outputs.tags.Environment == 'prod'"), true);
  EXPECT_EQ(eval("steps.record.outputs.asg != null"), true);
  EXPECT_EQ(eval("steps.nope.outputs.asg"), nullptr);  // missing is null, not an error
  EXPECT_EQ(eval("inputs.n >= 3 and inputs.n < 4"), true);
  EXPECT_EQ(eval("steps.record.outputs.enis[1]"), "eni-2");
  EXPECT_EQ(eval("steps.record.outputs.enis[-1]"), "eni-2");
  EXPECT_EQ(eval("steps.record.outputs.tags['Environment']"), "prod");
  EXPECT_EQ(eval("1 == 1.0"), true);
  EXPECT_EQ(eval("'a' == 1"), false);
}

TEST(Expression, boolean_logic_short_circuits) {
  EXPECT_EQ(eval("not inputs.memory_capture or target.id == 'i-1'"), true);
  EXPECT_EQ(eval("false and (1 < 'x')"), false);  // right side never evaluated
  EXPECT_EQ(eval("(true or false) and not false"), true);
}

TEST(Expression, membership_and_functions) {
  EXPECT_EQ(eval("'eni-1' in steps.record.outputs.enis"), true);
  EXPECT_EQ(eval("'eni-9' not in steps.record.outputs.enis"), true);
  EXPECT_EQ(eval("'Environment' in steps.record.outputs.tags"), true);
  EXPECT_EQ(eval("'pro' in steps.record.outputs.tags.Environment"), true);
  EXPECT_EQ(eval("empty(steps.record.outputs.empty)"), true);
  EXPECT_EQ(eval("empty(steps.record.outputs.enis)"), false);
  EXPECT_EQ(eval("len(steps.record.outputs.enis)"), 2);
  EXPECT_EQ(eval("join(steps.record.outputs.enis, ',')"), "eni-1,eni-2");
  EXPECT_EQ(eval("default(steps.x.y, 'fallback')"), "fallback");
  EXPECT_EQ(eval("upper(incident.severity)"), "HIGH");
  EXPECT_EQ(eval("startswith(target.id, 'i-')"), true);
  EXPECT_EQ(eval("[1, 'a', true]"), Json::parse(R"([1,"a",true])"));
}

TEST(Expression, syntax_errors_name_the_column) {
  for (std::string_view bad : {"a ==", "(a", "a b", "'open", "foo(1)", "a.", "1 +", "in x"}) {
    auto e = Expression::compile(bad, "pb.yml:3:9");
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().describe().find("pb.yml:3:9"), std::string::npos) << e.error().describe();
    EXPECT_NE(e.error().message().find("column"), std::string::npos) << e.error().message();
  }
}

TEST(Expression, evaluation_errors_are_values) {
  auto e = Expression::compile("target.id < 3");
  ASSERT_TRUE(e);
  auto v = e->evaluate(kCtx);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("cannot order string and number"), std::string::npos);
  auto arity = Expression::compile("len(1, 2)");
  ASSERT_TRUE(arity);
  EXPECT_FALSE(arity->evaluate(kCtx));
}

TEST(Expression, nesting_is_bounded) {
  std::string deep(200, '(');
  deep += "1";
  deep += std::string(200, ')');
  auto e = Expression::compile(deep);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kLimitExceeded);
}

TEST(Expression, collects_step_references) {
  auto e = Expression::compile("steps.a.outputs.x == steps.b.state and inputs.y");
  ASSERT_TRUE(e);
  std::vector<std::string> refs;
  e->collect_step_refs(refs);
  EXPECT_EQ(refs, (std::vector<std::string>{"a", "b"}));
}

TEST(Template, whole_expression_keeps_its_type) {
  auto t = Template::compile(Json::parse(R"({
    "enis": "{{ steps.record.outputs.enis }}",
    "name": "quarantine-{{ target.id }}-{{ incident.severity }}",
    "plain": 7,
    "nested": ["{{ inputs.n }}", "x"]
  })"));
  ASSERT_TRUE(t) << t.error().describe();
  auto v = t->render(kCtx);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)["enis"], Json::parse(R"(["eni-1","eni-2"])"));
  EXPECT_EQ((*v)["name"], "quarantine-i-1-high");
  EXPECT_EQ((*v)["plain"], 7);
  EXPECT_EQ((*v)["nested"], Json::parse(R"([3,"x"])"));
}

TEST(Template, unclosed_braces_are_errors) {
  auto t = Template::compile(Json("{{ target.id"), "pb.yml:7:5");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().describe().find("pb.yml:7:5"), std::string::npos);
}

}  // namespace
}  // namespace firebreak::respond
