#include "testdata.h"

#include <cstdlib>
#include <random>

namespace firebreak::testing {
namespace fs = std::filesystem;

fs::path source_dir() { return fs::path(FIREBREAK_SOURCE_DIR); }
fs::path data_dir() { return source_dir() / "tests" / "data"; }
fs::path external_testdata() {
  if (const char* over = std::getenv("FIREBREAK_TESTDATA")) return fs::path(over);
  return (source_dir() / ".." / "shared" / "testdata").lexically_normal();
}
bool external_testdata_present() { return fs::is_directory(external_testdata()); }
bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

TempDir::TempDir() {
  std::random_device rd;
  const fs::path base = fs::temp_directory_path();
  for (;;) {
    path_ = base / ("firebreak-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(path_, ec)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  // WORM tests leave read-only files: make everything writable before removing.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

}  // namespace firebreak::testing
