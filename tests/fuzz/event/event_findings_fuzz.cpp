// Fuzzes GuardDuty (both spellings) and Security Hub ASFF findings, lists and single, and the
// entity extraction that reads their Resource / Resources / Action parts. The first byte picks
// auto-detection, GuardDuty or Security Hub.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using firebreak::event::InputFormat;
  const InputFormat f = size == 0          ? InputFormat::kAuto
                        : data[0] % 3 == 0 ? InputFormat::kAuto
                        : data[0] % 3 == 1 ? InputFormat::kGuardDuty
                                           : InputFormat::kSecurityHub;
  firebreak::fuzz::read_one(data, size, {.format = f});
  return 0;
}
