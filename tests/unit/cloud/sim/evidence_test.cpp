// Evidence in the simulator: SSM memory capture to S3 (read back through S3 with its hash),
// capture refused by isolation or by the instance role, large objects without RAM, snapshots.
#include <gtest/gtest.h>

#include "firebreak/core/hash.h"
#include "fixture.h"
#include "testdata.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

CommandInvocation wait(Org& org, CloudSession& s, const std::string& cmd, const std::string& inst) {
  CommandInvocation inv;
  for (int i = 0; i < 200; ++i) {
    auto r = s.ssm().get_command_invocation(cmd, inst);
    EXPECT_TRUE(r) << r.error().describe();
    if (!r) break;
    inv = *r;
    if (inv.terminal()) break;
    org.world->advance(5s);
  }
  return inv;
}

TEST(MemoryCapture, artifact_lands_in_the_requested_bucket_with_its_hash) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->s3().create_bucket({"prod-ir-artifacts", {}, false}));
  auto info = s->ssm().describe_instance_information({org.instance});
  ASSERT_TRUE(info);
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ(info->front().ping_status, "Online");
  SendCommandRequest req;
  req.document_name = std::string(kMemoryCaptureDocument);
  req.instance_ids = {org.instance};
  req.output_s3_bucket = "prod-ir-artifacts";
  req.output_s3_key_prefix = "INC-5";
  auto cmd = s->ssm().send_command(req);
  ASSERT_TRUE(cmd) << cmd.error().describe();
  auto first = s->ssm().get_command_invocation(cmd->command_id, org.instance);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, "Pending");
  org.world->advance(2s);
  first = s->ssm().get_command_invocation(cmd->command_id, org.instance);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, "InProgress");
  auto inv = wait(org, *s, cmd->command_id, org.instance);
  ASSERT_EQ(inv.status, "Success") << inv.standard_error;
  auto out = parse_json(inv.standard_output);
  ASSERT_TRUE(out) << inv.standard_output;
  EXPECT_EQ((*out)["size"], 8u << 20);
  const std::string artifact = (*out)["artifact"];
  const std::string prefix = "s3://prod-ir-artifacts/";
  ASSERT_TRUE(artifact.starts_with(prefix));
  const std::string key = artifact.substr(prefix.size());
  EXPECT_TRUE(key.starts_with("INC-5/" + cmd->command_id + "/" + org.instance + "/"));
  Sha256Stream h;
  std::uint64_t n = 0;
  std::string head;
  auto obj =
      s->s3().get_object("prod-ir-artifacts", key, {}, [&](std::string_view chunk) -> Status {
        if (head.size() < 4) head.append(chunk.substr(0, 4));
        h.update(chunk);
        n += chunk.size();
        return {};
      });
  ASSERT_TRUE(obj) << obj.error().describe();
  EXPECT_EQ(n, 8u << 20);
  EXPECT_EQ(head.substr(0, 4), "EMiL") << "a LiME image";
  EXPECT_EQ(to_hex(h.finish()), (*out)["sha256"].get<std::string>());
  // The agent's upload is in CloudTrail as the instance role's call from the instance.
  ASSERT_TRUE(org.world->add_trail(
      {"t", kProd, "us-east-1", "prod-trail-bucket", "", true, false, true, true}));
}

TEST(MemoryCapture, fails_when_isolation_removed_the_path_to_s3) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->s3().create_bucket({"prod-ir-artifacts", {}, false}));
  auto iso = s->ec2().create_security_group({"isolation", "no egress", org.vpc, {}});
  ASSERT_TRUE(iso);
  IpPermission all;
  all.ip_protocol = "-1";
  all.ipv4_ranges = {"0.0.0.0/0"};
  ASSERT_TRUE(s->ec2().revoke_security_group_egress(*iso, {all}));
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {*iso}));
  auto info = s->ssm().describe_instance_information({org.instance});
  ASSERT_TRUE(info);
  ASSERT_EQ(info->size(), 1u);
  EXPECT_EQ(info->front().ping_status, "ConnectionLost");
  SendCommandRequest req;
  req.document_name = std::string(kMemoryCaptureDocument);
  req.instance_ids = {org.instance};
  req.output_s3_bucket = "prod-ir-artifacts";
  req.timeout_seconds = 300;
  auto cmd = s->ssm().send_command(req);
  ASSERT_TRUE(cmd);
  auto inv = wait(org, *s, cmd->command_id, org.instance);
  EXPECT_EQ(inv.status, "TimedOut");
}

