// Fuzzes the |expand placeholder file parser (docs/detection.md, "Placeholders"): any bytes
// give placeholders or an error with a location, never a crash, a hang or unbounded memory.
// `file:` entries resolve against a directory that does not exist, so nothing is read.

#include <cstdint>
#include <string_view>

#include "firebreak/detect/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = firebreak::detect::Placeholders::parse(text, "/nonexistent/firebreak-fuzz", "fuzz.yml");
  if (!p) {
    (void)p.error().describe();
    return 0;
  }
  firebreak::detect::Placeholders merged;
  merged.merge(*p);
  (void)merged.find("a");
  return 0;
}
