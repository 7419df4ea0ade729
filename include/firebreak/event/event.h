#pragma once
// The one event model. Every input format (CloudTrail, EventBridge, GuardDuty, Security Hub ASFF,
// VPC Flow Logs) is read into an Event: a parsed JSON record plus a few fields extracted once at
// ingestion (source kind, time, account, region, id, service, name). Everything else is reached by
// dotted field path, resolved lazily against the parsed record.
//
// Ownership: Event and Value are *views*. They point into a parsed document owned by whoever
// produced them (a reader, an OwnedEvent) and are valid only while that owner keeps the document:
// for reader callbacks, until the callback returns. Copy what you keep (OwnedEvent::from, or the
// strings you need). Views are cheap to copy and thread-compatible (const access from several
// threads is safe while the owner lives).
//
// Field paths (FieldPath):
//  - "a.b.c" walks objects by key; keys are matched exactly (case-sensitive), except that for
//    GuardDuty records a segment also matches its first-letter-case twin ("resource" ~
//    "Resource"), because GuardDuty's API/EventBridge shape is camelCase while the CLI's is
//    PascalCase and rules must work on both.
//  - An array met *before* the last segment fans out: the rest of the path is applied to every
//    element (recursively for nested arrays). So "requestParameters.ipPermissions.items.cidrIp"
//    reaches every cidrIp of every item.
//  - The value at the last segment is produced as is, arrays included; callers that want
//    "any element matches" semantics iterate it (see Value::for_each_element).
//  - A missing key yields nothing; a JSON null yields a Value of kind kNull (so "field: null"
//    in Sigma can tell null from missing).
//  - A literal dot inside a key is written "\." ("tags.aws\.cloudformation").

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::event {

enum class SourceKind : std::uint8_t { kCloudTrail, kGuardDuty, kSecurityHub, kVpcFlow };

// "cloudtrail", "guardduty", "securityhub", "vpcflow".
[[nodiscard]] std::string_view to_string(SourceKind kind) noexcept;
[[nodiscard]] std::optional<SourceKind> parse_source_kind(std::string_view text) noexcept;

// A dotted path compiled once (split and unescaped) and applied to many events.
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view dotted);

  [[nodiscard]] const std::vector<std::string>& segments() const noexcept { return segments_; }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool empty() const noexcept { return segments_.empty(); }

 private:
  std::string text_;
  std::vector<std::string> segments_;
};

// A view of one JSON value inside an event.
class Value {
 public:
  enum class Kind : std::uint8_t {
    kNull,
    kBool,
    kInt64,
    kUint64,
    kDouble,
    kString,
    kArray,
    kObject
  };

  [[nodiscard]] Kind kind() const noexcept;
  [[nodiscard]] bool is_null() const noexcept { return kind() == Kind::kNull; }
  [[nodiscard]] bool is_string() const noexcept { return kind() == Kind::kString; }
  [[nodiscard]] bool is_number() const noexcept {
    const Kind k = kind();
    return k == Kind::kInt64 || k == Kind::kUint64 || k == Kind::kDouble;
  }
  [[nodiscard]] bool is_container() const noexcept {
    const Kind k = kind();
    return k == Kind::kArray || k == Kind::kObject;
  }

  // Accessors return nullopt when the kind does not match (numbers convert between each other).
  [[nodiscard]] std::optional<std::string_view> string() const noexcept;
  [[nodiscard]] std::optional<bool> boolean() const noexcept;
  [[nodiscard]] std::optional<std::int64_t> int64() const noexcept;
  [[nodiscard]] std::optional<double> number() const noexcept;

  // The value as text, for matching and display: strings unquoted, numbers and booleans as
  // JSON writes them, null as "null", arrays and objects as compact (minified) JSON.
  [[nodiscard]] std::string text() const;
  // Appends compact JSON of this value to `out` (strings quoted and escaped).
  void append_json(std::string& out) const;

  // Arrays: element count and visit. Objects: member count, lookup and visit.
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::optional<Value> member(std::string_view key) const noexcept;
  template <class F>
  void for_each_element(F&& fn) const {
    for_each_element_impl(&fn, [](void* f, Value v) { (*static_cast<F*>(f))(v); });
  }
  template <class F>
  void for_each_member(F&& fn) const {
    for_each_member_impl(&fn,
                         [](void* f, std::string_view k, Value v) { (*static_cast<F*>(f))(k, v); });
  }

  // Implementation detail: the bytes of a simdjson::dom::element (see event.cpp).
  struct Handle {
    const void* doc = nullptr;
    std::size_t index = 0;
  };
  explicit Value(Handle h) noexcept : h_(h) {}
  [[nodiscard]] Handle handle() const noexcept { return h_; }

