// Network containment.
//
// ec2.isolate_instance defeats connection tracking: security groups are stateful, so swapping an
// ENI straight to an empty group leaves already-tracked connections (an attacker's reverse shell)
// alive. A flow is untracked only while the groups allow all traffic both ways from/to 0.0.0.0/0
// and ::/0; so each ENI first moves to an all-open group (its flows become untracked), then to
// the isolation group (untracked flows drop as soon as the rules stop allowing them). Both
// groups are created per VPC when missing and found by name afterwards (idempotent).
//
// ec2.disassociate_addresses removes Elastic IPs; ec2.nacl_block is the stateless fallback that
// cuts traffic at once for the instance's addresses, at the cost of acting on its whole subnet's
// ACL.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

constexpr std::string_view kManagedTag = "FirebreakManaged";

cloud::IpPermission all_traffic(bool v4, bool v6) {
  cloud::IpPermission p;
  p.ip_protocol = "-1";
  if (v4) p.ipv4_ranges = {"0.0.0.0/0"};
  if (v6) p.ipv6_ranges = {"::/0"};
  return p;
}

// Whether `rules` contain a rule equal in protocol/ports that covers `cidr` (v4 or v6).
bool has_rule(const std::vector<cloud::IpPermission>& rules, const cloud::IpPermission& want) {
  for (const auto& r : rules) {
    if (r.ip_protocol != want.ip_protocol) continue;
    if (want.ip_protocol != "-1" && (r.from_port != want.from_port || r.to_port != want.to_port)) {
      continue;
    }
    const bool v4 = std::all_of(want.ipv4_ranges.begin(), want.ipv4_ranges.end(), [&](auto& c) {
      return std::find(r.ipv4_ranges.begin(), r.ipv4_ranges.end(), c) != r.ipv4_ranges.end();
    });
    const bool v6 = std::all_of(want.ipv6_ranges.begin(), want.ipv6_ranges.end(), [&](auto& c) {
      return std::find(r.ipv6_ranges.begin(), r.ipv6_ranges.end(), c) != r.ipv6_ranges.end();
    });
    if (v4 && v6) return true;
  }
  return false;
}

// The part of `want` that no existing rule covers yet, range by range (AWS rejects a whole
// Authorize call with InvalidPermission.Duplicate when any one of its ranges already exists, e.g.
// the all-open rule's 0.0.0.0/0 on a new group's default egress).
std::optional<cloud::IpPermission> missing_part(const std::vector<cloud::IpPermission>& rules,
                                                const cloud::IpPermission& want) {
  cloud::IpPermission left = want;
  left.ipv4_ranges.clear();
  left.ipv6_ranges.clear();
  auto single = [&](const std::string& cidr, bool v6) {
    cloud::IpPermission one = want;
    one.ipv4_ranges.clear();
    one.ipv6_ranges.clear();
    one.source_groups.clear();
    (v6 ? one.ipv6_ranges : one.ipv4_ranges).push_back(cidr);
    return one;
  };
  for (const auto& c : want.ipv4_ranges) {
    if (!has_rule(rules, single(c, false))) left.ipv4_ranges.push_back(c);
  }
  for (const auto& c : want.ipv6_ranges) {
    if (!has_rule(rules, single(c, true))) left.ipv6_ranges.push_back(c);
  }
  if (left.ipv4_ranges.empty() && left.ipv6_ranges.empty() && left.source_groups.empty()) {
    return std::nullopt;
  }
  return left;
}

struct GroupSpec {
  std::string name;
  std::string description;
  std::vector<cloud::IpPermission> ingress;
  std::vector<cloud::IpPermission> egress;
};

GroupSpec all_open_spec(const std::string& prefix, const std::string& vpc) {
  return {fmt::format("{}-all-open-{}", prefix, vpc),
          "firebreak: transitional all-open group that untracks connections before isolation",
          {all_traffic(true, true)},
          {all_traffic(true, true)}};
}

