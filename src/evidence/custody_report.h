#pragma once
// Private: the human-readable custody report inside a bundle (Markdown and HTML), including the
// shell commands that verify the bundle with sha256sum and openssl alone. Tests run those
// commands, extracted from the Markdown, against exported bundles.

#include <string>
#include <vector>

#include "firebreak/core/json.h"
#include "firebreak/evidence/bundle.h"
#include "firebreak/evidence/checkpoint.h"
#include "firebreak/evidence/record.h"

namespace firebreak::evidence {

struct CustodyInput {
  const BundleManifest& manifest;
  const Checkpoint& checkpoint;
  const std::vector<Record>& records;  // payloads of non-artifact records summarised
  const std::vector<Json>& artifacts;  // artifact record payloads, in ledger order
  std::uint64_t artifact_bytes = 0;
};

// A short one-line JSON string standing in for a payload in the report.
[[nodiscard]] Json summarize_payload(const Json& payload);

// The shell commands (POSIX sh + coreutils + openssl) that verify a bundle from inside it.
[[nodiscard]] std::string shell_verification_script(bool artifacts_included);

[[nodiscard]] std::string custody_report_markdown(const CustodyInput& in);
[[nodiscard]] std::string custody_report_html(const CustodyInput& in);

}  // namespace firebreak::evidence
