// Crash safety of the real binary: `firebreak respond ec2-contain --backend aws` against a
// moto_server is SIGKILLed at points spread over its run, then continued with `firebreak runs
// resume`. The run must end succeeded with every step journaled, and every side effect must have
// happened once, read back through the API (the seam's AWS client) - not through the journal.
//
// Kill points: after the journal (polled from this process; SQLite WAL allows a reader beside the
// writer) holds the run, then after it holds N step records for N spread over the playbook. The
// poll is a few milliseconds, so a kill lands anywhere from "the Nth step was just journaled" to
// some API calls into the step after it - between a call and its journal write included.
//
// moto 5.2.1's limits are those of playbooks_moto_test.cpp (memory_capture=false; verify reports
// the CloudTrail check as unverified). Not observable here: whether CreateTags or
// ModifyInstanceAttribute were sent twice (both are idempotent on AWS and leave no trace of a
// repeat in moto's state); what is observable is asserted - one snapshot per volume, one
// isolation group, one deny-all profile and association, one revocation policy, one set of tags.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "ec2_moto_fixture.h"  // kEc2Setup
#include "firebreak/cloud/aws/provider.h"
#include "firebreak/core/clock.h"
#include "firebreak/respond/journal.h"
#include "moto_server.h"
#include "testdata.h"

namespace firebreak::respond::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kKey = "AKIAFIREBREAKKILL901";
constexpr const char* kSecret = "kill9Secret/NotARealKey+0123456789abcdef";

