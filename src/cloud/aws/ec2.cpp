// EC2 (ec2 query protocol): lists are "Name.N", responses are XML with <item> lists.
#include <fmt/format.h>

#include "firebreak/core/hash.h"
#include "services.h"

namespace firebreak::cloud::aws::detail {

namespace {

using Doc = std::shared_ptr<pugi::xml_document>;

Tags parse_tags(const pugi::xml_node& n, const char* set = "tagSet") {
  Tags tags;
  for (auto item : n.child(set).children("item"))
    tags.push_back({xt(item, "key"), xt(item, "value")});
  return tags;
}

std::vector<GroupIdentifier> parse_groups(const pugi::xml_node& n) {
  std::vector<GroupIdentifier> out;
  for (auto g : n.child("groupSet").children("item"))
    out.push_back({xt(g, "groupId"), xt(g, "groupName")});
  return out;
}

std::vector<std::string> parse_ipv6(const pugi::xml_node& n) {
  std::vector<std::string> out;
  for (auto a : n.child("ipv6AddressesSet").children("item")) out.push_back(xt(a, "ipv6Address"));
  return out;
}

Instance parse_instance(const pugi::xml_node& n) {
  Instance i;
  i.instance_id = xt(n, "instanceId");
  i.image_id = xt(n, "imageId");
  i.instance_type = xt(n, "instanceType");
  i.state = xt(n.child("instanceState"), "name");
  i.vpc_id = xt(n, "vpcId");
  i.subnet_id = xt(n, "subnetId");
  i.availability_zone = xt(n.child("placement"), "availabilityZone");
  i.private_ip = xt(n, "privateIpAddress");
  i.public_ip = xt(n, "ipAddress");
  i.key_name = xt(n, "keyName");
  i.iam_instance_profile_arn = xt(n.child("iamInstanceProfile"), "arn");
  i.root_device_name = xt(n, "rootDeviceName");
  i.launch_time = xtime(n, "launchTime");
  i.tags = parse_tags(n);
  i.security_groups = parse_groups(n);
  for (auto e : n.child("networkInterfaceSet").children("item")) {
    InstanceNetworkInterface ni;
    ni.network_interface_id = xt(e, "networkInterfaceId");
    ni.subnet_id = xt(e, "subnetId");
    ni.vpc_id = xt(e, "vpcId");
    ni.private_ip = xt(e, "privateIpAddress");
    ni.public_ip = xt(e.child("association"), "publicIp");
    ni.ipv6_addresses = parse_ipv6(e);
    ni.groups = parse_groups(e);
    ni.device_index = static_cast<int>(xi(e.child("attachment"), "deviceIndex"));
    ni.attachment_id = xt(e.child("attachment"), "attachmentId");
    ni.status = xt(e, "status");
    i.network_interfaces.push_back(std::move(ni));
  }
  for (auto b : n.child("blockDeviceMapping").children("item")) {
    InstanceBlockDevice bd;
    bd.device_name = xt(b, "deviceName");
    bd.volume_id = xt(b.child("ebs"), "volumeId");
    bd.delete_on_termination = xb(b.child("ebs"), "deleteOnTermination", true);
    i.block_devices.push_back(std::move(bd));
  }
  return i;
}

std::vector<InstanceStateChange> parse_state_changes(const pugi::xml_node& root) {
  std::vector<InstanceStateChange> out;
  for (auto item : root.child("instancesSet").children("item"))
    out.push_back({xt(item, "instanceId"), xt(item.child("previousState"), "name"),
                   xt(item.child("currentState"), "name")});
  return out;
}

void add_tag_spec(QueryList& q, const std::string& resource_type, const Tags& tags) {
  if (tags.empty()) return;
  q.emplace_back("TagSpecification.1.ResourceType", resource_type);
  for (std::size_t i = 0; i < tags.size(); ++i) {
    q.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Key", i + 1), tags[i].key);
    q.emplace_back(fmt::format("TagSpecification.1.Tag.{}.Value", i + 1), tags[i].value);
  }
}

void add_permissions(QueryList& q, const std::vector<IpPermission>& perms) {
  for (std::size_t i = 0; i < perms.size(); ++i) {
    const auto& p = perms[i];
    const std::string pre = fmt::format("IpPermissions.{}.", i + 1);
    q.emplace_back(pre + "IpProtocol", p.ip_protocol);
    if (p.ip_protocol != "-1") {
      q.emplace_back(pre + "FromPort", std::to_string(p.from_port));
      q.emplace_back(pre + "ToPort", std::to_string(p.to_port));
    }
    for (std::size_t k = 0; k < p.ipv4_ranges.size(); ++k)
      q.emplace_back(fmt::format("{}IpRanges.{}.CidrIp", pre, k + 1), p.ipv4_ranges[k]);
    for (std::size_t k = 0; k < p.ipv6_ranges.size(); ++k)
      q.emplace_back(fmt::format("{}Ipv6Ranges.{}.CidrIpv6", pre, k + 1), p.ipv6_ranges[k]);
    for (std::size_t k = 0; k < p.source_groups.size(); ++k)
      q.emplace_back(fmt::format("{}Groups.{}.GroupId", pre, k + 1), p.source_groups[k]);
  }
}

std::vector<IpPermission> parse_permissions(const pugi::xml_node& n) {
  std::vector<IpPermission> out;
  for (auto item : n.children("item")) {
    IpPermission p;
    p.ip_protocol = xt(item, "ipProtocol");
    p.from_port = static_cast<int>(xi(item, "fromPort", -1));
    p.to_port = static_cast<int>(xi(item, "toPort", -1));
    for (auto r : item.child("ipRanges").children("item")) p.ipv4_ranges.push_back(xt(r, "cidrIp"));
    for (auto r : item.child("ipv6Ranges").children("item"))
      p.ipv6_ranges.push_back(xt(r, "cidrIpv6"));
    for (auto g : item.child("groups").children("item"))
      p.source_groups.push_back(xt(g, "groupId"));
    out.push_back(std::move(p));
  }
  return out;
}

IamInstanceProfileAssociation parse_association(const pugi::xml_node& n) {
  IamInstanceProfileAssociation a;
  a.association_id = xt(n, "associationId");
  a.instance_id = xt(n, "instanceId");
  a.iam_instance_profile_arn = xt(n.child("iamInstanceProfile"), "arn");
  a.iam_instance_profile_id = xt(n.child("iamInstanceProfile"), "id");
  a.state = xt(n, "state");
  return a;
}

Snapshot parse_snapshot(const pugi::xml_node& n) {
  Snapshot s;
  s.snapshot_id = xt(n, "snapshotId");
  s.volume_id = xt(n, "volumeId");
  s.state = xt(n, "status");
  if (s.state.empty()) s.state = xt(n, "state");
  s.progress = xt(n, "progress");
  s.start_time = xtime(n, "startTime");
  s.volume_size_gib = static_cast<int>(xi(n, "volumeSize"));
  s.description = xt(n, "description");
  s.owner_id = xt(n, "ownerId");
  s.encrypted = xb(n, "encrypted");
  s.tags = parse_tags(n);
  if (s.tags.empty()) s.tags = parse_tags(n, "tags");
  return s;
}

void add_profile_spec(QueryList& q, const std::string& arn_or_name) {
  if (arn_or_name.starts_with("arn:")) {
    q.emplace_back("IamInstanceProfile.Arn", arn_or_name);
  } else {
    q.emplace_back("IamInstanceProfile.Name", arn_or_name);
  }
}

class AwsEc2 final : public Ec2 {
 public:
  explicit AwsEc2(Client& c) : c_(c) {}

