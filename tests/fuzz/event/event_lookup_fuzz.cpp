// Fuzzes the reader with --format LookupEvents semantics (see reader.h).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kLookupEvents});
  return 0;
}
