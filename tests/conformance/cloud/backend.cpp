#include "backend.h"

#include "testdata.h"

namespace firebreak::testing {

std::vector<ConformanceBackend>& conformance_backends() {
  static std::vector<ConformanceBackend> backends;
  return backends;
}

void CloudConformance::SetUp() {
  for (auto& b : conformance_backends()) {
    if (b.name != GetParam()) continue;
    auto world = b.make();
    if (!world) {
      if (running_in_ci()) FAIL() << b.name << " backend unavailable: " << world.error().describe();
      GTEST_SKIP() << "skipped: " << b.name << " backend unavailable: " << world.error().describe();
    }
    world_ = std::move(*world);
    return;
  }
  FAIL() << "unknown backend " << GetParam();
}

namespace {
std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const auto& b : conformance_backends()) names.push_back(b.name);
  return names;
}
}  // namespace

// Instantiated lazily so that registrations from every translation unit are seen.
INSTANTIATE_TEST_SUITE_P(Backends, CloudConformance, ::testing::ValuesIn(backend_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace firebreak::testing
