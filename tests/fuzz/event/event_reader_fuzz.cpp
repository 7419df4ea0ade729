// Fuzzes the whole reader: container sniffing, gzip, JSON Lines, documents, record decoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/event/reader.h"

namespace {
class CountingSink final : public firebreak::event::EventSink {
 public:
  void on_event(const firebreak::event::Event& e) override {
    // Touch what consumers touch: ids, the JSON text and a nested path.
    (void)e.json();
    (void)e.get("userIdentity.sessionContext.sessionIssuer.arn");
  }
  void on_error(const firebreak::Error& e) override { (void)e.describe(); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::event::ReadOptions options;
  options.max_document_bytes = 1 << 20;
  firebreak::event::Reader reader(options);
  CountingSink sink;
  reader.read_buffer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", sink);
  return 0;
}
