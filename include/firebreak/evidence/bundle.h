#pragma once
// Evidence bundles: a self-contained directory that a third party verifies with
// `firebreak evidence verify BUNDLE`, or with sha256sum and openssl alone (the custody report
// inside explains how). Layout (docs/evidence.md):
//
//   bundle.json            manifest: format, incident, counts, head, key fingerprint
//   ledger.log             the ledger up to the signed head, byte for byte
//   checkpoints.log        every checkpoint up to it
//   checkpoint.txt/.sig    the statement and raw signature of the checkpoint over the head
//   public_key.pem         the key that signed it
//   artifacts/SHA256SUMS   "<sha256>  <sha256>" lines, for `sha256sum -c`
//   artifacts/manifest.json  metadata of every artifact
//   artifacts/<sha256>     the content (unless exported without artifacts)
//   custody-report.md/.html  the human-readable custody report
//
// export_bundle() checkpoints the head first if it is not signed yet, writes into a temporary
// directory beside `out` and renames it into place, so a bundle is whole or absent.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"
#include "firebreak/evidence/locker.h"
#include "firebreak/evidence/verify.h"

namespace firebreak::evidence {

inline constexpr std::string_view kBundleFormat = "firebreak-evidence-bundle/1";

struct ExportOptions {
  bool include_artifacts = true;
};

struct BundleManifest {
  std::string format;
  std::string incident;
  std::uint64_t records = 0;
  std::string head;
  std::uint64_t checkpoint_seq = 0;
  std::string key_fingerprint;
  std::uint64_t artifacts = 0;
  bool artifacts_included = true;
  std::string exported_at;
  std::string exported_by;  // "firebreak <version>"
};

[[nodiscard]] Json to_json(const BundleManifest& m);
// Parses bundle.json (outside input: bounded, every field validated).
[[nodiscard]] Result<BundleManifest> parse_bundle_manifest(std::string_view text);

struct ExportResult {
  std::filesystem::path dir;
  BundleManifest manifest;
  std::uint64_t artifact_bytes = 0;
};

// Exports `incident` to the new directory `out` (which must not exist).
[[nodiscard]] Result<ExportResult> export_bundle(EvidenceLocker& locker, std::string_view incident,
                                                 const std::filesystem::path& out,
                                                 const ExportOptions& options = {});

// Verifies a bundle directory: the manifest, every record, the chain, the checkpoint signatures
// with the bundle's public key (and options.expected_key if given), that the head is signed, and
// every artifact against the ledger's artifact records.
[[nodiscard]] Result<VerifyReport> verify_bundle(const std::filesystem::path& bundle,
                                                 VerifyOptions options = {});

// True if `path` looks like a bundle (a directory holding bundle.json).
[[nodiscard]] bool is_bundle(const std::filesystem::path& path);

}  // namespace firebreak::evidence
