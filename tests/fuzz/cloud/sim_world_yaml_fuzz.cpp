// Fuzzes world files: YAML parsing, the strict schema, references, policies, and building the
// world they describe (bounded: small instance and node budgets).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/cloud/sim/world_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::cloud::sim::WorldLoadOptions o;
  o.limits.max_bytes = 64 << 10;
  o.limits.max_nodes = 20000;
  o.limits.max_instances = 64;
  auto w = firebreak::cloud::sim::parse_world(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml", o);
  if (!w) (void)w.error().describe();
  return 0;
}
