#include "firebreak/event/parallel.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "testdata.h"

namespace firebreak::event {
namespace {

struct Gather final : EventSink {
  std::vector<std::string> ids;
  std::vector<std::string> errors;
  std::thread::id thread;
  bool crossed_threads = false;
  void note_thread() {
    if (thread == std::thread::id{}) thread = std::this_thread::get_id();
    if (thread != std::this_thread::get_id()) crossed_threads = true;
  }
  void on_event(const Event& e) override {
    note_thread();
    ids.emplace_back(e.id());
  }
  void on_error(const Error& e) override {
    note_thread();
    errors.push_back(e.describe());
  }
};

std::string record(int i) {
  return R"({"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"id-)" +
         std::to_string(i) + R"("})";
}

void write(const std::filesystem::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

TEST(ReadParallel, every_record_reaches_exactly_one_worker_sink) {
  testing::TempDir dir;
  int next_id = 0;
  std::set<std::string> expected;
  for (int f = 0; f < 7; ++f) {
    std::string body = R"({"Records":[)";
    for (int r = 0; r < 20; ++r) {
      if (r) body += ",";
      body += record(next_id);
      expected.insert("id-" + std::to_string(next_id++));
    }
    body += "]}";
    write(dir / ("f" + std::to_string(f) + ".json"), body);
  }
  write(dir / "bad.jsonl", record(1000) + "\n{broken\n");
  expected.insert("id-1000");

  for (std::size_t threads : {1u, 2u, 3u}) {
    std::size_t made = 0;
    auto result = read_parallel({dir.path()}, {}, {.threads = threads}, [&](std::size_t) {
      ++made;
      return std::make_unique<Gather>();
    });
    EXPECT_EQ(made, threads);
    ASSERT_EQ(result.sinks.size(), threads);
    std::multiset<std::string> seen;
    std::size_t errors = 0;
    for (auto& s : result.sinks) {
      auto& g = dynamic_cast<Gather&>(*s);
      EXPECT_FALSE(g.crossed_threads);
      seen.insert(g.ids.begin(), g.ids.end());
      errors += g.errors.size();
    }
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
    EXPECT_EQ(seen.size(), expected.size()) << "an event was delivered twice";
    EXPECT_EQ(result.summary.events, expected.size());
    EXPECT_EQ(result.summary.files, 8u);
    EXPECT_EQ(result.summary.skipped, 1u);
    EXPECT_EQ(errors, 1u);
  }
}

TEST(ReadParallel, missing_path_is_reported_and_the_rest_read) {
  testing::TempDir dir;
  write(dir / "a.json", record(1));
  auto result = read_parallel({dir / "nope", dir / "a.json"}, {}, {.threads = 2},
                              [](std::size_t) { return std::make_unique<Gather>(); });
  EXPECT_EQ(result.summary.events, 1u);
  EXPECT_EQ(result.summary.failed_files, 1u);
}

}  // namespace
}  // namespace firebreak::event