  // Follows nextToken; `each` sees every page's root element.
  template <class F>
  Status paginate(std::string_view action, const QueryList& base, F&& each) {
    std::string token;
    for (int page = 0; page < kMaxPages; ++page) {
      QueryList q = base;
      if (!token.empty()) q.emplace_back("NextToken", token);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, action, q));
      const pugi::xml_node root = doc->document_element();
      each(root);
      token = xt(root, "nextToken");
      if (token.empty()) return {};
    }
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("ec2 {}: more than {} pages", action, kMaxPages));
  }

  Status simple(std::string_view action, QueryList q) {
    return c_.run(spec::kEc2, action, [&]() -> Status {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, action, std::move(q)));
      (void)doc;
      return {};
    });
  }

  static QueryList describe_base(const DescribeRequest& req, const std::string& id_name) {
    QueryList q;
    add_list(q, id_name, req.ids);
    add_filters(q, req.filters);
    return q;
  }

  Result<std::vector<Instance>> describe_instances(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeInstances", [&]() -> Result<std::vector<Instance>> {
      std::vector<Instance> out;
      FIREBREAK_TRY_STATUS(paginate("DescribeInstances", describe_base(req, "InstanceId"),
                                    [&](const pugi::xml_node& root) {
                                      for (auto r : root.child("reservationSet").children("item"))
                                        for (auto i : r.child("instancesSet").children("item"))
                                          out.push_back(parse_instance(i));
                                    }));
      return out;
    });
  }

  Result<std::string> describe_instance_attribute(const std::string& instance_id,
                                                  const std::string& attribute) override {
    return c_.run(spec::kEc2, "DescribeInstanceAttribute", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "DescribeInstanceAttribute",
                                      {{"InstanceId", instance_id}, {"Attribute", attribute}}));
      const pugi::xml_node root = doc->document_element();
      const pugi::xml_node node = root.child(attribute.c_str());
      if (!node)
        return fail(ErrorCode::kParse,
                    fmt::format("ec2 DescribeInstanceAttribute: no {} in the answer", attribute));
      const std::string value = xt(node, "value");
      if (attribute == "userData") {
        if (value.empty()) return std::string();
        auto decoded = base64_decode(value);
        if (!decoded)
          return fail(ErrorCode::kParse, "ec2 DescribeInstanceAttribute: userData is not base64");
        return *decoded;
      }
      return value;
    });
  }

  Status modify_instance_attribute(const ModifyInstanceAttributeRequest& req) override {
    int set = 0;
    set += req.disable_api_termination ? 1 : 0;
    set += req.instance_initiated_shutdown_behavior ? 1 : 0;
    set += req.block_device_mappings.empty() ? 0 : 1;
    set += req.user_data ? 1 : 0;
    set += req.groups ? 1 : 0;
    if (set != 1)
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("ModifyInstanceAttribute changes exactly one attribute per call ({} given)",
                      set));
    QueryList q{{"InstanceId", req.instance_id}};
    if (req.disable_api_termination)
      q.emplace_back("DisableApiTermination.Value", tf(*req.disable_api_termination));
    if (req.instance_initiated_shutdown_behavior)
      q.emplace_back("InstanceInitiatedShutdownBehavior.Value",
                     *req.instance_initiated_shutdown_behavior);
    for (std::size_t i = 0; i < req.block_device_mappings.size(); ++i) {
      q.emplace_back(fmt::format("BlockDeviceMapping.{}.DeviceName", i + 1),
                     req.block_device_mappings[i].device_name);
      q.emplace_back(fmt::format("BlockDeviceMapping.{}.Ebs.DeleteOnTermination", i + 1),
                     tf(req.block_device_mappings[i].delete_on_termination));
    }
    // The API wants base64 user data inside a blob that is itself base64 on the wire (the CLI
    // and SDK docs: "user data must be base64-encoded"; the blob layer encodes it again).
    if (req.user_data)
      q.emplace_back("UserData.Value", base64_encode(base64_encode(*req.user_data)));
    if (req.groups) add_list(q, "GroupId", *req.groups);
    return simple("ModifyInstanceAttribute", std::move(q));
  }

  Result<std::vector<Instance>> run_instances(const RunInstancesRequest& req) override {
    return c_.run(spec::kEc2, "RunInstances", [&]() -> Result<std::vector<Instance>> {
      QueryList q{{"ImageId", req.image_id},
                  {"InstanceType", req.instance_type},
                  {"MinCount", std::to_string(req.count)},
                  {"MaxCount", std::to_string(req.count)},
                  // The same token on every retry: AWS launches at most once per token.
                  {"ClientToken",
                   req.client_token.empty() ? c_.shared().client_token() : req.client_token}};
      if (!req.subnet_id.empty()) q.emplace_back("SubnetId", req.subnet_id);
      add_list(q, "SecurityGroupId", req.security_group_ids);
      if (!req.iam_instance_profile_name.empty())
        q.emplace_back("IamInstanceProfile.Name", req.iam_instance_profile_name);
      if (!req.key_name.empty()) q.emplace_back("KeyName", req.key_name);
      if (!req.user_data.empty()) q.emplace_back("UserData", base64_encode(req.user_data));
      add_tag_spec(q, "instance", req.tags);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "RunInstances", std::move(q)));
      std::vector<Instance> out;
      for (auto i : doc->document_element().child("instancesSet").children("item"))
        out.push_back(parse_instance(i));
      return out;
    });
  }

  Result<std::vector<InstanceStateChange>> state_change(std::string_view action,
                                                        const std::vector<std::string>& ids,
                                                        QueryList extra = {}) {
    return c_.run(spec::kEc2, action, [&]() -> Result<std::vector<InstanceStateChange>> {
      QueryList q;
      add_list(q, "InstanceId", ids);
      for (auto& e : extra) q.push_back(e);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, action, std::move(q)));
      return parse_state_changes(doc->document_element());
    });
  }

  Result<std::vector<InstanceStateChange>> stop_instances(const std::vector<std::string>& ids,
                                                          bool force) override {
    return state_change("StopInstances", ids, force ? QueryList{{"Force", "true"}} : QueryList{});
  }
  Result<std::vector<InstanceStateChange>> start_instances(
      const std::vector<std::string>& ids) override {
    return state_change("StartInstances", ids);
  }
  Result<std::vector<InstanceStateChange>> terminate_instances(
      const std::vector<std::string>& ids) override {
    return state_change("TerminateInstances", ids);
  }

  Result<std::string> get_console_output(const std::string& instance_id) override {
    return c_.run(spec::kEc2, "GetConsoleOutput", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc,
                    c_.query(spec::kEc2, "GetConsoleOutput", {{"InstanceId", instance_id}}));
      const std::string out = xt(doc->document_element(), "output");
      if (out.empty()) return std::string();
      auto decoded = base64_decode(out);
      if (!decoded) return fail(ErrorCode::kParse, "ec2 GetConsoleOutput: output is not base64");
      return *decoded;
    });
  }

  Result<std::vector<NetworkInterface>> describe_network_interfaces(
      const DescribeRequest& req) override {
    return c_.run(
        spec::kEc2, "DescribeNetworkInterfaces", [&]() -> Result<std::vector<NetworkInterface>> {
          std::vector<NetworkInterface> out;
          FIREBREAK_TRY_STATUS(paginate(
              "DescribeNetworkInterfaces", describe_base(req, "NetworkInterfaceId"),
              [&](const pugi::xml_node& root) {
                for (auto e : root.child("networkInterfaceSet").children("item")) {
                  NetworkInterface n;
                  n.network_interface_id = xt(e, "networkInterfaceId");
                  n.subnet_id = xt(e, "subnetId");
                  n.vpc_id = xt(e, "vpcId");
                  n.availability_zone = xt(e, "availabilityZone");
                  n.private_ip = xt(e, "privateIpAddress");
                  n.public_ip = xt(e.child("association"), "publicIp");
                  n.ipv6_addresses = parse_ipv6(e);
                  n.groups = parse_groups(e);
                  n.status = xt(e, "status");
                  n.attachment_instance_id = xt(e.child("attachment"), "instanceId");
                  n.attachment_id = xt(e.child("attachment"), "attachmentId");
                  n.device_index = static_cast<int>(xi(e.child("attachment"), "deviceIndex"));
                  n.description = xt(e, "description");
                  n.tags = parse_tags(e);
                  out.push_back(std::move(n));
                }
              }));
          return out;
        });
  }

  Status modify_network_interface_groups(const std::string& eni,
                                         const std::vector<std::string>& group_ids) override {
    QueryList q{{"NetworkInterfaceId", eni}};
    add_list(q, "SecurityGroupId", group_ids);
    return simple("ModifyNetworkInterfaceAttribute", std::move(q));
  }

  Result<std::vector<SecurityGroup>> describe_security_groups(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeSecurityGroups",
                  [&]() -> Result<std::vector<SecurityGroup>> {
                    std::vector<SecurityGroup> out;
                    FIREBREAK_TRY_STATUS(
                        paginate("DescribeSecurityGroups", describe_base(req, "GroupId"),
                                 [&](const pugi::xml_node& root) {
                                   for (auto g : root.child("securityGroupInfo").children("item")) {
                                     SecurityGroup sg;
                                     sg.group_id = xt(g, "groupId");
                                     sg.group_name = xt(g, "groupName");
                                     sg.description = xt(g, "groupDescription");
                                     sg.vpc_id = xt(g, "vpcId");
                                     sg.owner_id = xt(g, "ownerId");
                                     sg.ingress = parse_permissions(g.child("ipPermissions"));
                                     sg.egress = parse_permissions(g.child("ipPermissionsEgress"));
                                     sg.tags = parse_tags(g);
                                     out.push_back(std::move(sg));
                                   }
                                 }));
                    return out;
                  });
  }

  Result<std::string> create_security_group(const CreateSecurityGroupRequest& req) override {
    return c_.run(spec::kEc2, "CreateSecurityGroup", [&]() -> Result<std::string> {
      QueryList q{{"GroupName", req.group_name}, {"GroupDescription", req.description}};
      if (!req.vpc_id.empty()) q.emplace_back("VpcId", req.vpc_id);
      add_tag_spec(q, "security-group", req.tags);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "CreateSecurityGroup", std::move(q)));
      std::string id = xt(doc->document_element(), "groupId");
      if (id.empty())
        return fail(ErrorCode::kParse, "ec2 CreateSecurityGroup: no groupId in the answer");
      return id;
    });
  }

  Status delete_security_group(const std::string& group_id) override {
    return simple("DeleteSecurityGroup", {{"GroupId", group_id}});
  }

  Status permissions(std::string_view action, const std::string& group_id,
                     const std::vector<IpPermission>& perms) {
    QueryList q{{"GroupId", group_id}};
    add_permissions(q, perms);
    return simple(action, std::move(q));
  }
  Status authorize_security_group_ingress(const std::string& g,
                                          const std::vector<IpPermission>& p) override {
    return permissions("AuthorizeSecurityGroupIngress", g, p);
  }
  Status authorize_security_group_egress(const std::string& g,
                                         const std::vector<IpPermission>& p) override {
    return permissions("AuthorizeSecurityGroupEgress", g, p);
  }
  Status revoke_security_group_ingress(const std::string& g,
                                       const std::vector<IpPermission>& p) override {
    return permissions("RevokeSecurityGroupIngress", g, p);
  }
  Status revoke_security_group_egress(const std::string& g,
                                      const std::vector<IpPermission>& p) override {
    return permissions("RevokeSecurityGroupEgress", g, p);
  }

  Result<std::vector<NetworkAcl>> describe_network_acls(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeNetworkAcls", [&]() -> Result<std::vector<NetworkAcl>> {
      std::vector<NetworkAcl> out;
      FIREBREAK_TRY_STATUS(
          paginate("DescribeNetworkAcls", describe_base(req, "NetworkAclId"),
                   [&](const pugi::xml_node& root) {
                     for (auto a : root.child("networkAclSet").children("item")) {
                       NetworkAcl acl;
                       acl.network_acl_id = xt(a, "networkAclId");
                       acl.vpc_id = xt(a, "vpcId");
                       acl.is_default = xb(a, "default");
                       for (auto e : a.child("entrySet").children("item")) {
                         NetworkAclEntry en;
                         en.rule_number = static_cast<int>(xi(e, "ruleNumber"));
                         en.protocol = xt(e, "protocol");
                         en.egress = xb(e, "egress");
                         en.rule_action = xt(e, "ruleAction");
                         en.cidr_block = xt(e, "cidrBlock");
                         en.ipv6_cidr_block = xt(e, "ipv6CidrBlock");
                         en.from_port = static_cast<int>(xi(e.child("portRange"), "from", -1));
                         en.to_port = static_cast<int>(xi(e.child("portRange"), "to", -1));
                         acl.entries.push_back(std::move(en));
                       }
                       for (auto s : a.child("associationSet").children("item"))
                         acl.subnet_ids.push_back(xt(s, "subnetId"));
                       acl.tags = parse_tags(a);
                       out.push_back(std::move(acl));
                     }
                   }));
      return out;
    });
  }

  Status create_network_acl_entry(const std::string& acl_id, const NetworkAclEntry& e) override {
    QueryList q{{"NetworkAclId", acl_id},
                {"RuleNumber", std::to_string(e.rule_number)},
                {"Protocol", e.protocol},
                {"RuleAction", e.rule_action},
                {"Egress", tf(e.egress)}};
    if (!e.cidr_block.empty()) q.emplace_back("CidrBlock", e.cidr_block);
    if (!e.ipv6_cidr_block.empty()) q.emplace_back("Ipv6CidrBlock", e.ipv6_cidr_block);
    if (e.from_port >= 0) q.emplace_back("PortRange.From", std::to_string(e.from_port));
    if (e.to_port >= 0) q.emplace_back("PortRange.To", std::to_string(e.to_port));
    return simple("CreateNetworkAclEntry", std::move(q));
  }

  Status delete_network_acl_entry(const std::string& acl_id, int rule_number,
                                  bool egress) override {
    return simple("DeleteNetworkAclEntry", {{"NetworkAclId", acl_id},
                                            {"RuleNumber", std::to_string(rule_number)},
                                            {"Egress", tf(egress)}});
  }

  Result<std::vector<Address>> describe_addresses(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeAddresses", [&]() -> Result<std::vector<Address>> {
      // DescribeAddresses is not paginated; ids are allocation ids (or public IPs).
      QueryList q;
      std::vector<std::string> alloc, ips;
      for (const auto& id : req.ids) (id.starts_with("eipalloc-") ? alloc : ips).push_back(id);
      add_list(q, "AllocationId", alloc);
      add_list(q, "PublicIp", ips);
      add_filters(q, req.filters);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "DescribeAddresses", std::move(q)));
      std::vector<Address> out;
      for (auto a : doc->document_element().child("addressesSet").children("item")) {
        Address ad;
        ad.public_ip = xt(a, "publicIp");
        ad.allocation_id = xt(a, "allocationId");
        ad.association_id = xt(a, "associationId");
        ad.instance_id = xt(a, "instanceId");
        ad.network_interface_id = xt(a, "networkInterfaceId");
        ad.private_ip = xt(a, "privateIpAddress");
        ad.domain = xt(a, "domain");
        ad.tags = parse_tags(a);
        out.push_back(std::move(ad));
      }
      return out;
    });
  }

  Status disassociate_address(const std::string& association_id) override {
    return simple("DisassociateAddress", {{"AssociationId", association_id}});
  }

  Result<std::string> associate_address(const std::string& allocation_id,
                                        const std::string& instance_id) override {
    return c_.run(spec::kEc2, "AssociateAddress", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc,
                    c_.query(spec::kEc2, "AssociateAddress",
                             {{"AllocationId", allocation_id}, {"InstanceId", instance_id}}));
      return xt(doc->document_element(), "associationId");
    });
  }

  Result<std::vector<IamInstanceProfileAssociation>> describe_iam_instance_profile_associations(
      const DescribeRequest& req) override {
    return c_.run(
        spec::kEc2, "DescribeIamInstanceProfileAssociations",
        [&]() -> Result<std::vector<IamInstanceProfileAssociation>> {
          std::vector<IamInstanceProfileAssociation> out;
          FIREBREAK_TRY_STATUS(paginate(
              "DescribeIamInstanceProfileAssociations", describe_base(req, "AssociationId"),
              [&](const pugi::xml_node& root) {
                for (auto a : root.child("iamInstanceProfileAssociationSet").children("item"))
                  out.push_back(parse_association(a));
              }));
          return out;
        });
  }

  Result<IamInstanceProfileAssociation> replace_iam_instance_profile_association(
      const std::string& association_id, const std::string& profile) override {
    return c_.run(
        spec::kEc2, "ReplaceIamInstanceProfileAssociation",
        [&]() -> Result<IamInstanceProfileAssociation> {
          QueryList q{{"AssociationId", association_id}};
          add_profile_spec(q, profile);
          FIREBREAK_TRY(Doc doc,
                        c_.query(spec::kEc2, "ReplaceIamInstanceProfileAssociation", std::move(q)));
          return parse_association(doc->document_element().child("iamInstanceProfileAssociation"));
        });
  }

  Result<IamInstanceProfileAssociation> associate_iam_instance_profile(
      const std::string& instance_id, const std::string& profile) override {
    return c_.run(
        spec::kEc2, "AssociateIamInstanceProfile", [&]() -> Result<IamInstanceProfileAssociation> {
          QueryList q{{"InstanceId", instance_id}};
          add_profile_spec(q, profile);
          FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "AssociateIamInstanceProfile", std::move(q)));
          return parse_association(doc->document_element().child("iamInstanceProfileAssociation"));
        });
  }

  Status disassociate_iam_instance_profile(const std::string& association_id) override {
    return simple("DisassociateIamInstanceProfile", {{"AssociationId", association_id}});
  }

  Result<std::vector<Volume>> describe_volumes(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeVolumes", [&]() -> Result<std::vector<Volume>> {
      std::vector<Volume> out;
      FIREBREAK_TRY_STATUS(paginate(
          "DescribeVolumes", describe_base(req, "VolumeId"), [&](const pugi::xml_node& root) {
            for (auto v : root.child("volumeSet").children("item")) {
              Volume vol;
              vol.volume_id = xt(v, "volumeId");
              vol.size_gib = static_cast<int>(xi(v, "size"));
              vol.state = xt(v, "status");
              vol.availability_zone = xt(v, "availabilityZone");
              vol.volume_type = xt(v, "volumeType");
              vol.encrypted = xb(v, "encrypted");
              vol.kms_key_id = xt(v, "kmsKeyId");
              vol.snapshot_id = xt(v, "snapshotId");
              for (auto a : v.child("attachmentSet").children("item"))
                vol.attachments.push_back({xt(a, "instanceId"), xt(a, "device"), xt(a, "status"),
                                           xb(a, "deleteOnTermination", true)});
              vol.tags = parse_tags(v);
              out.push_back(std::move(vol));
            }
          }));
      return out;
    });
  }

  Result<Snapshot> create_snapshot(const CreateSnapshotRequest& req) override {
    return c_.run(spec::kEc2, "CreateSnapshot", [&]() -> Result<Snapshot> {
      QueryList q{{"VolumeId", req.volume_id}};
      if (!req.description.empty()) q.emplace_back("Description", req.description);
      add_tag_spec(q, "snapshot", req.tags);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "CreateSnapshot", std::move(q)));
      return parse_snapshot(doc->document_element());
    });
  }

  Result<std::vector<Snapshot>> create_snapshots(const CreateSnapshotsRequest& req) override {
    return c_.run(spec::kEc2, "CreateSnapshots", [&]() -> Result<std::vector<Snapshot>> {
      QueryList q{{"InstanceSpecification.InstanceId", req.instance_id}};
      if (!req.description.empty()) q.emplace_back("Description", req.description);
      if (req.copy_tags_from_source) q.emplace_back("CopyTagsFromSource", "volume");
      add_tag_spec(q, "snapshot", req.tags);
      FIREBREAK_TRY(Doc doc, c_.query(spec::kEc2, "CreateSnapshots", std::move(q)));
      std::vector<Snapshot> out;
      for (auto s : doc->document_element().child("snapshotSet").children("item"))
        out.push_back(parse_snapshot(s));
      return out;
    });
  }

  Result<std::vector<Snapshot>> describe_snapshots(const DescribeRequest& req) override {
    return c_.run(spec::kEc2, "DescribeSnapshots", [&]() -> Result<std::vector<Snapshot>> {
      QueryList base = describe_base(req, "SnapshotId");
      // Without ids, only the account's own snapshots (not every public one).
      if (req.ids.empty()) base.emplace_back("Owner.1", "self");
      std::vector<Snapshot> out;
      FIREBREAK_TRY_STATUS(paginate("DescribeSnapshots", base, [&](const pugi::xml_node& root) {
        for (auto s : root.child("snapshotSet").children("item")) out.push_back(parse_snapshot(s));
      }));
      return out;
    });
  }

  Status tags(std::string_view action, const std::vector<std::string>& ids, const Tags& tags,
              bool with_values) {
    QueryList q;
    add_list(q, "ResourceId", ids);
    for (std::size_t i = 0; i < tags.size(); ++i) {
      q.emplace_back(fmt::format("Tag.{}.Key", i + 1), tags[i].key);
      if (with_values || !tags[i].value.empty())
        q.emplace_back(fmt::format("Tag.{}.Value", i + 1), tags[i].value);
    }
    return simple(action, std::move(q));
  }
  Status create_tags(const std::vector<std::string>& ids, const Tags& t) override {
    return tags("CreateTags", ids, t, true);
  }
  Status delete_tags(const std::vector<std::string>& ids, const Tags& t) override {
    return tags("DeleteTags", ids, t, false);
  }

 private:
  Client& c_;
};

}  // namespace

std::unique_ptr<Ec2> make_ec2(Client& c) { return std::make_unique<AwsEc2>(c); }

}  // namespace firebreak::cloud::aws::detail