GroupSpec isolation_spec(const std::string& prefix, const std::string& vpc,
                         const std::vector<std::string>& evidence_cidrs) {
  GroupSpec g{
      fmt::format("{}-isolation{}-{}", prefix, evidence_cidrs.empty() ? "" : "-evidence", vpc),
      evidence_cidrs.empty() ? "firebreak: isolation, no traffic in or out"
                             : "firebreak: isolation, only HTTPS egress to the evidence endpoints",
      {},
      {}};
  if (!evidence_cidrs.empty()) {
    cloud::IpPermission p;
    p.ip_protocol = "tcp";
    p.from_port = p.to_port = 443;
    for (const auto& c : evidence_cidrs) {
      (c.find(':') == std::string::npos ? p.ipv4_ranges : p.ipv6_ranges).push_back(c);
    }
    g.egress.push_back(p);
  }
  return g;
}

Result<std::optional<cloud::SecurityGroup>> find_group(cloud::Ec2& ec2, const std::string& vpc,
                                                       const std::string& name) {
  FIREBREAK_TRY(auto groups, ec2.describe_security_groups(
                                 {.filters = {{"vpc-id", {vpc}}, {"group-name", {name}}}}));
  for (auto& g : groups) {
    if (g.group_name == name && g.vpc_id == vpc) return std::optional(std::move(g));
  }
  return std::optional<cloud::SecurityGroup>();
}

// Finds or creates the group and makes its rules exactly the spec's.
Result<std::string> ensure_group(cloud::Ec2& ec2, const std::string& vpc, const GroupSpec& spec,
                                 const std::string& incident, bool& created) {
  FIREBREAK_TRY(auto found, find_group(ec2, vpc, spec.name));
  if (!found) {
    auto id = ec2.create_security_group(
        {spec.name,
         spec.description,
         vpc,
         {{std::string(kManagedTag), "true"}, {std::string(kIncidentTag), incident}}});
    if (!id && id.error().code() != ErrorCode::kAlreadyExists) return fail(id.error());
    FIREBREAK_TRY(found, find_group(ec2, vpc, spec.name));
    if (!found)
      return fail(ErrorCode::kNotFound, "created security group " + spec.name + " vanished");
    created = true;
  }
  const cloud::SecurityGroup& g = *found;
  for (const auto& want : spec.ingress) {
    if (auto add = missing_part(g.ingress, want)) {
      FIREBREAK_TRY_STATUS(ec2.authorize_security_group_ingress(g.group_id, {*add}));
    }
  }
  for (const auto& want : spec.egress) {
    if (auto add = missing_part(g.egress, want)) {
      FIREBREAK_TRY_STATUS(ec2.authorize_security_group_egress(g.group_id, {*add}));
    }
  }
  // Remove anything not in the spec (a new group's default all-egress rule, or tampering).
  auto extra = [](const std::vector<cloud::IpPermission>& have,
                  const std::vector<cloud::IpPermission>& want) {
    std::vector<cloud::IpPermission> out;
    for (const auto& h : have) {
      if (std::find(want.begin(), want.end(), h) == want.end() && !has_rule(want, h)) {
        out.push_back(h);
      }
    }
    return out;
  };
  if (auto e = extra(g.ingress, spec.ingress); !e.empty()) {
    FIREBREAK_TRY_STATUS(ec2.revoke_security_group_ingress(g.group_id, e));
  }
  if (auto e = extra(g.egress, spec.egress); !e.empty()) {
    FIREBREAK_TRY_STATUS(ec2.revoke_security_group_egress(g.group_id, e));
  }
  return g.group_id;
}

