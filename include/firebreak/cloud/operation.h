#pragma once
// Every call through the seam is described by an OperationInfo and passes through the session's
// CallHooks before and after it runs, in both backends. Hooks are how cross-cutting behaviour is
// added without touching each operation: recording (which calls a plan or run made), fault
// injection (the Nth call fails, is slow, or crashes the process), and client-side pacing.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak::cloud {

struct OperationInfo {
  std::string_view service;    // signing name / IAM prefix: "ec2", "iam", "s3", "ssm",
                               // "autoscaling", "elasticloadbalancing", "sts", "cloudtrail",
                               // "guardduty", "securityhub", "sns", "sqs"
  std::string_view operation;  // AWS API name: "ModifyInstanceAttribute"
  bool mutating = false;       // false for Describe*/Get*/List*/Lookup*/Head* calls
  std::string_view account;    // target account of the session
  std::string_view region;     // target region of the session

  // "ec2:ModifyInstanceAttribute": the IAM action that authorises this call.
  [[nodiscard]] std::string iam_action() const;
};

// True when `operation` does not change state (by AWS naming: Describe, Get, List, Lookup, Head).
[[nodiscard]] bool is_read_only_operation(std::string_view operation) noexcept;

class CallHook {
 public:
  virtual ~CallHook() = default;
  // Runs before the call. An error aborts the call and is returned to the caller as its result.
  [[nodiscard]] virtual Status before(const OperationInfo& op) = 0;
  // Runs after the call (also after a failed one) with its outcome.
  virtual void after(const OperationInfo& op, const Status& outcome) = 0;
};

// An ordered list of hooks; backends call run() around every operation.
class HookChain {
 public:
  void add(std::shared_ptr<CallHook> hook) { hooks_.push_back(std::move(hook)); }
  [[nodiscard]] bool empty() const noexcept { return hooks_.empty(); }

  // before() of every hook in order (stopping at the first error), then fn() when all passed,
  // then after() of every hook with the outcome.
  template <class F>
  auto run(const OperationInfo& op, F&& fn) -> decltype(fn()) {
    Status gate = before_all(op);
    if (!gate) {
      after_all(op, gate);
      return std::unexpected(gate.error());
    }
    auto result = fn();
    after_all(op, result ? Status{} : Status(std::unexpected(result.error())));
    return result;
  }

 private:
  Status before_all(const OperationInfo& op);
  void after_all(const OperationInfo& op, const Status& outcome);
  std::vector<std::shared_ptr<CallHook>> hooks_;
};

}  // namespace firebreak::cloud
