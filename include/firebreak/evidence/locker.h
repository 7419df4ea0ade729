#pragma once
// EvidenceLocker: one evidence directory - ledgers, the signing key, the artifact store - behind
// one object, for the response engine and the CLI. Layout (docs/evidence.md):
//
//   <dir>/keys/ledger-ed25519.pem       private key, 0600 (created on first checkpoint)
//   <dir>/keys/ledger-ed25519.pem.pub   public key
//   <dir>/incidents/<incident>/ledger.log, checkpoints.log
//   <dir>/artifacts/                    the local WORM store (unless another store is given)
//
// The directory is --evidence-dir, else $FIREBREAK_EVIDENCE_DIR, else the XDG data directory
// (paths.h default_evidence_dir). Thread-safe; one Ledger object per incident is shared.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/evidence/artifact_store.h"
#include "firebreak/evidence/ledger.h"
#include "firebreak/evidence/local_store.h"
#include "firebreak/evidence/signing.h"
#include "firebreak/evidence/verify.h"

namespace firebreak::evidence {

struct LockerOptions {
  std::filesystem::path dir;
  // Operator-supplied private key (PKCS#8 PEM, Ed25519); default <dir>/keys/ledger-ed25519.pem,
  // created on first use.
  std::optional<std::filesystem::path> signing_key;
  // Artifact store to use instead of the local WORM store under <dir>/artifacts (e.g. S3).
  std::shared_ptr<ArtifactStore> artifact_store;
  LocalStoreOptions local;
  Clock* clock = nullptr;  // default: real_clock()
};

class EvidenceLocker {
 public:
  [[nodiscard]] static Result<std::unique_ptr<EvidenceLocker>> open(LockerOptions options);

  // The ledger of `incident`, created if `create` (else kNotFound when it has none).
  [[nodiscard]] Result<std::shared_ptr<Ledger>> ledger(std::string_view incident,
                                                       bool create = true);
  [[nodiscard]] bool has_incident(std::string_view incident) const;
  // Incidents with a ledger, sorted.
  [[nodiscard]] Result<std::vector<std::string>> incidents() const;

  [[nodiscard]] ArtifactStore& artifacts() { return *store_; }
  // The signing key, loaded or created on first call.
  [[nodiscard]] Result<std::shared_ptr<const SigningKey>> signing_key();
  // The public key to verify with, without creating a key (kNotFound if there is none yet).
  [[nodiscard]] Result<PublicKey> public_key() const;

  // Streams `fd` into the artifact store and appends an "artifact" record (actor `actor`) whose
  // payload is the metadata, so the chain - and the next checkpoint - covers the content hash.
  [[nodiscard]] Result<ArtifactInfo> store_artifact(ArtifactSpec spec, int fd,
                                                    std::string_view actor);
  // Appends the "artifact" record for an artifact committed through artifacts().begin().
  [[nodiscard]] Result<Appended> record_artifact(const ArtifactInfo& info, std::string_view actor);

  // Verifies an incident's ledger, checkpoints and artifacts.
  [[nodiscard]] Result<VerifyReport> verify(std::string_view incident,
                                            const VerifyOptions& options = {});

  [[nodiscard]] const std::filesystem::path& dir() const { return options_.dir; }
  [[nodiscard]] std::filesystem::path incident_dir(std::string_view incident) const;
  [[nodiscard]] std::filesystem::path signing_key_path() const;
  [[nodiscard]] Clock& clock() const { return *options_.clock; }

 private:
  explicit EvidenceLocker(LockerOptions options);
  LockerOptions options_;
  std::shared_ptr<ArtifactStore> store_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Ledger>, std::less<>> ledgers_;
  std::shared_ptr<const SigningKey> key_;
};

}  // namespace firebreak::evidence
