// The simulator's record arena (private to src/cloud/sim): records shared by handles, chunks
// reused once their last handle is gone, large records on their own.
#include "../../../../src/cloud/sim/record_arena.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using firebreak::cloud::sim::RecordArena;
using firebreak::cloud::sim::RecordHandle;

TEST(RecordArena, handles_share_the_bytes_until_the_last_goes) {
  RecordArena arena;
  RecordHandle a = arena.append(R"({"eventName":"DescribeInstances"})");
  RecordHandle b = a;
  RecordHandle c = b.sub(2, 9);
  EXPECT_EQ(a.view(), R"({"eventName":"DescribeInstances"})");
  EXPECT_EQ(b.view().data(), a.view().data());
  EXPECT_EQ(c.view(), "eventName");
  a = RecordHandle();
  b = RecordHandle();
  EXPECT_EQ(c.view(), "eventName");
  EXPECT_TRUE(RecordHandle().view().empty());
}

TEST(RecordArena, parts_are_concatenated) {
  RecordArena arena;
  const std::string_view parts[] = {"{\"detail\":", "{}", "", "}"};
  EXPECT_EQ(arena.append(parts).view(), R"({"detail":{}})");
}

TEST(RecordArena, chunks_are_reused_once_released) {
  RecordArena arena;
  const std::string rec(1500, 'x');
  {
    std::vector<RecordHandle> held;
    for (int i = 0; i < 3000; ++i) held.push_back(arena.append(rec));  // ~4.3 MiB
    for (const auto& h : held) ASSERT_EQ(h.view(), rec);
  }
  const std::size_t reserved = arena.reserved_bytes();
  EXPECT_GE(reserved, 3000 * rec.size());
  // The same volume again fits in the chunks released above.
  {
    std::vector<RecordHandle> held;
    for (int i = 0; i < 3000; ++i)
      held.push_back(arena.append(std::string(1500, static_cast<char>('a' + i % 26))));
    for (int i = 0; i < 3000; ++i)
      ASSERT_EQ(held[i].view(), std::string(1500, static_cast<char>('a' + i % 26)));
  }
  EXPECT_EQ(arena.reserved_bytes(), reserved);
  arena.release_free();
  EXPECT_LE(arena.reserved_bytes(), RecordArena::kChunk);  // at most the current chunk
}

TEST(RecordArena, large_records_get_their_own_chunk_and_are_freed) {
  RecordArena arena;
  const std::string big(RecordArena::kChunk * 2, 'b');
  const std::size_t before = arena.reserved_bytes();
  {
    RecordHandle h = arena.append(big);
    EXPECT_EQ(h.view(), big);
    EXPECT_GE(arena.reserved_bytes(), before + big.size());
  }
  EXPECT_EQ(arena.reserved_bytes(), before);
}

TEST(RecordArena, a_handle_may_outlive_the_arena) {
  RecordHandle h;
  {
    RecordArena arena;
    h = arena.append("kept");
  }
  EXPECT_EQ(h.view(), "kept");  // ASan reports it if the chunk was freed with the arena
}
