// Loading worlds from YAML (see worlds/README.md for the format).
#include "firebreak/cloud/sim/world_yaml.h"

#include <fmt/format.h>

#include <map>

#include "firebreak/core/fs.h"
#include "yaml_util.h"

namespace firebreak::cloud::sim {
namespace {

using yaml::Map;

// Names of one account's resources ("subnet:prod-a" -> id).
struct Names {
  std::string account_name;
  std::map<std::string, std::string> ids;
};

class Loader {
 public:
  Loader(yaml::Ctx& ctx, const WorldLoadOptions& opts) : ctx_(ctx), opts_(opts) {}

  Result<LoadedWorld> run(const YAML::Node& root) {
    Map top(ctx_, root, "");
    LoadedWorld out;
    if (auto w = top.map("world"); !w) {
      return std::unexpected(w.error());
    } else if (*w) {
      FIREBREAK_TRY(out.name, (*w)->str_or("name", "world"));
      FIREBREAK_TRY(out.description, (*w)->str_or("description", ""));
      FIREBREAK_TRY(auto seed, (*w)->integer("seed", 1, 0, INT64_MAX));
      out.seed = static_cast<std::uint64_t>(seed);
      FIREBREAK_TRY(auto start, (*w)->str_or("start", "2024-06-01T00:00:00Z"));
      auto t = parse_iso8601(start);
      if (!t)
        return std::unexpected(
            (*w)->error_at("start", fmt::format("'{}' is not an ISO 8601 time", start)));
      out.start = *t;
      FIREBREAK_TRY_STATUS((*w)->finish());
    } else {
      out.name = "world";
      out.start = *parse_iso8601("2024-06-01T00:00:00Z");
    }
    if (opts_.seed) out.seed = *opts_.seed;
    if (opts_.start) out.start = *opts_.start;
    WorldOptions wo = opts_.base;
    wo.seed = out.seed;
    wo.start = out.start;
    out.world = std::make_shared<World>(wo);
    world_ = out.world.get();

    FIREBREAK_TRY(auto accounts, top.maps("accounts"));
    if (accounts.empty())
      return std::unexpected(top.error_at("accounts", "at least one account is required"));
    // Accounts first, so that cross-account references (trust policies, org trails) resolve.
    for (auto& a : accounts) FIREBREAK_TRY_STATUS(account_header(a));
    if (auto org = top.map("organization"); !org) {
      return std::unexpected(org.error());
    } else if (*org) {
      FIREBREAK_TRY(auto id, (*org)->str("id"));
      FIREBREAK_TRY(auto mgmt, (*org)->str("management_account"));
      auto st = world_->set_organization(id, account_id(mgmt));
      if (!st) return std::unexpected((*org)->error_at("management_account", st.error().message()));
      FIREBREAK_TRY_STATUS((*org)->finish());
    }
    if (auto ti = top.map("threat_intel"); !ti) {
      return std::unexpected(ti.error());
    } else if (*ti) {
      for (const char* cat : {"c2", "mining", "tor", "malicious"}) {
        FIREBREAK_TRY(auto list, (*ti)->strings(cat));
        world_->add_threat_ips(cat, list);
      }
      FIREBREAK_TRY_STATUS((*ti)->finish());
    }
    if (auto bg = top.map("background"); !bg) {
      return std::unexpected(bg.error());
    } else if (*bg) {
      FIREBREAK_TRY(out.background.api_calls_per_hour,
                    (*bg)->number("api_calls_per_hour", 600, 0, 1e7));
      FIREBREAK_TRY(out.background.flows_per_instance_per_hour,
                    (*bg)->number("flows_per_instance_per_hour", 6, 0, 1e5));
      FIREBREAK_TRY(out.background.internet_scans_per_hour,
                    (*bg)->number("internet_scans_per_hour", 30, 0, 1e6));
      FIREBREAK_TRY_STATUS((*bg)->finish());
    }
    for (auto& a : accounts) FIREBREAK_TRY_STATUS(account_body(a, out));
    if (auto r = top.map("responder"); !r) {
      return std::unexpected(r.error());
    } else if (*r) {
      FIREBREAK_TRY(auto acct, (*r)->str("account"));
      FIREBREAK_TRY(auto user, (*r)->str("user"));
      const auto key = fmt::format("{}/{}", names_by_id_[account_id(acct)].account_name, user);
      auto it = out.user_keys.find(key);
      if (it == out.user_keys.end())
        return std::unexpected(
            (*r)->error_at("user", fmt::format("no user '{}' with an access key", key)));
      out.responder = it->second;
      out.responder_account = account_id(acct);
      FIREBREAK_TRY_STATUS((*r)->finish());
    }
    FIREBREAK_TRY_STATUS(top.finish());
    return out;
  }

