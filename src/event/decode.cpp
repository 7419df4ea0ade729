#include "decode.h"

#include <fmt/format.h>

#include "dom.h"

namespace firebreak::event::detail {
namespace dom = simdjson::dom;

namespace {

// Looks up `key`, or its first-letter-case twin (GuardDuty/ASFF come in both spellings).
std::optional<Value> member_any_case(Value v, std::string_view key) {
  if (auto m = v.member(key)) return m;
  if (key.empty()) return std::nullopt;
  std::string twin(key);
  const char c = twin[0];
  if (c >= 'a' && c <= 'z')
    twin[0] = static_cast<char>(c - 'a' + 'A');
  else if (c >= 'A' && c <= 'Z')
    twin[0] = static_cast<char>(c - 'A' + 'a');
  else
    return std::nullopt;
  return v.member(twin);
}

std::string_view string_at(Value v, std::string_view key, bool any_case = false) {
  auto m = any_case ? member_any_case(v, key) : v.member(key);
  if (!m) return {};
  return m->string().value_or(std::string_view{});
}

TimePoint time_at(Value v, std::string_view key, bool any_case = false) {
  const auto s = string_at(v, key, any_case);
  if (s.empty()) return {};
  return parse_iso8601(s).value_or(TimePoint{});
}

std::string_view kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return "a boolean";
    case Value::Kind::kInt64:
    case Value::Kind::kUint64:
    case Value::Kind::kDouble: return "a number";
    case Value::Kind::kString: return "a string";
    case Value::Kind::kArray: return "an array";
    case Value::Kind::kObject: return "an object";
  }
  return "a value";
}

// A field the event model relies on must have the documented type when present (null counts as
// absent): a record that says eventName: 42 is corrupt, and is reported rather than half-read.
Status expect_kind(Value root, std::string_view key, Value::Kind want, const RecordRef& ref,
                   bool any_case = false) {
  auto m = any_case ? member_any_case(root, key) : root.member(key);
  if (!m || m->is_null()) return {};
  const Value::Kind k = m->kind();
  if (k == want) return {};
  return fail(ErrorCode::kParse,
              fmt::format("field '{}' is {}, expected {}", key, kind_name(k), kind_name(want)),
              ErrorContext{.where = ref.describe()});
}

}  // namespace

namespace {

// The TopLevel slot of a top-level key, or -1. Dispatches on the length first: a record has ~20
// top-level keys and this runs for every one of them, so it avoids comparing each key against
// every name.
int top_level_key(std::string_view k) noexcept {
  using T = TopLevel;
  switch (k.size()) {
    case 6: return k == "detail" ? T::kDetail : -1;
    case 7: return k == "eventID" ? T::kEventId : -1;
    case 9:
      switch (k[0]) {
        case 'e':
          if (k == "eventName") return T::kEventName;
          if (k == "eventTime") return T::kEventTime;
          if (k == "errorCode") return T::kErrorCode;
          return -1;
        case 'a': return k == "awsRegion" ? T::kAwsRegion : -1;
        case 'u': return k == "userAgent" ? T::kUserAgent : -1;
        default: return -1;
      }
    case 10: return k == "ProductArn" ? T::kProductArn : -1;
    case 11:
      if (k == "eventSource") return T::kEventSource;
      if (k == "detail-type") return T::kDetailType;
      return -1;
    case 12:
      if (k == "eventVersion") return T::kEventVersion;
      if (k == "userIdentity") return T::kUserIdentity;
      return -1;
    case 13:
      if (k == "SchemaVersion") return T::kSchemaVersion;
      if (k == "digestEndTime") return T::kDigestEndTime;
      return -1;
    case 15:
      if (k == "sourceIPAddress") return T::kSourceIpAddress;
      if (k == "CloudTrailEvent") return T::kCloudTrailEvent;
      if (k == "digestStartTime") return T::kDigestStartTime;
      return -1;
    case 18: return k == "recipientAccountId" ? T::kRecipientAccountId : -1;
    default: return -1;
  }
}

}  // namespace

TopLevel scan_top(Value root) noexcept {
  TopLevel top;
  dom::object obj;
  if (to_dom(root).get_object().get(obj) != simdjson::SUCCESS) return top;
  top.object = true;
  top.doc = root.handle().doc;
  // Walks the tape directly (no callback per member): this is once per record on the hot path.
  for (auto it = obj.begin(), end = obj.end(); it != end; ++it) {
    const int i = top_level_key(it.key());
    if (i >= 0 && !top.index[i]) top.index[i] = from_dom(it.value()).handle().index;
  }
  return top;
}

RecordShape classify(Value root) noexcept { return classify(root, scan_top(root)); }

