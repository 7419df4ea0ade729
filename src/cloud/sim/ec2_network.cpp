// EC2 network operations of the simulator: network interfaces, security groups, network ACLs and
// Elastic IPs. Every change that can affect traffic tells the network model (network.cpp), which
// applies connection-tracking semantics to live connections.
#include <fmt/format.h>

#include <algorithm>

#include "ec2_util.h"
#include "session.h"

namespace firebreak::cloud::sim {

Result<std::vector<NetworkInterface>> SimEc2::describe_network_interfaces(
    const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeNetworkInterfaces");
  return s_.run<Result<std::vector<NetworkInterface>>>(
      kOp, [&](Call& c) -> Result<std::vector<NetworkInterface>> {
        auto w = c.params_writer();
        w.begin_object().key("networkInterfaceIdSet").begin_object();
        if (!req.ids.empty()) {
          w.key("items").begin_array();
          for (const auto& id : req.ids)
            w.begin_object().field("networkInterfaceId", id).end_object();
          w.end_array();
        }
        w.end_object();
        write_filter_set(w, req.filters);
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY_STATUS(
            check_filters(c, req.filters,
                          {"attachment.instance-id", "network-interface-id", "vpc-id", "subnet-id",
                           "group-id", "private-ip-address", "addresses.private-ip-address",
                           "association.public-ip", "status"}));
        std::vector<Serial> candidates;
        if (!req.ids.empty()) {
          for (const auto& id : req.ids) {
            FIREBREAK_TRY(auto e, need(c, Kind::kEni, id));
            candidates.push_back(e);
          }
        } else {
          const Filter* by_instance = nullptr;
          for (const auto& f : req.filters)
            if (f.name == "attachment.instance-id") by_instance = &f;
          if (by_instance != nullptr &&
              std::none_of(by_instance->values.begin(), by_instance->values.end(),
                           [](const std::string& v) {
                             return v.find_first_of("*?") != std::string::npos;
                           })) {
            for (const auto& v : by_instance->values) {
              if (auto i = c.s.find(Kind::kInstance, v, c.scope))
                for (auto e : c.s.instances[*i].enis) candidates.push_back(e);
            }
          } else {
            candidates = c.s.scopes[c.scope].enis;
          }
        }
        std::vector<NetworkInterface> out;
        for (auto e : candidates) {
          const auto& en = c.s.enis[e];
          if (en.deleted) continue;
          bool ok = true;
          for (const auto& f : req.filters) {
            bool handled = false;
            const bool tag = tag_filter(f, en.tags, handled);
            if (handled) {
              ok = ok && tag;
              continue;
            }
            if (f.name == "attachment.instance-id")
              ok = ok && en.instance != kNoSerial &&
                   filter_hit(f, c.s.id(Kind::kInstance, en.instance));
            else if (f.name == "network-interface-id")
              ok = ok && filter_hit(f, c.s.id(Kind::kEni, e));
            else if (f.name == "vpc-id")
              ok = ok && filter_hit(f, c.s.id(Kind::kVpc, c.s.subnets[en.subnet].vpc));
            else if (f.name == "subnet-id")
              ok = ok && filter_hit(f, c.s.id(Kind::kSubnet, en.subnet));
            else if (f.name == "group-id") {
              bool hit = false;
              for (auto g : en.groups) hit = hit || filter_hit(f, c.s.id(Kind::kSg, g));
              ok = ok && hit;
            } else if (f.name == "private-ip-address" || f.name == "addresses.private-ip-address")
              ok = ok && filter_hit(f, format_ipv4(en.private_ip));
            else if (f.name == "association.public-ip") {
              const auto pub = c.s.eni_public_ip(e);
              ok = ok && pub != 0 && filter_hit(f, format_ipv4(pub));
            } else if (f.name == "status")
              ok = ok && filter_hit(f, en.instance != kNoSerial ? "in-use" : "available");
            else
              return std::unexpected(unknown_filter(c, f).error());
          }
          if (ok) out.push_back(to_eni(c.s, e));
        }
        return out;
      });
}

Status SimEc2::modify_network_interface_groups(const std::string& eni,
                                               const std::vector<std::string>& group_ids) {
  SIM_OP("ec2", "ModifyNetworkInterfaceAttribute");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("networkInterfaceId", eni)
        .key("groupSet")
        .begin_object()
        .key("items")
        .begin_array();
    for (const auto& g : group_ids) w.begin_object().field("groupId", g).end_object();
    w.end_array().end_object().end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:network-interface/{}",
                                                 c.session_region(), c.account_id(), eni)));
    FIREBREAK_TRY(auto e, need(c, Kind::kEni, eni));
    if (group_ids.empty())
      return c.invalid("InvalidParameterValue", "At least one security group must be specified.");
    const Serial vpc = c.s.subnets[c.s.enis[e].subnet].vpc;
    std::vector<Serial> groups;
    for (const auto& g : group_ids) {
      FIREBREAK_TRY(auto gs, need(c, Kind::kSg, g));
      if (c.s.sgs[gs].vpc != vpc)
        return c.not_found("InvalidGroup.NotFound",
                           fmt::format("The security group '{}' does not exist in VPC '{}'", g,
                                       c.s.id(Kind::kVpc, vpc)));
      if (std::find(groups.begin(), groups.end(), gs) == groups.end()) groups.push_back(gs);
    }
    if (groups.size() > 5)
      return c.invalid("SecurityGroupsPerInterfaceLimitExceeded",
                       "The maximum number of security groups per interface has been reached.");
    c.s.enis[e].groups = std::move(groups);
    c.s.on_groups_changed(e);
    c.history_resources.emplace_back("AWS::EC2::NetworkInterface", eni);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

