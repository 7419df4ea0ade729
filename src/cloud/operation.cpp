#include "firebreak/cloud/operation.h"

#include <fmt/format.h>

#include "firebreak/cloud/session.h"
#include "firebreak/cloud/types.h"

namespace firebreak::cloud {

std::string OperationInfo::iam_action() const { return fmt::format("{}:{}", service, operation); }

bool is_read_only_operation(std::string_view op) noexcept {
  for (std::string_view prefix : {"Describe", "Get", "List", "Lookup", "Head"}) {
    if (op.starts_with(prefix)) return true;
  }
  return false;
}

Status HookChain::before_all(const OperationInfo& op) {
  for (const auto& hook : hooks_) {
    if (Status s = hook->before(op); !s) return s;
  }
  return {};
}

void HookChain::after_all(const OperationInfo& op, const Status& outcome) {
  for (const auto& hook : hooks_) hook->after(op, outcome);
}

std::optional<std::string> find_tag(const Tags& tags, std::string_view key) {
  for (const auto& t : tags) {
    if (t.key == key) return t.value;
  }
  return std::nullopt;
}

std::string role_session_name_for(std::string_view incident_id) {
  std::string out(kRoleSessionPrefix);
  for (char c : incident_id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '=' || c == ',' ||
                         c == '.' || c == '@' || c == '-';
    out += allowed ? c : '-';
  }
  if (out.size() > 64) out.resize(64);
  return out;
}

}  // namespace firebreak::cloud