struct Proc {
  pid_t pid = -1;
  fs::path log;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Kill9Moto : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    moto_ = testing::MotoServer::shared(&why);
    if (moto_ == nullptr) {
      if (testing::running_in_ci()) FAIL() << "moto_server unavailable: " << why;
      GTEST_SKIP() << "skipped: moto_server unavailable: " << why;
    }
    auto p = cloud::aws::make_aws_provider(moto_provider_config(*moto_, kKey, kSecret));
    ASSERT_TRUE(p) << p.error().describe();
    provider_ = *p;
  }

  // A fresh moto world with one instance to contain; returns its id.
  std::string fresh_instance() {
    EXPECT_TRUE(moto_->reset());
    std::string out;
    EXPECT_TRUE(moto_->boto3(kEc2Setup, &out)) << out;
    auto s = provider_->session({});
    EXPECT_TRUE(s) << s.error().describe();
    api_ = *s;
    return out.substr(0, out.find(' '));
  }

  // Starts `firebreak ARGS...` with a clean environment pointing at moto; output to a file.
  Proc spawn(const fs::path& state, const std::vector<std::string>& args, const std::string& tag) {
    Proc p;
    p.log = state.parent_path() / (state.filename().string() + "-" + tag + ".log");
    std::vector<std::string> env = {
        "PATH=/usr/bin:/bin",
        "HOME=/nonexistent",
        "USER=tester",
        "AWS_EC2_METADATA_DISABLED=true",
        "AWS_MAX_ATTEMPTS=2",
        std::string("AWS_ACCESS_KEY_ID=") + kKey,
        std::string("AWS_SECRET_ACCESS_KEY=") + kSecret,
        "AWS_REGION=us-east-1",
        "AWS_ENDPOINT_URL=" + moto_->endpoint(),
        "FIREBREAK_STATE_DIR=" + state.string(),
        "FIREBREAK_EVIDENCE_DIR=" + (state / "evidence").string(),
    };
    if (const char* asan = std::getenv("ASAN_OPTIONS"))
      env.push_back(std::string("ASAN_OPTIONS=") + asan);
    std::vector<std::string> argv = {FIREBREAK_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv, cenv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (auto& e : env) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    const std::string log = p.log.string();
    p.pid = ::fork();
    if (p.pid == 0) {
      std::FILE* f = std::fopen(log.c_str(), "w");
      if (f != nullptr) {
        ::dup2(::fileno(f), 1);
        ::dup2(::fileno(f), 2);
      }
      ::execve(cargv[0], cargv.data(), cenv.data());
      ::_exit(127);
    }
    EXPECT_GT(p.pid, 0);
    return p;
  }

  // Waits for the process and reaps it (a zombie would still look alive to the lease check).
  static int wait_exit(pid_t pid) {
    int st = 0;
    if (::waitpid(pid, &st, 0) != pid) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
  }

  int run_cli(const fs::path& state, const std::vector<std::string>& args, const std::string& tag,
              std::string* out) {
    Proc p = spawn(state, args, tag);
    const int rc = wait_exit(p.pid);
    *out = slurp(p.log);
    EXPECT_EQ(out->find(kSecret), std::string::npos) << *out;
    return rc;
  }

  std::vector<std::string> respond_args(const std::string& instance) {
    return {"respond",
            "ec2-contain",
            "--backend",
            "aws",
            "--target",
            instance,
            "--yes",
            "--input",
            "memory_capture=false",
            "--playbooks",
            (testing::source_dir() / "playbooks").string()};
  }

  // Runs respond, SIGKILLs it once the journal holds the run and at least `steps` step records;
  // returns false when the run ended before the signal (the last records come in one burst: a
  // poll can miss them), which the caller counts.
  bool respond_and_kill(const fs::path& state, const std::string& instance, std::size_t steps,
                        std::string* run_id) {
    Proc p = spawn(state, respond_args(instance), "respond");
    std::unique_ptr<Journal> journal;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      int st = 0;
      if (::waitpid(p.pid, &st, WNOHANG) == p.pid) {
        EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << slurp(p.log);
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(p.pid, SIGKILL);
        wait_exit(p.pid);
        ADD_FAILURE() << "kill point never reached: " << slurp(p.log);
        return false;
      }
      if (!journal && fs::exists(state / "journal.db")) {
        auto j = Journal::open(state / "journal.db", real_clock());
        if (j) journal = std::move(*j);
      }
      if (journal) {
        auto runs = journal->runs();
        if (runs && !runs->empty()) {
          *run_id = runs->front().id;
          auto recs = journal->steps(*run_id);
          if (recs && recs->size() >= steps) break;
        }
      }
      std::this_thread::sleep_for(2ms);
    }
    ::kill(p.pid, SIGKILL);
    EXPECT_EQ(wait_exit(p.pid), 128 + SIGKILL);
    return true;
  }

  // Every side effect of ec2-contain on `instance`, once; the journal complete.
  void expect_contained_once(const fs::path& state, const std::string& run_id,
                             const std::string& instance, const std::set<std::string>& steps) {
    auto& ec2 = api_->ec2();
    auto journal = Journal::open(state / "journal.db", real_clock()).value();
    const auto run = journal->run(run_id).value();
    EXPECT_EQ(run.state, RunState::kSucceeded) << run.error;
    std::set<std::string> got;
    const auto recs = journal->steps(run_id).value();
    for (const auto& s : recs) {
      got.insert(s.step_id);
      EXPECT_TRUE(is_complete(s.state)) << s.step_id << " " << to_string(s.state) << " " << s.error;
      if (s.state == StepState::kVerified) {
        EXPECT_FALSE(s.outputs.is_null()) << s.step_id;
      }
    }
    EXPECT_EQ(got, steps) << "every step the uninterrupted run journaled, and no other";

    // One snapshot per volume (the step finds its own by its FirebreakStep tag).
    const auto volumes =
        ec2.describe_volumes({.filters = {{"attachment.instance-id", {instance}}}}).value();
    ASSERT_EQ(volumes.size(), 2u);
    for (const auto& v : volumes) {
      auto snaps = ec2.describe_snapshots({.filters = {{"volume-id", {v.volume_id}}}}).value();
      EXPECT_EQ(snaps.size(), 1u) << v.volume_id;
    }
    // One isolation group in the VPC, and every ENI in it alone.
    const auto groups = ec2.describe_security_groups({}).value();
    int isolation = 0;
    for (const auto& g : groups) isolation += g.group_name.starts_with("firebreak-isolation");
    EXPECT_EQ(isolation, 1);
    auto inst = ec2.describe_instances({.ids = {instance}}).value();
    ASSERT_EQ(inst.size(), 1u);
    for (const auto& n : inst[0].network_interfaces) {
      auto eni = ec2.describe_network_interfaces({.ids = {n.network_interface_id}}).value();
      ASSERT_EQ(eni.at(0).groups.size(), 1u) << n.network_interface_id;
    }
    // The deny-all profile exists once and is the one associated, once.
    const auto assocs =
        ec2.describe_iam_instance_profile_associations({.filters = {{"instance-id", {instance}}}})
            .value();
    int associated = 0;
    for (const auto& a : assocs) {
      if (a.state != "associated") continue;
      ++associated;
      EXPECT_TRUE(a.iam_instance_profile_arn.ends_with("/firebreak-deny-all"))
          << a.iam_instance_profile_arn;
    }
    EXPECT_EQ(associated, 1);
    auto profile = api_->iam().get_instance_profile("firebreak-deny-all");
    ASSERT_TRUE(profile) << profile.error().describe();
    EXPECT_EQ(profile->roles.size(), 1u);
    // One session revocation policy on the role.
    int revocations = 0;
    const auto policies = api_->iam().list_role_policies("web-role").value();
    for (const auto& name : policies) {
      auto doc = api_->iam().get_role_policy("web-role", name).value();
      revocations += doc.find("aws:TokenIssueTime") != std::string::npos;
    }
    EXPECT_EQ(revocations, 1);
    // Tags: one Quarantine tag naming the run's incident, and the run.
    EXPECT_EQ(cloud::find_tag(inst[0].tags, "Quarantine"), run.incident_id);
    EXPECT_EQ(cloud::find_tag(inst[0].tags, "FirebreakRun"), run_id);
    // Drained, and the Elastic IP released.
    EXPECT_TRUE(api_->autoscaling().describe_auto_scaling_instances({instance}).value().empty());
    const auto addresses = ec2.describe_addresses({}).value();
    for (const auto& a : addresses) EXPECT_TRUE(a.association_id.empty());
    // Preserved.
    EXPECT_EQ(ec2.describe_instance_attribute(instance, "disableApiTermination").value(), "true");
  }

  testing::MotoServer* moto_ = nullptr;
  std::shared_ptr<cloud::aws::AwsProvider> provider_;
  std::shared_ptr<cloud::CloudSession> api_;
};

