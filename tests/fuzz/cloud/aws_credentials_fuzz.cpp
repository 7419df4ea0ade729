// Fuzzes the parsers of credential sources: shared config/credentials files, credential_process
// output and container/IMDS documents.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/cloud/aws/config.h"
#include "firebreak/cloud/aws/credentials.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  firebreak::cloud::aws::SharedConfig cfg;
  (void)firebreak::cloud::aws::parse_shared_file(text, "fuzz", false, cfg);
  (void)firebreak::cloud::aws::parse_shared_file(text, "fuzz", true, cfg);
  for (const auto& [name, p] : cfg.profiles) (void)p.get("role_arn");
  (void)firebreak::cloud::aws::parse_process_credentials(text);
  (void)firebreak::cloud::aws::parse_metadata_credentials(text);
  return 0;
}
