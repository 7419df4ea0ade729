#include "firebreak/core/fs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testdata.h"

namespace firebreak {
namespace {
namespace fs = std::filesystem;

TEST(Fs, atomic_write_then_read) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "a.txt", "hello"));
  EXPECT_EQ(read_file(dir / "a.txt").value(), "hello");
  ASSERT_TRUE(write_file_atomic(dir / "a.txt", "replaced"));
  EXPECT_EQ(read_file(dir / "a.txt").value(), "replaced");
  // No temporary file is left beside it.
  int count = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++count;
  EXPECT_EQ(count, 1);
}

TEST(Fs, read_errors_name_the_path) {
  testing::TempDir dir;
  auto missing = read_file(dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().describe().find("nope"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(dir / "big", std::string(100, 'x')));
  auto big = read_file(dir / "big", 10);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), ErrorCode::kLimitExceeded);
}

TEST(Fs, expand_paths_recurses_sorted_and_skips_hidden) {
  testing::TempDir dir;
  fs::create_directories(dir / "d" / "sub");
  fs::create_directories(dir / "d" / ".git");
  for (const char* f : {"d/b.json", "d/a.json", "d/sub/c.json", "d/.hidden", "d/.git/x"}) {
    std::ofstream(dir / f) << "{}";
  }
  auto files = expand_paths({dir / "d"});
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].filename(), "a.json");
  EXPECT_EQ((*files)[1].filename(), "b.json");
  EXPECT_EQ((*files)[2].filename(), "c.json");
  EXPECT_FALSE(expand_paths({dir / "missing"}));
}

}  // namespace
}  // namespace firebreak
