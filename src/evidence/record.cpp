#include "firebreak/evidence/record.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "firebreak/core/hash.h"
#include "firebreak/evidence/paths.h"

namespace firebreak::evidence {
namespace {

constexpr std::array<std::string_view, 6> kKindNames = {
    "observation", "action_request", "action_result", "artifact", "approval", "note"};

constexpr std::size_t kMaxActorBytes = 1024;

std::size_t depth_of(const Json& j, std::size_t limit) {
  if (limit == 0) return 1;
  std::size_t d = 0;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) d = std::max(d, depth_of(v, limit - 1));
    return d + 1;
  }
  if (j.is_array()) {
    for (const auto& v : j) d = std::max(d, depth_of(v, limit - 1));
    return d + 1;
  }
  return 0;
}

Error at_body(ErrorCode code, std::string_view what) { return Error(code, what); }

}  // namespace

std::string_view to_string(RecordKind kind) noexcept {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<RecordKind> parse_record_kind(std::string_view text) noexcept {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<RecordKind>(i);
  }
  return std::nullopt;
}

void append_canonical_json(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      // nlohmann's object_t is a std::map<std::string, ...>: keys already in byte order.
      for (const auto& [k, v] : j.items()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, k);
        out += ':';
        append_canonical_json(out, v);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& v : j) {
        if (!first) out += ',';
        first = false;
        append_canonical_json(out, v);
      }
      out += ']';
      break;
    }
    case Json::value_t::string: append_json_string(out, j.get_ref<const std::string&>()); break;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer:
      fmt::format_to(std::back_inserter(out), "{}", j.get<std::int64_t>());
      break;
    case Json::value_t::number_unsigned:
      fmt::format_to(std::back_inserter(out), "{}", j.get<std::uint64_t>());
      break;
    case Json::value_t::number_float: {
      const double d = j.get<double>();
      if (!std::isfinite(d)) {
        out += "null";
      } else if (d == 0.0) {
        out += '0';  // also -0.0, which a reader would turn into the integer 0
      } else {
        fmt::format_to(std::back_inserter(out), "{}", d);
      }
      break;
    }
    case Json::value_t::null:
    case Json::value_t::discarded:
    case Json::value_t::binary: out += "null"; break;
  }
}

std::string canonical_json(const Json& j) {
  std::string out;
  append_canonical_json(out, j);
  return out;
}

std::string record_time(TimePoint t) { return format_iso8601(t, TimePrecision::kMicros); }

Result<std::string> canonical_body(std::uint64_t seq, std::string_view prev, TimePoint time,
                                   std::string_view incident, std::string_view actor,
                                   RecordKind kind, const Json& payload) {
  if (seq == 0) return fail(ErrorCode::kInvalidArgument, "record sequence numbers start at 1");
  if (!is_sha256_hex(prev)) return fail(ErrorCode::kInvalidArgument, "prev is not a SHA-256");
  FIREBREAK_TRY_STATUS(validate_incident_id(incident));
  if (actor.empty()) return fail(ErrorCode::kInvalidArgument, "record actor is empty");
  if (actor.size() > kMaxActorBytes) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("record actor longer than {} bytes", kMaxActorBytes));
  }
  if (!payload.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "record payload must be a JSON object");
  }
  if (depth_of(payload, kMaxPayloadDepth + 1) > kMaxPayloadDepth) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("record payload nested deeper than {} levels", kMaxPayloadDepth));
  }
  std::string body;
  fmt::format_to(std::back_inserter(body), R"({{"seq":{},"prev":"{}","time":)", seq, prev);
  append_json_string(body, record_time(time));
  body += R"(,"incident":)";
  append_json_string(body, incident);
  body += R"(,"actor":)";
  append_json_string(body, actor);
  body += R"(,"kind":")";
  body += to_string(kind);
  body += R"(","payload":)";
  const std::size_t payload_start = body.size();
  append_canonical_json(body, payload);
  if (body.size() - payload_start > kMaxPayloadBytes) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("record payload of {} bytes exceeds the {} byte limit",
                            body.size() - payload_start, kMaxPayloadBytes));
  }
  body += '}';
  return body;
}

std::string body_hash(std::string_view body) {
  Sha256Stream s;
  s.update(body);
  s.update(std::string_view("\n"));
  return to_hex(s.finish());
}

std::string ledger_line(std::string_view hash, std::string_view body) {
  std::string line;
  line.reserve(hash.size() + body.size() + 2);
  line.append(hash).append(" ").append(body).append("\n");
  return line;
}

Result<Record> parse_ledger_line(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return fail(ErrorCode::kLimitExceeded, fmt::format("line of {} bytes exceeds the {} byte limit",
                                                       line.size(), kMaxLineBytes));
  }
  if (line.size() < 66 || line[64] != ' ' || !is_sha256_hex(line.substr(0, 64))) {
    return fail(at_body(ErrorCode::kParse,
                        "malformed line: expected \"<64 hex digit hash> <record JSON>\""));
  }
  Record r;
  r.hash = std::string(line.substr(0, 64));
  const std::string_view body = line.substr(65);
  const std::string actual = body_hash(body);
  if (actual != r.hash) {
    return fail(ErrorCode::kFailedPrecondition,
                fmt::format("hash mismatch: the line states {} but its record hashes to {}", r.hash,
                            actual));
  }
  FIREBREAK_TRY(Json j, parse_json(body, JsonLimits{.max_bytes = kMaxLineBytes,
                                                    .max_depth = kMaxPayloadDepth + 1}));
  if (!j.is_object() || j.size() != 7) {
    return fail(ErrorCode::kParse,
                "record must be an object with exactly seq, prev, time, incident, actor, kind, "
                "payload");
  }
  auto str = [&](const char* k) -> const std::string* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto seq_it = j.find("seq");
  if (seq_it == j.end() || !seq_it->is_number_unsigned()) {
    return fail(ErrorCode::kParse, "record seq missing or not a positive integer");
  }
  r.seq = seq_it->get<std::uint64_t>();
  const auto* prev = str("prev");
  const auto* time = str("time");
  const auto* incident = str("incident");
  const auto* actor = str("actor");
  const auto* kind = str("kind");
  if (!prev || !time || !incident || !actor || !kind || !j.contains("payload")) {
    return fail(ErrorCode::kParse, "record field missing or of the wrong type");
  }
  r.prev = *prev;
  const auto t = parse_iso8601(*time);
  if (!t) return fail(ErrorCode::kParse, "record time is not RFC 3339");
  r.time = *t;
  r.incident = *incident;
  r.actor = *actor;
  const auto k = parse_record_kind(*kind);
  if (!k) return fail(ErrorCode::kParse, fmt::format("unknown record kind \"{}\"", *kind));
  r.kind = *k;
  r.payload = std::move(j["payload"]);
  auto again = canonical_body(r.seq, r.prev, r.time, r.incident, r.actor, r.kind, r.payload);
  if (!again) return fail(again.error().wrap("invalid record"));
  if (*again != body) {
    return fail(ErrorCode::kParse, "record is not in canonical form (docs/evidence.md)");
  }
  r.body = std::string(body);
  return r;
}

}  // namespace firebreak::evidence