RecordShape classify(Value root, const TopLevel& top) noexcept {
  using T = TopLevel;
  if (!top.object) return RecordShape::kUnknown;
  if (const auto w = top.get(T::kCloudTrailEvent); w && w->is_string()) {
    return RecordShape::kLookupWrapper;
  }
  if (top.has(T::kDetailType) && top.has(T::kDetail)) return RecordShape::kEventBridge;
  if (top.has(T::kEventVersion) && (top.has(T::kEventSource) || top.has(T::kEventName))) {
    return RecordShape::kCloudTrail;
  }
  if (top.has(T::kSchemaVersion) && top.has(T::kProductArn)) return RecordShape::kSecurityHub;
  if (member_any_case(root, "type") && member_any_case(root, "resource") &&
      member_any_case(root, "id")) {
    return RecordShape::kGuardDuty;
  }
  if (top.has(T::kDigestStartTime) && top.has(T::kDigestEndTime)) {
    return RecordShape::kCloudTrailDigest;
  }
  return RecordShape::kUnknown;
}

namespace {

// CloudTrail from the scanned top level: type checks and fields without further lookups. Reads
// the simdjson elements directly (one tape read per field): this runs once per record.
Status cloudtrail_fields(const TopLevel& top, const RecordRef& ref, Event::Fields& f) {
  using T = TopLevel;
  using K = Value::Kind;
  static constexpr std::string_view kNames[] = {
      "eventVersion", "eventSource",        "eventName", "eventTime",       "eventID",
      "awsRegion",    "recipientAccountId", "errorCode", "sourceIPAddress", "userAgent"};
  static_assert(T::kEventVersion == 0 && T::kUserAgent == 9 && T::kUserIdentity == 10);
  auto bad = [&](std::string_view key, Value got, K want) {
    return fail(
        ErrorCode::kParse,
        fmt::format("field '{}' is {}, expected {}", key, kind_name(got.kind()), kind_name(want)),
        ErrorContext{.where = ref.describe()});
  };
  std::string_view strings[T::kUserAgent + 1];
  for (int k = 0; k <= T::kUserAgent; ++k) {
    const auto v = top.get(static_cast<T::Key>(k));
    if (!v) continue;
    const dom::element e = to_dom(*v);
    if (e.get_string().get(strings[k]) == simdjson::SUCCESS) continue;
    if (!e.is_null()) return bad(kNames[k], *v, K::kString);
  }
  if (const auto ui = top.get(T::kUserIdentity)) {
    const auto t = to_dom(*ui).type();
    if (t != dom::element_type::OBJECT && t != dom::element_type::NULL_VALUE) {
      return bad("userIdentity", *ui, K::kObject);
    }
  }
  if (const auto t = strings[T::kEventTime]; !t.empty()) {
    auto parsed = parse_iso8601(t);
    if (!parsed) {
      return fail(ErrorCode::kParse,
                  fmt::format("field 'eventTime' is not an ISO 8601 time: '{}'", t.substr(0, 64)),
                  ErrorContext{.where = ref.describe()});
    }
    f.time = *parsed;
  }
  f.account = strings[T::kRecipientAccountId];
  if (f.account.empty() && top.has(T::kUserIdentity)) {
    f.account = string_at(*top.get(T::kUserIdentity), "accountId");
  }
  f.region = strings[T::kAwsRegion];
  f.id = strings[T::kEventId];
  f.service = strings[T::kEventSource];
  f.name = strings[T::kEventName];
  return {};
}

Result<Event> decode_with(Value root, const TopLevel* top, SourceKind kind, const RecordRef& ref);

}  // namespace

Result<Event> decode_record(Value root, SourceKind kind, const RecordRef& ref) {
  return decode_with(root, nullptr, kind, ref);
}

