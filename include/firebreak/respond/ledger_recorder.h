#pragma once
// LedgerRecorder: the IncidentRecorder for real use. Every record a run makes goes to the
// incident's evidence ledger (hash-chained, durable on return), and checkpoint() signs the
// ledger's head (evidence/ledger.h). The run id is kept in the record's payload as "run_id".
// Thread-safe (the locker and ledgers are).

#include "firebreak/evidence/locker.h"
#include "firebreak/respond/recorder.h"

namespace firebreak::respond {

class LedgerRecorder final : public IncidentRecorder {
 public:
  explicit LedgerRecorder(evidence::EvidenceLocker& locker) : locker_(locker) {}
  Status record(std::string_view incident_id, std::string_view run_id, std::string_view actor,
                std::string_view kind, const Json& payload) override;
  Status checkpoint(std::string_view incident_id) override;

 private:
  evidence::EvidenceLocker& locker_;
};

}  // namespace firebreak::respond