Result<std::vector<SecurityGroup>> SimEc2::describe_security_groups(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeSecurityGroups");
  return s_.run<Result<std::vector<SecurityGroup>>>(
      kOp, [&](Call& c) -> Result<std::vector<SecurityGroup>> {
        auto w = c.params_writer();
        w.begin_object().key("securityGroupSet").begin_object().end_object();
        w.key("securityGroupIdSet").begin_object();
        if (!req.ids.empty()) {
          w.key("items").begin_array();
          for (const auto& id : req.ids) w.begin_object().field("groupId", id).end_object();
          w.end_array();
        }
        w.end_object();
        write_filter_set(w, req.filters);
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY_STATUS(check_filters(
            c, req.filters, {"group-id", "group-name", "vpc-id", "description", "owner-id"}));
        std::vector<Serial> candidates;
        if (!req.ids.empty()) {
          for (const auto& id : req.ids) {
            FIREBREAK_TRY(auto g, need(c, Kind::kSg, id));
            candidates.push_back(g);
          }
        } else {
          candidates = c.s.scopes[c.scope].sgs;
        }
        std::vector<SecurityGroup> out;
        for (auto g : candidates) {
          const auto& sg = c.s.sgs[g];
          if (sg.deleted) continue;
          bool ok = true;
          for (const auto& f : req.filters) {
            bool handled = false;
            const bool tag = tag_filter(f, sg.tags, handled);
            if (handled) {
              ok = ok && tag;
              continue;
            }
            if (f.name == "group-id")
              ok = ok && filter_hit(f, c.s.id(Kind::kSg, g));
            else if (f.name == "group-name")
              ok = ok && filter_hit(f, sg.name);
            else if (f.name == "vpc-id")
              ok = ok && filter_hit(f, c.s.id(Kind::kVpc, sg.vpc));
            else if (f.name == "description")
              ok = ok && filter_hit(f, sg.description);
            else if (f.name == "owner-id")
              ok = ok && filter_hit(f, c.account_id());
            else
              return std::unexpected(unknown_filter(c, f).error());
          }
          if (ok) out.push_back(to_sg(c.s, g));
        }
        return out;
      });
}

