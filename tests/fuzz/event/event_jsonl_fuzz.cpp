// Fuzzes JSON Lines (records forced to CloudTrail, so any object decodes) and the chunked
// line path that read_parallel uses.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kCloudTrail});
  return 0;
}
