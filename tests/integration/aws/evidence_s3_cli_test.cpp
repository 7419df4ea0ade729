// `firebreak evidence ... --evidence-store s3://BUCKET/PREFIX` end to end against moto_server:
// artifacts land locked and KMS-encrypted, verify and export read them back from S3, and
// misconfiguration fails closed with a usage error. Never a secret on stdout or stderr.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "firebreak/core/hash.h"
#include "moto_fixture.h"

using namespace firebreak;
using firebreak::testing::MotoTest;
namespace fs = std::filesystem;

namespace {

struct CmdResult {
  int status = -1;
  std::string out;
};

CmdResult run(const std::string& cmd) {
  CmdResult r;
  std::FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class EvidenceCliS3 : public MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string t = (fs::temp_directory_path() / "fb-evs3-cli-XXXXXX").string();
    dir_ = ::mkdtemp(t.data());
    ASSERT_TRUE(session().s3().create_bucket({"evidence-cli", "", true}));
    ASSERT_TRUE(session().s3().create_bucket({"no-lock", "", false}));
    ASSERT_TRUE(moto().boto3("print(c('kms').create_key()['KeyMetadata']['Arn'])", &key_)) << key_;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(dir_, ec))
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string env() {
    return "env -i PATH=/usr/bin:/bin HOME=/nonexistent USER=tester AWS_EC2_METADATA_DISABLED=true "
           "AWS_MAX_ATTEMPTS=2 AWS_ACCESS_KEY_ID=" +
           std::string(firebreak::testing::kTestAccessKey) +
           " AWS_SECRET_ACCESS_KEY=" + firebreak::testing::kTestSecret +
           " AWS_REGION=us-east-1 AWS_ENDPOINT_URL=" + moto().endpoint() +
           " FIREBREAK_EVIDENCE_DIR=" + (dir_ / "ev").string() + " ";
  }
  CmdResult firebreak(const std::string& args) {
    CmdResult r = run(env() + FIREBREAK_BINARY + " evidence " + args);
    EXPECT_EQ(r.out.find(firebreak::testing::kTestSecret), std::string::npos) << r.out;
    return r;
  }
  fs::path dir_;
  std::string key_;
};

}  // namespace

TEST_F(EvidenceCliS3, add_verify_show_export_through_an_object_lock_bucket) {
  const std::string store = "--evidence-store s3://evidence-cli/cases --evidence-kms-key " + key_;
  const fs::path file = dir_ / "memory.lime";
  const std::string data(200000, 'm');
  std::ofstream(file, std::ios::binary) << data;
  const std::string sha = to_hex(sha256(data));

  CmdResult r = firebreak("add inc-9 " + file.string() +
                          " --source-kind instance --source-id i-0abc " + store);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(sha), std::string::npos) << r.out;

  auto head = session().s3().head_object("evidence-cli", "cases/objects/" + sha);
  ASSERT_TRUE(head) << head.error().describe();
  EXPECT_EQ(head->lock.mode, "COMPLIANCE");
  EXPECT_EQ(head->server_side_encryption, "aws:kms");
  EXPECT_EQ(head->sse_kms_key_id, key_);
  EXPECT_FALSE(
      session().s3().delete_object("evidence-cli", "cases/objects/" + sha, head->version_id));

  r = firebreak("show inc-9 " + store);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("s3://evidence-cli/cases/ (Object Lock COMPLIANCE"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(sha), std::string::npos) << r.out;
  // The store's own writes are in the incident's ledger, each request with its outcome.
  EXPECT_NE(r.out.find("2 action_request  2 action_result"), std::string::npos) << r.out;

  r = firebreak("verify inc-9 " + store);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("1 verified of 1"), std::string::npos) << r.out;

  const fs::path bundle = dir_ / "bundle";
  r = firebreak("export inc-9 --out " + bundle.string() + " " + store);
  ASSERT_EQ(r.status, 0) << r.out;
  r = firebreak("verify " + bundle.string());
  EXPECT_EQ(r.status, 0) << r.out;

  // The local store of the same evidence dir does not have the artifact: verify says so.
  r = firebreak("verify inc-9");
  EXPECT_EQ(r.status, 1) << r.out;
}

TEST_F(EvidenceCliS3, misconfiguration_fails_closed) {
  const fs::path file = dir_ / "f.txt";
  std::ofstream(file) << "x";
  // No KMS key: refused before anything is written.
  CmdResult r =
      firebreak("add inc-9 " + file.string() + " --evidence-store s3://evidence-cli/cases");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--evidence-kms-key"), std::string::npos) << r.out;
  // Not an s3:// location, or a prefix that escapes.
  r = firebreak("add inc-9 " + file.string() + " --evidence-kms-key k --evidence-store /tmp/x");
  EXPECT_EQ(r.status, 2) << r.out;
  r = firebreak("add inc-9 " + file.string() +
                " --evidence-kms-key k --evidence-store s3://evidence-cli/../x");
  EXPECT_EQ(r.status, 2) << r.out;
  // S3-only settings with the local store.
  r = firebreak("add inc-9 " + file.string() + " --evidence-lock-mode GOVERNANCE");
  EXPECT_EQ(r.status, 2) << r.out;
  r = firebreak("add inc-9 " + file.string() +
                " --evidence-store s3://evidence-cli --evidence-kms-key k --evidence-lock-mode X");
  EXPECT_EQ(r.status, 2) << r.out;
  // A bucket without Object Lock is refused.
  r = firebreak("add inc-9 " + file.string() +
                " --evidence-store s3://no-lock --evidence-kms-key " + key_);
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_NE(r.out.find("does not have Object Lock enabled"), std::string::npos) << r.out;
  auto versions = session().s3().list_object_versions("no-lock");
  ASSERT_TRUE(versions);
  EXPECT_TRUE(versions->empty());
  // Environment variables work like the flags.
  r = run(env() + "FIREBREAK_EVIDENCE_STORE=s3://evidence-cli/env FIREBREAK_EVIDENCE_KMS_KEY=" +
          key_ + " FIREBREAK_EVIDENCE_LOCK_MODE=GOVERNANCE " + FIREBREAK_BINARY +
          " evidence add inc-9 " + file.string());
  ASSERT_EQ(r.status, 0) << r.out;
  auto head =
      session().s3().head_object("evidence-cli", "env/objects/" + to_hex(sha256(std::string("x"))));
  ASSERT_TRUE(head) << head.error().describe();
  EXPECT_EQ(head->lock.mode, "GOVERNANCE");
}
