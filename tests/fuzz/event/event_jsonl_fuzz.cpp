// Fuzzes JSON Lines (records forced to CloudTrail, so any object decodes) and the chunked
// line path that read_parallel uses. Also checks that batched parsing (parse_many) reads exactly
// what one parse per line reads: the same events at the same lines, the same errors.
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_common.h"
#include "input.h"
#include "reader_impl.h"

namespace {

std::string core_read(std::string_view bytes, bool batched) {
  firebreak::event::ReadOptions o{.format = firebreak::event::InputFormat::kCloudTrail};
  o.max_record_bytes = 64u << 10;
  firebreak::event::detail::ReaderCore core(o);
  core.set_batch_lines(batched);
  firebreak::fuzz::Transcript t;
  firebreak::event::ReadSummary s;
  auto stream = firebreak::event::detail::memory_input(bytes);
  core.read_stream(*stream, std::make_shared<const std::string>("fuzz"), t, s);
  return t.text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kCloudTrail});
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (core_read(bytes, true) != core_read(bytes, false)) std::abort();
  return 0;
}