class IsolateInstance final : public BasicAction {
 public:
  IsolateInstance()
      : BasicAction(ActionSpec{
            .name = "ec2.isolate_instance",
            .description = "Isolate every ENI of the instance in a way that cuts tracked "
                           "connections: all-open group first, then the isolation group (both "
                           "per VPC, created when missing). With evidence_egress_cidrs, the "
                           "isolation group allows only HTTPS egress to those (SSM/S3 endpoints).",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("evidence_egress_cidrs", ParamType::kStringList,
                             "CIDRs of the evidence endpoints reachable from isolation",
                             Json::array()),
                       param("group_prefix", ParamType::kString, "name prefix of the groups",
                             "firebreak")},
            .outputs = {"isolation_groups", "enis"},
            .permissions = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
                            "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress",
                            "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress",
                            "ec2:RevokeSecurityGroupIngress", "ec2:CreateTags",
                            "ec2:ModifyNetworkInterfaceAttribute"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    const std::string prefix = str(ctx, "group_prefix");
    const auto cidrs = strings(ctx, "evidence_egress_cidrs");
    FIREBREAK_TRY(auto enis, instance_enis(ctx.cloud().ec2(), id));
    std::vector<ApiCall> calls;
    std::set<std::string> vpcs;
    for (const auto& n : enis) vpcs.insert(n.vpc_id);
    for (const auto& vpc : vpcs) {
      for (const GroupSpec& spec :
           {all_open_spec(prefix, vpc), isolation_spec(prefix, vpc, cidrs)}) {
        FIREBREAK_TRY(auto found, find_group(ctx.cloud().ec2(), vpc, spec.name));
        if (!found) {
          calls.push_back(call("ec2", "CreateSecurityGroup", spec.name + " in " + vpc));
          if (!spec.ingress.empty()) {
            calls.push_back(call("ec2", "AuthorizeSecurityGroupIngress", spec.name));
          }
          calls.push_back(call(
              "ec2",
              spec.egress.empty() ? "RevokeSecurityGroupEgress" : "AuthorizeSecurityGroupEgress",
              spec.name));
        }
      }
    }
    for (const auto& n : enis) {
      calls.push_back(call("ec2", "ModifyNetworkInterfaceAttribute",
                           n.network_interface_id + ": groups -> all-open (untrack flows)"));
      calls.push_back(call("ec2", "ModifyNetworkInterfaceAttribute",
                           n.network_interface_id + ": groups -> isolation"));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    const std::string prefix = str(ctx, "group_prefix");
    const auto cidrs = strings(ctx, "evidence_egress_cidrs");
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto enis, instance_enis(ec2, id));
    if (enis.empty()) {
      return fail(ErrorCode::kFailedPrecondition, "instance " + id + " has no network interfaces");
    }
    Json s = scratch(ctx);
    if (!s.contains("before")) {
      Json before = Json::array();
      for (const auto& n : enis) {
        before.push_back(
            {{"network_interface_id", n.network_interface_id}, {"groups", group_ids(n.groups)}});
      }
      FIREBREAK_TRY_STATUS(remember(ctx, "before", before));
      s = scratch(ctx);
    }
    std::map<std::string, std::pair<std::string, std::string>> groups;  // vpc -> (open, isolation)
    bool created = false;
    for (const auto& n : enis) {
      if (groups.contains(n.vpc_id)) continue;
      FIREBREAK_TRY(std::string open, ensure_group(ec2, n.vpc_id, all_open_spec(prefix, n.vpc_id),
                                                   std::string(ctx.incident_id()), created));
      FIREBREAK_TRY(std::string iso,
                    ensure_group(ec2, n.vpc_id, isolation_spec(prefix, n.vpc_id, cidrs),
                                 std::string(ctx.incident_id()), created));
      groups[n.vpc_id] = {open, iso};
    }
    int swapped = 0;
    for (const auto& n : enis) {
      const auto& [open, iso] = groups[n.vpc_id];
      const auto current = group_ids(n.groups);
      if (current == std::vector<std::string>{iso}) continue;
      if (current != std::vector<std::string>{open}) {
        FIREBREAK_TRY_STATUS(ec2.modify_network_interface_groups(n.network_interface_id, {open}));
      }
      FIREBREAK_TRY_STATUS(ec2.modify_network_interface_groups(n.network_interface_id, {iso}));
      ++swapped;
    }
    ApplyResult r;
    Json iso_groups = Json::object();
    for (const auto& [vpc, g] : groups) iso_groups[vpc] = g.second;
    r.outputs = {{"isolation_groups", iso_groups}, {"enis", s["before"]}};
    r.changed = swapped > 0 || created;
    r.summary = swapped == 0
                    ? "already isolated"
                    : fmt::format("isolated {} ENI(s) via all-open then isolation group", swapped);
    ctx.record("observation", {{"isolation", r.outputs}});
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto enis, instance_enis(ec2, str(ctx, "instance_id")));
    const auto cidrs = strings(ctx, "evidence_egress_cidrs");
    std::vector<std::string> problems;
    for (const auto& n : enis) {
      const std::string iso = outputs["isolation_groups"].value(n.vpc_id, "");
      if (group_ids(n.groups) != std::vector<std::string>{iso}) {
        problems.push_back(fmt::format("{} has groups {}", n.network_interface_id,
                                       fmt::join(group_ids(n.groups), ",")));
      }
    }
    for (const auto& [vpc, gid] : outputs["isolation_groups"].items()) {
      FIREBREAK_TRY(auto gs, ec2.describe_security_groups({.ids = {gid.get<std::string>()}}));
      if (gs.empty()) {
        problems.push_back("isolation group " + gid.get<std::string>() + " is gone");
        continue;
      }
      if (!gs[0].ingress.empty()) problems.push_back(gid.get<std::string>() + " allows ingress");
      for (const auto& e : gs[0].egress) {
        const bool evidence =
            e.ip_protocol == "tcp" && e.from_port == 443 && e.to_port == 443 &&
            std::all_of(
                e.ipv4_ranges.begin(), e.ipv4_ranges.end(),
                [&](auto& c) { return std::find(cidrs.begin(), cidrs.end(), c) != cidrs.end(); }) &&
            std::all_of(e.ipv6_ranges.begin(), e.ipv6_ranges.end(), [&](auto& c) {
              return std::find(cidrs.begin(), cidrs.end(), c) != cidrs.end();
            });
        if (!evidence) problems.push_back(gid.get<std::string>() + " allows other egress");
      }
    }
    if (!problems.empty()) return Verification{false, fmt::format("{}", fmt::join(problems, "; "))};
    return Verification{true, fmt::format("{} ENI(s) only in isolation groups", enis.size())};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    auto& ec2 = ctx.cloud().ec2();
    for (const auto& e : outputs.value("enis", Json::array())) {
      std::vector<std::string> groups;
      for (const auto& g : e["groups"]) groups.push_back(g);
      FIREBREAK_TRY_STATUS(ec2.modify_network_interface_groups(e["network_interface_id"], groups));
    }
    return ApplyResult{Json::object(), true, std::nullopt, "restored the ENIs' security groups"};
  }
};