TEST(MemoryCapture, evidence_egress_keeps_capture_possible) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->s3().create_bucket({"prod-ir-artifacts", {}, false}));
  auto iso =
      s->ec2().create_security_group({"isolation-evidence", "evidence egress only", org.vpc, {}});
  ASSERT_TRUE(iso);
  IpPermission all;
  all.ip_protocol = "-1";
  all.ipv4_ranges = {"0.0.0.0/0"};
  ASSERT_TRUE(s->ec2().revoke_security_group_egress(*iso, {all}));
  IpPermission https;
  https.ip_protocol = "tcp";
  https.from_port = 443;
  https.to_port = 443;
  https.ipv4_ranges = {"52.216.0.0/15", "52.94.0.0/16"};  // the simulated S3 and SSM endpoints
  ASSERT_TRUE(s->ec2().authorize_security_group_egress(*iso, {https}));
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {*iso}));
  SendCommandRequest req;
  req.document_name = std::string(kMemoryCaptureDocument);
  req.instance_ids = {org.instance};
  req.output_s3_bucket = "prod-ir-artifacts";
  auto cmd = s->ssm().send_command(req);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(wait(org, *s, cmd->command_id, org.instance).status, "Success");
}

TEST(MemoryCapture, fails_when_the_instance_role_may_not_write) {
  Org org;
  auto s = org.admin_session();
  ASSERT_TRUE(s->s3().create_bucket({"prod-ir-artifacts", {}, false}));
  ASSERT_TRUE(s->iam().put_role_policy(
      "app-role", "deny-s3",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]})"));
  SendCommandRequest req;
  req.document_name = std::string(kMemoryCaptureDocument);
  req.instance_ids = {org.instance};
  req.output_s3_bucket = "prod-ir-artifacts";
  auto cmd = s->ssm().send_command(req);
  ASSERT_TRUE(cmd);
  auto inv = wait(org, *s, cmd->command_id, org.instance);
  EXPECT_EQ(inv.status, "Failed");
  EXPECT_NE(inv.standard_error.find("AccessDenied"), std::string::npos) << inv.standard_error;
  auto puts = org.records_named(kProd, "PutObject");
  (void)puts;  // data events are recorded only when a trail selects them
}

TEST(RunShellScript, reports_live_connections) {
  Org org;
  ConnectionSpec shell;
  shell.instance_id = org.instance;
  shell.remote_ip = kAttackerIp;
  shell.remote_port = 4444;
  shell.label = "bash -i";
  ASSERT_TRUE(org.world->open_connection(shell));
  auto s = org.admin_session();
  SendCommandRequest req;
  req.document_name = "AWS-RunShellScript";
  req.instance_ids = {org.instance};
  req.parameters["commands"] = {"ss -tnp", "no-such-tool"};
  auto cmd = s->ssm().send_command(req);
  ASSERT_TRUE(cmd);
  auto inv = wait(org, *s, cmd->command_id, org.instance);
  EXPECT_EQ(inv.status, "Failed");
  EXPECT_EQ(inv.response_code, 127);
  EXPECT_NE(inv.standard_output.find(std::string(kAttackerIp) + ":4444"), std::string::npos);
  EXPECT_NE(inv.standard_error.find("no-such-tool: command not found"), std::string::npos);
}

TEST(LargeObjects, large_generated_object_copied_through_a_file_into_object_lock) {
  Org org;
  constexpr std::uint64_t kSize = 160ull << 20;  // above the in-memory limit
  BucketSpec src;
  src.name = "big-source";
  src.account = kProd;
  src.objects.push_back({"memory.lime", "", kSize});
  ASSERT_TRUE(org.world->add_bucket(src));
  auto s = org.admin_session();
  auto head = s->s3().head_object("big-source", "memory.lime");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->content_length, kSize);
  // Download to a file (constant memory), hashing on the way, as the evidence store does.
  firebreak::testing::TempDir dir;
  const auto path = dir / "memory.lime";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  Sha256Stream h;
  ASSERT_TRUE(
      s->s3().get_object("big-source", "memory.lime", {}, [&](std::string_view c) -> Status {
        h.update(c);
        std::fwrite(c.data(), 1, c.size(), f);
        return {};
      }));
  std::fclose(f);
  const auto digest = h.finish();
  ASSERT_TRUE(s->s3().create_bucket({"evidence-worm", {}, true}));
  f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  PutObjectRequest put;
  put.bucket = "evidence-worm";
  put.key = "INC-1/memory.lime";
  put.content_length = kSize;
  put.checksum_sha256 =
      base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 32));
  put.lock.mode = "COMPLIANCE";
  put.lock.retain_until = org.world->now() + std::chrono::hours(24 * 365);
  put.source = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
    return std::fread(buf, 1, cap, f);
  };
  auto v = s->s3().put_object(put);
  std::fclose(f);
  ASSERT_TRUE(v) << v.error().describe();
  Sha256Stream back;
  std::uint64_t n = 0;
  ASSERT_TRUE(s->s3().get_object("evidence-worm", "INC-1/memory.lime", {},
                                 [&](std::string_view c) -> Status {
                                   back.update(c);
                                   n += c.size();
                                   return {};
                                 }));
  EXPECT_EQ(n, kSize);
  EXPECT_EQ(to_hex(back.finish()), to_hex(digest));
  auto del = s->s3().delete_object("evidence-worm", "INC-1/memory.lime", v->version_id, true);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().context().aws_code, "AccessDenied");
}

