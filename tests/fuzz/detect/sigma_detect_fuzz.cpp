// Fuzzes detection end to end on outside input: a rule file (detection rules, filters,
// correlations, embedded firebreak-tests) and event records. The input is the rule YAML, then a
// line "#events", then one JSON record per line. Rules are loaded, compiled and their embedded
// tests run; the records go through a Detector (matching, filters, duplicate suppression,
// correlation with a small group cap and out-of-order times) and every finding is rendered.
// Never a crash, a hang or unbounded memory.

#include <cstdint>
#include <string_view>
#include <vector>

#include "firebreak/detect/detector.h"
#include "firebreak/detect/loader.h"
#include "firebreak/detect/rule_test.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace firebreak;
  if (size > (64u << 10)) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSep = "\n#events\n";
  const std::size_t sep = all.find(kSep);
  const std::string_view rules = all.substr(0, sep);
  const std::string_view events =
      sep == std::string_view::npos ? std::string_view() : all.substr(sep + kSep.size());

  static const detect::Placeholders* placeholders = [] {
    auto* p = new detect::Placeholders();
    p->set("admins", {"root", "adm*"});
    p->set("nets", {"10.0.0.0/8", "2001:db8::/32"});
    return p;
  }();
  detect::LoadOptions lo;
  lo.placeholders = placeholders;
  lo.max_documents = 32;
  lo.max_values_per_item = 1000;
  detect::RuleSet set = detect::load_rules_text(rules, "fuzz.yml", lo);
  if (set.rules.empty() && set.filters.empty()) return 0;

  // Embedded test cases are outside input too (YAML events converted to JSON).
  (void)detect::run_rule_tests(set);

  std::vector<detect::Rejection> rejected;
  auto engine = detect::Engine::compile(set, {}, &rejected);
  if (!engine) return 0;
  detect::CorrelationOptions co;
  co.lateness = std::chrono::seconds(30);
  co.max_groups = 4;
  detect::Detector det(*engine, co);
  std::vector<detect::Finding> findings;
  constexpr event::SourceKind kKinds[] = {
      event::SourceKind::kCloudTrail, event::SourceKind::kGuardDuty,
      event::SourceKind::kSecurityHub, event::SourceKind::kVpcFlow};
  std::size_t start = 0, record = 0;
  while (start < events.size() && record < 256) {
    std::size_t end = events.find('\n', start);
    if (end == std::string_view::npos) end = events.size();
    const std::string_view line = events.substr(start, end - start);
    start = end + 1;
    for (const auto kind : kKinds) {
      auto ev = event::OwnedEvent::parse(line, kind, {});
      if (!ev) continue;
      det.process(ev->event(), findings);
      ++record;
      break;
    }
  }
  det.finish(findings);
  for (const auto& f : findings) (void)detect::to_json(f);
  (void)detect::to_table(findings);
  return 0;
}