class DisassociateAddresses final : public BasicAction {
 public:
  DisassociateAddresses()
      : BasicAction(ActionSpec{.name = "ec2.disassociate_addresses",
                               .description = "Disassociate every Elastic IP from the instance.",
                               .params = {param("instance_id", ParamType::kString, "the instance")},
                               .outputs = {"addresses"},
                               .permissions = {"ec2:DescribeAddresses", "ec2:DisassociateAddress"},
                               .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    FIREBREAK_TRY(auto addrs, ctx.cloud().ec2().describe_addresses(
                                  {.filters = {{"instance-id", {str(ctx, "instance_id")}}}}));
    std::vector<ApiCall> calls;
    for (const auto& a : addrs) {
      if (!a.association_id.empty())
        calls.push_back(call("ec2", "DisassociateAddress", a.public_ip));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto addrs, ec2.describe_addresses({.filters = {{"instance-id", {id}}}}));
    Json s = scratch(ctx);
    if (!s.contains("before")) {
      Json before = Json::array();
      for (const auto& a : addrs) {
        before.push_back({{"allocation_id", a.allocation_id}, {"public_ip", a.public_ip}});
      }
      FIREBREAK_TRY_STATUS(remember(ctx, "before", before));
      s = scratch(ctx);
    }
    int n = 0;
    for (const auto& a : addrs) {
      if (a.association_id.empty()) continue;
      FIREBREAK_TRY_STATUS(ec2.disassociate_address(a.association_id));
      ++n;
    }
    ApplyResult r;
    r.outputs = {{"addresses", s["before"]}};
    r.changed = n > 0;
    r.summary = n ? fmt::format("disassociated {} Elastic IP(s)", n) : "no Elastic IP";
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY(auto addrs, ctx.cloud().ec2().describe_addresses(
                                  {.filters = {{"instance-id", {str(ctx, "instance_id")}}}}));
    for (const auto& a : addrs) {
      if (!a.association_id.empty()) return Verification{false, a.public_ip + " still associated"};
    }
    return Verification{true, "no Elastic IP associated"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    const std::string id = str(ctx, "instance_id");
    for (const auto& a : outputs.value("addresses", Json::array())) {
      FIREBREAK_TRY(auto assoc, ctx.cloud().ec2().associate_address(a["allocation_id"], id));
      (void)assoc;
    }
    return ApplyResult{Json::object(), true, std::nullopt, "re-associated Elastic IPs"};
  }
};

// Stateless deny entries for the instance's addresses in its subnets' network ACLs.
class NaclBlock final : public BasicAction {
 public:
  NaclBlock()
      : BasicAction(ActionSpec{
            .name = "ec2.nacl_block",
            .description = "Escalation: deny all traffic to and from the instance's private "
                           "addresses in its subnets' network ACLs (stateless: cuts at once, "
                           "but edits an ACL the whole subnet shares).",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("rule_number", ParamType::kInt, "first ACL rule number to use", 1)},
            .outputs = {"entries"},
            .permissions = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeNetworkAcls",
                            "ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"},
            .has_rollback = true}) {}