TEST_F(Kill9Moto, ec2_contain_survives_kill_9_at_points_spread_over_the_run) {
  testing::TempDir dir;

  // One uninterrupted run: what a complete journal holds, and how long the run takes.
  std::set<std::string> steps;
  {
    const std::string instance = fresh_instance();
    const fs::path state = dir / "baseline";
    const auto t0 = std::chrono::steady_clock::now();
    std::string out;
    ASSERT_EQ(run_cli(state, respond_args(instance), "respond", &out), 0) << out;
    const auto took = std::chrono::steady_clock::now() - t0;
    auto journal = Journal::open(state / "journal.db", real_clock()).value();
    const auto runs = journal->runs().value();
    ASSERT_EQ(runs.size(), 1u);
    const auto recs = journal->steps(runs[0].id).value();
    for (const auto& s : recs) steps.insert(s.step_id);
    journal.reset();
    expect_contained_once(state, runs[0].id, instance, steps);
    std::printf("uninterrupted run: %zu steps in %lld ms\n", steps.size(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  }
  ASSERT_GE(steps.size(), 10u);

  // Kill points: once the run exists (no step record yet), then after every third step record.
  std::vector<std::size_t> points = {0};
  for (std::size_t n = 2; n + 2 < steps.size(); n += 3) points.push_back(n);
  std::size_t killed = 0;
  for (std::size_t n : points) {
    SCOPED_TRACE("killed after " + std::to_string(n) + " step records");
    const std::string instance = fresh_instance();
    const fs::path state = dir / ("kill-" + std::to_string(n));
    std::string run_id;
    if (!respond_and_kill(state, instance, n, &run_id)) {
      std::printf("kill point %zu: the run finished before the signal\n", n);
      continue;
    }
    {
      auto journal = Journal::open(state / "journal.db", real_clock()).value();
      const auto run = journal->run(run_id).value();
      std::string where;
      const auto recs = journal->steps(run_id).value();
      for (const auto& r : recs) {
        if (!is_complete(r.state)) where += " " + r.step_id + "=" + std::string(to_string(r.state));
      }
      std::printf("kill point %zu: run %s, %zu step records, unfinished:%s\n", n,
                  std::string(to_string(run.state)).c_str(), recs.size(),
                  where.empty() ? " none" : where.c_str());
      if (is_terminal(run.state)) continue;  // journaled as finished just before the signal
      ++killed;
    }
    std::string out;
    ASSERT_EQ(run_cli(state, {"runs", "resume", run_id, "--json"}, "resume", &out), 0) << out;
    expect_contained_once(state, run_id, instance, steps);
    auto journal = Journal::open(state / "journal.db", real_clock()).value();
    bool resumed = false;
    const auto log = journal->log_entries(run_id).value();
    for (const auto& e : log) resumed |= e.message.starts_with("resumed by tester");
    EXPECT_TRUE(resumed) << "the journal says who continued the run";
    // The incident's evidence ledger is intact after the kill (its hash chain verifies).
    const std::string incident = journal->run(run_id).value().incident_id;
    ASSERT_EQ(run_cli(state, {"evidence", "verify", incident}, "verify", &out), 0) << out;
  }
  // Most points must have caught the run mid-flight, or this test proves nothing.
  EXPECT_GE(killed + 1, points.size());
}

}  // namespace
}  // namespace firebreak::respond::e2e
