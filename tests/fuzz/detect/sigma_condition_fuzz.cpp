// Fuzzes the Sigma condition parser: any text parses or fails with a message, within bounds.

#include <cstdint>
#include <string_view>

#include "firebreak/detect/condition.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = firebreak::detect::parse_condition(text);
  if (c) {
    // Round trip: the canonical form parses to the same canonical form.
    const std::string canon = c->to_string();
    auto again = firebreak::detect::parse_condition(canon);
    if (!again || again->to_string() != canon) __builtin_trap();
  }
  (void)firebreak::detect::identifier_matches(text.substr(0, size / 2), text.substr(size / 2));
  return 0;
}
