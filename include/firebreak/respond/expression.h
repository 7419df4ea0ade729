#pragma once
// The small expression language of playbooks: `when` conditions and `{{ … }}` templates in step
// parameters and outputs. Compiled once when a playbook loads (syntax errors name file:line:col)
// and evaluated per run against a context object:
//
//   incident.{id, severity, state, title, entities…}   the incident the run answers
//   target.{type, id, account, region}               what the playbook acts on
//   inputs.<name>                                    playbook inputs (defaults applied)
//   steps.<id>.{outputs, state, finished_at}         earlier steps
//   finding.{rule_id, title, level, …}               the finding that triggered the run, if any
//   run.{id, playbook, dry_run}
//
// Grammar (precedence low → high):
//   or:      and ('or' and)*
//   and:     not ('and' not)*
//   not:     'not' not | compare
//   compare: primary (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not in') primary)?
//   primary: literal | path | call | '(' or ')' | '[' (or (',' or)*)? ']'
//   literal: 'single' or "double" quoted string | number | true | false | null
//   path:    ident ('.' ident | '[' or ']')*          (a missing member is null, not an error)
//   call:    ident '(' (or (',' or)*)? ')'
// Functions: empty(x), len(x), contains(haystack, needle), startswith(s, p), endswith(s, p),
//   lower(s), upper(s), join(list, sep), default(x, fallback), keys(obj), string(x).
// Truthiness: null, false, 0, "", [] and {} are false; everything else is true.
// `a in b`: b a list (element equality), an object (key), or a string (substring).
// Comparison of unlike types with </> is an evaluation error; == between unlike types is false.

#include <memory>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::respond {

struct ExprNode;

class Expression {
 public:
  Expression() = default;
  // Parses `text`; errors carry `where` plus the column of the problem ("file:12:7").
  [[nodiscard]] static Result<Expression> compile(std::string_view text,
                                                  std::string_view where = {});

  [[nodiscard]] Result<Json> evaluate(const Json& context) const;
  [[nodiscard]] Result<bool> test(const Json& context) const;  // evaluate, then truthiness

  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool empty() const noexcept { return root_ == nullptr; }
  // The context roots the expression reads ("steps", "inputs", ...), for validation.
  void collect_roots(std::vector<std::string>& out) const;
  // Every "steps.<id>" the expression refers to.
  void collect_step_refs(std::vector<std::string>& out) const;

 private:
  std::string text_;
  std::string where_;
  std::shared_ptr<const ExprNode> root_;
};

[[nodiscard]] bool truthy(const Json& v) noexcept;

// A JSON value whose strings may contain `{{ expression }}`. A string that is exactly one
// `{{ … }}` renders to the expression's value with its JSON type (a list stays a list);
// otherwise expressions are rendered as text and spliced into the string. Objects and arrays are
// rendered member by member. `{{` can be written literally as `{{'{{'}}`.
class Template {
 public:
  Template() = default;
  [[nodiscard]] static Result<Template> compile(const Json& value, std::string_view where = {});
  [[nodiscard]] Result<Json> render(const Json& context) const;
  [[nodiscard]] const Json& source() const noexcept { return source_; }
  void collect_step_refs(std::vector<std::string>& out) const;

  // Implementation detail (defined in expression.cpp).
  struct Part;
  struct Node;

 private:
  Json source_;
  std::shared_ptr<const Node> root_;
};

}  // namespace firebreak::respond