Result<std::string> SimEc2::create_security_group(const CreateSecurityGroupRequest& req) {
  SIM_OP("ec2", "CreateSecurityGroup");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object().field("groupName", req.group_name).field("groupDescription", req.description);
    if (!req.vpc_id.empty()) w.field("vpcId", req.vpc_id);
    if (!req.tags.empty()) {
      w.key("tagSpecificationSet").begin_object().key("items").begin_array();
      w.begin_object().field("resourceType", "security-group").key("tags").begin_array();
      for (const auto& t : req.tags)
        w.begin_object().field("key", t.key).field("value", t.value).end_object();
      w.end_array().end_object().end_array().end_object();
    }
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (req.group_name.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter groupName");
    if (req.description.empty())
      return c.invalid("MissingParameter",
                       "The request must contain the parameter groupDescription");
    if (req.group_name.size() > 255 || req.description.size() > 255)
      return c.invalid("InvalidParameterValue",
                       "Group name and description must be at most 255 characters");
    if (req.group_name.starts_with("sg-"))
      return c.invalid("InvalidParameterValue", "Group names may not be in the format sg-*.");
    FIREBREAK_TRY_STATUS(check_tags(c, req.tags));
    Serial vpc = kNoSerial;
    if (req.vpc_id.empty()) {
      vpc = c.s.default_vpc(c.scope);
      if (vpc == kNoSerial) return c.invalid("VPCIdNotSpecified", "No default VPC for this user");
    } else {
      FIREBREAK_TRY(vpc, need(c, Kind::kVpc, req.vpc_id));
    }
    if (req.group_name == "default")
      return c.invalid("InvalidGroup.Reserved", "The security group 'default' is reserved");
    if (c.s.sg_by_name(vpc, req.group_name) != kNoSerial)
      return c.error(ErrorCode::kAlreadyExists, "InvalidGroup.Duplicate",
                     fmt::format("The security group '{}' already exists for VPC '{}'",
                                 req.group_name, c.s.id(Kind::kVpc, vpc)));
    const Serial g = c.s.create_sg(c.scope, vpc, req.group_name, req.description, false);
    c.s.sgs[g].tags = req.tags;
    const auto id = c.s.id(Kind::kSg, g);
    c.response =
        R"({"requestId":")" + c.request_id + R"(","_return":true,"groupId":")" + id +
        R"(","securityGroupArn":")" +
        fmt::format("arn:aws:ec2:{}:{}:security-group/{}", c.session_region(), c.account_id(), id) +
        "\"}";
    c.history_resources.emplace_back("AWS::EC2::SecurityGroup", id);
    return id;
  });
}

Status SimEc2::delete_security_group(const std::string& group_id) {
  SIM_OP("ec2", "DeleteSecurityGroup");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("groupId", group_id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:security-group/{}",
                                                 c.session_region(), c.account_id(), group_id)));
    FIREBREAK_TRY(auto g, need(c, Kind::kSg, group_id));
    auto& sg = c.s.sgs[g];
    if (sg.is_default)
      return c.invalid(
          "CannotDelete",
          fmt::format("the specified group: \"{}\" name: \"default\" cannot be deleted "
                      "by a user",
                      group_id));
    for (auto e : c.s.scopes[c.scope].enis) {
      const auto& en = c.s.enis[e];
      if (en.deleted) continue;
      if (std::find(en.groups.begin(), en.groups.end(), g) != en.groups.end())
        return c.precondition("DependencyViolation",
                              fmt::format("resource {} has a dependent object", group_id));
    }
    for (auto other : c.s.scopes[c.scope].sgs) {
      if (other == g || c.s.sgs[other].deleted) continue;
      for (const auto* rules : {&c.s.sgs[other].ingress, &c.s.sgs[other].egress}) {
        for (const auto& r : *rules) {
          if (r.src == SgRule::Src::kGroup && r.group == g)
            return c.precondition("DependencyViolation",
                                  fmt::format("resource {} has a dependent object", group_id));
        }
      }
    }
    sg.deleted = true;
    c.response =
        R"({"requestId":")" + c.request_id + R"(","_return":true,"groupId":")" + group_id + "\"}";
    return {};
  });
}

