#include "ec2_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace firebreak::cloud::sim {

const KindErrors& kind_errors(Kind k) {
  static const KindErrors kTable[] = {
      {Kind::kInstance, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed", "instance ID"},
      {Kind::kEni, "InvalidNetworkInterfaceID.NotFound", "InvalidNetworkInterfaceID.Malformed",
       "networkInterface ID"},
      {Kind::kVolume, "InvalidVolume.NotFound", "InvalidVolumeID.Malformed", "volume"},
      {Kind::kSnapshot, "InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed", "snapshot"},
      {Kind::kSg, "InvalidGroup.NotFound", "InvalidGroupId.Malformed", "security group"},
      {Kind::kVpc, "InvalidVpcID.NotFound", "InvalidVpcID.Malformed", "vpc ID"},
      {Kind::kSubnet, "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed", "subnet ID"},
      {Kind::kNacl, "InvalidNetworkAclID.NotFound", "InvalidNetworkAclID.Malformed", "network ACL"},
      {Kind::kEipAlloc, "InvalidAllocationID.NotFound", "InvalidAllocationID.Malformed",
       "allocation ID"},
      {Kind::kEipAssoc, "InvalidAssociationID.NotFound", "InvalidAssociationID.Malformed",
       "association ID"},
      {Kind::kIipAssoc, "InvalidAssociationID.NotFound", "InvalidAssociationID.Malformed",
       "association ID"},
      {Kind::kImage, "InvalidAMIID.NotFound", "InvalidAMIID.Malformed", "image id"},
  };
  for (const auto& e : kTable) {
    if (e.kind == k) return e;
  }
  return kTable[0];
}

Result<Serial> need(Call& c, Kind k, std::string_view id) {
  const auto& e = kind_errors(k);
  if (!IdCodec::well_formed(k, id)) {
    if (k == Kind::kSg)
      return c.invalid(e.malformed, fmt::format("Invalid id: \"{}\" (expecting \"sg-...\")", id));
    return c.invalid(e.malformed, fmt::format("Invalid id: \"{}\"", id));
  }
  if (auto s = c.s.find(k, id, c.scope)) return *s;
  if (k == Kind::kImage)
    return c.not_found(e.not_found, fmt::format("The image id '[{}]' does not exist", id));
  if (k == Kind::kSg || k == Kind::kVolume || k == Kind::kSnapshot || k == Kind::kNacl)
    return c.not_found(e.not_found, fmt::format("The {} '{}' does not exist", e.noun, id));
  return c.not_found(e.not_found, fmt::format("The {} '{}' does not exist", e.noun, id));
}

std::string_view state_name(InstState s) {
  switch (s) {
    case InstState::kPending: return "pending";
    case InstState::kRunning: return "running";
    case InstState::kShuttingDown: return "shutting-down";
    case InstState::kTerminated: return "terminated";
    case InstState::kStopping: return "stopping";
    case InstState::kStopped: return "stopped";
  }
  return "unknown";
}

int state_code(InstState s) {
  switch (s) {
    case InstState::kPending: return 0;
    case InstState::kRunning: return 16;
    case InstState::kShuttingDown: return 32;
    case InstState::kTerminated: return 48;
    case InstState::kStopping: return 64;
    case InstState::kStopped: return 80;
  }
  return 0;
}

std::optional<Proto> parse_protocol(std::string_view p) {
  if (p == "-1" || p == "all") return Proto{true, 0};
  if (p == "tcp") return Proto{false, 6};
  if (p == "udp") return Proto{false, 17};
  if (p == "icmp") return Proto{false, 1};
  if (p == "icmpv6") return Proto{false, 58};
  if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) return std::nullopt;
  const int n = std::stoi(std::string(p));
  if (n < 0 || n > 255) return std::nullopt;
  return Proto{false, static_cast<std::uint8_t>(n)};
}

std::string protocol_text(const SgRule& r) {
  if (r.all_proto) return "-1";
  switch (r.proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return std::to_string(r.proto);
  }
}

Status check_tags(Call& c, const Tags& tags) {
  for (const auto& t : tags) {
    if (t.key.empty() || t.key.size() > 128)
      return c.invalid("InvalidParameterValue",
                       fmt::format("Tag key '{}' must be between 1 and 128 characters", t.key));
    if (t.value.size() > 256)
      return c.invalid("InvalidParameterValue",
                       fmt::format("Tag value for key '{}' exceeds 256 characters", t.key));
    if (t.key.starts_with("aws:"))
      return c.invalid("InvalidParameterValue",
                       "Tag keys starting with 'aws:' are reserved for internal use");
  }
  return {};
}

