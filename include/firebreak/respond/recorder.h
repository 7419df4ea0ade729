#pragma once
// Where a run's record of what it saw and did goes: before/after state of every action, every
// API call's request summary and outcome, every approval. The evidence ledger (evidence/)
// implements it for real use; JournalRecorder keeps the records in the run journal's log when no
// ledger is configured (tests, dry runs).

#include <string_view>

#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::respond {

class Journal;

class IncidentRecorder {
 public:
  virtual ~IncidentRecorder() = default;
  // kind: "observation", "action_request", "action_result", "approval", "note".
  [[nodiscard]] virtual Status record(std::string_view incident_id, std::string_view run_id,
                                      std::string_view actor, std::string_view kind,
                                      const Json& payload) = 0;
  // A point worth sealing (the end of a run): the ledger signs its chain head here.
  [[nodiscard]] virtual Status checkpoint(std::string_view incident_id) = 0;
};

class JournalRecorder final : public IncidentRecorder {
 public:
  explicit JournalRecorder(Journal& journal) : journal_(journal) {}
  Status record(std::string_view incident_id, std::string_view run_id, std::string_view actor,
                std::string_view kind, const Json& payload) override;
  Status checkpoint(std::string_view) override { return {}; }

 private:
  Journal& journal_;
};

}  // namespace firebreak::respond
