#pragma once
// Test helpers shared by every suite.
//  - external_testdata(): ../shared/testdata beside the source tree. Suites that need it call
//    FIREBREAK_REQUIRE_EXTERNAL_TESTDATA(); which skips with "skipped: external test data not
//    found" when it is absent, and fails instead when CI=true (CI must never silently skip).
//  - data_dir(): tests/data in the source tree (our own fixtures).
//  - TempDir: a fresh directory removed at scope exit.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace firebreak::testing {

std::filesystem::path source_dir();
std::filesystem::path data_dir();
std::filesystem::path external_testdata();
bool external_testdata_present();
bool running_in_ci();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace firebreak::testing

#define FIREBREAK_REQUIRE_EXTERNAL_TESTDATA()                                                     \
  do {                                                                                            \
    if (!::firebreak::testing::external_testdata_present()) {                                     \
      if (::firebreak::testing::running_in_ci()) {                                                \
        FAIL() << "external test data not found at " << ::firebreak::testing::external_testdata() \
               << " (required when CI=true)";                                                     \
      }                                                                                           \
      GTEST_SKIP() << "skipped: external test data not found at "                                 \
                   << ::firebreak::testing::external_testdata();                                  \
    }                                                                                             \
  } while (false)
