#pragma once
// Signed checkpoints over a ledger head (specified in docs/evidence.md).
//
// The signed message (the "statement") is this text, each line ending in LF:
//
//   firebreak ledger checkpoint v1
//   incident: <incident id>
//   seq: <sequence number of the head record>
//   head: <hash of that record>
//   time: <RFC 3339 UTC, microseconds>
//   key: <fingerprint of the signing public key>
//
// The signature is Ed25519 over exactly those bytes. checkpoints.log stores one checkpoint per
// line as canonical JSON: {"head":..,"incident":..,"key":..,"seq":..,"sig":"<base64>","time":..}.
// A bundle additionally carries each statement and raw signature as files so that
//   openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in X.txt -sigfile X.sig
// checks it.

#include <cstdint>
#include <string>
#include <string_view>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::evidence {

struct Checkpoint {
  std::string incident;
  std::uint64_t seq = 0;
  std::string head;  // 64 hex
  TimePoint time;
  std::string key;        // signer fingerprint, 64 hex
  std::string signature;  // 64 raw bytes
};

// The exact bytes that are signed.
[[nodiscard]] std::string checkpoint_statement(const Checkpoint& c);
// One line of checkpoints.log (with its LF).
[[nodiscard]] std::string checkpoint_line(const Checkpoint& c);
// Parses one line of checkpoints.log (without LF); checks shape, not the signature.
[[nodiscard]] Result<Checkpoint> parse_checkpoint_line(std::string_view line);

}  // namespace firebreak::evidence