Status SimEc2::change_rules(const std::string& op_name, const std::string& group_id,
                            const std::vector<IpPermission>& perms, bool egress, bool add) {
  const OpDesc& op = op_desc("ec2", op_name);
  return s_.run<Status>(op, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("groupId", group_id);
    write_ip_permissions(w, perms);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(fmt::format("arn:aws:ec2:{}:{}:security-group/{}",
                                                 c.session_region(), c.account_id(), group_id)));
    FIREBREAK_TRY(auto g, need(c, Kind::kSg, group_id));
    if (perms.empty())
      return c.invalid("MissingParameter", "The request must contain the parameter ipPermissions");
    auto rules = rules_from(c.s, c.scope, perms);
    if (!rules) return c.from(rules.error());
    auto& list = egress ? c.s.sgs[g].egress : c.s.sgs[g].ingress;
    auto describe_rule = [&](const SgRule& r) {
      const std::string peer =
          r.src == SgRule::Src::kGroup ? c.s.id(Kind::kSg, r.group) : format_cidr(r.cidr);
      std::string proto = protocol_text(r);
      for (auto& ch : proto) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (r.all_proto) return fmt::format("peer: {}, ALL, ALLOW", peer);
      return fmt::format("peer: {}, {}, from port: {}, to port: {}, ALLOW", peer, proto, r.from,
                         r.to);
    };
    if (add) {
      for (std::size_t i = 0; i < rules->size(); ++i) {
        const auto& r = (*rules)[i];
        const bool dup_existing =
            std::any_of(list.begin(), list.end(), [&](const SgRule& x) { return same_rule(x, r); });
        const bool dup_request =
            std::any_of(rules->begin(), rules->begin() + static_cast<std::ptrdiff_t>(i),
                        [&](const SgRule& x) { return same_rule(x, r); });
        if (dup_existing || dup_request)
          return c.error(ErrorCode::kAlreadyExists, "InvalidPermission.Duplicate",
                         fmt::format("the specified rule \"{}\" already exists", describe_rule(r)));
      }
      if (list.size() + rules->size() > 60)
        return c.error(ErrorCode::kLimitExceeded, "RulesPerSecurityGroupLimitExceeded",
                       "The maximum number of rules per security group has been reached.");
      auto rw = c.response_writer();
      rw.begin_object()
          .field("requestId", c.request_id)
          .field("_return", true)
          .key("securityGroupRuleSet")
          .begin_object()
          .key("items")
          .begin_array();
      for (auto r : *rules) {
        r.rule_id = c.s.next_sg_rule++;
        list.push_back(r);
        rw.begin_object()
            .field("groupOwnerId", c.account_id())
            .field("groupId", group_id)
            .field("securityGroupRuleId", c.s.id(Kind::kSgRule, r.rule_id))
            .field("isEgress", egress)
            .field("ipProtocol", protocol_text(r))
            .field("fromPort", r.all_proto ? -1 : r.from)
            .field("toPort", r.all_proto ? -1 : r.to);
        if (r.src == SgRule::Src::kGroup)
          rw.key("referencedGroupInfo")
              .begin_object()
              .field("groupId", c.s.id(Kind::kSg, r.group))
              .end_object();
        else if (r.cidr.v6())
          rw.field("cidrIpv6", format_cidr(r.cidr));
        else
          rw.field("cidrIpv4", format_cidr(r.cidr));
        rw.end_object();
      }
      rw.end_array().end_object().end_object();
    } else {
      for (const auto& r : *rules) {
        if (std::none_of(list.begin(), list.end(),
                         [&](const SgRule& x) { return same_rule(x, r); }))
          return c.not_found("InvalidPermission.NotFound",
                             "The specified rule does not exist in this security group.");
      }
      for (const auto& r : *rules) {
        auto it = std::find_if(list.begin(), list.end(),
                               [&](const SgRule& x) { return same_rule(x, r); });
        if (it != list.end()) list.erase(it);
      }
      c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    }
    c.s.on_sg_rules_changed(g);
    c.history_resources.emplace_back("AWS::EC2::SecurityGroup", group_id);
    return {};
  });
}

Status SimEc2::authorize_security_group_ingress(const std::string& group_id,
                                                const std::vector<IpPermission>& perms) {
  return change_rules("AuthorizeSecurityGroupIngress", group_id, perms, false, true);
}
Status SimEc2::authorize_security_group_egress(const std::string& group_id,
                                               const std::vector<IpPermission>& perms) {
  return change_rules("AuthorizeSecurityGroupEgress", group_id, perms, true, true);
}
Status SimEc2::revoke_security_group_ingress(const std::string& group_id,
                                             const std::vector<IpPermission>& perms) {
  return change_rules("RevokeSecurityGroupIngress", group_id, perms, false, false);
}
Status SimEc2::revoke_security_group_egress(const std::string& group_id,
                                            const std::vector<IpPermission>& perms) {
  return change_rules("RevokeSecurityGroupEgress", group_id, perms, true, false);
}

// ---------------------------------------------------------------------------------------------
// Network ACLs