void write_tag_set(JsonWriter& w, const Tags& tags) {
  w.key("tagSet").begin_object().key("items").begin_array();
  for (const auto& t : tags)
    w.begin_object().field("key", t.key).field("value", t.value).end_object();
  w.end_array().end_object();
}

void merge_tags(Tags& into, const Tags& add) {
  for (const auto& t : add) {
    auto it = std::find_if(into.begin(), into.end(), [&](const Tag& x) { return x.key == t.key; });
    if (it != into.end())
      it->value = t.value;
    else
      into.push_back(t);
  }
}

bool filter_hit(const Filter& f, std::string_view value) {
  for (const auto& v : f.values) {
    if (v.find_first_of("*?") != std::string::npos ? match_glob(v, value) : v == value) return true;
  }
  return false;
}

bool filter_hit_any(const Filter& f, const std::vector<std::string>& values) {
  return std::any_of(values.begin(), values.end(), [&](const auto& v) { return filter_hit(f, v); });
}

bool tag_filter(const Filter& f, const Tags& tags, bool& handled) {
  handled = true;
  if (f.name.starts_with("tag:")) {
    const auto key = std::string_view(f.name).substr(4);
    auto v = find_tag(tags, key);
    return v && filter_hit(f, *v);
  }
  if (f.name == "tag-key")
    return std::any_of(tags.begin(), tags.end(),
                       [&](const Tag& t) { return filter_hit(f, t.key); });
  if (f.name == "tag-value")
    return std::any_of(tags.begin(), tags.end(),
                       [&](const Tag& t) { return filter_hit(f, t.value); });
  handled = false;
  return false;
}

void write_filter_set(JsonWriter& w, const std::vector<Filter>& filters) {
  w.key("filterSet").begin_object();
  if (!filters.empty()) {
    w.key("items").begin_array();
    for (const auto& f : filters) {
      w.begin_object()
          .field("name", f.name)
          .key("valueSet")
          .begin_object()
          .key("items")
          .begin_array();
      for (const auto& v : f.values) w.begin_object().field("value", v).end_object();
      w.end_array().end_object().end_object();
    }
    w.end_array();
  }
  w.end_object();
}

Status unknown_filter(Call& c, const Filter& f) {
  return c.invalid("InvalidParameterValue", fmt::format("The filter '{}' is invalid", f.name));
}

Status check_filters(Call& c, const std::vector<Filter>& filters,
                     std::initializer_list<std::string_view> known) {
  for (const auto& f : filters) {
    if (f.name.starts_with("tag:") || f.name == "tag-key" || f.name == "tag-value") continue;
    if (std::find(known.begin(), known.end(), f.name) == known.end()) return unknown_filter(c, f);
  }
  return {};
}

std::string instance_arn(const World::State& s, Serial i) {
  const auto& in = s.instances[i];
  return fmt::format("arn:aws:ec2:{}:{}:instance/{}", s.region_of(in.scope), s.account_id(in.scope),
                     s.id(Kind::kInstance, i));
}

namespace {

std::vector<GroupIdentifier> groups_of(const World::State& s, const std::vector<Serial>& groups) {
  std::vector<GroupIdentifier> out;
  for (auto g : groups) out.push_back({s.id(Kind::kSg, g), s.sgs[g].name});
  return out;
}

std::string profile_arn(const World::State& s, std::uint16_t scope, std::uint32_t profile) {
  const auto acct = s.scopes[scope].account;
  const auto& p = s.accounts[acct].iam.profiles[profile];
  return fmt::format("arn:aws:iam::{}:instance-profile{}{}", s.accounts[acct].id, p.path, p.name);
}

}  // namespace

