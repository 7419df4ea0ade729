#include "firebreak/evidence/ledger.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <set>
#include <thread>

#include "firebreak/core/hash.h"
#include "support.h"

namespace firebreak::evidence {
namespace {
namespace fs = std::filesystem;

RecordInput note(std::string text) {
  return RecordInput{.actor = "tester", .kind = RecordKind::kNote, .payload = {{"text", text}}};
}

VerifyReport verify_dir(const fs::path& dir, std::string_view incident, const PublicKey* key) {
  return verify_ledger_files(dir / "ledger.log", dir / "checkpoints.log", incident, key, {},
                             VerifyOptions{})
      .value();
}

TEST(Ledger, appends_chain_and_reopen_continues) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  {
    auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
    auto a = ledger->append(note("one")).value();
    clock.advance(std::chrono::seconds(1));
    auto b = ledger->append(note("two")).value();
    EXPECT_EQ(a.seq, 1u);
    EXPECT_EQ(b.seq, 2u);
    EXPECT_EQ(ledger->head().hash, b.hash);
  }
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  EXPECT_EQ(ledger->head().seq, 2u);
  EXPECT_EQ(ledger->append(note("three")).value().seq, 3u);
  const auto lines = test::lines_of(test::slurp(tmp / "inc" / "ledger.log"));
  ASSERT_EQ(lines.size(), 3u);
  auto r2 = parse_ledger_line(lines[1]).value();
  auto r3 = parse_ledger_line(lines[2]).value();
  EXPECT_EQ(r3.prev, r2.hash);
  EXPECT_EQ(r2.time, test::t0() + std::chrono::seconds(1));
  auto report = verify_dir(tmp / "inc", "inc-1", nullptr);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, 3u);
}

TEST(Ledger, rejected_input_does_not_disturb_the_chain) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  auto bad = ledger->append(RecordInput{.actor = "", .kind = RecordKind::kNote});
  EXPECT_FALSE(bad);
  std::vector<RecordInput> batch;
  batch.push_back(note("ok"));
  batch.push_back(RecordInput{.actor = "x", .kind = RecordKind::kNote, .payload = Json::array()});
  EXPECT_FALSE(ledger->append_batch(std::move(batch)));  // all or nothing per call
  EXPECT_EQ(ledger->append(note("fine")).value().seq, 1u);
}

TEST(Ledger, concurrent_appenders_serialise_into_one_chain) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  constexpr int kThreads = 8, kEach = 100;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::uint64_t> seqs;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto a = ledger->append(note(std::to_string(t) + "/" + std::to_string(i)));
        ASSERT_TRUE(a);
        std::lock_guard lk(mu);
        EXPECT_TRUE(seqs.insert(a->seq).second);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*seqs.rbegin(), static_cast<std::uint64_t>(kThreads * kEach));
  auto report = verify_dir(tmp / "inc", "inc-1", nullptr);
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.records, static_cast<std::uint64_t>(kThreads * kEach));
}

TEST(Ledger, appenders_in_several_processes_serialise_into_one_chain) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  // The parent holds a ledger open too, and appends after the children: it must pick up theirs.
  auto parent = Ledger::open(tmp / "inc", "inc-1", clock).value();
  ASSERT_TRUE(parent->append(note("parent first")));
  constexpr int kProcs = 4, kEach = 50;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto child = Ledger::open(tmp / "inc", "inc-1", clock);
      if (!child) ::_exit(2);
      for (int i = 0; i < kEach; ++i) {
        if (!(*child)->append(note("child"))) ::_exit(3);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto last = parent->append(note("parent last")).value();
  EXPECT_EQ(last.seq, static_cast<std::uint64_t>(kProcs * kEach + 2));
  auto report = verify_dir(tmp / "inc", "inc-1", nullptr);
  EXPECT_TRUE(report.ok()) << describe(report);
}

TEST(Ledger, torn_tail_from_a_crash_leaves_a_verifiable_prefix_and_is_repaired) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  {
    auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ledger->append(note("n")));
  }
  // A crash in the middle of write(): part of a fourth line, no LF.
  const std::string full = test::slurp(tmp / "inc" / "ledger.log");
  const auto lines = test::lines_of(full);
  {
    std::ofstream f(tmp / "inc" / "ledger.log", std::ios::app | std::ios::binary);
    f << lines[2].substr(0, 70);
  }
  auto torn = verify_dir(tmp / "inc", "inc-1", nullptr);
  EXPECT_FALSE(torn.ok());
  EXPECT_EQ(torn.records, 3u);  // the prefix verifies
  ASSERT_NE(torn.first_broken(), nullptr);
  EXPECT_EQ(torn.first_broken()->line, 4u);
  EXPECT_NE(torn.first_broken()->what.find("incomplete final line"), std::string::npos);

  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  EXPECT_EQ(ledger->head().seq, 4u);  // the repair is itself recorded
  auto repaired = verify_dir(tmp / "inc", "inc-1", nullptr);
  EXPECT_TRUE(repaired.ok()) << describe(repaired);
  const auto after = test::lines_of(test::slurp(tmp / "inc" / "ledger.log"));
  auto note_rec = parse_ledger_line(after[3]).value();
  EXPECT_EQ(note_rec.payload["event"], "torn_tail_removed");
  EXPECT_EQ(note_rec.payload["bytes"], 70);
}

