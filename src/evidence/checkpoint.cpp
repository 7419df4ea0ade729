#include "firebreak/evidence/checkpoint.h"

#include <fmt/format.h>

#include "firebreak/core/hash.h"
#include "firebreak/core/json.h"
#include "firebreak/evidence/paths.h"
#include "firebreak/evidence/record.h"

namespace firebreak::evidence {

std::string checkpoint_statement(const Checkpoint& c) {
  return fmt::format(
      "firebreak ledger checkpoint v1\nincident: {}\nseq: {}\nhead: {}\ntime: {}\nkey: {}\n",
      c.incident, c.seq, c.head, record_time(c.time), c.key);
}

std::string checkpoint_line(const Checkpoint& c) {
  Json j = Json::object();
  j["head"] = c.head;
  j["incident"] = c.incident;
  j["key"] = c.key;
  j["seq"] = c.seq;
  j["sig"] = base64_encode(c.signature);
  j["time"] = record_time(c.time);
  return canonical_json(j) + "\n";
}

Result<Checkpoint> parse_checkpoint_line(std::string_view line) {
  if (line.size() > 4096) return fail(ErrorCode::kLimitExceeded, "checkpoint line too long");
  FIREBREAK_TRY(Json j, parse_json(line, JsonLimits{.max_bytes = 4096, .max_depth = 2}));
  if (!j.is_object() || j.size() != 6) {
    return fail(ErrorCode::kParse,
                "checkpoint must be an object with exactly head, incident, key, seq, sig, time");
  }
  auto str = [&](const char* k) -> const std::string* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto seq_it = j.find("seq");
  const auto* head = str("head");
  const auto* incident = str("incident");
  const auto* key = str("key");
  const auto* sig = str("sig");
  const auto* time = str("time");
  if (seq_it == j.end() || !seq_it->is_number_unsigned() || !head || !incident || !key || !sig ||
      !time) {
    return fail(ErrorCode::kParse, "checkpoint field missing or of the wrong type");
  }
  Checkpoint c;
  c.seq = seq_it->get<std::uint64_t>();
  if (c.seq == 0) return fail(ErrorCode::kParse, "checkpoint seq must be at least 1");
  if (!is_sha256_hex(*head)) return fail(ErrorCode::kParse, "checkpoint head is not a SHA-256");
  if (!is_sha256_hex(*key)) return fail(ErrorCode::kParse, "checkpoint key is not a fingerprint");
  FIREBREAK_TRY_STATUS(validate_incident_id(*incident));
  const auto t = parse_iso8601(*time);
  if (!t) return fail(ErrorCode::kParse, "checkpoint time is not RFC 3339");
  auto raw = base64_decode(*sig);
  if (!raw || raw->size() != 64) {
    return fail(ErrorCode::kParse, "checkpoint signature is not 64 bytes of base64");
  }
  c.head = *head;
  c.incident = *incident;
  c.key = *key;
  c.time = *t;
  c.signature = std::move(*raw);
  if (checkpoint_line(c) != std::string(line) + "\n") {
    return fail(ErrorCode::kParse, "checkpoint is not in canonical form (docs/evidence.md)");
  }
  return c;
}

}  // namespace firebreak::evidence