Instance to_instance(const World::State& s, Serial i) {
  const auto& in = s.instances[i];
  Instance out;
  out.instance_id = s.id(Kind::kInstance, i);
  out.image_id = s.sym(in.image);
  out.instance_type = s.sym(in.type);
  out.state = std::string(state_name(in.state));
  const auto& sn = s.subnets[in.subnet];
  out.vpc_id = s.id(Kind::kVpc, sn.vpc);
  out.subnet_id = s.id(Kind::kSubnet, in.subnet);
  out.availability_zone = s.sym(sn.az);
  out.key_name = s.sym(in.key_name);
  out.root_device_name = s.sym(in.root_device);
  out.launch_time = in.launch_time;
  out.tags = in.tags;
  if (in.iip_assoc != kNoSerial)
    out.iam_instance_profile_arn = profile_arn(s, in.scope, s.iip_assocs[in.iip_assoc].profile);
  if (in.state != InstState::kTerminated) {
    std::vector<Serial> all_groups;
    for (auto e : in.enis) {
      const auto& en = s.enis[e];
      for (auto g : en.groups) {
        if (std::find(all_groups.begin(), all_groups.end(), g) == all_groups.end())
          all_groups.push_back(g);
      }
      InstanceNetworkInterface ni;
      ni.network_interface_id = s.id(Kind::kEni, e);
      ni.subnet_id = s.id(Kind::kSubnet, en.subnet);
      ni.vpc_id = s.id(Kind::kVpc, s.subnets[en.subnet].vpc);
      ni.private_ip = format_ipv4(en.private_ip);
      if (auto pub = s.eni_public_ip(e); pub != 0) ni.public_ip = format_ipv4(pub);
      for (const auto& a : en.ipv6) ni.ipv6_addresses.push_back(format_ip(a));
      ni.groups = groups_of(s, en.groups);
      ni.device_index = en.device_index;
      ni.attachment_id = s.id(Kind::kEniAttach, en.attach_id);
      ni.status = "in-use";
      out.network_interfaces.push_back(std::move(ni));
    }
    out.security_groups = groups_of(s, all_groups);
    if (!in.enis.empty()) {
      out.private_ip = out.network_interfaces[0].private_ip;
      out.public_ip = out.network_interfaces[0].public_ip;
    }
    for (const auto& d : in.devices) {
      out.block_devices.push_back(
          {s.sym(d.device), s.id(Kind::kVolume, d.volume), d.delete_on_termination});
    }
  }
  return out;
}

NetworkInterface to_eni(const World::State& s, Serial e) {
  const auto& en = s.enis[e];
  NetworkInterface out;
  out.network_interface_id = s.id(Kind::kEni, e);
  out.subnet_id = s.id(Kind::kSubnet, en.subnet);
  out.vpc_id = s.id(Kind::kVpc, s.subnets[en.subnet].vpc);
  out.availability_zone = s.sym(s.subnets[en.subnet].az);
  out.private_ip = format_ipv4(en.private_ip);
  if (auto pub = s.eni_public_ip(e); pub != 0) out.public_ip = format_ipv4(pub);
  for (const auto& a : en.ipv6) out.ipv6_addresses.push_back(format_ip(a));
  out.groups = groups_of(s, en.groups);
  out.status = en.instance != kNoSerial ? "in-use" : "available";
  if (en.instance != kNoSerial) {
    out.attachment_instance_id = s.id(Kind::kInstance, en.instance);
    out.attachment_id = s.id(Kind::kEniAttach, en.attach_id);
    out.device_index = en.device_index;
  }
  out.description = s.sym(en.description);
  out.tags = en.tags;
  return out;
}

std::vector<IpPermission> permissions_of(const World::State& s, const std::vector<SgRule>& rules) {
  std::vector<IpPermission> out;
  for (const auto& r : rules) {
    const std::string proto = protocol_text(r);
    const int from = r.all_proto ? -1 : r.from, to = r.all_proto ? -1 : r.to;
    auto it = std::find_if(out.begin(), out.end(), [&](const IpPermission& p) {
      return p.ip_protocol == proto && p.from_port == from && p.to_port == to;
    });
    if (it == out.end()) {
      IpPermission p;
      p.ip_protocol = proto;
      p.from_port = from;
      p.to_port = to;
      out.push_back(p);
      it = out.end() - 1;
    }
    if (r.src == SgRule::Src::kGroup) {
      it->source_groups.push_back(s.id(Kind::kSg, r.group));
    } else if (r.cidr.v6()) {
      it->ipv6_ranges.push_back(format_cidr(r.cidr));
    } else {
      it->ipv4_ranges.push_back(format_cidr(r.cidr));
    }
  }
  return out;
}

SecurityGroup to_sg(const World::State& s, Serial g) {
  const auto& sg = s.sgs[g];
  SecurityGroup out;
  out.group_id = s.id(Kind::kSg, g);
  out.group_name = sg.name;
  out.description = sg.description;
  out.vpc_id = s.id(Kind::kVpc, sg.vpc);
  out.owner_id = s.account_id(sg.scope);
  out.ingress = permissions_of(s, sg.ingress);
  out.egress = permissions_of(s, sg.egress);
  out.tags = sg.tags;
  return out;
}