  struct Entry {
    std::string acl;
    int rule = 0;
    bool egress = false;
    std::string cidr;
  };

  Result<std::vector<Entry>> wanted(ActionContext& ctx) {
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto enis, instance_enis(ec2, str(ctx, "instance_id")));
    const int first = ctx.params().value("rule_number", 1);
    std::vector<Entry> out;
    int rule = first;
    for (const auto& n : enis) {
      FIREBREAK_TRY(auto acls, ec2.describe_network_acls(
                                   {.filters = {{"association.subnet-id", {n.subnet_id}}}}));
      if (acls.empty()) continue;
      for (bool egress : {false, true}) {
        out.push_back({acls[0].network_acl_id, rule, egress, n.private_ip + "/32"});
      }
      ++rule;
    }
    return out;
  }

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    FIREBREAK_TRY(auto entries, wanted(ctx));
    std::vector<ApiCall> calls;
    for (const auto& e : entries) {
      calls.push_back(call(
          "ec2", "CreateNetworkAclEntry",
          fmt::format("{} rule {} deny {} {}", e.acl, e.rule, e.egress ? "to" : "from", e.cidr)));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(auto entries, wanted(ctx));
    Json out = Json::array();
    int added = 0;
    for (const auto& e : entries) {
      FIREBREAK_TRY(auto acls, ec2.describe_network_acls({.ids = {e.acl}}));
      bool present = false;
      for (const auto& a : acls) {
        for (const auto& x : a.entries) {
          present |= x.rule_number == e.rule && x.egress == e.egress && x.cidr_block == e.cidr &&
                     x.rule_action == "deny";
        }
      }
      if (!present) {
        cloud::NetworkAclEntry entry;
        entry.rule_number = e.rule;
        entry.egress = e.egress;
        entry.rule_action = "deny";
        entry.cidr_block = e.cidr;
        FIREBREAK_TRY_STATUS(ec2.create_network_acl_entry(e.acl, entry));
        ++added;
      }
      out.push_back({{"network_acl_id", e.acl},
                     {"rule_number", e.rule},
                     {"egress", e.egress},
                     {"cidr", e.cidr}});
    }
    ApplyResult r;
    r.outputs = {{"entries", out}};
    r.changed = added > 0;
    r.summary = fmt::format("{} deny entr{} in network ACLs", added, added == 1 ? "y" : "ies");
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    for (const auto& e : outputs["entries"]) {
      FIREBREAK_TRY(auto acls,
                    ctx.cloud().ec2().describe_network_acls({.ids = {e["network_acl_id"]}}));
      bool present = false;
      for (const auto& a : acls) {
        for (const auto& x : a.entries) {
          present |= x.rule_number == e["rule_number"].get<int>() &&
                     x.egress == e["egress"].get<bool>() && x.rule_action == "deny";
        }
      }
      if (!present)
        return Verification{false,
                            "deny entry missing in " + e["network_acl_id"].get<std::string>()};
    }
    return Verification{true, "deny entries in place"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    for (const auto& e : outputs.value("entries", Json::array())) {
      FIREBREAK_TRY_STATUS(ctx.cloud().ec2().delete_network_acl_entry(
          e["network_acl_id"], e["rule_number"], e["egress"]));
    }
    return ApplyResult{Json::object(), true, std::nullopt, "removed the deny entries"};
  }
};

}  // namespace

std::unique_ptr<Action> make_ec2_isolate_instance() { return std::make_unique<IsolateInstance>(); }
std::unique_ptr<Action> make_ec2_disassociate_addresses() {
  return std::make_unique<DisassociateAddresses>();
}
std::unique_ptr<Action> make_ec2_nacl_block() { return std::make_unique<NaclBlock>(); }

}  // namespace firebreak::respond::actions