 private:
  std::string account_id(const std::string& id_or_name) {
    if (auto it = account_by_name_.find(id_or_name); it != account_by_name_.end())
      return it->second;
    return id_or_name;
  }

  Status account_header(Map& a) {
    AccountSpec spec;
    FIREBREAK_TRY(spec.id, a.str("id"));
    FIREBREAK_TRY(spec.name, a.str_or("name", spec.id));
    FIREBREAK_TRY(spec.security, a.boolean("security", false));
    FIREBREAK_TRY(spec.management, a.boolean("management", false));
    FIREBREAK_TRY(spec.regions, a.strings("regions"));
    if (auto st = world_->add_account(spec); !st)
      return std::unexpected(a.error_at("id", st.error().message()));
    account_by_name_[spec.name] = spec.id;
    names_by_id_[spec.id].account_name = spec.name;
    return {};
  }

  // Resolves a name of kind `kind` ("subnet", "sg", ...) in this account; ids pass through.
  Result<std::string> ref(Map& m, const std::string& key, const std::string& value,
                          const std::string& kind, const Names& names) {
    static const std::map<std::string, std::string> kPrefix = {{"subnet", "subnet-"},
                                                               {"sg", "sg-"},
                                                               {"vpc", "vpc-"},
                                                               {"instance", "i-"},
                                                               {"image", "ami-"}};
    if (kind == "tg" && value.starts_with("arn:")) return value;
    if (auto p = kPrefix.find(kind); p != kPrefix.end() && value.starts_with(p->second)) {
      const auto hex = std::string_view(value).substr(p->second.size());
      if ((hex.size() == 8 || hex.size() == 17) &&
          hex.find_first_not_of("0123456789abcdef") == std::string_view::npos)
        return value;
    }
    auto it = names.ids.find(kind + ":" + value);
    if (it != names.ids.end()) return it->second;
    // "account/name" refers to another account's resource.
    if (auto slash = value.find('/'); slash != std::string::npos) {
      const auto acct = account_id(value.substr(0, slash));
      auto other = names_by_id_.find(acct);
      if (other != names_by_id_.end()) {
        auto jt = other->second.ids.find(kind + ":" + value.substr(slash + 1));
        if (jt != other->second.ids.end()) return jt->second;
      }
    }
    static const std::map<std::string, std::string> kNoun = {
        {"subnet", "subnet"},     {"sg", "security group"}, {"vpc", "VPC"},
        {"instance", "instance"}, {"tg", "target group"},   {"image", "image"}};
    return std::unexpected(m.error_at(key, fmt::format("no {} named '{}' in account '{}'",
                                                       kNoun.at(kind), value, names.account_name)));
  }

  void name(Names& names, const std::string& kind, const std::string& n, const std::string& id) {
    names.ids[kind + ":" + n] = id;
    world_->set_name(fmt::format("{}/{}", names.account_name, n), id);
    if (!global_names_.contains(n)) {
      world_->set_name(n, id);
      global_names_.insert(n);
    }
  }

  Result<std::vector<IpPermission>> permissions(Map& parent, const std::string& key,
                                                const Names& names) {
    FIREBREAK_TRY(auto rules, parent.maps(key));
    std::vector<IpPermission> out;
    for (auto& r : rules) {
      IpPermission p;
      FIREBREAK_TRY(p.ip_protocol, r.str_or("protocol", "-1"));
      if (p.ip_protocol == "all") p.ip_protocol = "-1";
      FIREBREAK_TRY(auto ports, r.str_or("ports", ""));
      if (!ports.empty()) {
        const auto dash = ports.find('-');
        try {
          p.from_port = std::stoi(ports.substr(0, dash));
          p.to_port = dash == std::string::npos ? p.from_port : std::stoi(ports.substr(dash + 1));
        } catch (...) {
          return std::unexpected(
              r.error_at("ports", fmt::format("'{}' is not a port or range", ports)));
        }
      } else if (p.ip_protocol == "tcp" || p.ip_protocol == "udp") {
        p.from_port = 0;
        p.to_port = 65535;
      }
      FIREBREAK_TRY(p.ipv4_ranges, r.strings("cidrs"));
      FIREBREAK_TRY(p.ipv6_ranges, r.strings("ipv6_cidrs"));
      FIREBREAK_TRY(auto groups, r.strings("groups"));
      for (const auto& g : groups) {
        FIREBREAK_TRY(auto id, ref(r, "groups", g, "sg", names));
        p.source_groups.push_back(id);
      }
      FIREBREAK_TRY_STATUS(r.finish());
      out.push_back(std::move(p));
    }
    return out;
  }

  Result<Tags> tags(Map& m) {
    FIREBREAK_TRY(auto pairs, m.pairs("tags"));
    Tags t;
    for (auto& [k, v] : pairs) t.push_back({k, v});
    return t;
  }

