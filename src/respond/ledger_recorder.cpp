#include "firebreak/respond/ledger_recorder.h"

#include <fmt/format.h>

namespace firebreak::respond {

Status LedgerRecorder::record(std::string_view incident_id, std::string_view run_id,
                              std::string_view actor, std::string_view kind, const Json& payload) {
  const auto k = evidence::parse_record_kind(kind);
  if (!k) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown ledger record kind \"{}\"", kind));
  }
  Json body = payload.is_object() ? payload : Json{{"value", payload}};
  if (!run_id.empty()) body["run_id"] = std::string(run_id);
  FIREBREAK_TRY(auto ledger, locker_.ledger(incident_id));
  FIREBREAK_TRY_STATUS(ledger->append(
      evidence::RecordInput{.actor = std::string(actor), .kind = *k, .payload = std::move(body)}));
  return {};
}

Status LedgerRecorder::checkpoint(std::string_view incident_id) {
  FIREBREAK_TRY(auto ledger, locker_.ledger(incident_id));
  FIREBREAK_TRY_STATUS(ledger->checkpoint());
  return {};
}

}  // namespace firebreak::respond
