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

}  // namespace

RecordShape classify(Value root) noexcept {
  if (root.kind() != Value::Kind::kObject) return RecordShape::kUnknown;
  if (root.member("detail-type") && root.member("detail")) return RecordShape::kEventBridge;
  if (root.member("eventVersion") && (root.member("eventSource") || root.member("eventName"))) {
    return RecordShape::kCloudTrail;
  }
  if (root.member("SchemaVersion") && root.member("ProductArn")) return RecordShape::kSecurityHub;
  if (member_any_case(root, "type") && member_any_case(root, "resource") &&
      member_any_case(root, "id")) {
    return RecordShape::kGuardDuty;
  }
  return RecordShape::kUnknown;
}

Result<Event> decode_record(Value root, SourceKind kind, RecordRef ref) {
  if (root.kind() != Value::Kind::kObject) {
    return fail(ErrorCode::kParse, "record is not a JSON object",
                ErrorContext{.where = ref.describe()});
  }
  Event::Fields f;
  f.source = kind;
  switch (kind) {
    case SourceKind::kCloudTrail: {
      f.time = time_at(root, "eventTime");
      f.account = string_at(root, "recipientAccountId");
      if (f.account.empty()) {
        if (auto ui = root.member("userIdentity")) f.account = string_at(*ui, "accountId");
      }
      f.region = string_at(root, "awsRegion");
      f.id = string_at(root, "eventID");
      f.service = string_at(root, "eventSource");
      f.name = string_at(root, "eventName");
      break;
    }
    case SourceKind::kGuardDuty: {
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
  return Event(root, f, std::move(ref));
}

Status decode_records_impl(Value root, std::optional<SourceKind> kind, const RecordRef& ref,
                           void* ctx, void (*cb)(void*, const Event&)) {
  const RecordShape shape = classify(root);
  if (shape == RecordShape::kEventBridge) {
    const auto detail_type = string_at(root, "detail-type");
    const auto detail = root.member("detail");
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
  FIREBREAK_TRY(Event e, decode_record(root, k, ref));
  cb(ctx, e);
  return {};
}

}  // namespace firebreak::event::detail
