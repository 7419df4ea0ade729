// Conformance: EC2 network containment (ENIs, security groups, network ACLs, Elastic IPs,
// instance profile associations).
#include <algorithm>

#include "helpers.h"

namespace firebreak::testing {

using namespace std::chrono_literals;

namespace {

cloud::IpPermission tcp(int from, int to, std::string cidr) {
  cloud::IpPermission p;
  p.ip_protocol = "tcp";
  p.from_port = from;
  p.to_port = to;
  p.ipv4_ranges = {std::move(cidr)};
  return p;
}

cloud::IpPermission all_traffic(std::string cidr) {
  cloud::IpPermission p;
  p.ip_protocol = "-1";
  p.ipv4_ranges = {std::move(cidr)};
  return p;
}

}  // namespace

TEST_P(CloudConformance, network_interfaces_by_instance_and_group_swap) {
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto enis = ec2.describe_network_interfaces({{}, {{"attachment.instance-id", {id}}}});
  ASSERT_OK(enis);
  ASSERT_EQ(enis->size(), 1u);
  const auto eni = enis->front().network_interface_id;
  EXPECT_EQ(enis->front().attachment_instance_id, id);

  auto open =
      ec2.create_security_group({"firebreak-open", "all open (step 1)", world().vpc_id(), {}});
  ASSERT_OK(open);
  auto isolation =
      ec2.create_security_group({"firebreak-isolation", "isolation", world().vpc_id(), {}});
  ASSERT_OK(isolation);
  ASSERT_OK(ec2.modify_network_interface_groups(eni, {*open}));
  ASSERT_OK(ec2.modify_network_interface_groups(eni, {*isolation}));
  auto after = ec2.describe_network_interfaces({{eni}, {}});
  ASSERT_OK(after);
  ASSERT_EQ(after->front().groups.size(), 1u);
  EXPECT_EQ(after->front().groups[0].group_id, *isolation);
}

TEST_P(CloudConformance, modify_network_interface_not_found) {
  auto& ec2 = session().ec2();
  auto sg = ec2.create_security_group({"g1", "d", world().vpc_id(), {}});
  ASSERT_OK(sg);
  EXPECT_AWS_ERROR(ec2.modify_network_interface_groups(kMissingEni, {*sg}),
                   "InvalidNetworkInterfaceID.NotFound");
  EXPECT_AWS_ERROR(ec2.describe_network_interfaces({{kMissingEni}, {}}),
                   "InvalidNetworkInterfaceID.NotFound");
}

TEST_P(CloudConformance, modify_network_interface_refuses_unknown_group) {
  SKIP_UNLESS(strict_validation, "moto accepts groups that do not exist");
  auto& ec2 = session().ec2();
  const auto id = launch(*this, world(), session());
  auto enis = ec2.describe_network_interfaces({{}, {{"attachment.instance-id", {id}}}});
  ASSERT_OK(enis);
  EXPECT_AWS_ERROR(
      ec2.modify_network_interface_groups(enis->front().network_interface_id, {kMissingGroup}),
      "InvalidGroup.NotFound");
}

TEST_P(CloudConformance, security_group_lifecycle) {
  auto& ec2 = session().ec2();
  auto id = ec2.create_security_group({"isolation", "firebreak isolation", world().vpc_id(), {}});
  ASSERT_OK(id);
  auto groups = ec2.describe_security_groups({{*id}, {}});
  ASSERT_OK(groups);
  ASSERT_EQ(groups->size(), 1u);
  const auto& g = groups->front();
  EXPECT_EQ(g.group_name, "isolation");
  EXPECT_EQ(g.vpc_id, world().vpc_id());
  EXPECT_TRUE(g.ingress.empty());
  // A new group allows all IPv4 egress, as in AWS.
  ASSERT_EQ(g.egress.size(), 1u);
  EXPECT_EQ(g.egress[0].ip_protocol, "-1");
  EXPECT_EQ(g.egress[0].ipv4_ranges, std::vector<std::string>{"0.0.0.0/0"});
  ASSERT_OK(ec2.revoke_security_group_egress(*id, {all_traffic("0.0.0.0/0")}));
  ASSERT_OK(ec2.authorize_security_group_egress(*id, {tcp(443, 443, "10.0.0.0/8")}));
  ASSERT_OK(ec2.authorize_security_group_ingress(*id, {tcp(22, 22, "192.0.2.0/24")}));
  groups = ec2.describe_security_groups({{*id}, {}});
  ASSERT_OK(groups);
  ASSERT_EQ(groups->front().egress.size(), 1u);
  EXPECT_EQ(groups->front().egress[0].from_port, 443);
  ASSERT_EQ(groups->front().ingress.size(), 1u);
  EXPECT_EQ(groups->front().ingress[0].ipv4_ranges, std::vector<std::string>{"192.0.2.0/24"});
  auto by_name = ec2.describe_security_groups({{}, {{"group-name", {"isolation"}}}});
  ASSERT_OK(by_name);
  EXPECT_EQ(by_name->size(), 1u);
  ASSERT_OK(ec2.delete_security_group(*id));
  EXPECT_AWS_ERROR(ec2.describe_security_groups({{*id}, {}}), "InvalidGroup.NotFound");
}

TEST_P(CloudConformance, security_group_refusals) {
  auto& ec2 = session().ec2();
  auto id = ec2.create_security_group({"dup", "d", world().vpc_id(), {}});
  ASSERT_OK(id);
  EXPECT_AWS_ERROR(ec2.create_security_group({"dup", "d", world().vpc_id(), {}}),
                   "InvalidGroup.Duplicate");
  ASSERT_OK(ec2.authorize_security_group_ingress(*id, {tcp(22, 22, "192.0.2.0/24")}));
  EXPECT_AWS_ERROR(ec2.authorize_security_group_ingress(*id, {tcp(22, 22, "192.0.2.0/24")}),
                   "InvalidPermission.Duplicate");
  EXPECT_AWS_ERROR(ec2.revoke_security_group_ingress(*id, {tcp(80, 80, "192.0.2.0/24")}),
                   "InvalidPermission.NotFound");
  EXPECT_AWS_ERROR(
      ec2.authorize_security_group_ingress(kMissingGroup, {tcp(22, 22, "192.0.2.0/24")}),
      "InvalidGroup.NotFound");
  EXPECT_AWS_ERROR(ec2.delete_security_group(kMissingGroup), "InvalidGroup.NotFound");
}

TEST_P(CloudConformance, security_group_in_use_cannot_be_deleted) {
  SKIP_UNLESS(strict_validation, "moto deletes groups that interfaces still use");
  auto& ec2 = session().ec2();
  const auto inst = launch(*this, world(), session());
  auto sg = ec2.create_security_group({"in-use", "d", world().vpc_id(), {}});
  ASSERT_OK(sg);
  auto enis = ec2.describe_network_interfaces({{}, {{"attachment.instance-id", {inst}}}});
  ASSERT_OK(enis);
  ASSERT_OK(ec2.modify_network_interface_groups(enis->front().network_interface_id, {*sg}));
  EXPECT_AWS_ERROR(ec2.delete_security_group(*sg), "DependencyViolation");
}

TEST_P(CloudConformance, network_acl_entries) {
  auto& ec2 = session().ec2();
  auto acls = ec2.describe_network_acls({{}, {{"vpc-id", {world().vpc_id()}}}});
  ASSERT_OK(acls);
  ASSERT_FALSE(acls->empty());
  const auto acl = acls->front().network_acl_id;
  cloud::NetworkAclEntry deny;
  deny.rule_number = 10;
  deny.protocol = "-1";
  deny.rule_action = "deny";
  deny.cidr_block = "0.0.0.0/0";
  ASSERT_OK(ec2.create_network_acl_entry(acl, deny));
  deny.egress = true;
  ASSERT_OK(ec2.create_network_acl_entry(acl, deny));
  acls = ec2.describe_network_acls({{acl}, {}});
  ASSERT_OK(acls);
  const auto& entries = acls->front().entries;
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const auto& e) {
    return e.rule_number == 10 && !e.egress && e.rule_action == "deny";
  }));
  EXPECT_AWS_ERROR(ec2.create_network_acl_entry(acl, deny), "NetworkAclEntryAlreadyExists");
  ASSERT_OK(ec2.delete_network_acl_entry(acl, 10, true));
  ASSERT_OK(ec2.delete_network_acl_entry(acl, 10, false));
  SKIP_UNLESS(exact_error_codes, "moto answers a missing ACL with InvalidRouteTableID.NotFound");
  EXPECT_AWS_ERROR(ec2.describe_network_acls({{"acl-0fffffffffffffff1"}, {}}),
                   "InvalidNetworkAclID.NotFound");
}