namespace {

Result<Event> decode_with(Value root, const TopLevel* top_in, SourceKind kind,
                          const RecordRef& ref) {
  if (root.kind() != Value::Kind::kObject) {
    return fail(ErrorCode::kParse, "record is not a JSON object",
                ErrorContext{.where = ref.describe()});
  }
  Event::Fields f;
  f.source = kind;
  switch (kind) {
    case SourceKind::kCloudTrail: {
      if (top_in) {
        FIREBREAK_TRY_STATUS(cloudtrail_fields(*top_in, ref, f));
      } else {
        FIREBREAK_TRY_STATUS(cloudtrail_fields(scan_top(root), ref, f));
      }
      break;
    }
    case SourceKind::kGuardDuty: {
      using K = Value::Kind;
      for (std::string_view key : {"id", "type", "accountId", "region", "updatedAt"}) {
        FIREBREAK_TRY_STATUS(expect_kind(root, key, K::kString, ref, true));
      }
      FIREBREAK_TRY_STATUS(expect_kind(root, "resource", K::kObject, ref, true));
      FIREBREAK_TRY_STATUS(expect_kind(root, "service", K::kObject, ref, true));
      if (auto service = member_any_case(root, "service")) {
        f.time = time_at(*service, "eventLastSeen", true);
      }
      if (f.time == TimePoint{}) f.time = time_at(root, "updatedAt", true);
      if (f.time == TimePoint{}) f.time = time_at(root, "createdAt", true);
      f.account = string_at(root, "accountId", true);
      f.region = string_at(root, "region", true);
      f.id = string_at(root, "id", true);
      f.service = "guardduty.amazonaws.com";
      f.name = string_at(root, "type", true);
      break;
    }
    case SourceKind::kSecurityHub: {
      using K = Value::Kind;
      for (std::string_view key : {"Id", "AwsAccountId", "Region", "UpdatedAt", "CreatedAt"}) {
        FIREBREAK_TRY_STATUS(expect_kind(root, key, K::kString, ref));
      }
      FIREBREAK_TRY_STATUS(expect_kind(root, "Types", K::kArray, ref));
      FIREBREAK_TRY_STATUS(expect_kind(root, "Resources", K::kArray, ref));
      f.time = time_at(root, "LastObservedAt");
      if (f.time == TimePoint{}) f.time = time_at(root, "UpdatedAt");
      if (f.time == TimePoint{}) f.time = time_at(root, "CreatedAt");
      f.account = string_at(root, "AwsAccountId");
      f.region = string_at(root, "Region");
      f.id = string_at(root, "Id");
      f.service = "securityhub.amazonaws.com";
      if (auto types = root.member("Types")) {
        types->for_each_element([&](Value t) {
          if (f.name.empty()) f.name = t.string().value_or(std::string_view{});
        });
      }
      break;
    }
    case SourceKind::kVpcFlow: {
      if (auto start = root.member("start")) {
        if (auto secs = start->int64()) f.time = from_unix_seconds(*secs);
      }
      f.account = string_at(root, "account-id");
      f.region = string_at(root, "region");
      f.service = "vpcflow";
      f.name = string_at(root, "action");
      break;
    }
  }
  return Event(root, f, ref);
}

}  // namespace

Status decode_records_impl(Value root, const TopLevel* top_in, std::optional<SourceKind> kind,
                           const RecordRef& ref, void* ctx, void (*cb)(void*, const Event&)) {
  TopLevel scanned;
  if (!top_in) scanned = scan_top(root);
  const TopLevel& top = top_in ? *top_in : scanned;
  const RecordShape shape = classify(root, top);
  if (shape == RecordShape::kCloudTrailDigest && !kind) return {};
  if (shape == RecordShape::kEventBridge) {
    const auto detail_type = top.get(TopLevel::kDetailType)->string().value_or(std::string_view{});
    const auto detail = top.get(TopLevel::kDetail);
    if (!detail || detail->kind() != Value::Kind::kObject) {
      return fail(ErrorCode::kParse, "EventBridge envelope has no object 'detail'",
                  ErrorContext{.where = ref.describe()});
    }
    if (detail_type.starts_with("Security Hub Findings")) {
      const auto findings = detail->member("findings");
      if (!findings || findings->kind() != Value::Kind::kArray) {
        return fail(
            ErrorCode::kParse,
            fmt::format("EventBridge '{}' event has no array 'detail.findings'", detail_type),
            ErrorContext{.where = ref.describe()});
      }
      Status status;
      findings->for_each_element([&](Value finding) {
        if (!status) return;
        auto e = decode_record(finding, SourceKind::kSecurityHub, ref);
        if (!e)
          status = std::unexpected(e.error());
        else
          cb(ctx, *e);
      });
      return status;
    }
    SourceKind inner;
    if (detail_type == "GuardDuty Finding")
      inner = SourceKind::kGuardDuty;
    else if (detail_type.ends_with("via CloudTrail"))
      inner = SourceKind::kCloudTrail;
    else {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("EventBridge detail-type '{}' is not a security event firebreak "
                              "reads",
                              detail_type),
                  ErrorContext{.where = ref.describe()});
    }
    FIREBREAK_TRY(Event e, decode_record(*detail, inner, ref));
    cb(ctx, e);
    return {};
  }
  SourceKind k;
  if (kind) {
    k = *kind;
  } else {
    switch (shape) {
      case RecordShape::kCloudTrail: k = SourceKind::kCloudTrail; break;
      case RecordShape::kGuardDuty: k = SourceKind::kGuardDuty; break;
      case RecordShape::kSecurityHub: k = SourceKind::kSecurityHub; break;
      case RecordShape::kVpcFlow: k = SourceKind::kVpcFlow; break;
      default:
        return fail(ErrorCode::kParse,
                    "record is not a CloudTrail event, GuardDuty finding, Security Hub finding "
                    "or EventBridge envelope",
                    ErrorContext{.where = ref.describe()});
    }
  }
  FIREBREAK_TRY(Event e, decode_with(root, &top, k, ref));
  cb(ctx, e);
  return {};
}

}  // namespace firebreak::event::detail
