// Fuzzes container documents with format detection: {"Records":[...]}, arrays, single records,
// and the splitter (small document limit) that takes over for large or malformed ones.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kAuto});
  return 0;
}