  Status account_body(Map& a, LoadedWorld& out) {
    const std::string id = *a.str("id");
    Names& names = names_by_id_[id];
    (void)a.str_or("name", "");
    (void)a.boolean("security", false);
    (void)a.boolean("management", false);
    (void)a.strings("regions");
    const auto regions = world_->regions(id);

    // ---- IAM ----
    if (auto iam = a.map("iam"); !iam) {
      return std::unexpected(iam.error());
    } else if (*iam) {
      FIREBREAK_TRY(auto policies, (*iam)->maps("policies"));
      for (auto& p : policies) {
        FIREBREAK_TRY(auto n, p.str("name"));
        FIREBREAK_TRY(auto doc, p.json_text("document"));
        if (doc.empty()) return std::unexpected(p.error_at("document", "is required"));
        auto arn = world_->add_managed_policy(id, n, doc);
        if (!arn) return std::unexpected(p.error_at("document", arn.error().message()));
        FIREBREAK_TRY_STATUS(p.finish());
      }
      auto managed = [&](Map& m) -> Result<std::vector<std::string>> {
        FIREBREAK_TRY(auto list, m.strings("managed_policies"));
        for (auto& arn : list) {
          if (!arn.starts_with("arn:")) arn = fmt::format("arn:aws:iam::{}:policy/{}", id, arn);
        }
        return list;
      };
      auto inlines = [&](Map& m) -> Result<std::vector<std::pair<std::string, std::string>>> {
        std::vector<std::pair<std::string, std::string>> out_pol;
        FIREBREAK_TRY(auto im, m.map("inline_policies"));
        if (!im) return out_pol;
        for (auto it = im->node().begin(); it != im->node().end(); ++it) {
          const std::string pname = it->first.Scalar();
          FIREBREAK_TRY(auto doc, im->json_text(pname));
          out_pol.emplace_back(pname, doc);
        }
        FIREBREAK_TRY_STATUS(im->finish());
        return out_pol;
      };
      FIREBREAK_TRY(auto groups, (*iam)->maps("groups"));
      for (auto& g : groups) {
        FIREBREAK_TRY(auto n, g.str("name"));
        FIREBREAK_TRY(auto m, managed(g));
        FIREBREAK_TRY(auto in, inlines(g));
        if (auto st = world_->add_group(id, n, m, in); !st)
          return std::unexpected(g.error_at("name", st.error().message()));
        FIREBREAK_TRY_STATUS(g.finish());
      }
      FIREBREAK_TRY(auto users, (*iam)->maps("users"));
      for (auto& u : users) {
        UserSpec spec;
        FIREBREAK_TRY(spec.name, u.str("name"));
        FIREBREAK_TRY(spec.path, u.str_or("path", "/"));
        FIREBREAK_TRY(spec.managed_policy_arns, managed(u));
        FIREBREAK_TRY(spec.inline_policies, inlines(u));
        FIREBREAK_TRY(spec.groups, u.strings("groups"));
        FIREBREAK_TRY(auto keys, u.integer("access_keys", 0, 0, 2));
        spec.access_keys = static_cast<int>(keys);
        FIREBREAK_TRY(spec.console_password, u.boolean("console_password", false));
        FIREBREAK_TRY(spec.mfa, u.boolean("mfa", false));
        FIREBREAK_TRY(spec.tags, tags(u));
        auto creds = world_->add_user(id, spec);
        if (!creds) return std::unexpected(u.error_at("name", creds.error().message()));
        if (!creds->empty())
          out.user_keys[fmt::format("{}/{}", names.account_name, spec.name)] = creds->front();
        FIREBREAK_TRY_STATUS(u.finish());
      }
      FIREBREAK_TRY(auto roles, (*iam)->maps("roles"));
      for (auto& r : roles) {
        RoleSpec spec;
        FIREBREAK_TRY(spec.name, r.str("name"));
        FIREBREAK_TRY(spec.path, r.str_or("path", "/"));
        FIREBREAK_TRY(spec.trust_policy, r.json_text("trust_policy"));
        FIREBREAK_TRY(auto trusts, r.strings("trusts"));
        if (!trusts.empty()) {
          if (!spec.trust_policy.empty())
            return std::unexpected(r.error_at("trusts", "give either trusts or trust_policy"));
          Json aws = Json::array(), svc = Json::array();
          for (const auto& t : trusts) {
            if (t.find(".amazonaws.com") != std::string::npos)
              svc.push_back(t);
            else
              aws.push_back(fmt::format("arn:aws:iam::{}:root", account_id(t)));
          }
          Json principal = Json::object();
          if (!aws.empty()) principal["AWS"] = aws;
          if (!svc.empty()) principal["Service"] = svc;
          spec.trust_policy =
              dump_json(Json{{"Version", "2012-10-17"},
                             {"Statement", Json::array({{{"Effect", "Allow"},
                                                         {"Principal", principal},
                                                         {"Action", "sts:AssumeRole"}}})}});
        }
        FIREBREAK_TRY(spec.managed_policy_arns, managed(r));
        FIREBREAK_TRY(spec.inline_policies, inlines(r));
        FIREBREAK_TRY(auto max, r.integer("max_session_seconds", 3600, 900, 43200));
        spec.max_session_seconds = static_cast<int>(max);
        FIREBREAK_TRY(spec.tags, tags(r));
        auto arn = world_->add_role(id, spec);
        if (!arn) return std::unexpected(r.error_at("name", arn.error().message()));
        FIREBREAK_TRY_STATUS(r.finish());
      }
      FIREBREAK_TRY(auto profiles, (*iam)->maps("instance_profiles"));
      for (auto& p : profiles) {
        FIREBREAK_TRY(auto n, p.str("name"));
        FIREBREAK_TRY(auto role, p.str_or("role", ""));
        if (auto st = world_->add_instance_profile(id, n, role); !st)
          return std::unexpected(p.error_at("role", st.error().message()));
        FIREBREAK_TRY_STATUS(p.finish());
      }
      FIREBREAK_TRY_STATUS((*iam)->finish());
    }

    // ---- networks ----
    FIREBREAK_TRY(auto vpcs, a.maps("vpcs"));
    for (auto& v : vpcs) {
      FIREBREAK_TRY(auto n, v.str("name"));
      FIREBREAK_TRY(auto region, v.str_or("region", regions.front()));
      if (std::find(regions.begin(), regions.end(), region) == regions.end())
        return std::unexpected(v.error_at(
            "region", fmt::format("region '{}' is not enabled for the account", region)));
      FIREBREAK_TRY(auto cidr, v.str("cidr"));
      FIREBREAK_TRY(auto dflt, v.boolean("default", false));
      FIREBREAK_TRY(auto ipv6, v.str_or("ipv6_cidr", ""));
      auto vpc = world_->add_vpc(id, region, cidr, dflt, n, ipv6);
      if (!vpc) return std::unexpected(v.error_at("cidr", vpc.error().message()));
      name(names, "vpc", n, *vpc);
      FIREBREAK_TRY(auto subnets, v.maps("subnets"));
      for (auto& s : subnets) {
        FIREBREAK_TRY(auto sn, s.str("name"));
        FIREBREAK_TRY(auto sc, s.str("cidr"));
        FIREBREAK_TRY(auto az, s.str_or("az", ""));
        FIREBREAK_TRY(auto s6, s.str_or("ipv6_cidr", ""));
        auto sub = world_->add_subnet(*vpc, sc, az, sn, s6);
        if (!sub) return std::unexpected(s.error_at("cidr", sub.error().message()));
        name(names, "subnet", sn, *sub);
        FIREBREAK_TRY_STATUS(s.finish());
      }
      FIREBREAK_TRY(auto groups, v.maps("security_groups"));
      for (auto& g : groups) {
        FIREBREAK_TRY(auto gn, g.str("name"));
        FIREBREAK_TRY(auto desc, g.str_or("description", gn));
        FIREBREAK_TRY(auto ingress, permissions(g, "ingress", names));
        std::optional<std::vector<IpPermission>> egress;
        if (g.has("egress")) {
          FIREBREAK_TRY(auto e, permissions(g, "egress", names));
          egress = std::move(e);
        }
        auto sg = world_->add_security_group(*vpc, gn, desc, ingress, egress);
        if (!sg) return std::unexpected(g.error_at("name", sg.error().message()));
        name(names, "sg", gn, *sg);
        FIREBREAK_TRY_STATUS(g.finish());
      }
      FIREBREAK_TRY(auto acl, v.maps("network_acl"));
      for (auto& e : acl) {
        NetworkAclEntry entry;
        FIREBREAK_TRY(auto rule, e.integer("rule", 100, 1, 32766));
        entry.rule_number = static_cast<int>(rule);
        FIREBREAK_TRY(entry.egress, e.boolean("egress", false));
        FIREBREAK_TRY(entry.rule_action, e.str("action"));
        FIREBREAK_TRY(auto proto, e.str_or("protocol", "-1"));
        entry.protocol = proto == "tcp"    ? "6"
                         : proto == "udp"  ? "17"
                         : proto == "icmp" ? "1"
                         : proto == "all"  ? "-1"
                                           : proto;
        FIREBREAK_TRY(auto ports, e.str_or("ports", ""));
        if (!ports.empty()) {
          const auto dash = ports.find('-');
          try {
            entry.from_port = std::stoi(ports.substr(0, dash));
            entry.to_port =
                dash == std::string::npos ? entry.from_port : std::stoi(ports.substr(dash + 1));
          } catch (...) {
            return std::unexpected(
                e.error_at("ports", fmt::format("'{}' is not a port or range", ports)));
          }
        }
        FIREBREAK_TRY(auto cidr, e.str("cidr"));
        (cidr.find(':') != std::string::npos ? entry.ipv6_cidr_block : entry.cidr_block) = cidr;
        auto st = world_->add_network_acl_entry(*vpc, entry);
        if (!st) return std::unexpected(e.error_at("rule", st.error().message()));
        FIREBREAK_TRY_STATUS(e.finish());
      }
      FIREBREAK_TRY(auto flow, v.str_or("flow_logs", ""));
      if (!flow.empty()) {
        auto fl = world_->add_flow_log(*vpc, flow);
        if (!fl) return std::unexpected(v.error_at("flow_logs", fl.error().message()));
      }
      FIREBREAK_TRY_STATUS(v.finish());
    }
    FIREBREAK_TRY(auto images, a.maps("images"));
    for (auto& im : images) {
      FIREBREAK_TRY(auto n, im.str("name"));
      FIREBREAK_TRY(auto region, im.str_or("region", regions.front()));
      auto img = world_->add_image(id, region, n);
      if (!img) return std::unexpected(im.error_at("name", img.error().message()));
      name(names, "image", n, *img);
      FIREBREAK_TRY_STATUS(im.finish());
    }

    // ---- load balancers before instances reference them; targets after ----
    FIREBREAK_TRY(auto instances, a.maps("instances"));
    for (auto& in : instances) FIREBREAK_TRY_STATUS(instance(in, id, names));
    FIREBREAK_TRY(auto tgs, a.maps("target_groups"));
    for (auto& t : tgs) {
      TargetGroupSpec spec;
      spec.account = id;
      FIREBREAK_TRY(spec.name, t.str("name"));
      FIREBREAK_TRY(spec.region, t.str_or("region", regions.front()));
      FIREBREAK_TRY(auto vpc, t.str_or("vpc", ""));
      if (!vpc.empty()) {
        FIREBREAK_TRY(spec.vpc_id, ref(t, "vpc", vpc, "vpc", names));
      }
      FIREBREAK_TRY(spec.target_type, t.str_or("target_type", "instance"));
      FIREBREAK_TRY(spec.protocol, t.str_or("protocol", "HTTP"));
      FIREBREAK_TRY(auto port, t.integer("port", 80, 1, 65535));
      spec.port = static_cast<int>(port);
      FIREBREAK_TRY(auto delay, t.integer("deregistration_delay", 300, 0, 3600));
      spec.deregistration_delay_seconds = static_cast<int>(delay);
      FIREBREAK_TRY(spec.attached_to_load_balancer, t.boolean("attached", true));
      FIREBREAK_TRY(auto targets, t.strings("targets"));
      for (const auto& x : targets) {
        if (spec.target_type == "ip") {
          spec.targets.push_back(x);
        } else {
          FIREBREAK_TRY(auto iid, ref(t, "targets", x, "instance", names));
          spec.targets.push_back(iid);
        }
      }
      auto arn = world_->add_target_group(spec);
      if (!arn) return std::unexpected(t.error_at("name", arn.error().message()));
      name(names, "tg", spec.name, *arn);
      FIREBREAK_TRY_STATUS(t.finish());
    }
    FIREBREAK_TRY(auto lbs, a.maps("load_balancers"));
    for (auto& l : lbs) {
      ClassicLbSpec spec;
      spec.account = id;
      FIREBREAK_TRY(spec.name, l.str("name"));
      FIREBREAK_TRY(spec.region, l.str_or("region", regions.front()));
      FIREBREAK_TRY(auto ids, l.strings("instances"));
      for (const auto& x : ids) {
        FIREBREAK_TRY(auto iid, ref(l, "instances", x, "instance", names));
        spec.instance_ids.push_back(iid);
      }
      if (auto st = world_->add_classic_load_balancer(spec); !st)
        return std::unexpected(l.error_at("name", st.error().message()));
      FIREBREAK_TRY_STATUS(l.finish());
    }
    FIREBREAK_TRY(auto asgs, a.maps("auto_scaling_groups"));
    for (auto& g : asgs) {
      AutoScalingGroupSpec spec;
      spec.account = id;
      FIREBREAK_TRY(spec.name, g.str("name"));
      FIREBREAK_TRY(spec.region, g.str_or("region", regions.front()));
      FIREBREAK_TRY(auto mn, g.integer("min", 1, 0, 1000));
      FIREBREAK_TRY(auto mx, g.integer("max", 4, 0, 1000));
      FIREBREAK_TRY(auto ds, g.integer("desired", 2, 0, 1000));
      spec.min_size = static_cast<int>(mn);
      spec.max_size = static_cast<int>(mx);
      spec.desired = static_cast<int>(ds);
      FIREBREAK_TRY(auto subnets, g.strings("subnets"));
      for (const auto& s : subnets) {
        FIREBREAK_TRY(auto sid, ref(g, "subnets", s, "subnet", names));
        spec.subnet_ids.push_back(sid);
      }
      FIREBREAK_TRY(auto launch, g.map("launch"));
      if (launch) {
        FIREBREAK_TRY(spec.launch.instance_type, launch->str_or("type", "t3.micro"));
        FIREBREAK_TRY(auto sgs, launch->strings("security_groups"));
        for (const auto& s : sgs) {
          FIREBREAK_TRY(auto sid, ref(*launch, "security_groups", s, "sg", names));
          spec.launch.security_group_ids.push_back(sid);
        }
        FIREBREAK_TRY(spec.launch.instance_profile, launch->str_or("profile", ""));
        FIREBREAK_TRY(spec.launch.ssm_agent, launch->boolean("ssm", false));
        FIREBREAK_TRY(spec.launch.public_ip, launch->boolean("public_ip", false));
        FIREBREAK_TRY(spec.launch.volumes, volumes(*launch));
        FIREBREAK_TRY(auto mem, launch->integer("memory_mib", 0, 0, 4 << 20));
        spec.launch.memory_mib = static_cast<std::uint64_t>(mem);
        FIREBREAK_TRY(auto image, launch->str_or("image", ""));
        if (!image.empty()) {
          FIREBREAK_TRY(spec.launch.image_id, ref(*launch, "image", image, "image", names));
        }
        FIREBREAK_TRY_STATUS(launch->finish());
      }
      FIREBREAK_TRY(auto tg_names, g.strings("target_groups"));
      for (const auto& t : tg_names) {
        FIREBREAK_TRY(auto arn, ref(g, "target_groups", t, "tg", names));
        spec.target_group_arns.push_back(arn);
      }
      FIREBREAK_TRY(spec.load_balancer_names, g.strings("load_balancers"));
      if (auto st = world_->add_auto_scaling_group(spec); !st)
        return std::unexpected(g.error_at("name", st.error().message()));
      for (int i = 1; i <= spec.desired; ++i) {
        const auto n = fmt::format("{}-{}", spec.name, i);
        if (auto iid = world_->resolve(n)) name(names, "instance", n, *iid);
      }
      FIREBREAK_TRY_STATUS(g.finish());
    }
    FIREBREAK_TRY(auto eips, a.maps("elastic_ips"));
    for (auto& e : eips) {
      FIREBREAK_TRY(auto region, e.str_or("region", regions.front()));
      FIREBREAK_TRY(auto inst, e.str_or("instance", ""));
      std::string iid;
      if (!inst.empty()) {
        FIREBREAK_TRY(iid, ref(e, "instance", inst, "instance", names));
      }
      auto alloc = world_->add_elastic_ip(id, region, iid);
      if (!alloc) return std::unexpected(e.error_at("instance", alloc.error().message()));
      FIREBREAK_TRY_STATUS(e.finish());
    }

    // ---- storage ----
    FIREBREAK_TRY(auto buckets, a.maps("buckets"));
    for (auto& b : buckets) {
      BucketSpec spec;
      spec.account = id;
      FIREBREAK_TRY(spec.name, b.str("name"));
      FIREBREAK_TRY(spec.region, b.str_or("region", regions.front()));
      FIREBREAK_TRY(spec.versioning, b.boolean("versioning", false));
      FIREBREAK_TRY(auto lock, b.map("object_lock"));
      if (lock) {
        spec.object_lock = true;
        FIREBREAK_TRY(spec.object_lock_default_mode, lock->str_or("mode", ""));
        FIREBREAK_TRY(auto days, lock->integer("days", 0, 0, 36500));
        spec.object_lock_default_days = static_cast<int>(days);
        if (!spec.object_lock_default_mode.empty() &&
            spec.object_lock_default_mode != "COMPLIANCE" &&
            spec.object_lock_default_mode != "GOVERNANCE")
          return std::unexpected(lock->error_at("mode", "must be COMPLIANCE or GOVERNANCE"));
        FIREBREAK_TRY_STATUS(lock->finish());
      }
      FIREBREAK_TRY(spec.policy, b.json_text("policy"));
      FIREBREAK_TRY(spec.canned_acl, b.str_or("acl", "private"));
      FIREBREAK_TRY(spec.legacy, b.boolean("legacy", false));
      FIREBREAK_TRY(auto pab, b.map("public_access_block"));
      if (pab) {
        PublicAccessBlock p;
        FIREBREAK_TRY(p.block_public_acls, pab->boolean("block_public_acls", false));
        FIREBREAK_TRY(p.ignore_public_acls, pab->boolean("ignore_public_acls", false));
        FIREBREAK_TRY(p.block_public_policy, pab->boolean("block_public_policy", false));
        FIREBREAK_TRY(p.restrict_public_buckets, pab->boolean("restrict_public_buckets", false));
        spec.public_access_block = p;
        FIREBREAK_TRY_STATUS(pab->finish());
      }
      FIREBREAK_TRY(spec.ownership, b.str_or("ownership", ""));
      FIREBREAK_TRY(auto objects, b.maps("objects"));
      for (auto& o : objects) {
        BucketSpec::ObjectSpec obj;
        FIREBREAK_TRY(obj.key, o.str("key"));
        FIREBREAK_TRY(obj.body, o.str_or("body", ""));
        FIREBREAK_TRY(obj.size, o.bytes("size", 0));
        FIREBREAK_TRY(obj.content_type, o.str_or("content_type", "application/octet-stream"));
        FIREBREAK_TRY_STATUS(o.finish());
        spec.objects.push_back(std::move(obj));
      }
      if (auto st = world_->add_bucket(spec); !st)
        return std::unexpected(b.error_at("name", st.error().message()));
      FIREBREAK_TRY_STATUS(b.finish());
    }

    // ---- logging and detection ----
    FIREBREAK_TRY(auto trails, a.maps("trails"));
    for (auto& t : trails) {
      TrailSpec spec;
      spec.account = id;
      FIREBREAK_TRY(spec.name, t.str("name"));
      FIREBREAK_TRY(spec.home_region, t.str_or("home_region", regions.front()));
      FIREBREAK_TRY(spec.bucket, t.str("bucket"));
      FIREBREAK_TRY(spec.prefix, t.str_or("prefix", ""));
      FIREBREAK_TRY(spec.multi_region, t.boolean("multi_region", true));
      FIREBREAK_TRY(spec.organization, t.boolean("organization", false));
      FIREBREAK_TRY(spec.logging, t.boolean("logging", true));
      FIREBREAK_TRY(spec.include_global_service_events, t.boolean("global_service_events", true));
      auto arn = world_->add_trail(spec);
      if (!arn) return std::unexpected(t.error_at("name", arn.error().message()));
      FIREBREAK_TRY_STATUS(t.finish());
    }
    FIREBREAK_TRY(auto gd, a.map("guardduty"));
    if (gd) {
      FIREBREAK_TRY(auto gd_regions, gd->strings("regions"));
      if (gd_regions.empty()) gd_regions = regions;
      FIREBREAK_TRY(auto bucket, gd->str_or("export_bucket", ""));
      for (const auto& r : gd_regions) {
        auto det = world_->add_detector(id, r, bucket);
        if (!det) return std::unexpected(gd->error_at("regions", det.error().message()));
      }
      FIREBREAK_TRY_STATUS(gd->finish());
    }
    FIREBREAK_TRY(auto queue, a.str_or("eventbridge_queue", ""));
    if (!queue.empty()) {
      if (auto st = world_->route_eventbridge_to_queue(id, regions.front(), queue); !st)
        return std::unexpected(a.error_at("eventbridge_queue", st.error().message()));
    }
    return a.finish();
  }

