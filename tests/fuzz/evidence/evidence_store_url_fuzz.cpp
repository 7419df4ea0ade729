// Fuzzes parse_s3_store_url, which reads --evidence-store / FIREBREAK_EVIDENCE_STORE. Properties
// beyond "no crash": an accepted location has a valid bucket and a prefix that is empty or ends
// in "/", never holds "..", NUL or a control character, and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "firebreak/evidence/s3_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace firebreak::evidence;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto loc = parse_s3_store_url(input);
  if (!loc) return 0;
  if (loc->bucket.size() < 3 || loc->bucket.size() > 63) std::abort();
  if (!loc->prefix.empty() && loc->prefix.back() != '/') std::abort();
  if (loc->prefix.starts_with('/') || loc->prefix.find("//") != std::string::npos) std::abort();
  for (char c : loc->prefix) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  }
  const std::string p = "/" + loc->prefix;
  if (p.find("/../") != std::string::npos || p.find("/./") != std::string::npos) std::abort();
  auto again = parse_s3_store_url("s3://" + loc->bucket + "/" + loc->prefix);
  if (!again || again->bucket != loc->bucket || again->prefix != loc->prefix) std::abort();
  return 0;
}
