#include "firebreak/evidence/call_recorder.h"

#include <fmt/format.h>

#include <unordered_map>

#include "firebreak/core/log.h"

namespace firebreak::evidence {

Json api_call_json(const cloud::OperationInfo& op) {
  return Json{{"service", std::string(op.service)}, {"operation", std::string(op.operation)},
              {"iam_action", op.iam_action()},      {"account", std::string(op.account)},
              {"region", std::string(op.region)},   {"mutating", op.mutating}};
}

Json api_outcome_json(const Status& s) {
  if (s) return Json{{"ok", true}};
  const Error& e = s.error();
  return Json{{"ok", false},
              {"code", std::string(to_string(e.code()))},
              {"aws_code", e.context().aws_code},
              {"http_status", e.context().http_status},
              {"request_id", e.context().request_id}};
}

namespace {

// The request record's seq travels from before() to after() of the same call: hooks run on the
// calling thread around one call. Keyed by recorder, so several recorders can share a chain.
thread_local std::unordered_map<const void*, std::uint64_t> t_request_seq;

}  // namespace

LedgerCallRecorder::LedgerCallRecorder(std::shared_ptr<Ledger> ledger, CallRecorderOptions options)
    : ledger_(std::move(ledger)), options_(std::move(options)) {}

Status LedgerCallRecorder::before(const cloud::OperationInfo& op) {
  t_request_seq.erase(this);
  if (!op.mutating) return {};
  auto a = ledger_->append(RecordInput{.actor = options_.actor,
                                       .kind = RecordKind::kActionRequest,
                                       .payload = Json{{"call", api_call_json(op)}}});
  if (!a) {
    return fail(a.error().wrap(
        fmt::format("not calling {}: its request could not be recorded in the evidence ledger",
                    op.iam_action())));
  }
  t_request_seq[this] = a->seq;
  return {};
}

void LedgerCallRecorder::after(const cloud::OperationInfo& op, const Status& outcome) {
  if (!op.mutating && !options_.record_reads) return;
  Json payload{{"call", api_call_json(op)}, {"outcome", api_outcome_json(outcome)}};
  if (op.mutating) {
    const auto it = t_request_seq.find(this);
    if (it == t_request_seq.end()) return;  // refused in before(): nothing was called
    payload["request_seq"] = it->second;
    t_request_seq.erase(it);
  }
  auto a = ledger_->append(
      RecordInput{.actor = options_.actor,
                  .kind = op.mutating ? RecordKind::kActionResult : RecordKind::kObservation,
                  .payload = std::move(payload)});
  if (!a) {
    failures_.fetch_add(1);
    log::error("evidence ledger: the outcome of {} could not be recorded: {}", op.iam_action(),
               a.error().describe());
  }
}

}  // namespace firebreak::evidence