  // An instance's (or an Auto Scaling launch template's) `volumes:` list.
  static Result<std::vector<InstanceSpec::VolumeSpec>> volumes(Map& in) {
    std::vector<InstanceSpec::VolumeSpec> out;
    FIREBREAK_TRY(auto vols, in.maps("volumes"));
    for (auto& v : vols) {
      InstanceSpec::VolumeSpec vs;
      FIREBREAK_TRY(vs.device, v.str_or("device", "/dev/xvda"));
      FIREBREAK_TRY(auto size, v.integer("size", 8, 1, 65536));
      vs.size_gib = static_cast<int>(size);
      FIREBREAK_TRY(vs.type, v.str_or("type", "gp3"));
      FIREBREAK_TRY(vs.delete_on_termination, v.boolean("delete_on_termination", true));
      FIREBREAK_TRY(vs.encrypted, v.boolean("encrypted", false));
      FIREBREAK_TRY_STATUS(v.finish());
      out.push_back(vs);
    }
    return out;
  }

  Status instance(Map& in, const std::string& account, Names& names) {
    InstanceSpec spec;
    spec.account = account;
    FIREBREAK_TRY(auto base, in.str("name"));
    FIREBREAK_TRY(auto count, in.integer("count", 1, 1, 100000));
    instances_ += static_cast<std::size_t>(count);
    if (instances_ > opts_.limits.max_instances)
      return std::unexpected(in.error_at(
          "count", fmt::format("more than {} instances in the world", opts_.limits.max_instances)));
    FIREBREAK_TRY(spec.region, in.str_or("region", world_->regions(account).front()));
    FIREBREAK_TRY(auto subnet, in.str_or("subnet", ""));
    if (!subnet.empty()) {
      FIREBREAK_TRY(spec.subnet_id, ref(in, "subnet", subnet, "subnet", names));
    }
    FIREBREAK_TRY(auto image, in.str_or("image", ""));
    if (!image.empty()) {
      FIREBREAK_TRY(spec.image_id, ref(in, "image", image, "image", names));
    }
    FIREBREAK_TRY(spec.instance_type, in.str_or("type", "t3.micro"));
    FIREBREAK_TRY(auto sgs, in.strings("security_groups"));
    for (const auto& s : sgs) {
      FIREBREAK_TRY(auto sid, ref(in, "security_groups", s, "sg", names));
      spec.security_group_ids.push_back(sid);
    }
    FIREBREAK_TRY(spec.instance_profile, in.str_or("profile", ""));
    FIREBREAK_TRY(spec.key_name, in.str_or("key_name", ""));
    FIREBREAK_TRY(spec.public_ip, in.boolean("public_ip", false));
    FIREBREAK_TRY(spec.state, in.str_or("state", "running"));
    FIREBREAK_TRY(spec.disable_api_termination, in.boolean("termination_protection", false));
    FIREBREAK_TRY(spec.shutdown_behavior, in.str_or("shutdown_behavior", "stop"));
    FIREBREAK_TRY(auto mem, in.integer("memory_mib", 0, 0, 4 << 20));
    spec.memory_mib = static_cast<std::uint64_t>(mem);
    FIREBREAK_TRY(spec.ssm_agent, in.boolean("ssm", false));
    FIREBREAK_TRY(spec.platform, in.str_or("platform", "Linux"));
    FIREBREAK_TRY(spec.console_output, in.str_or("console_output", ""));
    FIREBREAK_TRY(spec.user_data, in.str_or("user_data", ""));
    FIREBREAK_TRY(spec.tags, tags(in));
    FIREBREAK_TRY(spec.volumes, volumes(in));
    FIREBREAK_TRY(auto enis, in.maps("network_interfaces"));
    for (auto& e : enis) {
      InstanceSpec::EniSpec es;
      FIREBREAK_TRY(auto sn, e.str_or("subnet", ""));
      if (!sn.empty()) {
        FIREBREAK_TRY(es.subnet_id, ref(e, "subnet", sn, "subnet", names));
      }
      FIREBREAK_TRY(auto groups, e.strings("security_groups"));
      for (const auto& s : groups) {
        FIREBREAK_TRY(auto sid, ref(e, "security_groups", s, "sg", names));
        es.security_group_ids.push_back(sid);
      }
      FIREBREAK_TRY_STATUS(e.finish());
      spec.extra_enis.push_back(std::move(es));
    }
    FIREBREAK_TRY_STATUS(in.finish());
    for (std::int64_t i = 1; i <= count; ++i) {
      spec.name = count == 1 ? base : fmt::format("{}-{}", base, i);
      auto iid = world_->add_instance(spec);
      if (!iid) return std::unexpected(in.error_at("name", iid.error().message()));
      name(names, "instance", spec.name, *iid);
    }
    return {};
  }

