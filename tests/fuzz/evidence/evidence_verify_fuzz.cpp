// Fuzzes everything `firebreak evidence verify` reads from outside: ledger lines, checkpoint lines,
// bundle.json and artifact metadata. Input layout: checkpoints text, a line "--", ledger text
// (without the separator, the whole input is the ledger). Properties checked beyond "no crash":
// a record that parses re-serialises to the same bytes, and the report is self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "firebreak/evidence/artifact_store.h"
#include "firebreak/evidence/bundle.h"
#include "firebreak/evidence/record.h"
#include "firebreak/evidence/verify.h"

namespace {
constexpr std::string_view kPublicKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEADxzCRkPVj6z2kEHtH32aK0YU4pDPty8PIuMABRZQZ3U=\n"
    "-----END PUBLIC KEY-----\n";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace firebreak::evidence;
  static const auto key = PublicKey::from_pem(kPublicKey);
  if (!key) std::abort();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view checkpoints, ledger = input;
  if (const auto sep = input.find("\n--\n"); sep != std::string_view::npos) {
    checkpoints = input.substr(0, sep + 1);
    ledger = input.substr(sep + 4);
  }
  const auto report = verify_ledger_text(ledger, checkpoints, "", &*key);
  if (report.ok() != report.problems.empty()) std::abort();
  if (report.signed_through > report.records && report.ok()) std::abort();
  (void)describe(report);
  (void)to_json(report);

  // Each line alone through the record parser: accepted records must be canonical.
  std::string_view rest = ledger;
  while (!rest.empty()) {
    const auto lf = rest.find('\n');
    const auto line = rest.substr(0, lf);
    rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
    if (auto r = parse_ledger_line(line)) {
      auto again =
          canonical_body(r->seq, r->prev, r->time, r->incident, r->actor, r->kind, r->payload);
      if (!again || *again != r->body || body_hash(*again) != r->hash) std::abort();
    }
    if (auto c = parse_checkpoint_line(line)) {
      if (checkpoint_line(*c) != std::string(line) + "\n") std::abort();
    }
  }

  (void)parse_bundle_manifest(input);
  if (auto j = firebreak::parse_json(input, firebreak::JsonLimits{.max_bytes = 1 << 20})) {
    if (auto info = artifact_info_from_json(*j)) (void)to_json(*info);
  }
  return 0;
}
