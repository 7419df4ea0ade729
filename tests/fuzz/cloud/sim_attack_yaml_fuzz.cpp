// Fuzzes attack scripts (YAML, strict schema, durations, parameters).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/cloud/sim/attack.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto s = firebreak::cloud::sim::parse_attack(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (!s) (void)s.error().describe();
  return 0;
}
