// Every Stratus Red Team detonation log (a JSON array of CloudTrail records) reads completely.
// Expected figures were established with Python's json module over the same files (count, records
// with an errorCode, and the first record's id, name, time, account and region), not by recording
// this reader's output.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "firebreak/event/parallel.h"
#include "firebreak/event/reader.h"
#include "testdata.h"

namespace firebreak::event {
namespace {

struct Expected {
  const char* file;
  std::size_t count;
  std::size_t with_error_code;
  const char* first_id;
  const char* first_name;
  const char* first_time;
  const char* first_account;
  const char* first_region;
};

const Expected kStratus[] = {
    {"aws.credential-access.ec2-get-password-data.json", 34, 32,
     "450230d4-b39e-4a18-a6a0-d07a6e2105cb", "GetPasswordData", "2024-07-30T21:31:21Z",
     "457448411975", "apiso-northsouth-3r"},
    {"aws.credential-access.ec2-steal-instance-credentials.json", 45, 0,
     "2a5178c8-b4c7-44ba-b066-1ecc79b7087c", "SendCommand", "2024-08-02T08:23:24Z", "017622104382",
     "us-north-2r"},
    {"aws.credential-access.secretsmanager-batch-retrieve-secrets.json", 5, 0,
     "61619dbf-c10b-471e-9d78-8199a2f8233a", "BatchGetSecretValue", "2024-07-31T12:29:17Z",
     "165109126369", "eu-westwest-1r"},
    {"aws.credential-access.secretsmanager-retrieve-secrets.json", 21, 0,
     "b9c3d881-1e77-426c-abd3-5ca20d903380", "GetSecretValue", "2024-07-31T12:36:52Z",
     "903144391865", "cn-centraleast-1r"},
    {"aws.credential-access.ssm-retrieve-securestring-parameters.json", 10, 0,
     "3c83144c-614c-4979-ad06-b29d4db97c45", "DescribeParameters", "2024-08-01T15:26:57Z",
     "933175858973", "cn-west-3r"},
    {"aws.defense-evasion.cloudtrail-delete.json", 1, 0, "ee73c230-44bc-4492-8542-cfb189eae287",
     "DeleteTrail", "2024-07-31T12:46:41Z", "847129010505", "megov-westwest-1r"},
    {"aws.defense-evasion.cloudtrail-event-selectors.json", 1, 0,
     "c2a89408-340a-42f0-8ace-75d9f5769393", "PutEventSelectors", "2024-07-31T12:50:02Z",
     "958312252124", "cn-northsouth-2r"},
    {"aws.defense-evasion.cloudtrail-stop.json", 1, 0, "10163ed2-2253-469d-a5ee-cbc6651f8934",
     "StopLogging", "2024-07-31T13:06:24Z", "143434273843", "apiso-centralnorth-2r"},
    {"aws.defense-evasion.dns-delete-logs.json", 1, 0, "ba4609ca-b420-4cb6-bdff-307729b3b7db",
     "DeleteResolverQueryLogConfig", "2024-07-31T14:23:46Z", "206821776919", "sa-central-3r"},
    {"aws.defense-evasion.organizations-leave.json", 3, 1, "099bfd30-232c-4dff-9998-3821921063ca",
     "AssumeRole", "2024-08-02T08:30:00Z", "307578594326", "euiso-south-3r"},
    {"aws.defense-evasion.vpc-remove-flow-logs.json", 1, 0, "ded2f5af-f3a5-46d2-a170-a23206a32c36",
     "DeleteFlowLogs", "2024-07-31T15:07:49Z", "498376118699", "megov-south-1r"},
    {"aws.discovery.ec2-download-user-data.json", 19, 17, "4839af5e-7b6a-4353-a5ef-41febc9a9fa8",
     "DescribeInstanceAttribute", "2024-07-31T19:52:37Z", "321848314756", "apiso-westcentral-3r"},
    {"aws.execution.ec2-launch-unusual-instances.json", 3, 1,
     "1a4debbb-12e9-4bde-b8c7-ea29002bb2a7", "RunInstances", "2024-08-01T11:30:23Z", "900138736586",
     "ca-south-3r"},
    {"aws.execution.ec2-user-data.json", 35, 0, "759fa0d5-d7d6-4de3-97f0-c469d1a0f92c",
     "DescribeInstances", "2024-08-01T12:04:24Z", "309303190113", "ca-northsouth-2r"},
    {"aws.execution.ssm-send-command.json", 56, 0, "4723aee9-d1e5-4e32-b48c-0ec39a6d84ea",
     "DescribeInstanceInformation", "2024-08-02T09:08:27Z", "056392974792", "sagov-westsouth-1r"},
    {"aws.execution.ssm-start-session.json", 29, 0, "ab04bb55-b6d5-492b-8697-9d11867c6c43",
     "DescribeInstanceInformation", "2024-08-01T12:19:16Z", "294599468799", "me-northwest-3r"},
    {"aws.exfiltration.ec2-security-group-open-port-22-ingress.json", 1, 0,
     "9fd68588-ecbf-4528-a345-199fa6bb0821", "AuthorizeSecurityGroupIngress",
     "2024-08-01T12:23:55Z", "032092706103", "us-northeast-1r"},
    {"aws.exfiltration.ec2-share-ami.json", 1, 0, "1f00bcfa-e050-4c2e-b99b-768ebe3a3dd3",
     "ModifyImageAttribute", "2024-08-01T12:25:57Z", "118238665043", "me-south-1r"},
    {"aws.exfiltration.ec2-share-ebs-snapshot.json", 1, 0, "6897ff63-d738-445c-9e86-43e5b1f8e12f",
     "ModifySnapshotAttribute", "2024-08-01T12:28:02Z", "756680937392", "me-central-3r"},
    {"aws.exfiltration.rds-share-snapshot.json", 1, 0, "fef2bf02-bbea-4d0f-a91c-e6ccfe3fba46",
     "ModifyDBSnapshotAttribute", "2024-08-01T12:38:06Z", "171471557522", "meiso-eastwest-2r"},
    {"aws.impact.bedrock-invoke-model.json", 15, 0, "4031b2d2-5e47-4d71-9eda-4f22702c45f3",
     "PutFoundationModelEntitlement", "2024-10-17T20:09:52Z", "494659789341", "megov-northeast-1r"},
    {"aws.initial-access.console-login-without-mfa.json", 1, 0,
     "865d9377-9c6b-4fd7-8aad-725e95f6a140", "ConsoleLogin", "2024-08-02T08:53:24Z", "562283505220",
     "eu-west-2r"},
    {"aws.lateral-movement.ec2-instance-connect.json", 3, 0, "0968cbec-f8df-43f3-94ba-b451aad083ed",
     "SendSSHPublicKey", "2024-08-01T13:24:47Z", "572910899909", "eu-south-1r"},
    {"aws.lateral-movement.ec2-serial-console-send-ssh-public-key.json", 4, 0,
     "37ba412b-f943-44f2-ae48-4527f6e789d9", "EnableSerialConsoleAccess", "2024-11-26T15:35:22Z",
     "844015365555", "cniso-east-3r"},
    {"aws.persistence.iam-backdoor-role.json", 1, 0, "62e290e2-ee95-4a7c-a9f8-db4ef462b12d",
     "UpdateAssumeRolePolicy", "2024-08-01T13:29:57Z", "751203476945", "ca-isob-northsouth-1r"},
    {"aws.persistence.iam-backdoor-user.json", 1, 0, "c64c4ded-ef03-4e5c-81eb-153b118d72f2",
     "CreateAccessKey", "2024-07-30T21:53:13Z", "946986569305", "ap-central-2r"},
    {"aws.persistence.iam-create-admin-user.json", 3, 0, "083dc4ad-e264-46bc-a407-d0dd31b58bdc",
     "AttachUserPolicy", "2024-08-01T13:33:28Z", "229654561268", "ap-isob-central-3r"},
    {"aws.persistence.iam-create-backdoor-role.json", 2, 0, "39480357-0a1d-4531-a3f2-71be4c041c25",
     "AttachRolePolicy", "2024-08-01T13:37:41Z", "609418236337", "sagov-west-2r"},
    {"aws.persistence.iam-create-user-login-profile.json", 3, 1,
     "e544d47e-6d75-45cf-a8a9-7e90d5f7d38d", "GetCallerIdentity", "2024-08-01T13:42:21Z",
     "070411556318", "ap-central-2r"},
    {"aws.persistence.lambda-backdoor-function.json", 1, 0, "b67a9bba-d9da-4980-bf74-baed881b117d",
     "AddPermission20150331v2", "2024-08-01T13:47:16Z", "880896431042", "ca-centralnorth-1r"},
    {"aws.persistence.lambda-layer-extension.json", 1, 0, "da929d96-8e20-475c-a810-973addd64769",
     "UpdateFunctionConfiguration20150331v2", "2024-07-30T21:57:20Z", "712967571683",
     "eugov-eastcentral-1r"},
    {"aws.persistence.lambda-overwrite-code.json", 1, 0, "4672b74f-2466-4784-b3fb-5b4db904a995",
     "UpdateFunctionCode20150331v2", "2024-08-01T13:52:02Z", "266106314375", "ap-westeast-2r"},
    {"aws.persistence.rolesanywhere-create-trust-anchor.json", 2, 0,
     "66e5f252-e092-4ad0-9a33-a03595e05aca", "CreateTrustAnchor", "2024-08-01T13:56:39Z",
     "791182566784", "cn-northsouth-3r"},
    {"aws.persistence.sts-federation-token.json", 2, 0, "6e882b9d-2af8-4c67-b91f-aeac6a0e5e70",
     "GetFederationToken", "2024-11-30T08:43:17Z", "742491224508", "ap-isob-east-1r"},
    {"aws.privilege-escalation.iam-update-user-login-profile.json", 1, 0,
     "a46a1a42-9ef1-48d4-9c61-507eb6d4019f", "UpdateLoginProfile", "2024-08-28T09:54:40Z",
     "763751499319", "megov-southcentral-3r"},
};

struct Gather final : EventSink {
  std::vector<std::string> ids, names, times, accounts, regions;
  std::size_t with_error_code = 0;
  std::vector<std::string> errors;
  std::vector<std::uint64_t> indexes;
  void on_event(const Event& e) override {
    EXPECT_EQ(e.source(), SourceKind::kCloudTrail);
    ids.emplace_back(e.id());
    names.emplace_back(e.name());
    times.push_back(format_iso8601(e.time()));
    accounts.emplace_back(e.account());
    regions.emplace_back(e.region());
    indexes.push_back(e.ref().index);
    if (auto code = e.get_string("errorCode"); code && !code->empty()) ++with_error_code;
    EXPECT_FALSE(e.service().empty());
    EXPECT_TRUE(e.get("userIdentity.type")) << e.ref().describe();
  }
  void on_error(const Error& e) override { errors.push_back(e.describe()); }
};

std::filesystem::path stratus_dir() {
  return testing::external_testdata() / "stratus" / "docs" / "detonation-logs";
}

TEST(StratusConformance, every_detonation_log_reads_with_the_expected_counts_and_fields) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  std::size_t files = 0;
  for (const auto& x : kStratus) {
    SCOPED_TRACE(x.file);
    Reader reader;
    Gather g;
    const auto s = reader.read_file(stratus_dir() / x.file, g);
    ++files;
    EXPECT_TRUE(g.errors.empty()) << g.errors.front();
    EXPECT_EQ(s.events, x.count);
    EXPECT_EQ(s.skipped, 0u);
    ASSERT_EQ(g.ids.size(), x.count);
    EXPECT_EQ(g.with_error_code, x.with_error_code);
    EXPECT_EQ(g.ids[0], x.first_id);
    EXPECT_EQ(g.names[0], x.first_name);
    EXPECT_EQ(g.times[0], x.first_time);
    EXPECT_EQ(g.accounts[0], x.first_account);
    EXPECT_EQ(g.regions[0], x.first_region);
    for (std::size_t i = 0; i < g.indexes.size(); ++i) EXPECT_EQ(g.indexes[i], i);
    EXPECT_EQ(std::set<std::string>(g.ids.begin(), g.ids.end()).size(), x.count)
        << "event ids repeat";
  }
  EXPECT_EQ(files, 35u);
}

TEST(StratusConformance, the_whole_directory_reads_in_parallel_to_the_same_total) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  std::size_t expected = 0;
  for (const auto& x : kStratus) expected += x.count;
  auto result = read_parallel({stratus_dir()}, {}, {.threads = 2},
                              [](std::size_t) { return std::make_unique<Gather>(); });
  EXPECT_EQ(result.summary.files, 35u);
  EXPECT_EQ(result.summary.events, expected);
  EXPECT_EQ(result.summary.skipped + result.summary.failed_files, 0u);
}

// The same bytes through the splitting path (as if the documents were over the size limit) give
// the same records.
TEST(StratusConformance, the_record_splitter_agrees_with_the_whole_document_parse) {
  FIREBREAK_REQUIRE_EXTERNAL_TESTDATA();
  for (const auto& x : kStratus) {
    SCOPED_TRACE(x.file);
    Reader whole;
    Reader split({.max_document_bytes = 256});
    Gather a, b;
    whole.read_file(stratus_dir() / x.file, a);
    split.read_file(stratus_dir() / x.file, b);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.names, b.names);
    EXPECT_TRUE(b.errors.empty()) << b.errors.front();
  }
}

}  // namespace
}  // namespace firebreak::event
