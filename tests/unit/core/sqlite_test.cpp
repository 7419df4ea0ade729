#include "firebreak/core/sqlite.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testdata.h"

namespace firebreak {
namespace {

TEST(Sqlite, creates_private_wal_database_and_round_trips) {
  testing::TempDir dir;
  auto db = Database::open(dir / "x.db");
  ASSERT_TRUE(db) << db.error().describe();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "x.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(db->exec("CREATE TABLE t(a TEXT, b INTEGER, c REAL)"));
  auto ins = db->prepare("INSERT INTO t VALUES(?, ?, ?)");
  ASSERT_TRUE(ins);
  ASSERT_TRUE(ins->bind("x", std::int64_t{7}, 1.5).run());
  ASSERT_TRUE(ins->bind(std::optional<std::string>(), 8, 2.5).run());
  auto q = db->prepare("SELECT a, b, c FROM t ORDER BY b");
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->step().value());
  EXPECT_EQ(q->text(0), "x");
  EXPECT_EQ(q->int64(1), 7);
  EXPECT_EQ(q->real(2), 1.5);
  ASSERT_TRUE(q->step().value());
  EXPECT_FALSE(q->optional_text(0));
  EXPECT_FALSE(q->step().value());
  // An empty string_view binds as '' (not NULL).
  auto empty = db->prepare("SELECT ?1 IS NOT NULL AND ?1 = ''");
  ASSERT_TRUE(empty);
  ASSERT_TRUE(empty->bind(std::string_view()).step().value());
  EXPECT_EQ(empty->int64(0), 1);
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode && mode->step().value());
  EXPECT_EQ(mode->text(0), "wal");
}

TEST(Sqlite, transaction_rolls_back_on_error) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(a INTEGER)"));
  auto r = db->transaction([&]() -> Status {
    FIREBREAK_TRY_STATUS(db->exec("INSERT INTO t VALUES(1)"));
    return fail(ErrorCode::kCancelled, "changed my mind");
  });
  EXPECT_FALSE(r);
  auto q = db->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(q && q->step().value());
  EXPECT_EQ(q->int64(0), 0);
  auto bad = db->prepare("SELECT nope FROM t");
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace firebreak
