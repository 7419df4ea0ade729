// Fuzzes the reader with --format VpcFlow semantics (see reader.h).
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kVpcFlow});
  return 0;
}