TEST(Ledger, refuses_to_append_after_the_file_was_truncated_behind_its_back) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ledger->append(note("n")));
  fs::resize_file(tmp / "inc" / "ledger.log", 10);
  auto a = ledger->append(note("more"));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::kFailedPrecondition);
}

TEST(Ledger, checkpoint_signs_the_head_and_is_idempotent) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto key = std::make_shared<const SigningKey>(SigningKey::generate().value());
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock, key).value();
  EXPECT_EQ(ledger->checkpoint().error().code(), ErrorCode::kFailedPrecondition);  // empty
  ASSERT_TRUE(ledger->append(note("a")));
  auto head = ledger->append(note("b")).value();
  auto cp = ledger->checkpoint().value();
  EXPECT_EQ(cp.seq, 2u);
  EXPECT_EQ(cp.head, head.hash);
  EXPECT_TRUE(key->public_key().verify(checkpoint_statement(cp), cp.signature));
  auto again = ledger->checkpoint().value();
  EXPECT_EQ(again.signature, cp.signature);
  EXPECT_EQ(test::lines_of(test::slurp(ledger->checkpoints_path())).size(), 1u);
  ASSERT_TRUE(ledger->append(note("c")));
  EXPECT_EQ(ledger->checkpoint().value().seq, 3u);
  auto report = verify_dir(tmp / "inc", "inc-1", &key->public_key());
  EXPECT_TRUE(report.ok()) << describe(report);
  EXPECT_EQ(report.checkpoints_valid, 2u);
  EXPECT_EQ(report.signed_through, 3u);
}

TEST(Ledger, checkpoint_without_key_fails_clearly) {
  testing::TempDir tmp;
  SimClock clock(test::t0());
  auto ledger = Ledger::open(tmp / "inc", "inc-1", clock).value();
  ASSERT_TRUE(ledger->append(note("a")));
  auto cp = ledger->checkpoint();
  ASSERT_FALSE(cp);
  EXPECT_NE(cp.error().message().find("no signing key"), std::string::npos);
}

TEST(SigningKey, created_on_first_use_with_owner_only_private_key) {
  testing::TempDir tmp;
  const fs::path path = tmp / "keys" / "k.pem";
  auto key = SigningKey::load_or_create(path).value();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = SigningKey::load_or_create(path).value();
  EXPECT_EQ(again.fingerprint(), key.fingerprint());
  auto pub = PublicKey::load(fs::path(path.string() + ".pub")).value();
  EXPECT_EQ(pub.fingerprint(), key.fingerprint());
  auto sig = key.sign("hello").value();
  EXPECT_TRUE(pub.verify("hello", sig));
  EXPECT_FALSE(pub.verify("hellO", sig));
}

TEST(SigningKey, operator_key_readable_by_others_is_refused) {
  testing::TempDir tmp;
  const fs::path path = tmp / "k.pem";
  auto key = SigningKey::generate().value();
  ASSERT_TRUE(write_file_atomic(path, key.private_pem().value(),
                                fs::perms::owner_read | fs::perms::others_read));
  auto loaded = SigningKey::load(path);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), ErrorCode::kPermissionDenied);
  fs::permissions(path, fs::perms::owner_read);
  EXPECT_EQ(SigningKey::load(path).value().fingerprint(), key.fingerprint());
  EXPECT_EQ(SigningKey::load(tmp / "missing.pem").error().code(), ErrorCode::kNotFound);
}

TEST(SigningKey, fingerprint_is_sha256_of_der_public_key) {
  auto key = SigningKey::generate().value();
  // PEM body is base64 of the DER SubjectPublicKeyInfo.
  std::string pem = key.public_key().pem();
  std::string b64;
  for (const auto& line : test::lines_of(pem)) {
    if (line.rfind("-----", 0) != 0) b64 += line;
  }
  EXPECT_EQ(sha256_hex(base64_decode(b64).value()), key.fingerprint());
}

}  // namespace
}  // namespace firebreak::evidence