TEST(LargeObjects, generated_bodies_have_stable_hashes_and_ranges) {
  Org org;
  BucketSpec src;
  src.name = "gen-source";
  src.account = kProd;
  src.objects.push_back({"a.bin", "", 3u << 20});
  ASSERT_TRUE(org.world->add_bucket(src));
  auto s = org.admin_session();
  std::string body;
  ASSERT_TRUE(s->s3().get_object("gen-source", "a.bin", {}, [&](std::string_view c) -> Status {
    body.append(c);
    return {};
  }));
  ASSERT_EQ(body.size(), 3u << 20);
  std::string again;
  ASSERT_TRUE(s->s3().get_object("gen-source", "a.bin", {}, [&](std::string_view c) -> Status {
    again.append(c);
    return {};
  }));
  EXPECT_EQ(sha256_hex(body), sha256_hex(again));
  // A byte-for-byte copy into another bucket is accepted and reads back identically.
  ASSERT_TRUE(s->s3().create_bucket({"gen-copy", {}, false}));
  PutObjectRequest put;
  put.bucket = "gen-copy";
  put.key = "copy.bin";
  put.content_length = body.size();
  std::size_t off = 0;
  put.source = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
    const std::size_t n = std::min(cap, body.size() - off);
    std::copy_n(body.data() + off, n, buf);
    off += n;
    return n;
  };
  const auto d = sha256(body);
  put.checksum_sha256 =
      base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), 32));
  ASSERT_TRUE(s->s3().put_object(put));
  std::string copy;
  ASSERT_TRUE(s->s3().get_object("gen-copy", "copy.bin", {}, [&](std::string_view c) -> Status {
    copy.append(c);
    return {};
  }));
  EXPECT_EQ(copy, body);
}

TEST(Snapshots, complete_after_time_proportional_to_size) {
  Org org;
  auto s = org.admin_session();
  auto vols = s->ec2().describe_volumes({{}, {{"attachment.instance-id", {org.instance}}}});
  ASSERT_TRUE(vols);
  auto snap = s->ec2().create_snapshot({vols->front().volume_id, "evidence", {}});
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->state, "pending");
  // 8 GiB: 30 s + 8 x 6 s = 78 s.
  org.world->advance(40s);
  auto d = s->ec2().describe_snapshots({{snap->snapshot_id}, {}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->front().state, "pending");
  EXPECT_NE(d->front().progress, "0%");
  org.world->advance(40s);
  d = s->ec2().describe_snapshots({{snap->snapshot_id}, {}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->front().state, "completed");
  EXPECT_EQ(d->front().progress, "100%");
}

TEST(Instances, termination_keeps_volumes_marked_not_to_be_deleted) {
  Org org;
  auto s = org.admin_session();
  auto inst = s->ec2().describe_instances({{org.instance}, {}});
  ASSERT_TRUE(inst);
  ModifyInstanceAttributeRequest req;
  req.instance_id = org.instance;
  req.block_device_mappings.push_back({inst->front().block_devices[0].device_name, false});
  ASSERT_TRUE(s->ec2().modify_instance_attribute(req));
  const auto vol = inst->front().block_devices[0].volume_id;
  ASSERT_TRUE(s->ec2().terminate_instances({org.instance}));
  org.world->advance(2min);
  auto v = s->ec2().describe_volumes({{vol}, {}});
  ASSERT_TRUE(v) << "the volume survives the instance";
  EXPECT_EQ(v->front().state, "available");
}

TEST(Instances, instance_initiated_shutdown_ignores_termination_protection) {
  Org org;
  auto s = org.admin_session();
  ModifyInstanceAttributeRequest prot;
  prot.instance_id = org.instance;
  prot.disable_api_termination = true;
  ASSERT_TRUE(s->ec2().modify_instance_attribute(prot));
  ModifyInstanceAttributeRequest beh;
  beh.instance_id = org.instance;
  beh.instance_initiated_shutdown_behavior = "terminate";
  ASSERT_TRUE(s->ec2().modify_instance_attribute(beh));
  ASSERT_TRUE(org.world->instance_initiated_shutdown(org.instance));
  org.world->advance(1min);
  auto d = s->ec2().describe_instances({{org.instance}, {}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->front().state, "terminated");
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
