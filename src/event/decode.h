#pragma once
// Private to the event module: turning one parsed JSON record into Events.
//
// A record is classified by its shape (unless the caller says which kind it is):
//  - CloudTrail: has "eventVersion" and "eventSource" (or "eventName").
//  - EventBridge envelope: has "detail-type" and "detail"; unwrapped to the inner record(s):
//    "AWS API Call via CloudTrail" / "AWS Console Sign In via CloudTrail" / "AWS Service Event
//    via CloudTrail" -> CloudTrail, "GuardDuty Finding" -> GuardDuty, "Security Hub Findings -
//    *" -> every element of detail.findings as ASFF.
//  - ASFF: has "SchemaVersion" and "ProductArn".
//  - GuardDuty: has "Type"/"type" and "Resource"/"resource" (and an "Id"/"id").
//  - CloudTrail digest: has "digestStartTime" and "digestEndTime"; yields no event and no error,
//    so a directory copied from a trail's bucket reads cleanly.
//  - lookup-events entry: has a string "CloudTrailEvent" (the reader parses it and decodes that).
//  - Flow-log records are built by the flow-log reader with kind kVpcFlow.

#include <optional>

#include "firebreak/event/event.h"

namespace firebreak::event::detail {

enum class RecordShape : std::uint8_t {
  kUnknown,
  kCloudTrail,
  kGuardDuty,
  kSecurityHub,
  kVpcFlow,
  kEventBridge,
  kCloudTrailDigest,  // a CloudTrail digest file: integrity data, no events (read as none)
  kLookupWrapper,     // a lookup-events entry: the record is the JSON string in CloudTrailEvent
};

// The top-level members the decoder looks at, found in one pass over the record (the hot path:
// one scan instead of a lookup per key). The first occurrence of a duplicated key wins, as with
// Value::member.
struct TopLevel {
  enum Key : std::uint8_t {
    kEventVersion,
    kEventSource,
    kEventName,
    kEventTime,
    kEventId,
    kAwsRegion,
    kRecipientAccountId,
    kErrorCode,
    kSourceIpAddress,
    kUserAgent,
    kUserIdentity,
    kDetailType,
    kDetail,
    kCloudTrailEvent,
    kSchemaVersion,
    kProductArn,
    kDigestStartTime,
    kDigestEndTime,
    kCount
  };
  // Tape index of each key's value in the record's document; 0 when absent (index 0 is the
  // document's root, never a member). Indexes rather than Values keep this small: it is filled
  // (and zeroed) once per record.
  std::size_t index[kCount] = {};
  const void* doc = nullptr;
  bool object = false;

  [[nodiscard]] bool has(Key k) const noexcept { return index[k] != 0; }
  [[nodiscard]] std::optional<Value> get(Key k) const noexcept {
    if (!index[k]) return std::nullopt;
    return Value(Value::Handle{doc, index[k]});
  }
};
[[nodiscard]] TopLevel scan_top(Value root) noexcept;

[[nodiscard]] RecordShape classify(Value root) noexcept;
[[nodiscard]] RecordShape classify(Value root, const TopLevel& top) noexcept;

// Builds the Event for a record already known to be of `kind` (no envelope). The Event refers to
// `ref`, which must outlive it.
[[nodiscard]] Result<Event> decode_record(Value root, SourceKind kind, const RecordRef& ref);

// Classifies `root` (or trusts `kind` when given, still unwrapping an EventBridge envelope) and
// calls on_event for each Event it holds (they refer to `ref`). Returns an error (with `ref` as
// location) when the record is not a recognised shape or an envelope is malformed; nothing is
// emitted then.
template <class F>
Status decode_records(Value root, std::optional<SourceKind> kind, const RecordRef& ref,
                      F&& on_event);

// Non-template core of decode_records.
Status decode_records_impl(Value root, const TopLevel* top, std::optional<SourceKind> kind,
                           const RecordRef& ref, void* ctx, void (*cb)(void*, const Event&));

template <class F>
Status decode_records(Value root, std::optional<SourceKind> kind, const RecordRef& ref,
                      F&& on_event) {
  return decode_records_impl(root, nullptr, kind, ref, &on_event, [](void* f, const Event& e) {
    (*static_cast<std::remove_reference_t<F>*>(f))(e);
  });
}

// The same with the record's TopLevel already scanned.
template <class F>
Status decode_records(Value root, const TopLevel& top, std::optional<SourceKind> kind,
                      const RecordRef& ref, F&& on_event) {
  return decode_records_impl(root, &top, kind, ref, &on_event, [](void* f, const Event& e) {
    (*static_cast<std::remove_reference_t<F>*>(f))(e);
  });
}

}  // namespace firebreak::event::detail
