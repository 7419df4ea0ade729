#include "firebreak/respond/action.h"

#include <algorithm>

namespace firebreak::respond {

std::string_view to_string(ParamType t) noexcept {
  switch (t) {
    case ParamType::kString: return "string";
    case ParamType::kBool: return "bool";
    case ParamType::kInt: return "int";
    case ParamType::kStringList: return "list of strings";
    case ParamType::kObject: return "object";
    case ParamType::kAny: return "any";
  }
  return "any";
}

bool param_type_matches(ParamType t, const Json& v) noexcept {
  switch (t) {
    case ParamType::kString: return v.is_string();
    case ParamType::kBool: return v.is_boolean();
    case ParamType::kInt: return v.is_number_integer();
    case ParamType::kStringList:
      return v.is_array() &&
             std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); });
    case ParamType::kObject: return v.is_object();
    case ParamType::kAny: return !v.is_null();
  }
  return false;
}

Result<ApplyResult> Action::rollback(ActionContext&, const Json&) {
  return fail(ErrorCode::kUnsupported, "action '" + spec().name + "' has no rollback");
}

void ActionRegistry::add(std::unique_ptr<Action> action) { actions_.push_back(std::move(action)); }

const Action* ActionRegistry::find(std::string_view name) const { return find_mutable(name); }

Action* ActionRegistry::find_mutable(std::string_view name) const {
  for (const auto& a : actions_) {
    if (a->spec().name == name) return a.get();
  }
  return nullptr;
}

std::vector<const ActionSpec*> ActionRegistry::specs() const {
  std::vector<const ActionSpec*> out;
  for (const auto& a : actions_) out.push_back(&a->spec());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

}  // namespace firebreak::respond
