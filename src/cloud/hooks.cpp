#include "firebreak/cloud/hooks.h"

namespace firebreak::cloud {

Status RecordingHook::before(const OperationInfo&) { return {}; }

void RecordingHook::after(const OperationInfo& op, const Status& outcome) {
  Call c{std::string(op.service), std::string(op.operation), op.mutating, std::string(op.account),
         std::string(op.region),  outcome.has_value(),       {}};
  if (!outcome) {
    c.error_code = outcome.error().context().aws_code;
    if (c.error_code.empty()) c.error_code = std::string(to_string(outcome.error().code()));
  }
  std::lock_guard lock(mu_);
  calls_.push_back(std::move(c));
}

std::vector<RecordingHook::Call> RecordingHook::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::size_t RecordingHook::count_mutating() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& c : calls_) n += c.mutating ? 1 : 0;
  return n;
}

void RecordingHook::clear() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

void FaultInjectionHook::add(Fault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back(std::move(fault));
}

Status FaultInjectionHook::before(const OperationInfo& op) {
  std::vector<Fault> due;
  {
    std::lock_guard lock(mu_);
    const std::size_t n = ++seen_[std::string(op.operation)];
    for (const auto& f : faults_) {
      const bool name_matches = f.operation == "*" || f.operation == op.operation;
      if (name_matches && !f.after_call && (f.nth == 0 || f.nth == n)) due.push_back(f);
    }
  }
  for (const auto& f : due) {
    if (f.delay > Duration::zero()) clock_.sleep_for(f.delay);
    if (f.on_trigger) f.on_trigger();
    if (f.error) return std::unexpected(*f.error);
  }
  return {};
}

void FaultInjectionHook::after(const OperationInfo& op, const Status&) {
  std::vector<Fault> due;
  {
    std::lock_guard lock(mu_);
    const auto it = seen_.find(op.operation);
    const std::size_t n = it == seen_.end() ? 0 : it->second;
    for (const auto& f : faults_) {
      const bool name_matches = f.operation == "*" || f.operation == op.operation;
      if (name_matches && f.after_call && (f.nth == 0 || f.nth == n)) due.push_back(f);
    }
  }
  for (const auto& f : due) {
    if (f.on_trigger) f.on_trigger();
  }
}

}  // namespace firebreak::cloud