Result<std::vector<NetworkAcl>> SimEc2::describe_network_acls(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeNetworkAcls");
  return s_.run<Result<std::vector<NetworkAcl>>>(
      kOp, [&](Call& c) -> Result<std::vector<NetworkAcl>> {
        auto w = c.params_writer();
        w.begin_object().key("networkAclIdSet").begin_object();
        if (!req.ids.empty()) {
          w.key("items").begin_array();
          for (const auto& id : req.ids) w.begin_object().field("networkAclId", id).end_object();
          w.end_array();
        }
        w.end_object();
        write_filter_set(w, req.filters);
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        FIREBREAK_TRY_STATUS(check_filters(
            c, req.filters, {"network-acl-id", "vpc-id", "default", "association.subnet-id"}));
        std::vector<Serial> candidates;
        if (!req.ids.empty()) {
          for (const auto& id : req.ids) {
            FIREBREAK_TRY(auto n, need(c, Kind::kNacl, id));
            candidates.push_back(n);
          }
        } else {
          candidates = c.s.scopes[c.scope].nacls;
        }
        std::vector<NetworkAcl> out;
        for (auto n : candidates) {
          auto conv = to_nacl(c.s, n);
          bool ok = true;
          for (const auto& f : req.filters) {
            bool handled = false;
            const bool tag = tag_filter(f, conv.tags, handled);
            if (handled) {
              ok = ok && tag;
              continue;
            }
            if (f.name == "network-acl-id")
              ok = ok && filter_hit(f, conv.network_acl_id);
            else if (f.name == "vpc-id")
              ok = ok && filter_hit(f, conv.vpc_id);
            else if (f.name == "default")
              ok = ok && filter_hit(f, conv.is_default ? "true" : "false");
            else if (f.name == "association.subnet-id")
              ok = ok && filter_hit_any(f, conv.subnet_ids);
            else
              return std::unexpected(unknown_filter(c, f).error());
          }
          if (ok) out.push_back(std::move(conv));
        }
        return out;
      });
}

namespace {

Result<NaclEntryRec> nacl_entry_from(Call& c, const NetworkAclEntry& e) {
  NaclEntryRec r;
  r.rule_number = e.rule_number;
  r.egress = e.egress;
  if (e.rule_number < 1 || e.rule_number > 32766)
    return c.invalid("InvalidParameterValue",
                     fmt::format("Invalid value '{}' for ruleNumber: must be between 1 and 32766",
                                 e.rule_number));
  if (e.rule_action != "allow" && e.rule_action != "deny")
    return c.invalid("InvalidParameterValue",
                     fmt::format("Invalid value '{}' for ruleAction", e.rule_action));
  r.allow = e.rule_action == "allow";
  auto proto = parse_protocol(e.protocol);
  if (!proto)
    return c.invalid("InvalidParameterValue", fmt::format("Invalid protocol '{}'", e.protocol));
  r.all_proto = proto->all;
  r.proto = proto->number;
  if (!r.all_proto && (r.proto == 6 || r.proto == 17)) {
    if (e.from_port < 0 || e.to_port < 0)
      return c.invalid("MissingParameter", "The request must contain the parameter portRange");
    if (e.from_port > 65535 || e.to_port > 65535 || e.from_port > e.to_port)
      return c.invalid("InvalidParameterValue",
                       fmt::format("Invalid port range {}-{}", e.from_port, e.to_port));
    r.from = e.from_port;
    r.to = e.to_port;
  }
  if (!e.cidr_block.empty() && !e.ipv6_cidr_block.empty())
    return c.invalid("InvalidParameterCombination",
                     "Only one of cidrBlock and ipv6CidrBlock may be specified");
  if (e.cidr_block.empty() && e.ipv6_cidr_block.empty())
    return c.invalid("MissingParameter",
                     "The request must contain the parameter cidrBlock or ipv6CidrBlock");
  auto cidr = parse_cidr(e.cidr_block.empty() ? e.ipv6_cidr_block : e.cidr_block, true);
  if (!cidr || cidr->v6() != e.cidr_block.empty())
    return c.invalid("InvalidParameterValue",
                     fmt::format("Value ({}) for parameter cidrBlock is invalid. This is not a "
                                 "valid CIDR block.",
                                 e.cidr_block.empty() ? e.ipv6_cidr_block : e.cidr_block));
  r.cidr = *cidr;
  return r;
}

void sort_entries(NaclRec& n) {
  std::stable_sort(n.entries.begin(), n.entries.end(),
                   [](const NaclEntryRec& a, const NaclEntryRec& b) {
                     return a.egress != b.egress ? !a.egress : a.rule_number < b.rule_number;
                   });
}

}  // namespace

