#include "firebreak/evidence/verify.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "firebreak/core/hash.h"
#include "support.h"

namespace firebreak::evidence {
namespace {
namespace fs = std::filesystem;

// An incident with 6 records (one an artifact) and a checkpoint over the head.
struct Fixture {
  testing::TempDir tmp;
  SimClock clock{test::t0()};
  std::unique_ptr<EvidenceLocker> locker = test::make_locker(tmp / "ev", clock);
  fs::path dir = locker->incident_dir("inc-1");
  std::string artifact_sha;

  Fixture() {
    auto ledger = locker->ledger("inc-1").value();
    for (int i = 1; i <= 5; ++i) {
      if (i == 3) {
        auto info = test::put(locker->artifacts(), test::spec_for("inc-1", "disk.img"),
                              std::string(200000, 'd'));
        artifact_sha = info.sha256;
        EXPECT_TRUE(locker->record_artifact(info, "firebreak"));
      }
      clock.advance(std::chrono::seconds(1));
      EXPECT_TRUE(ledger->append(RecordInput{
          .actor = "responder", .kind = RecordKind::kObservation, .payload = {{"i", i}}}));
    }
    EXPECT_TRUE(ledger->checkpoint());
  }
  VerifyReport verify() { return locker->verify("inc-1").value(); }
  fs::path ledger_path() const { return dir / "ledger.log"; }
  std::vector<std::string> lines() const { return test::lines_of(test::slurp(ledger_path())); }
  void write_lines(const std::vector<std::string>& l) const {
    test::overwrite(ledger_path(), test::join_lines(l));
  }
};

void expect_first_broken(const VerifyReport& r, std::uint64_t line, std::string_view fragment) {
  ASSERT_FALSE(r.ok());
  const VerifyProblem* p = r.first_broken();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->line, line) << describe(r);
  EXPECT_NE(p->where.find(fmt::format("(line {})", line)), std::string::npos) << p->where;
  EXPECT_NE(p->what.find(fragment), std::string::npos) << describe(r);
}

TEST(EvidenceVerify, intact_incident_verifies) {
  Fixture f;
  auto r = f.verify();
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.records, 6u);
  EXPECT_EQ(r.signed_through, 6u);
  EXPECT_EQ(r.artifacts_verified, 1u);
  EXPECT_EQ(r.artifact_bytes, 200000u);
  EXPECT_NE(describe(r).find("VERIFIED"), std::string::npos);
}

TEST(EvidenceVerify, flipping_any_byte_of_any_record_is_caught_at_that_record) {
  Fixture f;
  const std::string original = test::slurp(f.ledger_path());
  const auto lines = f.lines();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    // Several positions per line: in the hash, in the seq, in the payload, the last byte.
    for (std::size_t pos : {std::size_t{0}, std::size_t{63}, std::size_t{70}, lines[i].size() / 2,
                            lines[i].size() - 1}) {
      test::flip_byte(f.ledger_path(), offset + pos);
      expect_first_broken(f.verify(), i + 1, "");
      test::overwrite(f.ledger_path(), original);
    }
    offset += lines[i].size() + 1;
  }
  EXPECT_TRUE(f.verify().ok());
}

TEST(EvidenceVerify, deleted_record_is_named) {
  Fixture f;
  auto l = f.lines();
  l.erase(l.begin() + 2);
  f.write_lines(l);
  expect_first_broken(f.verify(), 3, "sequence number 4 where 3 was expected");
}

TEST(EvidenceVerify, reordered_records_are_named) {
  Fixture f;
  auto l = f.lines();
  std::swap(l[3], l[4]);
  f.write_lines(l);
  expect_first_broken(f.verify(), 4, "sequence number 5 where 4 was expected");
}

TEST(EvidenceVerify, truncated_ledger_is_caught_by_the_checkpoint) {
  Fixture f;
  auto l = f.lines();
  l.resize(4);
  f.write_lines(l);
  auto r = f.verify();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(describe(r).find("records 5..6 are missing (truncated)"), std::string::npos)
      << describe(r);
}

TEST(EvidenceVerify, truncation_mid_line_is_named) {
  Fixture f;
  const std::string text = test::slurp(f.ledger_path());
  test::overwrite(f.ledger_path(), text.substr(0, text.size() - 20));
  expect_first_broken(f.verify(), 6, "incomplete final line");
}

