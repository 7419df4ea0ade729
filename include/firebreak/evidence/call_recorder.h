#pragma once
// LedgerCallRecorder: a cloud CallHook (cloud/operation.h) that writes every API call made through
// a session into an incident's ledger, so "every API call's request summary and outcome" is in
// the chain whoever makes the call (playbook actions, evidence capture, the S3 store itself).
//
//   before a mutating call   "action_request"  {"call":{service, operation, iam_action, account,
//                                               region, mutating}}
//   after a mutating call    "action_result"   the same "call", "request_seq" (the request
//                                               record's seq), and "outcome"
//   after a read-only call   "observation"     the same "call" and "outcome"
//
// "outcome" is {"ok":true} or {"ok":false, "code", "aws_code", "http_status", "request_id"} -
// never an error message or request parameters, which could hold data or secrets.
//
// Fails closed: a mutating call whose request record cannot be made durable is not made
// (before() returns the error). A result record that cannot be written is logged and counted
// (failures()); the request record already proves the attempt. Thread-safe: calls on several
// threads append concurrently (group commit). The ledger must outlive the hook.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "firebreak/cloud/operation.h"
#include "firebreak/evidence/ledger.h"

namespace firebreak::evidence {

// The "call" and "outcome" payloads above, for other recorders of API calls (the executor writes
// the same shape through its IncidentRecorder, so a run's records and the store's read alike).
[[nodiscard]] Json api_call_json(const cloud::OperationInfo& op);
[[nodiscard]] Json api_outcome_json(const Status& outcome);

struct CallRecorderOptions {
  std::string actor = "firebreak";  // who makes the calls: a principal ARN or "firebreak"
  bool record_reads = true;         // also record read-only calls (as observations)
};

class LedgerCallRecorder final : public cloud::CallHook {
 public:
  LedgerCallRecorder(std::shared_ptr<Ledger> ledger, CallRecorderOptions options = {});

  [[nodiscard]] Status before(const cloud::OperationInfo& op) override;
  void after(const cloud::OperationInfo& op, const Status& outcome) override;

  // Result records that could not be written.
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_.load(); }

 private:
  std::shared_ptr<Ledger> ledger_;
  CallRecorderOptions options_;
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace firebreak::evidence
