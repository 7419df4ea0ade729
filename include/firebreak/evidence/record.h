#pragma once
// Ledger records and their canonical serialisation (specified in docs/evidence.md; keep the two
// in step). A ledger file holds one record per line:
//
//   <hash> SP <body> LF
//
// where <body> is the record's canonical JSON (no LF inside: JSON escapes it) and
// <hash> = lower-case hex SHA-256 of the bytes <body> LF. The body begins with
//   {"seq":<n>,"prev":"<hash of record n-1, or 64 zeros for n = 1>",
// followed by "time", "incident", "actor", "kind" and "payload" in that order. The payload is
// canonical JSON: no whitespace, object members sorted by the bytes of their keys, strings with
// the minimal escapes (\" \\ \b \f \n \r \t, other controls as \u00xx), integers in decimal, other
// numbers in shortest round-trip form, invalid UTF-8 replaced by U+FFFD.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"
#include "firebreak/core/json.h"

namespace firebreak::evidence {

enum class RecordKind : std::uint8_t {
  kObservation,    // something seen (finding, state read before acting)
  kActionRequest,  // an action about to be taken (request summary, state before)
  kActionResult,   // its outcome (response summary, state after, error)
  kArtifact,       // an artifact committed to the store (payload = its metadata)
  kApproval,       // a human approved or refused something
  kNote,           // free text from an operator or from firebreak itself
};

[[nodiscard]] std::string_view to_string(RecordKind kind) noexcept;  // "action_request", ...
[[nodiscard]] std::optional<RecordKind> parse_record_kind(std::string_view text) noexcept;

// What a caller appends; the ledger adds seq, prev, time and incident.
struct RecordInput {
  std::string actor;  // principal ARN, operator name, or "firebreak"
  RecordKind kind = RecordKind::kNote;
  Json payload = Json::object();
};

// A record as stored.
struct Record {
  std::uint64_t seq = 0;
  std::string prev;  // 64 hex
  TimePoint time;
  std::string incident;
  std::string actor;
  RecordKind kind = RecordKind::kNote;
  Json payload;
  std::string hash;  // 64 hex: SHA-256 of body + "\n"
  std::string body;  // canonical JSON, no trailing LF
};

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Bounds on what a ledger line may hold (checked when appending and when reading).
inline constexpr std::size_t kMaxPayloadBytes = 1u << 20;  // 1 MiB of canonical payload JSON
inline constexpr std::size_t kMaxLineBytes = kMaxPayloadBytes + 64 * 1024;
inline constexpr std::size_t kMaxPayloadDepth = 64;

// Appends the canonical JSON form of `j` to `out`.
void append_canonical_json(std::string& out, const Json& j);
[[nodiscard]] std::string canonical_json(const Json& j);

// The canonical body (no LF). Fails if actor/incident are malformed or the payload is too large.
[[nodiscard]] Result<std::string> canonical_body(std::uint64_t seq, std::string_view prev,
                                                 TimePoint time, std::string_view incident,
                                                 std::string_view actor, RecordKind kind,
                                                 const Json& payload);

// SHA-256 hex of body + "\n".
[[nodiscard]] std::string body_hash(std::string_view body);

// "<hash> <body>\n".
[[nodiscard]] std::string ledger_line(std::string_view hash, std::string_view body);

// Parses one ledger line (without its LF). Checks the layout, that the body is canonical (it
// re-serialises to the same bytes) and that the stated hash matches the body; it does NOT check
// the chain (seq, prev), which needs the previous record. Errors name what is wrong.
[[nodiscard]] Result<Record> parse_ledger_line(std::string_view line);

// Time as written in records: RFC 3339 UTC with microseconds, "2024-05-01T12:00:00.000000Z".
[[nodiscard]] std::string record_time(TimePoint t);

}  // namespace firebreak::evidence