  yaml::Ctx& ctx_;
  const WorldLoadOptions& opts_;
  World* world_ = nullptr;
  std::map<std::string, std::string> account_by_name_;
  std::map<std::string, Names> names_by_id_;
  std::set<std::string> global_names_;
  std::size_t instances_ = 0;
};

}  // namespace

Result<LoadedWorld> parse_world(std::string_view text, std::string_view name,
                                const WorldLoadOptions& options) {
  yaml::Ctx ctx(std::string(name), options.limits.max_nodes);
  yaml::Limits limits{options.limits.max_bytes, options.limits.max_depth, options.limits.max_nodes};
  FIREBREAK_TRY(auto root, yaml::load(text, ctx, limits));
  try {
    Loader loader(ctx, options);
    return loader.run(root);
  } catch (const YAML::Exception& e) {
    return fail(
        ErrorCode::kParse, e.msg,
        ErrorContext{.where = fmt::format("{}:{}:{}", name, e.mark.line + 1, e.mark.column + 1)});
  } catch (const std::exception& e) {
    return fail(ErrorCode::kParse, e.what(), ErrorContext{.where = std::string(name)});
  }
}

Result<LoadedWorld> load_world_file(const std::filesystem::path& path,
                                    const WorldLoadOptions& options) {
  FIREBREAK_TRY(auto text, read_file(path, options.limits.max_bytes + 1));
  return parse_world(text, path.string(), options);
}

}  // namespace firebreak::cloud::sim