TEST(EvidenceVerify, rewritten_chain_with_recomputed_hashes_is_caught_by_the_signature) {
  Fixture f;
  // An attacker edits record 2 and re-hashes everything after it: every hash and link holds.
  auto l = f.lines();
  std::vector<Record> recs;
  for (const auto& line : l) recs.push_back(parse_ledger_line(line).value());
  recs[1].payload["i"] = 99;
  std::string prev(kGenesisHash);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    auto body = canonical_body(recs[i].seq, prev, recs[i].time, recs[i].incident, recs[i].actor,
                               recs[i].kind, recs[i].payload)
                    .value();
    prev = body_hash(body);
    l[i] = prev + " " + body;
  }
  f.write_lines(l);
  expect_first_broken(f.verify(), 6, "the ledger was rewritten");
}

TEST(EvidenceVerify, swapped_public_key_fails_every_checkpoint) {
  Fixture f;
  auto other = SigningKey::generate().value();
  test::overwrite(fs::path(f.locker->signing_key_path().string() + ".pub"),
                  other.public_key().pem());
  auto fresh = test::make_locker(f.tmp / "ev", f.clock);
  auto r = fresh->verify("inc-1").value();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].where.find("checkpoint line 1"), std::string::npos);
  EXPECT_NE(r.problems[0].what.find("signed by key"), std::string::npos);
}

TEST(EvidenceVerify, forged_signature_is_caught) {
  Fixture f;
  const fs::path cp = f.dir / "checkpoints.log";
  std::string text = test::slurp(cp);
  auto j = parse_json(text).value();
  std::string sig = base64_decode(j["sig"].get<std::string>()).value();
  sig[10] ^= 1;
  j["sig"] = base64_encode(sig);
  test::overwrite(cp, canonical_json(j) + "\n");
  auto r = f.verify();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].what.find("does not verify"), std::string::npos) << describe(r);
}

TEST(EvidenceVerify, flipped_artifact_byte_is_named) {
  Fixture f;
  auto store = dynamic_cast<LocalWormStore*>(&f.locker->artifacts());
  ASSERT_NE(store, nullptr);
  test::flip_byte(store->object_path(f.artifact_sha).value(), 123456);
  auto r = f.verify();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.problems[0].where.find("artifact " + f.artifact_sha + " (record 3)"),
            std::string::npos)
      << describe(r);
  EXPECT_NE(r.problems[0].what.find("corrupt"), std::string::npos);
}

TEST(EvidenceVerify, unsigned_tail_is_a_note_live_and_a_problem_when_required) {
  Fixture f;
  auto ledger = f.locker->ledger("inc-1").value();
  ASSERT_TRUE(ledger->append(RecordInput{.actor = "x", .kind = RecordKind::kNote}));
  auto live = f.verify();
  EXPECT_TRUE(live.ok()) << describe(live);
  ASSERT_EQ(live.notes.size(), 1u);
  EXPECT_NE(live.notes[0].find("records 7..7"), std::string::npos);
  auto strict = f.locker->verify("inc-1", VerifyOptions{.require_signed_head = true}).value();
  EXPECT_FALSE(strict.ok());
}

TEST(EvidenceVerify, records_from_another_incident_are_refused) {
  Fixture f;
  auto other = f.locker->ledger("inc-2").value();
  ASSERT_TRUE(other->append(RecordInput{.actor = "x", .kind = RecordKind::kNote}));
  auto l = f.lines();
  auto foreign = test::lines_of(test::slurp(f.locker->incident_dir("inc-2") / "ledger.log"));
  l[0] = foreign[0];
  f.write_lines(l);
  expect_first_broken(f.verify(), 1, "belongs to incident \"inc-2\"");
}

TEST(EvidenceVerify, garbage_never_crashes_and_is_reported) {
  using namespace std::string_literals;
  for (const std::string& text :
       {""s, "\n"s, "x\n"s, "{}\n"s, std::string(64, 'a') + " {}\n", "\xff\xfe\n"s}) {
    auto r = verify_ledger_text(text, "garbage\n", "inc-1", nullptr);
    (void)describe(r);
    (void)to_json(r);
  }
  auto r = verify_ledger_text("not a record\n", "", "inc-1", nullptr);
  expect_first_broken(r, 1, "malformed line");
}

}  // namespace
}  // namespace firebreak::evidence
