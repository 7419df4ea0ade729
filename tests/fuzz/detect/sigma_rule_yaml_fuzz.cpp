// Fuzzes the Sigma YAML loader, the compiler and one match: arbitrary bytes as a rule file must
// give rules or rejections, never a crash, a hang or unbounded memory.

#include <cstdint>
#include <string_view>
#include <vector>

#include "firebreak/detect/engine.h"
#include "firebreak/detect/loader.h"
#include "firebreak/event/event.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace firebreak;
  if (size > (64u << 10)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const detect::Placeholders* placeholders = [] {
    auto* p = new detect::Placeholders();
    p->set("admins", {"root", "adm*"});
    p->set("nets", {"10.0.0.0/8", "2001:db8::/32"});
    return p;
  }();
  detect::LoadOptions lo;
  lo.placeholders = placeholders;
  lo.max_documents = 64;
  lo.max_values_per_item = 1000;
  detect::RuleSet set = detect::load_rules_text(text, "fuzz.yml", lo);
  for (const auto& r : set.rejected) (void)r.describe();
  (void)detect::lint(set);
  if (set.rules.empty() && set.filters.empty()) return 0;
  std::vector<detect::Rejection> rejected;
  auto engine = detect::Engine::compile(set, {}, &rejected);
  if (!engine) return 0;
  static const event::OwnedEvent* ev = [] {
    auto e = event::OwnedEvent::parse(
        R"({"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"x","userAgent":"aws-cli/2","sourceIPAddress":"10.1.2.3","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/root"},"requestParameters":{"userName":"root","n":5,"list":[1,"a",{"k":null}]}})",
        event::SourceKind::kCloudTrail);
    return new event::OwnedEvent(std::move(*e));
  }();
  detect::Matcher m(*engine);
  std::vector<std::uint32_t> out;
  m.match(ev->event(), out);
  return 0;
}
