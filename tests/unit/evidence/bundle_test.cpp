#include "firebreak/evidence/bundle.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "support.h"

namespace firebreak::evidence {
namespace {
namespace fs = std::filesystem;

struct Exported {
  testing::TempDir tmp;
  SimClock clock{test::t0()};
  std::unique_ptr<EvidenceLocker> locker = test::make_locker(tmp / "ev", clock);
  fs::path bundle = tmp / "bundle";
  std::vector<std::string> shas;

  explicit Exported(bool include_artifacts = true) {
    auto ledger = locker->ledger("inc-7").value();
    EXPECT_TRUE(
        ledger->append(RecordInput{.actor = "detector",
                                   .kind = RecordKind::kObservation,
                                   .payload = {{"finding", "CryptoCurrency:EC2/BitcoinTool.B"},
                                               {"note", "pipe | and <b>html</b>"}}}));
    for (const char* name : {"memory.lime", "../../etc/passwd"}) {
      clock.advance(std::chrono::minutes(1));
      auto info = test::put(locker->artifacts(), test::spec_for("inc-7", name),
                            std::string("capture of ") + name);
      shas.push_back(info.sha256);
      EXPECT_TRUE(locker->record_artifact(info, "firebreak"));
    }
    EXPECT_TRUE(ledger->append(RecordInput{
        .actor = "ana", .kind = RecordKind::kApproval, .payload = {{"approved", true}}}));
    auto r = export_bundle(*locker, "inc-7", bundle,
                           ExportOptions{.include_artifacts = include_artifacts});
    EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  }
};

// The ```sh block under "With sha256sum and openssl alone" in custody-report.md.
std::string documented_commands(const fs::path& bundle) {
  const std::string md = test::slurp(bundle / "custody-report.md");
  const auto section = md.find("### With sha256sum and openssl alone");
  EXPECT_NE(section, std::string::npos);
  const auto start = md.find("```sh\n", section);
  const auto end = md.find("```\n", start + 6);
  return md.substr(start + 6, end - start - 6);
}

struct Shell {
  int status;
  std::string output;
};

// Runs the documented commands with sh inside the bundle.
Shell run_documented(const fs::path& bundle) {
  const fs::path script = bundle.parent_path() / "verify.sh";
  test::overwrite(script, documented_commands(bundle));
  const std::string cmd = "cd '" + bundle.string() + "' && sh '" + script.string() + "' 2>&1";
  Shell out{};
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.output.append(buf, n);
  const int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
  return out;
}

TEST(EvidenceBundle, export_writes_a_self_contained_bundle_that_verifies) {
  Exported e;
  for (const char* f : {"bundle.json", "ledger.log", "checkpoints.log", "checkpoint.txt",
                        "checkpoint.sig", "public_key.pem", "artifacts/SHA256SUMS",
                        "artifacts/manifest.json", "custody-report.md", "custody-report.html"}) {
    EXPECT_TRUE(fs::exists(e.bundle / f)) << f;
  }
  for (const auto& sha : e.shas) EXPECT_TRUE(fs::exists(e.bundle / "artifacts" / sha));
  auto r = verify_bundle(e.bundle).value();
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.signed_through, 4u);
  EXPECT_EQ(r.artifacts_verified, 2u);
  // The outside name stayed metadata; nothing escaped the bundle.
  EXPECT_FALSE(fs::exists(e.tmp / "etc"));
  const std::string md = test::slurp(e.bundle / "custody-report.md");
  EXPECT_NE(md.find("pipe \\| and &lt;b&gt;html&lt;/b&gt;"), std::string::npos);
  const std::string html = test::slurp(e.bundle / "custody-report.html");
  EXPECT_EQ(html.find("<b>html</b>"), std::string::npos);
  EXPECT_NE(html.find(e.locker->signing_key().value()->fingerprint()), std::string::npos);
  // No temporary directory left beside it.
  for (const auto& entry : fs::directory_iterator(e.tmp.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".bundle.tmp"), std::string::npos);
  }
}

TEST(EvidenceBundle, export_refuses_an_existing_directory_and_unknown_incident) {
  Exported e;
  EXPECT_EQ(export_bundle(*e.locker, "inc-7", e.bundle).error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(export_bundle(*e.locker, "nope", e.tmp / "b2").error().code(), ErrorCode::kNotFound);
}

TEST(EvidenceBundle, documented_shell_commands_verify_an_exported_bundle) {
  Exported e;
  auto sh = run_documented(e.bundle);
  EXPECT_EQ(sh.status, 0) << sh.output;
  EXPECT_NE(sh.output.find("Signature Verified Successfully"), std::string::npos) << sh.output;
  EXPECT_NE(sh.output.find("artifacts OK: 2"), std::string::npos) << sh.output;
  EXPECT_NE(sh.output.find(e.locker->signing_key().value()->fingerprint()), std::string::npos);
  EXPECT_NE(sh.output.find("bundle VERIFIED"), std::string::npos);
}

TEST(EvidenceBundle, flipped_record_byte_fails_both_verifiers_at_that_record) {
  Exported e;
  const auto lines = test::lines_of(test::slurp(e.bundle / "ledger.log"));
  test::flip_byte(e.bundle / "ledger.log", lines[0].size() + 1 + lines[1].size() / 2);
  auto r = verify_bundle(e.bundle).value();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.first_broken()->line, 2u) << describe(r);
  auto sh = run_documented(e.bundle);
  EXPECT_NE(sh.status, 0);
  EXPECT_NE(sh.output.find("record 2: hash mismatch"), std::string::npos) << sh.output;
}