NetworkAcl to_nacl(const World::State& s, Serial n) {
  const auto& na = s.nacls[n];
  NetworkAcl out;
  out.network_acl_id = s.id(Kind::kNacl, n);
  out.vpc_id = s.id(Kind::kVpc, na.vpc);
  out.is_default = na.is_default;
  for (const auto& e : na.entries) {
    NetworkAclEntry x;
    x.rule_number = e.rule_number;
    x.protocol = e.all_proto ? "-1" : std::to_string(e.proto);
    x.egress = e.egress;
    x.rule_action = e.allow ? "allow" : "deny";
    if (e.cidr.v6())
      x.ipv6_cidr_block = format_cidr(e.cidr);
    else
      x.cidr_block = format_cidr(e.cidr);
    x.from_port = e.from;
    x.to_port = e.to;
    out.entries.push_back(std::move(x));
  }
  for (auto sn : s.vpcs[na.vpc].subnets) {
    if (s.subnets[sn].nacl == n) out.subnet_ids.push_back(s.id(Kind::kSubnet, sn));
  }
  out.tags = na.tags;
  return out;
}

Volume to_volume(const World::State& s, Serial v) {
  const auto& vo = s.volumes[v];
  Volume out;
  out.volume_id = s.id(Kind::kVolume, v);
  out.size_gib = vo.size_gib;
  out.state = vo.instance != kNoSerial ? "in-use" : "available";
  out.availability_zone = s.sym(vo.az);
  out.volume_type = s.sym(vo.type);
  out.encrypted = vo.encrypted;
  out.kms_key_id = s.sym(vo.kms);
  if (vo.snapshot != kNoSerial) out.snapshot_id = s.id(Kind::kSnapshot, vo.snapshot);
  if (vo.instance != kNoSerial) {
    out.attachments.push_back({s.id(Kind::kInstance, vo.instance), s.sym(vo.device), "attached",
                               vo.delete_on_termination});
  }
  out.tags = vo.tags;
  return out;
}

Snapshot to_snapshot(const World::State& s, Serial sn) {
  const auto& r = s.snapshots[sn];
  Snapshot out;
  out.snapshot_id = s.id(Kind::kSnapshot, sn);
  out.volume_id = s.id(Kind::kVolume, r.volume);
  const TimePoint now = s.now();
  if (now >= r.complete) {
    out.state = "completed";
    out.progress = "100%";
  } else {
    out.state = "pending";
    const double total = std::chrono::duration<double>(r.complete - r.start).count();
    const double done = std::chrono::duration<double>(now - r.start).count();
    const int pct = total <= 0 ? 0 : std::clamp(static_cast<int>(done * 100 / total), 0, 99);
    out.progress = fmt::format("{}%", pct);
  }
  out.start_time = r.start;
  out.volume_size_gib = r.size_gib;
  out.description = r.description;
  out.owner_id = s.account_id(r.scope);
  out.encrypted = r.encrypted;
  out.tags = r.tags;
  return out;
}

Address to_address(const World::State& s, Serial a) {
  const auto& e = s.eips[a];
  Address out;
  out.public_ip = format_ipv4(e.public_ip);
  out.allocation_id = s.id(Kind::kEipAlloc, a);
  if (e.eni != kNoSerial) {
    out.association_id = s.id(Kind::kEipAssoc, e.assoc);
    out.network_interface_id = s.id(Kind::kEni, e.eni);
    out.private_ip = format_ipv4(s.enis[e.eni].private_ip);
    if (s.enis[e.eni].instance != kNoSerial)
      out.instance_id = s.id(Kind::kInstance, s.enis[e.eni].instance);
  }
  out.tags = e.tags;
  return out;
}

IamInstanceProfileAssociation to_iip(const World::State& s, Serial a) {
  const auto& r = s.iip_assocs[a];
  IamInstanceProfileAssociation out;
  out.association_id = s.id(Kind::kIipAssoc, a);
  out.instance_id = s.id(Kind::kInstance, r.instance);
  const auto acct = s.scopes[r.scope].account;
  const auto& p = s.accounts[acct].iam.profiles[r.profile];
  out.iam_instance_profile_arn = profile_arn(s, r.scope, r.profile);
  out.iam_instance_profile_id = p.id;
  out.state = r.state == IipAssocRec::St::kAssociated ? "associated" : "disassociated";
  return out;
}

