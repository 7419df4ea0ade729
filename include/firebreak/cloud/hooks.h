#pragma once
// Ready-made CallHooks (see operation.h).

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/cloud/operation.h"
#include "firebreak/core/clock.h"

namespace firebreak::cloud {

// Records every call (service, operation, mutating, outcome) in order. Dry runs assert on it;
// benchmarks count API calls per containment with it. Thread-safe.
class RecordingHook final : public CallHook {
 public:
  struct Call {
    std::string service;
    std::string operation;
    bool mutating = false;
    std::string account;
    std::string region;
    bool ok = true;
    std::string error_code;  // AWS code (or firebreak code name) when !ok
  };

  Status before(const OperationInfo& op) override;
  void after(const OperationInfo& op, const Status& outcome) override;

  [[nodiscard]] std::vector<Call> calls() const;
  [[nodiscard]] std::size_t count_mutating() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
};

// Fault injection for tests and game days: the Nth call (1-based, counted per operation name) of
// an operation fails with a given error, is delayed on the Clock, or runs a callback (used as a
// crash point by executor recovery tests: the callback may std::_Exit). Thread-safe.
class FaultInjectionHook final : public CallHook {
 public:
  struct Fault {
    std::string operation;             // AWS API name; "*" matches every operation
    std::size_t nth = 1;               // which call fails (1 = the first); 0 = every call
    std::optional<Error> error;        // returned instead of running the call
    Duration delay{};                  // added latency (Clock::sleep_for) before the call
    std::function<void()> on_trigger;  // e.g. a crash point
    bool after_call = false;           // trigger after the call ran (side effect happened)
  };

  explicit FaultInjectionHook(Clock& clock) : clock_(clock) {}
  void add(Fault fault);

  Status before(const OperationInfo& op) override;
  void after(const OperationInfo& op, const Status& outcome) override;

 private:
  Clock& clock_;
  std::mutex mu_;
  std::vector<Fault> faults_;
  std::map<std::string, std::size_t, std::less<>> seen_;
};

}  // namespace firebreak::cloud