Status SimEc2::create_network_acl_entry(const std::string& acl, const NetworkAclEntry& entry) {
  SIM_OP("ec2", "CreateNetworkAclEntry");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("networkAclId", acl)
        .field("ruleNumber", entry.rule_number)
        .field("egress", entry.egress)
        .field("ruleAction", entry.rule_action)
        .key("icmpTypeCode")
        .begin_object()
        .end_object()
        .field("protocol", entry.protocol);
    if (!entry.cidr_block.empty()) w.field("cidrBlock", entry.cidr_block);
    if (!entry.ipv6_cidr_block.empty()) w.field("ipv6CidrBlock", entry.ipv6_cidr_block);
    w.key("portRange").begin_object();
    if (entry.from_port >= 0) w.field("from", entry.from_port).field("to", entry.to_port);
    w.end_object().end_object();
    FIREBREAK_TRY_STATUS(c.authorize(
        fmt::format("arn:aws:ec2:{}:{}:network-acl/{}", c.session_region(), c.account_id(), acl)));
    FIREBREAK_TRY(auto n, need(c, Kind::kNacl, acl));
    FIREBREAK_TRY(auto rec, nacl_entry_from(c, entry));
    auto& na = c.s.nacls[n];
    for (const auto& e : na.entries) {
      if (e.egress == rec.egress && e.rule_number == rec.rule_number)
        return c.error(
            ErrorCode::kAlreadyExists, "NetworkAclEntryAlreadyExists",
            fmt::format("The network acl entry identified by {} already exists.", rec.rule_number));
    }
    if (std::count_if(na.entries.begin(), na.entries.end(),
                      [&](const NaclEntryRec& e) { return e.egress == rec.egress; }) >= 21)
      return c.error(ErrorCode::kLimitExceeded, "NetworkAclEntryLimitExceeded",
                     "The maximum number of network ACL entries has been reached.");
    na.entries.push_back(rec);
    sort_entries(na);
    c.s.on_nacl_changed(n);
    c.history_resources.emplace_back("AWS::EC2::NetworkAcl", acl);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

Status SimEc2::delete_network_acl_entry(const std::string& acl, int rule_number, bool egress) {
  SIM_OP("ec2", "DeleteNetworkAclEntry");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object()
        .field("networkAclId", acl)
        .field("ruleNumber", rule_number)
        .field("egress", egress)
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize(
        fmt::format("arn:aws:ec2:{}:{}:network-acl/{}", c.session_region(), c.account_id(), acl)));
    FIREBREAK_TRY(auto n, need(c, Kind::kNacl, acl));
    auto& na = c.s.nacls[n];
    if (rule_number < 1 || rule_number > 32766)
      return c.invalid("InvalidParameterValue",
                       fmt::format("Invalid value '{}' for ruleNumber", rule_number));
    auto it = std::find_if(na.entries.begin(), na.entries.end(), [&](const NaclEntryRec& e) {
      return e.egress == egress && e.rule_number == rule_number;
    });
    if (it == na.entries.end())
      return c.not_found("InvalidNetworkAclEntry.NotFound",
                         fmt::format("The specified network ACL entry (rule number {}, {}) does "
                                     "not exist.",
                                     rule_number, egress ? "egress" : "ingress"));
    na.entries.erase(it);
    c.s.on_nacl_changed(n);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Elastic IPs

Result<std::vector<Address>> SimEc2::describe_addresses(const DescribeRequest& req) {
  SIM_OP("ec2", "DescribeAddresses");
  return s_.run<Result<std::vector<Address>>>(kOp, [&](Call& c) -> Result<std::vector<Address>> {
    auto w = c.params_writer();
    w.begin_object()
        .key("publicIpsSet")
        .begin_object()
        .end_object()
        .key("allocationIdsSet")
        .begin_object();
    if (!req.ids.empty()) {
      w.key("items").begin_array();
      for (const auto& id : req.ids) w.begin_object().field("allocationId", id).end_object();
      w.end_array();
    }
    w.end_object();
    write_filter_set(w, req.filters);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY_STATUS(
        check_filters(c, req.filters,
                      {"instance-id", "public-ip", "allocation-id", "association-id",
                       "network-interface-id", "private-ip-address", "domain"}));
    std::vector<Serial> candidates;
    if (!req.ids.empty()) {
      for (const auto& id : req.ids) {
        FIREBREAK_TRY(auto a, need(c, Kind::kEipAlloc, id));
        candidates.push_back(a);
      }
    } else {
      candidates = c.s.scopes[c.scope].eips;
    }
    std::vector<Address> out;
    for (auto a : candidates) {
      if (c.s.eips[a].released) continue;
      auto conv = to_address(c.s, a);
      bool ok = true;
      for (const auto& f : req.filters) {
        bool handled = false;
        const bool tag = tag_filter(f, conv.tags, handled);
        if (handled) {
          ok = ok && tag;
          continue;
        }
        if (f.name == "instance-id")
          ok = ok && !conv.instance_id.empty() && filter_hit(f, conv.instance_id);
        else if (f.name == "public-ip")
          ok = ok && filter_hit(f, conv.public_ip);
        else if (f.name == "allocation-id")
          ok = ok && filter_hit(f, conv.allocation_id);
        else if (f.name == "association-id")
          ok = ok && !conv.association_id.empty() && filter_hit(f, conv.association_id);
        else if (f.name == "network-interface-id")
          ok = ok && !conv.network_interface_id.empty() && filter_hit(f, conv.network_interface_id);
        else if (f.name == "private-ip-address")
          ok = ok && !conv.private_ip.empty() && filter_hit(f, conv.private_ip);
        else if (f.name == "domain")
          ok = ok && filter_hit(f, "vpc");
        else
          return std::unexpected(unknown_filter(c, f).error());
      }
      if (ok) out.push_back(std::move(conv));
    }
    return out;
  });
}

Status SimEc2::disassociate_address(const std::string& association_id) {
  SIM_OP("ec2", "DisassociateAddress");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("associationId", association_id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (!IdCodec::well_formed(Kind::kEipAssoc, association_id))
      return c.invalid("InvalidAssociationID.Malformed",
                       fmt::format("Invalid id: \"{}\"", association_id));
    auto serial = c.s.codec.parse(Kind::kEipAssoc, association_id);
    Serial found = kNoSerial;
    if (serial) {
      for (auto a : c.s.scopes[c.scope].eips) {
        if (!c.s.eips[a].released && c.s.eips[a].eni != kNoSerial && c.s.eips[a].assoc == *serial)
          found = a;
      }
    }
    if (found == kNoSerial)
      return c.not_found("InvalidAssociationID.NotFound",
                         fmt::format("The association ID '{}' does not exist", association_id));
    auto& eip = c.s.eips[found];
    const Serial eni = eip.eni;
    c.s.eni_by_public_ip.erase(eip.public_ip);
    c.s.enis[eni].eip = kNoSerial;
    eip.eni = kNoSerial;
    eip.assoc = kNoSerial;
    // Connections that used the address lose their path (network.cpp).
    c.s.on_groups_changed(eni);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true})";
    return {};
  });
}

