// Connection tracking as AWS documents it, and THE test: a single swap to an empty group leaves an
// established reverse shell alive; the two-step swap (all-open group, then isolation) kills it.
#include <gtest/gtest.h>

#include "fixture.h"

namespace firebreak::cloud::sim::testing {
namespace {

using namespace std::chrono_literals;

IpPermission all_traffic() {
  IpPermission p;
  p.ip_protocol = "-1";
  p.ipv4_ranges = {"0.0.0.0/0"};
  return p;
}

// Creates the two containment groups through the seam, as a playbook does.
struct Groups {
  std::string open, isolation;
};
Groups make_groups(CloudSession& s, const std::string& vpc) {
  Groups g;
  g.open = *s.ec2().create_security_group({"firebreak-open", "step 1: all open", vpc, {}});
  EXPECT_TRUE(s.ec2().authorize_security_group_ingress(g.open, {all_traffic()}));
  g.isolation = *s.ec2().create_security_group({"firebreak-isolation", "step 2: nothing", vpc, {}});
  EXPECT_TRUE(s.ec2().revoke_security_group_egress(g.isolation, {all_traffic()}));
  return g;
}

std::string reverse_shell(Org& org) {
  ConnectionSpec spec;
  spec.instance_id = org.instance;
  spec.remote_ip = kAttackerIp;
  spec.remote_port = 4444;
  spec.direction = Direction::kOutbound;
  spec.label = "reverse-shell";
  spec.keepalive = 30s;
  return Org::must(org.world->open_connection(spec));
}

TEST(ConnectionTracking, single_swap_to_empty_group_leaves_reverse_shell_alive) {
  Org org;
  const auto shell = reverse_shell(org);
  // Web group: 443 in from anywhere, all out: the shell's responses come back on an ephemeral
  // port no rule opens to the world, so the flow is tracked.
  EXPECT_TRUE(org.world->connection(shell).tracked);
  auto s = org.admin_session();
  auto groups = make_groups(*s, org.vpc);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.isolation}));
  org.world->advance(10min);
  const auto st = org.world->connection(shell);
  EXPECT_TRUE(st.alive) << st.end_reason;
  EXPECT_TRUE(org.world->exchange(shell, 4096, 512)) << "the tracked shell still passes traffic";
  // A new connection is refused by the isolation group.
  ConnectionSpec again;
  again.instance_id = org.instance;
  again.remote_ip = kAttackerIp;
  again.remote_port = 4445;
  EXPECT_FALSE(org.world->open_connection(again));
}

TEST(ConnectionTracking, two_step_swap_kills_reverse_shell) {
  Org org;
  const auto shell = reverse_shell(org);
  auto s = org.admin_session();
  auto groups = make_groups(*s, org.vpc);
  const auto eni = org.primary_eni();
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(eni, {groups.open}));
  auto st = org.world->connection(shell);
  EXPECT_TRUE(st.alive);
  EXPECT_FALSE(st.tracked) << "all-open groups make the flow untracked";
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(eni, {groups.isolation}));
  st = org.world->connection(shell);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.end_reason, "security-group");
  EXPECT_FALSE(org.world->exchange(shell, 10, 10));
}

// IPv6 flows are untracked only while ::/0 is open both ways: an "all-open" group that opens
// 0.0.0.0/0 alone leaves an IPv6 reverse shell tracked, so the two-step swap does not cut it.
struct V6 {
  std::string vpc, instance, eni;
};
V6 ipv6_instance(Org& org) {
  V6 v;
  v.vpc = Org::must(org.world->add_vpc(kProd, "us-east-1", "10.1.0.0/16", false, "v6-vpc",
                                       "2600:1f18:1234:5600::/56"));
  const auto subnet = Org::must(org.world->add_subnet(v.vpc, "10.1.1.0/24", "us-east-1a", "v6-a",
                                                      "2600:1f18:1234:5601::/64"));
  IpPermission https;
  https.ip_protocol = "tcp";
  https.from_port = 443;
  https.to_port = 443;
  https.ipv4_ranges = {"0.0.0.0/0"};
  https.ipv6_ranges = {"::/0"};
  IpPermission out = all_traffic();
  out.ipv6_ranges = {"::/0"};
  const auto sg =
      Org::must(org.world->add_security_group(v.vpc, "web6-sg", "web", {https}, {{out}}));
  InstanceSpec spec;
  spec.name = "web6-1";
  spec.account = kProd;
  spec.region = "us-east-1";
  spec.subnet_id = subnet;
  spec.security_group_ids = {sg};
  v.instance = Org::must(org.world->add_instance(spec));
  auto s = org.admin_session();
  auto inst = s->ec2().describe_instances({{v.instance}, {}});
  if (inst && !inst->empty()) v.eni = inst->front().network_interfaces.at(0).network_interface_id;
  return v;
}

std::string ipv6_shell(Org& org, const V6& v) {
  ConnectionSpec spec;
  spec.instance_id = v.instance;
  spec.remote_ip = "2001:db8:bad::23";
  spec.remote_port = 4444;
  spec.label = "reverse-shell-v6";
  return Org::must(org.world->open_connection(spec));
}

