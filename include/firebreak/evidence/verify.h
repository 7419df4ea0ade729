#pragma once
// Verification of a ledger: every record's hash, the chain (seq and prev), canonical form,
// checkpoint signatures and heads, and the artifacts the ledger names. Used for a live incident
// (locker.h), for a bundle (bundle.h) and by the fuzz target on raw text.
//
// Input is untrusted: lines are bounded (record.h), problems are collected (up to a limit) rather
// than thrown, and the report names the first broken record precisely ("record 17 (line 17)").

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/error.h"
#include "firebreak/core/json.h"
#include "firebreak/evidence/artifact_store.h"
#include "firebreak/evidence/checkpoint.h"
#include "firebreak/evidence/signing.h"

namespace firebreak::evidence {

struct VerifyProblem {
  std::string where;  // "record 17 (line 17)", "checkpoint line 2", "artifact <sha> (record 9)"
  std::string what;   // what is wrong
  std::uint64_t line = 0;  // ledger line number when the problem is in a record, else 0
};

struct ArtifactRef {
  std::uint64_t seq = 0;  // the artifact record
  std::string sha256;
  std::uint64_t size = 0;
  std::string name;
};

struct VerifyReport {
  std::string incident;
  std::uint64_t records = 0;      // well-formed records read
  std::string head;               // hash of the last record read
  std::uint64_t checkpoints = 0;  // checkpoint lines read
  std::uint64_t checkpoints_valid = 0;
  std::uint64_t signed_through = 0;  // highest seq covered by a valid checkpoint
  std::string key_fingerprint;       // key the signatures were checked with ("" if none)
  std::vector<ArtifactRef> artifacts;
  std::uint64_t artifacts_verified = 0;
  std::uint64_t artifact_bytes = 0;
  bool artifacts_checked = false;
  std::vector<VerifyProblem> problems;  // empty = verified
  std::vector<std::string> notes;       // facts that are not failures (e.g. unsigned tail)
  bool problems_truncated = false;

  [[nodiscard]] bool ok() const { return problems.empty(); }
  // The problem in the earliest ledger line, else the first problem; null when ok().
  [[nodiscard]] const VerifyProblem* first_broken() const;
};

struct VerifyOptions {
  bool check_artifacts = true;
  // Records after the last valid checkpoint are a problem (bundles), not just a note (live).
  bool require_signed_head = false;
  // When set, the public key must have this fingerprint (pin a key received out of band).
  std::optional<std::string> expected_key;
  std::size_t max_problems = 100;
};

// Incremental verifier. Feed all checkpoint lines first, then ledger lines in file order, then
// call finish(). `key` may be null (signatures are then reported unverifiable).
class ChainVerifier {
 public:
  ChainVerifier(std::string incident, const PublicKey* key, VerifyOptions options);
  void add_checkpoint_line(std::string_view line, std::uint64_t line_no);
  // `terminated` is false for a final line with no LF (a torn write).
  void add_record_line(std::string_view line, std::uint64_t line_no, bool terminated);
  // Called when a ledger line exceeds the size bound (its content was not kept).
  void add_oversized_line(std::uint64_t line_no);
  void problem(std::string where, std::string what, std::uint64_t line = 0);
  // Closes the chain checks; artifacts are checked by the caller afterwards (report().artifacts).
  void finish();
  [[nodiscard]] VerifyReport& report() { return report_; }

 private:
  struct Expected {
    std::string head;
    std::uint64_t line = 0;
    bool matched = false;
  };
  std::string incident_;
  const PublicKey* key_;
  VerifyOptions options_;
  VerifyReport report_;
  std::map<std::uint64_t, Expected> checkpoint_heads_;  // seq -> head of valid checkpoints
  std::uint64_t last_seq_ = 0;
  std::uint64_t expected_seq_ = 1;
  std::string prev_{"0000000000000000000000000000000000000000000000000000000000000000"};
};

// Verifies ledger and checkpoint text held in memory (no artifacts). For tests and fuzzing.
[[nodiscard]] VerifyReport verify_ledger_text(std::string_view ledger, std::string_view checkpoints,
                                              std::string_view incident, const PublicKey* key,
                                              const VerifyOptions& options = {});

// Streams ledger.log and checkpoints.log from files (bounded memory, any length).
// `open_artifact` (may be empty) returns a verifying reader for an object; it is used when
// options.check_artifacts is set.
using ArtifactOpener = std::function<Result<std::unique_ptr<ArtifactReader>>(std::string_view)>;
[[nodiscard]] Result<VerifyReport> verify_ledger_files(const std::filesystem::path& ledger,
                                                       const std::filesystem::path& checkpoints,
                                                       std::string_view incident,
                                                       const PublicKey* key,
                                                       const ArtifactOpener& open_artifact,
                                                       const VerifyOptions& options);

// Human-readable summary (several lines) and JSON form of a report.
[[nodiscard]] std::string describe(const VerifyReport& r);
[[nodiscard]] Json to_json(const VerifyReport& r);

}  // namespace firebreak::evidence