Result<std::string> SimEc2::associate_address(const std::string& allocation_id,
                                              const std::string& instance_id) {
  SIM_OP("ec2", "AssociateAddress");
  return s_.run<Result<std::string>>(kOp, [&](Call& c) -> Result<std::string> {
    auto w = c.params_writer();
    w.begin_object()
        .field("allocationId", allocation_id)
        .field("instanceId", instance_id)
        .end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    FIREBREAK_TRY(auto a, need(c, Kind::kEipAlloc, allocation_id));
    FIREBREAK_TRY(auto i, need(c, Kind::kInstance, instance_id));
    const auto st = c.s.instances[i].state;
    if (st != InstState::kRunning && st != InstState::kStopped)
      return c.invalid("InvalidInstanceID",
                       fmt::format("The {} instance '{}' is not in a valid state for this "
                                   "operation.",
                                   state_name(st), instance_id));
    auto& eip = c.s.eips[a];
    const Serial eni = c.s.instances[i].enis[0];
    if (eip.eni != kNoSerial) {
      c.s.enis[eip.eni].eip = kNoSerial;
      c.s.on_groups_changed(eip.eni);
    }
    if (c.s.enis[eni].eip != kNoSerial) {
      c.s.eips[c.s.enis[eni].eip].eni = kNoSerial;
      c.s.eips[c.s.enis[eni].eip].assoc = kNoSerial;
    }
    auto& en = c.s.enis[eni];
    if (en.auto_public_ip != 0) {
      c.s.eni_by_public_ip.erase(en.auto_public_ip);
      en.auto_public_ip = 0;
    }
    eip.eni = eni;
    eip.assoc = c.s.next_eip_assoc++;
    en.eip = a;
    c.s.eni_by_public_ip[eip.public_ip] = eni;
    c.s.on_groups_changed(eni);
    const auto assoc = c.s.id(Kind::kEipAssoc, eip.assoc);
    c.response = R"({"requestId":")" + c.request_id + R"(","_return":true,"associationId":")" +
                 assoc + "\"}";
    return assoc;
  });
}

// ---------------------------------------------------------------------------------------------
// Builders (god mode)

