#include "firebreak/event/event.h"

#include <fmt/format.h>

#include "decode.h"
#include "dom.h"
#include "firebreak/core/json.h"

namespace firebreak::event {

using detail::from_dom;
using detail::to_dom;
namespace dom = simdjson::dom;

std::string_view to_string(SourceKind kind) noexcept {
  switch (kind) {
    case SourceKind::kCloudTrail: return "cloudtrail";
    case SourceKind::kGuardDuty: return "guardduty";
    case SourceKind::kSecurityHub: return "securityhub";
    case SourceKind::kVpcFlow: return "vpcflow";
  }
  return "cloudtrail";
}

std::optional<SourceKind> parse_source_kind(std::string_view t) noexcept {
  if (t == "cloudtrail") return SourceKind::kCloudTrail;
  if (t == "guardduty") return SourceKind::kGuardDuty;
  if (t == "securityhub") return SourceKind::kSecurityHub;
  if (t == "vpcflow") return SourceKind::kVpcFlow;
  return std::nullopt;
}

FieldPath::FieldPath(std::string_view dotted) : text_(dotted) {
  std::string seg;
  for (std::size_t i = 0; i < dotted.size(); ++i) {
    const char c = dotted[i];
    if (c == '\\' && i + 1 < dotted.size() && dotted[i + 1] == '.') {
      seg += '.';
      ++i;
    } else if (c == '.') {
      segments_.push_back(std::move(seg));
      seg.clear();
    } else {
      seg += c;
    }
  }
  if (!dotted.empty()) segments_.push_back(std::move(seg));
}

// ---- Value ----

Value::Kind Value::kind() const noexcept {
  switch (to_dom(*this).type()) {
    case dom::element_type::ARRAY: return Kind::kArray;
    case dom::element_type::OBJECT: return Kind::kObject;
    case dom::element_type::INT64: return Kind::kInt64;
    case dom::element_type::UINT64: return Kind::kUint64;
    case dom::element_type::DOUBLE: return Kind::kDouble;
    case dom::element_type::STRING: return Kind::kString;
    case dom::element_type::BOOL: return Kind::kBool;
    case dom::element_type::NULL_VALUE: return Kind::kNull;
  }
  return Kind::kNull;
}

std::optional<std::string_view> Value::string() const noexcept {
  std::string_view s;
  if (to_dom(*this).get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return s;
}

std::optional<bool> Value::boolean() const noexcept {
  bool b;
  if (to_dom(*this).get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}

std::optional<std::int64_t> Value::int64() const noexcept {
  const auto e = to_dom(*this);
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS && d >= -9.2e18 && d <= 9.2e18 &&
      static_cast<double>(static_cast<std::int64_t>(d)) == d) {
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> Value::number() const noexcept {
  const auto e = to_dom(*this);
  if (!e.is_number()) return std::nullopt;
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  return std::nullopt;
}

std::string Value::text() const {
  if (auto s = string()) return std::string(*s);
  return simdjson::minify(to_dom(*this));
}

void Value::append_json(std::string& out) const {
  if (auto s = string()) {
    append_json_string(out, *s);
    return;
  }
  out += simdjson::minify(to_dom(*this));
}

std::size_t Value::size() const noexcept {
  const auto e = to_dom(*this);
  dom::array a;
  if (e.get_array().get(a) == simdjson::SUCCESS) return a.size();
  dom::object o;
  if (e.get_object().get(o) == simdjson::SUCCESS) return o.size();
  return 0;
}

std::optional<Value> Value::member(std::string_view key) const noexcept {
  dom::object o;
  if (to_dom(*this).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  dom::element child;
  if (o.at_key(key).get(child) != simdjson::SUCCESS) return std::nullopt;
  return from_dom(child);
}

void Value::for_each_element_impl(void* ctx, void (*cb)(void*, Value)) const {
  dom::array a;
  if (to_dom(*this).get_array().get(a) != simdjson::SUCCESS) return;
  for (dom::element child : a) cb(ctx, from_dom(child));
}

void Value::for_each_member_impl(void* ctx, void (*cb)(void*, std::string_view, Value)) const {
  dom::object o;
  if (to_dom(*this).get_object().get(o) != simdjson::SUCCESS) return;
  for (dom::key_value_pair kv : o) cb(ctx, kv.key, from_dom(kv.value));
}

// ---- RecordRef / Event ----

std::string RecordRef::describe() const {
  const std::string_view f = file ? std::string_view(*file) : std::string_view("<input>");
  if (line != 0) return fmt::format("{} line {}", f, line);
  return fmt::format("{} record {}", f, index);
}

namespace {
const RecordRef kNoRecord{};
}  // namespace

Event::Event() : ref_(&kNoRecord) {}

Event::Event(Value root, const Fields& f, const RecordRef& ref)
    : root_(root),
      source_(f.source),
      time_(f.time),
      account_(f.account),
      region_(f.region),
      id_(f.id),
      service_(f.service),
      name_(f.name),
      ref_(&ref) {}

namespace {

struct Walker {
  const std::vector<std::string>& segs;
  bool case_twin;  // GuardDuty: also try the key with its first letter's case flipped
  void* ctx;
  void (*cb)(void*, Value);
  std::size_t count = 0;

  static bool twin_key(std::string_view key, std::string& out) {
    if (key.empty()) return false;
    const char c = key[0];
    char t;
    if (c >= 'a' && c <= 'z')
      t = static_cast<char>(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z')
      t = static_cast<char>(c - 'A' + 'a');
    else
      return false;
    out.assign(key);
    out[0] = t;
    return true;
  }

  void walk(dom::element e, std::size_t i) {
    if (i == segs.size()) {
      cb(ctx, from_dom(e));
      ++count;
      return;
    }
    dom::object o;
    if (e.get_object().get(o) == simdjson::SUCCESS) {
      dom::element child;
      if (o.at_key(segs[i]).get(child) == simdjson::SUCCESS) {
        walk(child, i + 1);
      } else if (case_twin) {
        std::string twin;
        if (twin_key(segs[i], twin) && o.at_key(twin).get(child) == simdjson::SUCCESS) {
          walk(child, i + 1);
        }
      }
      return;
    }
    dom::array a;
    if (e.get_array().get(a) == simdjson::SUCCESS) {
      for (dom::element child : a) walk(child, i);  // fan out; same segment applies to each
    }
  }
};

}  // namespace

std::size_t Event::visit_impl(const FieldPath& path, void* ctx, void (*cb)(void*, Value)) const {
  if (path.empty() || root_.handle().doc == nullptr) return 0;
  Walker w{path.segments(), source_ == SourceKind::kGuardDuty, ctx, cb};
  w.walk(to_dom(root_), 0);
  return w.count;
}

std::optional<Value> Event::get(const FieldPath& path) const {
  std::optional<Value> out;
  visit(path, [&](Value v) {
    if (!out) out = v;
  });
  return out;
}

std::optional<Value> Event::get(std::string_view dotted) const { return get(FieldPath(dotted)); }

std::optional<std::string_view> Event::get_string(std::string_view dotted) const {
  auto v = get(dotted);
  if (!v) return std::nullopt;
  return v->string();
}

std::string Event::json() const {
  if (root_.handle().doc == nullptr) return "null";
  return simdjson::minify(to_dom(root_));
}

// ---- OwnedEvent ----

struct OwnedEvent::Doc {
  dom::parser parser;
  dom::element root;
  RecordRef ref;  // the event refers to it
};

OwnedEvent::OwnedEvent(std::unique_ptr<Doc> doc, Event event)
    : doc_(std::move(doc)), event_(std::move(event)) {}
OwnedEvent::OwnedEvent(OwnedEvent&&) noexcept = default;
OwnedEvent& OwnedEvent::operator=(OwnedEvent&&) noexcept = default;
OwnedEvent::~OwnedEvent() = default;

Result<OwnedEvent> OwnedEvent::parse(std::string_view json, SourceKind kind, RecordRef ref) {
  auto doc = std::make_unique<Doc>();
  if (auto err = doc->parser.parse(json.data(), json.size()).get(doc->root);
      err != simdjson::SUCCESS) {
    return fail(ErrorCode::kParse, simdjson::error_message(err),
                ErrorContext{.where = ref.describe()});
  }
  if (!ref.file) ref.file = std::make_shared<const std::string>("<memory>");
  doc->ref = std::move(ref);
  FIREBREAK_TRY(Event e, detail::decode_record(from_dom(doc->root), kind, doc->ref));
  return OwnedEvent(std::move(doc), std::move(e));
}

Result<OwnedEvent> OwnedEvent::from(const Event& event) {
  return parse(event.json(), event.source(), event.ref());
}

}  // namespace firebreak::event