bool same_rule(const SgRule& a, const SgRule& b) {
  if (a.all_proto != b.all_proto || a.src != b.src) return false;
  if (!a.all_proto && (a.proto != b.proto || a.from != b.from || a.to != b.to)) return false;
  return a.src == SgRule::Src::kGroup ? a.group == b.group : a.cidr == b.cidr;
}

Result<std::vector<SgRule>> rules_from(World::State& s, std::uint16_t scope,
                                       const std::vector<IpPermission>& perms) {
  auto bad = [](std::string_view code, std::string msg) -> std::unexpected<Error> {
    return fail(ErrorCode::kInvalidArgument, msg, ErrorContext{.aws_code = std::string(code)});
  };
  std::vector<SgRule> out;
  for (const auto& p : perms) {
    auto proto = parse_protocol(p.ip_protocol);
    if (!proto)
      return bad(
          "InvalidParameterValue",
          fmt::format("Invalid value '{}' for IP protocol. Unknown protocol.", p.ip_protocol));
    SgRule base;
    base.all_proto = proto->all;
    base.proto = proto->number;
    if (!proto->all) {
      if (proto->number == 6 || proto->number == 17) {
        if (p.from_port < 0 || p.to_port > 65535 || p.from_port > p.to_port)
          return bad("InvalidParameterValue",
                     fmt::format("Invalid port range {}-{}", p.from_port, p.to_port));
      } else if (proto->number == 1 || proto->number == 58) {
        if (p.from_port < -1 || p.from_port > 255 || p.to_port < -1 || p.to_port > 255)
          return bad("InvalidParameterValue", "Invalid ICMP type or code");
      }
      base.from = p.from_port;
      base.to = p.to_port;
    }
    if (p.ipv4_ranges.empty() && p.ipv6_ranges.empty() && p.source_groups.empty())
      return bad("InvalidParameterValue",
                 "The request must contain the parameter ipRanges, ipv6Ranges or groups");
    for (const auto& c : p.ipv4_ranges) {
      auto cidr = parse_cidr(c, true);
      if (!cidr || cidr->v6())
        return bad("InvalidParameterValue", fmt::format("CIDR block {} is malformed", c));
      SgRule r = base;
      r.cidr = *cidr;
      out.push_back(r);
    }
    for (const auto& c : p.ipv6_ranges) {
      auto cidr = parse_cidr(c, true);
      if (!cidr || !cidr->v6())
        return bad("InvalidParameterValue", fmt::format("CIDR block {} is malformed", c));
      SgRule r = base;
      r.cidr = *cidr;
      out.push_back(r);
    }
    for (const auto& g : p.source_groups) {
      if (!IdCodec::well_formed(Kind::kSg, g))
        return bad("InvalidGroupId.Malformed", fmt::format("Invalid id: \"{}\"", g));
      auto serial = s.find(Kind::kSg, g, scope);
      if (!serial)
        return fail(ErrorCode::kNotFound, fmt::format("The security group '{}' does not exist", g),
                    ErrorContext{.aws_code = "InvalidGroup.NotFound"});
      SgRule r = base;
      r.src = SgRule::Src::kGroup;
      r.group = *serial;
      out.push_back(r);
    }
  }
  return out;
}

void write_ip_permissions(JsonWriter& w, const std::vector<IpPermission>& perms) {
  w.key("ipPermissions").begin_object().key("items").begin_array();
  for (const auto& p : perms) {
    w.begin_object().field("ipProtocol", p.ip_protocol);
    if (p.ip_protocol != "-1") w.field("fromPort", p.from_port).field("toPort", p.to_port);
    w.key("groups").begin_object();
    if (!p.source_groups.empty()) {
      w.key("items").begin_array();
      for (const auto& g : p.source_groups) w.begin_object().field("groupId", g).end_object();
      w.end_array();
    }
    w.end_object();
    w.key("ipRanges").begin_object();
    if (!p.ipv4_ranges.empty()) {
      w.key("items").begin_array();
      for (const auto& c : p.ipv4_ranges) w.begin_object().field("cidrIp", c).end_object();
      w.end_array();
    }
    w.end_object();
    w.key("ipv6Ranges").begin_object();
    if (!p.ipv6_ranges.empty()) {
      w.key("items").begin_array();
      for (const auto& c : p.ipv6_ranges) w.begin_object().field("cidrIpv6", c).end_object();
      w.end_array();
    }
    w.end_object();
    w.key("prefixListIds").begin_object().end_object();
    w.end_object();
  }
  w.end_array().end_object();
}

}  // namespace firebreak::cloud::sim