 private:
  void for_each_element_impl(void* ctx, void (*cb)(void*, Value)) const;
  void for_each_member_impl(void* ctx, void (*cb)(void*, std::string_view, Value)) const;
  Handle h_;
};

// Where a record came from, for errors and findings: the file and the record's position in it.
struct RecordRef {
  std::shared_ptr<const std::string> file;  // path as given; never null for reader output
  std::uint64_t index = 0;                  // 0-based record index within the file
  std::uint64_t line = 0;                   // 1-based line for line formats, else 0

  // "path record 17" or "path line 18".
  [[nodiscard]] std::string describe() const;
};

class Event {
 public:
  Event();

  [[nodiscard]] SourceKind source() const noexcept { return source_; }
  // CloudTrail eventTime; GuardDuty Service.EventLastSeen, else UpdatedAt; ASFF LastObservedAt,
  // else UpdatedAt; flow logs `start`. Epoch (0) when the record has none or it is malformed.
  [[nodiscard]] TimePoint time() const noexcept { return time_; }
  // CloudTrail recipientAccountId (else userIdentity.accountId); GuardDuty AccountId; ASFF
  // AwsAccountId; flow logs account-id. Empty when absent.
  [[nodiscard]] std::string_view account() const noexcept { return account_; }
  // CloudTrail awsRegion; GuardDuty / ASFF Region; flow logs region (v4+). Empty when absent.
  [[nodiscard]] std::string_view region() const noexcept { return region_; }
  // CloudTrail eventID; GuardDuty / ASFF Id; flow logs: empty (flows have no id).
  [[nodiscard]] std::string_view id() const noexcept { return id_; }
  // What the detection index keys on. CloudTrail: eventSource / eventName. GuardDuty:
  // "guardduty.amazonaws.com" / finding Type. ASFF: "securityhub.amazonaws.com" / first of
  // Types. Flow logs: "vpcflow" / action ("ACCEPT", "REJECT").
  [[nodiscard]] std::string_view service() const noexcept { return service_; }
  [[nodiscard]] std::string_view name() const noexcept { return name_; }

  [[nodiscard]] const RecordRef& ref() const noexcept { return *ref_; }
  [[nodiscard]] Value root() const noexcept { return root_; }

  // Calls fn(Value) for every value `path` reaches (see the header comment); returns the count.
  template <class F>
  std::size_t visit(const FieldPath& path, F&& fn) const {
    return visit_impl(path, &fn, [](void* f, Value v) { (*static_cast<F*>(f))(v); });
  }
  // First value `path` reaches, if any.
  [[nodiscard]] std::optional<Value> get(const FieldPath& path) const;
  // Convenience for one-off lookups (compiles the path each call: not for hot loops).
  [[nodiscard]] std::optional<Value> get(std::string_view dotted) const;
  [[nodiscard]] std::optional<std::string_view> get_string(std::string_view dotted) const;

  // Compact JSON of the whole record (for `events cat` and evidence).
  [[nodiscard]] std::string json() const;

  // Builds the view for a decoded record (used by readers; see event/decode.h). `ref` is
  // referenced, not copied, and must live as long as the record's document: a reader keeps one
  // per file or batch and updates its index between records (copying the shared file name per
  // record cost two atomic updates each).
  struct Fields {
    SourceKind source = SourceKind::kCloudTrail;
    TimePoint time{};
    std::string_view account, region, id, service, name;
  };
  Event(Value root, const Fields& fields, const RecordRef& ref);

 private:
  std::size_t visit_impl(const FieldPath& path, void* ctx, void (*cb)(void*, Value)) const;

  Value root_{Value::Handle{}};
  SourceKind source_ = SourceKind::kCloudTrail;
  TimePoint time_{};
  std::string_view account_, region_, id_, service_, name_;
  const RecordRef* ref_;  // never null (a default Event refers to an empty RecordRef)
};

// An Event that owns its parsed document, for keeping beyond a reader callback. Move-only.
class OwnedEvent {
 public:
  // Re-parses the compact JSON of `event` into a document of its own.
  [[nodiscard]] static Result<OwnedEvent> from(const Event& event);
  // Parses one record of the given source kind (the record itself, not an envelope).
  [[nodiscard]] static Result<OwnedEvent> parse(std::string_view json, SourceKind kind,
                                                RecordRef ref = {});

  OwnedEvent(OwnedEvent&&) noexcept;
  OwnedEvent& operator=(OwnedEvent&&) noexcept;
  ~OwnedEvent();

  [[nodiscard]] const Event& event() const noexcept { return event_; }
  const Event* operator->() const noexcept { return &event_; }

 private:
  struct Doc;
  OwnedEvent(std::unique_ptr<Doc> doc, Event event);
  std::unique_ptr<Doc> doc_;
  Event event_;
};

}  // namespace firebreak::event
