#include "firebreak/evidence/local_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "firebreak/core/hash.h"
#include "support.h"

namespace firebreak::evidence {
namespace {
namespace fs = std::filesystem;

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

std::string read_all(ArtifactReader& r) {
  std::string out;
  std::vector<char> buf(4096);
  for (;;) {
    auto n = r.read(buf);
    EXPECT_TRUE(n) << (n ? "" : n.error().describe());
    if (!n || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

TEST(LocalWormStore, streams_commits_and_reads_back_content_addressed) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto w = store->begin(test::spec_for("inc-1", "memory.lime")).value();
  std::string content;
  for (int i = 0; i < 1000; ++i) {
    const std::string chunk = "chunk " + std::to_string(i) + std::string(i % 7919, 'x');
    content += chunk;
    ASSERT_TRUE(w->write(chunk));
  }
  auto info = w->commit().value();
  EXPECT_EQ(info.sha256, sha256_hex(content));
  EXPECT_EQ(info.size, content.size());
  EXPECT_EQ(info.retain_until, test::t0() + std::chrono::hours(24 * 365));
  const fs::path obj = store->object_path(info.sha256).value();
  struct stat st {};
  ASSERT_EQ(::stat(obj.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);  // read-only after commit
  auto r = store->open(info.sha256).value();
  EXPECT_EQ(read_all(*r), content);
  auto listed = store->list("inc-1").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "memory.lime");
  EXPECT_EQ(listed[0].source.id, "i-0abc123");
  EXPECT_EQ(count_files(tmp / "s" / "tmp"), 0u);
}

TEST(LocalWormStore, same_content_is_one_object_and_never_overwritten) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto a = test::put(*store, test::spec_for("inc-1", "a"), "same bytes");
  const fs::path obj = store->object_path(a.sha256).value();
  struct stat before {};
  ::stat(obj.c_str(), &before);
  auto b = test::put(*store, test::spec_for("inc-1", "b"), "same bytes");
  struct stat after {};
  ::stat(obj.c_str(), &after);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(before.st_ino, after.st_ino);  // the first object stays, untouched
  EXPECT_EQ(store->list("inc-1").value().size(), 2u);
}

TEST(LocalWormStore, refuses_delete_before_retention_and_allows_it_after) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto spec = test::spec_for("inc-1", "x");
  spec.retain_days = 30;
  auto info = test::put(*store, spec, "evidence");
  auto denied = store->remove(info.sha256);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message().find("2024-05-31"), std::string::npos);
  EXPECT_TRUE(fs::exists(store->object_path(info.sha256).value()));
  // Retention can be extended, never shortened.
  EXPECT_FALSE(store->extend_retention(info.sha256, test::t0() + std::chrono::hours(24)));
  ASSERT_TRUE(store->extend_retention(info.sha256, test::t0() + std::chrono::hours(24 * 60)));
  clock.advance(std::chrono::hours(24 * 31));
  EXPECT_EQ(store->remove(info.sha256).error().code(), ErrorCode::kPermissionDenied);
  clock.advance(std::chrono::hours(24 * 30));
  ASSERT_TRUE(store->remove(info.sha256));
  EXPECT_EQ(store->open(info.sha256).error().code(), ErrorCode::kNotFound);
}

TEST(LocalWormStore, storing_again_never_shortens_retention) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto spec = test::spec_for("inc-1", "x");
  spec.retain_days = 90;
  auto a = test::put(*store, spec, "evidence");
  spec.retain_days = 1;
  auto b = test::put(*store, spec, "evidence");
  EXPECT_EQ(b.retain_until, a.retain_until);
  EXPECT_EQ(store->retention(a.sha256).value(), a.retain_until);
}

TEST(LocalWormStore, reading_a_corrupted_object_fails_at_the_end) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto info = test::put(*store, test::spec_for("inc-1", "x"), std::string(100000, 'e'));
  test::flip_byte(store->object_path(info.sha256).value(), 5000);
  auto r = store->open(info.sha256).value();
  std::vector<char> buf(1 << 16);
  Status last;
  for (;;) {
    auto n = r->read(buf);
    if (!n) {
      last = fail(n.error());
      break;
    }
    if (*n == 0) break;
  }
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(last.error().message().find("corrupt"), std::string::npos);
  EXPECT_FALSE(verify_object(*store, info.sha256));
}

TEST(LocalWormStore, expected_hash_mismatch_commits_nothing) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  auto spec = test::spec_for("inc-1", "x");
  spec.expected_sha256 = std::string(64, '0');
  auto w = store->begin(spec).value();
  ASSERT_TRUE(w->write("content"));
  EXPECT_FALSE(w->commit());
  EXPECT_EQ(count_files(tmp / "s" / "objects"), 0u);
  EXPECT_EQ(count_files(tmp / "s" / "tmp"), 0u);
}