TEST(ConnectionTracking, ipv4_only_open_group_leaves_an_ipv6_shell_tracked) {
  Org org;
  const auto v = ipv6_instance(org);
  ASSERT_FALSE(v.eni.empty());
  const auto shell = ipv6_shell(org, v);
  EXPECT_TRUE(org.world->connection(shell).tracked);
  auto s = org.admin_session();
  auto groups = make_groups(*s, v.vpc);  // opens 0.0.0.0/0 only
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(v.eni, {groups.open}));
  EXPECT_TRUE(org.world->connection(shell).tracked) << "::/0 is not open: still tracked";
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(v.eni, {groups.isolation}));
  const auto st = org.world->connection(shell);
  EXPECT_TRUE(st.alive) << st.end_reason;
  EXPECT_TRUE(org.world->exchange(shell, 100, 100));
}

TEST(ConnectionTracking, two_step_swap_with_ipv6_open_kills_an_ipv6_shell) {
  Org org;
  const auto v = ipv6_instance(org);
  ASSERT_FALSE(v.eni.empty());
  const auto shell = ipv6_shell(org, v);
  auto s = org.admin_session();
  auto groups = make_groups(*s, v.vpc);
  IpPermission all6;
  all6.ip_protocol = "-1";
  all6.ipv6_ranges = {"::/0"};
  ASSERT_TRUE(s->ec2().authorize_security_group_ingress(groups.open, {all6}));
  ASSERT_TRUE(s->ec2().authorize_security_group_egress(groups.open, {all6}));
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(v.eni, {groups.open}));
  EXPECT_FALSE(org.world->connection(shell).tracked);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(v.eni, {groups.isolation}));
  const auto st = org.world->connection(shell);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.end_reason, "security-group");
}

TEST(ConnectionTracking, icmp_is_always_tracked) {
  Org org;
  auto s = org.admin_session();
  auto groups = make_groups(*s, org.vpc);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.open}));
  ConnectionSpec ping;
  ping.instance_id = org.instance;
  ping.remote_ip = kAttackerIp;
  ping.protocol = "icmp";
  ping.remote_port = 0;
  const auto c = Org::must(org.world->open_connection(ping));
  EXPECT_TRUE(org.world->connection(c).tracked);
}

TEST(ConnectionTracking, tracked_flow_survives_revocation_then_ends_after_idle_timeout) {
  Org org;
  auto s = org.admin_session();
  ConnectionSpec spec;
  spec.instance_id = org.instance;
  spec.remote_ip = kAttackerIp;
  spec.remote_port = 4444;
  spec.keepalive = Duration::zero();  // the shell goes quiet
  const auto c = Org::must(org.world->open_connection(spec));
  auto groups = make_groups(*s, org.vpc);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.isolation}));
  org.world->advance(24h);
  EXPECT_TRUE(org.world->exchange(c, 10, 10)) << "TCP established: 5 days idle timeout";
  org.world->advance(std::chrono::hours(5 * 24) + 1min);
  EXPECT_FALSE(org.world->exchange(c, 10, 10));
  EXPECT_EQ(org.world->connection(c).end_reason, "idle-timeout");
}

TEST(ConnectionTracking, untracked_flow_drops_when_its_rule_is_revoked) {
  Org org;
  auto s = org.admin_session();
  IpPermission ssh;
  ssh.ip_protocol = "tcp";
  ssh.from_port = 22;
  ssh.to_port = 22;
  ssh.ipv4_ranges = {"0.0.0.0/0"};
  ASSERT_TRUE(s->ec2().authorize_security_group_ingress(org.web_sg, {ssh}));
  ConnectionSpec spec;
  spec.instance_id = org.instance;
  spec.remote_ip = "203.0.113.9";
  spec.remote_port = 51000;
  spec.local_port = 22;
  spec.direction = Direction::kInbound;
  const auto c = Org::must(org.world->open_connection(spec));
  // SSH from 0.0.0.0/0 with all egress to 0.0.0.0/0 is untracked (AWS's own example) ...
  EXPECT_FALSE(org.world->connection(c).tracked);
  // ... so removing the rule drops it at once.
  ASSERT_TRUE(s->ec2().revoke_security_group_ingress(org.web_sg, {ssh}));
  EXPECT_FALSE(org.world->connection(c).alive);
  EXPECT_EQ(org.world->connection(c).end_reason, "security-group");
}

TEST(ConnectionTracking, tracked_flow_survives_rule_revocation) {
  Org org;
  auto s = org.admin_session();
  IpPermission ssh;
  ssh.ip_protocol = "tcp";
  ssh.from_port = 22;
  ssh.to_port = 22;
  ssh.ipv4_ranges = {"192.0.2.0/24"};  // not the whole world: tracked
  ASSERT_TRUE(s->ec2().authorize_security_group_ingress(org.web_sg, {ssh}));
  ConnectionSpec spec;
  spec.instance_id = org.instance;
  spec.remote_ip = "192.0.2.77";
  spec.remote_port = 51000;
  spec.local_port = 22;
  spec.direction = Direction::kInbound;
  const auto c = Org::must(org.world->open_connection(spec));
  EXPECT_TRUE(org.world->connection(c).tracked);
  ASSERT_TRUE(s->ec2().revoke_security_group_ingress(org.web_sg, {ssh}));
  EXPECT_TRUE(org.world->connection(c).alive);
  EXPECT_TRUE(org.world->exchange(c, 100, 100));
}