TEST(EvidenceBundle, flipped_artifact_byte_fails_both_verifiers) {
  Exported e;
  test::flip_byte(e.bundle / "artifacts" / e.shas[1], 3);
  auto r = verify_bundle(e.bundle).value();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(describe(r).find("artifact " + e.shas[1]), std::string::npos) << describe(r);
  auto sh = run_documented(e.bundle);
  EXPECT_NE(sh.status, 0);
  EXPECT_NE(sh.output.find("FAILED"), std::string::npos) << sh.output;
}

TEST(EvidenceBundle, deleted_or_reordered_records_fail_both_verifiers) {
  for (int mode = 0; mode < 3; ++mode) {
    Exported e;
    auto lines = test::lines_of(test::slurp(e.bundle / "ledger.log"));
    if (mode == 0) lines.erase(lines.begin() + 1);
    if (mode == 1) std::swap(lines[1], lines[2]);
    if (mode == 2) lines.pop_back();  // truncation
    test::overwrite(e.bundle / "ledger.log", test::join_lines(lines));
    auto r = verify_bundle(e.bundle).value();
    ASSERT_FALSE(r.ok()) << mode;
    if (mode < 2) {
      EXPECT_EQ(r.first_broken()->line, 2u) << describe(r);
    }
    if (mode == 2) {
      EXPECT_NE(describe(r).find("missing (truncated)"), std::string::npos);
    }
    auto sh = run_documented(e.bundle);
    EXPECT_NE(sh.status, 0) << mode << sh.output;
  }
}

TEST(EvidenceBundle, swapped_public_key_fails_both_verifiers) {
  Exported e;
  auto other = SigningKey::generate().value();
  test::overwrite(e.bundle / "public_key.pem", other.public_key().pem());
  auto r = verify_bundle(e.bundle).value();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(describe(r).find("signed by key"), std::string::npos) << describe(r);
  auto sh = run_documented(e.bundle);
  EXPECT_NE(sh.status, 0);
  EXPECT_NE(sh.output.find("Signature Verification Failure"), std::string::npos) << sh.output;
}

TEST(EvidenceBundle, fully_resigned_forgery_is_caught_by_the_pinned_fingerprint) {
  Exported e;
  const std::string real_fp = e.locker->signing_key().value()->fingerprint();
  // The forger replaces the key and re-signs the checkpoint consistently.
  auto forger = SigningKey::generate().value();
  Checkpoint cp =
      parse_checkpoint_line(test::lines_of(test::slurp(e.bundle / "checkpoints.log")).back())
          .value();
  cp.key = forger.fingerprint();
  cp.signature = forger.sign(checkpoint_statement(cp)).value();
  test::overwrite(e.bundle / "checkpoints.log", checkpoint_line(cp));
  test::overwrite(e.bundle / "checkpoint.txt", checkpoint_statement(cp));
  test::overwrite(e.bundle / "checkpoint.sig", cp.signature);
  test::overwrite(e.bundle / "public_key.pem", forger.public_key().pem());
  auto manifest = parse_json(test::slurp(e.bundle / "bundle.json")).value();
  manifest["key_fingerprint"] = forger.fingerprint();
  test::overwrite(e.bundle / "bundle.json", dump_json(manifest));
  EXPECT_TRUE(verify_bundle(e.bundle).value().ok());  // self-consistent...
  auto pinned = verify_bundle(e.bundle, VerifyOptions{.expected_key = real_fp}).value();
  ASSERT_FALSE(pinned.ok());  // ...but not signed by the custodian's key
  EXPECT_EQ(pinned.problems[0].where, "public key");
}

TEST(EvidenceBundle, hostile_artifact_listing_cannot_reach_outside_the_bundle) {
  Exported e;
  std::string sums = test::slurp(e.bundle / "artifacts" / "SHA256SUMS");
  sums += "../../../../etc/passwd  ../../../../etc/passwd\n";
  test::overwrite(e.bundle / "artifacts" / "SHA256SUMS", sums);
  test::overwrite(e.bundle / "artifacts" / "extra", "smuggled");
  auto r = verify_bundle(e.bundle).value();
  ASSERT_FALSE(r.ok());
  const std::string d = describe(r);
  EXPECT_NE(d.find("expected \"<sha256>  <sha256>\""), std::string::npos) << d;
  EXPECT_NE(d.find("not an artifact recorded in the ledger"), std::string::npos) << d;
}

TEST(EvidenceBundle, bundle_without_artifact_content_still_verifies_the_chain) {
  Exported e(/*include_artifacts=*/false);
  auto r = verify_bundle(e.bundle).value();
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_FALSE(r.artifacts_checked);
  auto sh = run_documented(e.bundle);
  EXPECT_EQ(sh.status, 0) << sh.output;
}

TEST(EvidenceBundle, manifest_parser_rejects_bad_input) {
  EXPECT_FALSE(parse_bundle_manifest("{}"));
  EXPECT_FALSE(parse_bundle_manifest("[1]"));
  EXPECT_FALSE(parse_bundle_manifest(R"({"format":"other/1"})"));
  EXPECT_FALSE(parse_bundle_manifest(std::string(100000, '[')));
}

}  // namespace
}  // namespace firebreak::evidence