Result<std::string> World::add_security_group(
    const std::string& vpc_id, const std::string& name, const std::string& description,
    const std::vector<IpPermission>& ingress,
    const std::optional<std::vector<IpPermission>>& egress) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto v = s.codec.parse(Kind::kVpc, vpc_id);
  if (!v || *v >= s.vpcs.size())
    return fail(ErrorCode::kNotFound, fmt::format("no VPC '{}'", vpc_id));
  const auto scope = s.vpcs[*v].scope;
  if (name == "default" || s.sg_by_name(*v, name) != kNoSerial)
    return fail(ErrorCode::kAlreadyExists, fmt::format("security group '{}' already exists", name));
  const Serial g = s.create_sg(scope, *v, name, description.empty() ? name : description, false);
  auto in_rules = rules_from(s, scope, ingress);
  if (!in_rules) return fail(in_rules.error().wrap(fmt::format("group '{}' ingress", name)));
  for (auto& r : *in_rules) r.rule_id = s.next_sg_rule++;
  s.sgs[g].ingress = std::move(*in_rules);
  if (egress) {
    auto out_rules = rules_from(s, scope, *egress);
    if (!out_rules) return fail(out_rules.error().wrap(fmt::format("group '{}' egress", name)));
    for (auto& r : *out_rules) r.rule_id = s.next_sg_rule++;
    s.sgs[g].egress = std::move(*out_rules);
  }
  const auto id = s.id(Kind::kSg, g);
  s.names[name] = id;
  return id;
}

Result<std::string> World::add_network_acl_entry(const std::string& vpc_id,
                                                 const NetworkAclEntry& entry) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto v = s.codec.parse(Kind::kVpc, vpc_id);
  if (!v || *v >= s.vpcs.size())
    return fail(ErrorCode::kNotFound, fmt::format("no VPC '{}'", vpc_id));
  const Serial n = s.vpcs[*v].default_nacl;
  NaclEntryRec r;
  r.rule_number = entry.rule_number;
  r.egress = entry.egress;
  r.allow = entry.rule_action == "allow";
  auto proto = parse_protocol(entry.protocol);
  if (!proto || entry.rule_number < 1 || entry.rule_number > 32766)
    return fail(ErrorCode::kInvalidArgument, "bad network ACL entry");
  r.all_proto = proto->all;
  r.proto = proto->number;
  r.from = entry.from_port;
  r.to = entry.to_port;
  auto cidr = parse_cidr(entry.cidr_block.empty() ? entry.ipv6_cidr_block : entry.cidr_block, true);
  if (!cidr) return fail(ErrorCode::kInvalidArgument, "bad network ACL entry CIDR");
  r.cidr = *cidr;
  auto& na = s.nacls[n];
  for (const auto& e : na.entries) {
    if (e.egress == r.egress && e.rule_number == r.rule_number)
      return fail(ErrorCode::kAlreadyExists, fmt::format("rule {} already exists", r.rule_number));
  }
  na.entries.push_back(r);
  sort_entries(na);
  s.on_nacl_changed(n);
  return s.id(Kind::kNacl, n);
}

Result<std::string> World::add_elastic_ip(const std::string& account, const std::string& region,
                                          const std::string& instance_id) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", account));
  const auto scope = s.scope_for(*a, region.empty() ? s.accounts[*a].regions.front() : region);
  EipRec e;
  e.scope = scope;
  e.public_ip = s.allocate_public_ip(scope);
  const auto serial = static_cast<Serial>(s.eips.size());
  s.eips.push_back(e);
  s.scopes[scope].eips.push_back(serial);
  s.eni_by_public_ip[e.public_ip] = kNoSerial;
  if (!instance_id.empty()) {
    std::string id = instance_id;
    if (auto n = s.names.find(id); n != s.names.end()) id = n->second;
    auto i = s.find(Kind::kInstance, id, scope);
    if (!i)
      return fail(ErrorCode::kNotFound,
                  fmt::format("no instance '{}' in that region", instance_id));
    const Serial eni = s.instances[*i].enis[0];
    auto& en = s.enis[eni];
    if (en.auto_public_ip != 0) {
      s.eni_by_public_ip.erase(en.auto_public_ip);
      en.auto_public_ip = 0;
    }
    en.eip = serial;
    s.eips[serial].eni = eni;
    s.eips[serial].assoc = s.next_eip_assoc++;
    s.eni_by_public_ip[e.public_ip] = eni;
  } else {
    s.eni_by_public_ip.erase(e.public_ip);
  }
  return s.id(Kind::kEipAlloc, serial);
}

}  // namespace firebreak::cloud::sim