TEST(ConnectionTracking, network_acl_deny_cuts_at_once) {
  Org org;
  const auto shell = reverse_shell(org);
  auto s = org.admin_session();
  auto acls = s->ec2().describe_network_acls({{}, {{"vpc-id", {org.vpc}}}});
  ASSERT_TRUE(acls);
  NetworkAclEntry deny;
  deny.rule_number = 1;
  deny.protocol = "-1";
  deny.rule_action = "deny";
  deny.egress = true;
  deny.cidr_block = "198.51.100.0/24";
  ASSERT_TRUE(s->ec2().create_network_acl_entry(acls->front().network_acl_id, deny));
  const auto st = org.world->connection(shell);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.end_reason, "network-acl");
}

TEST(ConnectionTracking, idle_timeout_ends_a_tracked_udp_flow_once_rules_forbid_it) {
  Org org;
  ConnectionSpec spec;
  spec.instance_id = org.instance;
  spec.remote_ip = "203.0.113.53";
  spec.remote_port = 53;
  spec.protocol = "udp";
  spec.keepalive = Duration::zero();
  const auto c = Org::must(org.world->open_connection(spec));
  EXPECT_TRUE(org.world->connection(c).tracked);
  auto s = org.admin_session();
  auto groups = make_groups(*s, org.vpc);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.isolation}));
  EXPECT_TRUE(org.world->connection(c).alive) << "still inside the 30 s UDP timeout";
  org.world->advance(2min);
  const auto st = org.world->connection(c);
  EXPECT_FALSE(st.alive);
  EXPECT_EQ(st.end_reason, "idle-timeout");
}

TEST(ConnectionTracking, stopping_the_instance_ends_connections) {
  Org org;
  const auto shell = reverse_shell(org);
  auto s = org.admin_session();
  ASSERT_TRUE(s->ec2().stop_instances({org.instance}, false));
  EXPECT_FALSE(org.world->connection(shell).alive);
  EXPECT_EQ(org.world->connection(shell).end_reason, "instance-stopped");
}

class CollectFiles final : public LogSink {
 public:
  void on_file(const DeliveredFile& f) override { files.push_back(f); }
  std::vector<DeliveredFile> files;
};

TEST(FlowLogs, accept_while_connected_then_reject_after_isolation) {
  Org org;
  Org::must(org.world->add_flow_log(org.vpc, "prod-flow-logs"));
  auto sink = std::make_shared<CollectFiles>();
  org.world->add_sink(sink);
  const auto shell = reverse_shell(org);
  org.world->advance(3min);
  auto s = org.admin_session();
  auto groups = make_groups(*s, org.vpc);
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.open}));
  ASSERT_TRUE(s->ec2().modify_network_interface_groups(org.primary_eni(), {groups.isolation}));
  EXPECT_FALSE(org.world->connection(shell).alive);
  org.world->advance(20min);
  org.world->flush_logs();
  std::string text;
  for (const auto& f : sink->files) {
    if (f.kind != "vpcflowlogs") continue;
    EXPECT_EQ(f.bucket, "prod-flow-logs");
    EXPECT_TRUE(
        f.key.starts_with(std::string("AWSLogs/") + kProd + "/vpcflowlogs/us-east-1/2024/06/01/"))
        << f.key;
    EXPECT_TRUE(f.key.ends_with(".log.gz"));
    text += gunzip(f.bytes);
  }
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(
      text.starts_with("version account-id interface-id srcaddr dstaddr srcport dstport "
                       "protocol packets bytes start end action log-status\n"));
  const std::string eni = org.primary_eni();
  // Outbound keep-alives to the attacker were accepted ...
  EXPECT_NE(text.find(eni + " 10.0.1."), std::string::npos);
  EXPECT_NE(text.find(std::string(kAttackerIp) + " "), std::string::npos);
  EXPECT_NE(text.find(" 4444 6 "), std::string::npos);
  EXPECT_NE(text.find(" ACCEPT OK"), std::string::npos);
  // ... and once the untracked flow was cut, the attacker's packets were rejected.
  const auto reject = text.find(std::string("2 ") + kProd + " " + eni + " " + kAttackerIp + " ");
  ASSERT_NE(reject, std::string::npos);
  const auto line_end = text.find('\n', reject);
  const auto line = text.substr(reject, line_end - reject);
  EXPECT_TRUE(line.ends_with("ACCEPT OK") || line.ends_with("REJECT OK"));
  EXPECT_NE(text.find(" REJECT OK"), std::string::npos);
}

}  // namespace
}  // namespace firebreak::cloud::sim::testing
