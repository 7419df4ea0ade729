// `firebreak events ...` run as a subprocess: output, exit status and determinism.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "firebreak/core/json.h"
#include "testdata.h"

namespace firebreak {
namespace {

struct Run {
  int status = -1;
  std::string out;
};

// Runs the binary with `args` (shell words), stdout captured, stderr to `err_file` if given.
Run run(const std::string& args, const std::string& err_file = "/dev/null") {
  const std::string cmd = std::string(FIREBREAK_BINARY) + " " + args + " 2>" + err_file;
  Run r;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string samples() { return (testing::source_dir() / "samples").string(); }

TEST(EventsCli, every_command_has_help) {
  for (const char* c :
       {"events --help", "events cat --help", "events stats --help", "events generate --help"}) {
    auto r = run(c);
    EXPECT_EQ(r.status, 0) << c;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << c;
  }
  EXPECT_EQ(run("events stats").status, 2);  // missing paths
  EXPECT_EQ(run("events stats --format yaml " + samples()).status, 2);
}

TEST(EventsCli, stats_of_the_samples_as_json) {
  auto r = run("events stats --format json " + samples());
  ASSERT_EQ(r.status, 0);
  auto j = parse_json(r.out);
  ASSERT_TRUE(j) << r.out;
  // Counts established from samples/README.md's story and the files themselves.
  EXPECT_EQ((*j)["events"], 82);
  EXPECT_EQ((*j)["files"], 7);
  EXPECT_EQ((*j)["by_source"]["cloudtrail"], 31);
  EXPECT_EQ((*j)["by_source"]["vpcflow"], 49);
  EXPECT_EQ((*j)["by_source"]["guardduty"], 1);
  EXPECT_EQ((*j)["by_source"]["securityhub"], 1);
  EXPECT_EQ((*j)["first"], "2024-05-06T09:00:00.000Z");
  EXPECT_EQ((*j)["peak_minute_events"], 8);
  // Two threads give the same figures.
  auto r2 = run("events stats --format json --threads 2 " + samples());
  EXPECT_EQ(r2.out, r.out);
}

TEST(EventsCli, cat_prints_normalised_json_lines) {
  auto r = run("events cat " +
               (testing::data_dir() / "event" / "guardduty-getfindings-cli.json").string());
  ASSERT_EQ(r.status, 0);
  auto nl = r.out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  auto j = parse_json(r.out.substr(0, nl));
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["source"], "guardduty");
  EXPECT_EQ((*j)["account"], "111122223333");
  EXPECT_EQ((*j)["region"], "us-east-1");
  EXPECT_EQ((*j)["id"], "a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7");
  EXPECT_EQ((*j)["name"], "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS");
  EXPECT_EQ((*j)["index"], 0);
  EXPECT_EQ((*j)["record"]["Resource"]["ResourceType"], "AccessKey");
}

TEST(EventsCli, bad_input_gives_exit_status_3_and_a_summary) {
  testing::TempDir dir;
  {
    std::FILE* f = std::fopen((dir / "mixed.jsonl").c_str(), "w");
    std::fputs(
        R"({"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"ListBuckets"})"
        "\n{nope\n",
        f);
    std::fclose(f);
  }
  const auto err = (dir / "err.txt").string();
  auto r = run("events cat " + (dir / "mixed.jsonl").string(), err);
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  std::string e;
  {
    std::FILE* f = std::fopen(err.c_str(), "r");
    std::array<char, 4096> b{};
    e.assign(b.data(), std::fread(b.data(), 1, b.size(), f));
    std::fclose(f);
  }
  EXPECT_NE(e.find("mixed.jsonl line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("skipped 1 bad records"), std::string::npos) << e;
  EXPECT_EQ(run("events stats " + (dir / "nothing-here").string()).status, 4);
}

TEST(EventsCli, generate_is_deterministic_and_reads_back) {
  testing::TempDir a, b;
  ASSERT_EQ(run("events generate --count 3000 --seed 9 --out " + a.path().string()).status, 0);
  ASSERT_EQ(run("events generate --count 3000 --seed 9 --out " + b.path().string()).status, 0);
  auto list = [](const std::filesystem::path& root) {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), root).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto files = list(a.path());
  EXPECT_EQ(files, list(b.path()));
  ASSERT_FALSE(files.empty());
  EXPECT_TRUE(files[0].starts_with("AWSLogs/")) << files[0];
  EXPECT_NE(files[0].find("_CloudTrail_"), std::string::npos);
  EXPECT_TRUE(files[0].ends_with(".json.gz"));
  auto stats = run("events stats --format json " + a.path().string());
  ASSERT_EQ(stats.status, 0);
  auto j = parse_json(stats.out);
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)["events"], 3000);
  EXPECT_EQ((*j)["by_source"]["cloudtrail"], 3000);
  EXPECT_GE((*j)["by_account"].size(), 3u);
  EXPECT_GE((*j)["by_region"].size(), 4u);
  // Same seed, same JSON Lines; another seed, other bytes.
  auto x = run("events generate --count 50 --seed 9");
  auto y = run("events generate --count 50 --seed 9");
  auto z = run("events generate --count 50 --seed 10");
  EXPECT_EQ(x.out, y.out);
  EXPECT_NE(x.out, z.out);
  const double mean = static_cast<double>(x.out.size()) / 50.0;
  EXPECT_GT(mean, 900.0);
  EXPECT_LT(mean, 2200.0);
}

}  // namespace
}  // namespace firebreak