TEST(LocalWormStore, interrupted_writes_leave_no_object_that_looks_complete) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  {
    auto w = store->begin(test::spec_for("inc-1", "x")).value();
    ASSERT_TRUE(w->write(std::string(3 << 20, 'a')));
    // Destroyed without commit.
  }
  {
    auto w = store->begin(test::spec_for("inc-1", "y")).value();
    ASSERT_TRUE(w->write("partial"));
    w->abort();
    EXPECT_FALSE(w->commit());
  }
  // A writer process killed mid-stream.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto child = LocalWormStore::open(tmp / "s", clock);
    if (!child) ::_exit(2);
    auto w = (*child)->begin(test::spec_for("inc-1", "z"));
    if (!w || !(*w)->write(std::string(5 << 20, 'z'))) ::_exit(3);
    ::_exit(0);  // dies without commit or cleanup
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(count_files(tmp / "s" / "objects"), 0u);
  EXPECT_TRUE(store->list("inc-1").value().empty());
  EXPECT_EQ(store->open(sha256_hex(std::string(5 << 20, 'z'))).error().code(),
            ErrorCode::kNotFound);
  // The dead writer's .part is left until no live writer holds it, then collected.
  EXPECT_EQ(count_files(tmp / "s" / "tmp"), 1u);
  auto live = store->begin(test::spec_for("inc-1", "live")).value();
  ASSERT_TRUE(live->write("still writing"));
  EXPECT_EQ(store->collect_abandoned_writes().value(), 1u);
  EXPECT_EQ(count_files(tmp / "s" / "tmp"), 1u);  // the live one stays
  ASSERT_TRUE(live->commit());
}

TEST(LocalWormStore, outside_names_never_become_paths) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "root" / "s", clock).value();
  using namespace std::string_literals;
  for (const std::string& name :
       {"../../escape"s, "/etc/passwd"s, "..\\..\\x"s, "nul\0x"s, ".."s}) {
    auto spec = test::spec_for("inc-1", name);
    spec.source.id = name;
    auto info = test::put(*store, spec, "content for " + name);
    EXPECT_EQ(info.name, name);  // kept as metadata, verbatim
  }
  EXPECT_FALSE(fs::exists(tmp / "root" / "escape"));
  EXPECT_FALSE(fs::exists(tmp / "escape"));
  // Everything the store wrote is inside its root.
  for (fs::recursive_directory_iterator it(tmp.path()), end; it != end; ++it) {
    if (it->path() == tmp / "root") continue;
    const auto rel = fs::relative(it->path(), tmp / "root" / "s");
    EXPECT_NE(rel.string().rfind("..", 0), 0u) << it->path();
  }
  // Incident ids and hashes from outside are validated before any path is built.
  for (const char* bad : {"../inc", "/abs", "a/b", ".."}) {
    EXPECT_EQ(store->begin(test::spec_for(bad, "x")).error().code(), ErrorCode::kInvalidArgument);
    EXPECT_FALSE(store->list(bad));
  }
  EXPECT_EQ(store->open("../../../../etc/passwd").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->remove(std::string(62, 'a') + "/.").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(open_verified_file(tmp / "x", "../x"));
}

TEST(LocalWormStore, concurrent_writers_of_the_same_content_agree) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  const std::string content(1 << 20, 'q');
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto w = store->begin(test::spec_for("inc-1", "q")).value();
      ASSERT_TRUE(w->write(content));
      ASSERT_TRUE(w->commit());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->list("inc-1").value().size(), 4u);
  EXPECT_EQ(verify_object(*store, sha256_hex(content)).value(), content.size());
}

std::uint64_t rss_bytes() {
  const std::string status = test::slurp("/proc/self/status");
  const auto p = status.find("VmRSS:");
  return std::stoull(status.substr(p + 6)) * 1024;
}

TEST(LocalWormStore, streaming_a_gigabyte_through_a_pipe_keeps_memory_flat) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto store = LocalWormStore::open(tmp / "s", clock).value();
  constexpr std::uint64_t kTotal = 1ull << 30;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // The producer generates a deterministic stream and hashes it independently.
  std::string expected;
  std::thread producer([&] {
    std::vector<char> block(1 << 16);
    Sha256Stream h;
    std::uint64_t sent = 0, x = 88172645463325252ull;
    while (sent < kTotal) {
      for (std::size_t i = 0; i < block.size(); i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        std::memcpy(block.data() + i, &x, 8);
      }
      h.update(std::string_view(block.data(), block.size()));
      std::size_t off = 0;
      while (off < block.size()) {
        const ssize_t n = ::write(fds[1], block.data() + off, block.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      sent += block.size();
    }
    ::close(fds[1]);
    expected = to_hex(h.finish());
  });
  const std::uint64_t before = rss_bytes();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> peak{before};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max<std::uint64_t>(peak, rss_bytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto info = store_from_fd(*store, test::spec_for("inc-1", "memory.raw"), fds[0]);
  done = true;
  sampler.join();
  const std::uint64_t after = peak;
  producer.join();
  ::close(fds[0]);
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->size, kTotal);
  EXPECT_EQ(info->sha256, expected);
  // Constant memory: a few MiB of buffers, not the gigabyte.
  EXPECT_LT(after > before ? after - before : 0, 64ull << 20)
      << "RSS grew from " << before << " to " << after;
  ASSERT_TRUE(store->extend_retention(info->sha256, info->retain_until));
}

}  // namespace
}  // namespace firebreak::evidence