TEST_P(CloudConformance, network_acl_delete_missing_entry_refused) {
  SKIP_UNLESS(strict_validation, "moto answers 500 for an entry that does not exist");
  auto acls = session().ec2().describe_network_acls({{}, {{"vpc-id", {world().vpc_id()}}}});
  ASSERT_OK(acls);
  EXPECT_AWS_ERROR(session().ec2().delete_network_acl_entry(acls->front().network_acl_id, 7, false),
                   "InvalidNetworkAclEntry.NotFound");
}

TEST_P(CloudConformance, elastic_ip_disassociation) {
  auto& ec2 = session().ec2();
  auto addrs = ec2.describe_addresses({});
  ASSERT_OK(addrs);
  EXPECT_AWS_ERROR(ec2.disassociate_address("eipassoc-0fffffffffffffff1"),
                   "InvalidAssociationID.NotFound");
  EXPECT_AWS_ERROR(
      ec2.associate_address("eipalloc-0fffffffffffffff1", launch(*this, world(), session())),
      "InvalidAllocationID.NotFound");
}

TEST_P(CloudConformance, instance_profile_association_replace_and_disassociate) {
  auto& ec2 = session().ec2();
  auto& iam = session().iam();
  const std::string trust =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  ASSERT_OK(iam.create_role("app-role", trust, {}));
  ASSERT_OK(iam.create_instance_profile("app-profile"));
  ASSERT_OK(iam.add_role_to_instance_profile("app-profile", "app-role"));
  ASSERT_OK(iam.create_role("deny-all-role", trust, {}));
  ASSERT_OK(iam.put_role_policy(
      "deny-all-role", "deny-all",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]})"));
  ASSERT_OK(iam.create_instance_profile("deny-all"));
  ASSERT_OK(iam.add_role_to_instance_profile("deny-all", "deny-all-role"));
  const auto inst = launch(*this, world(), session());
  auto assoc = ec2.associate_iam_instance_profile(inst, "app-profile");
  ASSERT_OK(assoc);
  world().let_time_pass(10s);
  auto listed = ec2.describe_iam_instance_profile_associations({{}, {{"instance-id", {inst}}}});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_NE(listed->front().iam_instance_profile_arn.find("app-profile"), std::string::npos);
  auto replaced =
      ec2.replace_iam_instance_profile_association(listed->front().association_id, "deny-all");
  ASSERT_OK(replaced);
  EXPECT_NE(replaced->iam_instance_profile_arn.find("deny-all"), std::string::npos);
  world().let_time_pass(10s);
  listed = ec2.describe_iam_instance_profile_associations({{}, {{"instance-id", {inst}}}});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_NE(listed->front().iam_instance_profile_arn.find("deny-all"), std::string::npos);
  ASSERT_OK(ec2.disassociate_iam_instance_profile(listed->front().association_id));
  world().let_time_pass(10s);
  listed = ec2.describe_iam_instance_profile_associations({{}, {{"instance-id", {inst}}}});
  ASSERT_OK(listed);
  EXPECT_TRUE(std::none_of(listed->begin(), listed->end(),
                           [](const auto& a) { return a.state == "associated"; }));
}

TEST_P(CloudConformance, instance_profile_association_refusals) {
  SKIP_UNLESS(strict_validation, "moto lists nothing for unknown association ids");
  auto& ec2 = session().ec2();
  EXPECT_AWS_ERROR(
      ec2.describe_iam_instance_profile_associations({{"iip-assoc-0fffffffffffffff1"}, {}}),
      "InvalidAssociationID.NotFound");
  EXPECT_AWS_ERROR(ec2.disassociate_iam_instance_profile("iip-assoc-0fffffffffffffff1"),
                   "InvalidAssociationID.NotFound");
  const auto inst = launch(*this, world(), session());
  EXPECT_AWS_ERROR(ec2.associate_iam_instance_profile(inst, "no-such-profile"),
                   "InvalidParameterValue");
}

}  // namespace firebreak::testing
