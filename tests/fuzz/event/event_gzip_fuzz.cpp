// Fuzzes streaming gzip: raw bytes through the inflating stream (truncation, corrupt members,
// concatenated members, trailing garbage), then the whole reader on the same bytes.
#include <string_view>

#include "fuzz_common.h"
#include "input.h"  // src/event (private): the streaming inflater

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  {
    firebreak::event::detail::GzipStream gz(
        std::make_unique<firebreak::event::detail::MemoryStream>(bytes));
    char buf[4096];
    std::size_t total = 0;
    for (;;) {
      auto got = gz.read(buf, sizeof buf);
      if (!got || *got == 0 || (total += *got) > (8u << 20)) break;
    }
  }
  firebreak::fuzz::read_one(data, size, {});
  return 0;
}
