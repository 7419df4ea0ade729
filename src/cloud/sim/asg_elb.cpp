// Auto Scaling groups, ELBv2 target groups and classic load balancers in the simulator.
//
// Auto Scaling keeps InService+Pending instances at the desired capacity: detaching without
// decrementing, or putting an instance on standby without decrementing, launches a replacement
// (recorded as the service-linked role's RunInstances). An instance of a group that stops running
// is marked unhealthy and terminated by the group, termination protection notwithstanding (as in
// AWS), then replaced. Load balancers drain deregistered targets for the target group's
// deregistration delay before forgetting them.
#include <fmt/format.h>

#include <algorithm>

#include "ec2_util.h"
#include "session.h"

namespace firebreak::cloud::sim {
namespace {

constexpr Duration kHealthyAfter = std::chrono::seconds(150);  // 5 checks x 30 s
constexpr Duration kAsgGrace = std::chrono::seconds(10);

std::string tg_arn(const World::State& s, std::uint16_t scope, std::string_view name,
                   std::uint64_t n) {
  return fmt::format("arn:aws:elasticloadbalancing:{}:{}:targetgroup/{}/{:016x}",
                     s.region_of(scope), s.account_id(scope), name, n);
}

TargetGroupRec* find_tg(World::State& s, std::uint16_t scope, std::string_view arn) {
  for (auto& tg : s.target_groups) {
    if (tg.scope == scope && tg.arn == arn) return &tg;
  }
  return nullptr;
}

ClassicLbRec* find_clb(World::State& s, std::uint16_t scope, std::string_view name) {
  for (auto& lb : s.classic_lbs) {
    if (lb.scope == scope && lb.name == name) return &lb;
  }
  return nullptr;
}

AsgRec* find_asg(World::State& s, std::uint16_t scope, std::string_view name) {
  for (auto& a : s.asgs) {
    if (a.scope == scope && a.name == name) return &a;
  }
  return nullptr;
}

// Settles a target's state for the current time; returns false when it has been forgotten.
bool settle(const World::State& s, const TargetGroupRec& tg, TargetRec& t) {
  const TimePoint now = s.now();
  if (t.state == "draining") {
    if (now - t.since >= std::chrono::seconds(tg.dereg_delay)) return false;
    return true;
  }
  if (tg.lb_arns.empty()) {
    t.state = "unused";
    t.reason = "Target.NotInUse";
    return true;
  }
  bool up = false;
  if (tg.target_type == "instance") {
    auto i = s.codec.parse(Kind::kInstance, t.id);
    up = i && *i < s.instances.size() && s.instances[*i].state == InstState::kRunning;
  } else {
    auto ip = parse_ip(t.id);
    if (ip && !ip->v6) {
      auto it = s.eni_by_private_ip.find(ip->v4_value());
      if (it != s.eni_by_private_ip.end() && s.enis[it->second].instance != kNoSerial)
        up = s.instances[s.enis[it->second].instance].state == InstState::kRunning;
    }
  }
  if (t.state == "initial" && now - t.since < kHealthyAfter) {
    t.reason = "Elb.RegistrationInProgress";
    return true;
  }
  t.state = up ? "healthy" : "unhealthy";
  t.reason = up ? "" : "Target.FailedHealthChecks";
  return true;
}

void purge(World::State& s, TargetGroupRec& tg) {
  std::erase_if(tg.targets, [&](TargetRec& t) { return !settle(s, tg, t); });
}

TargetGroup to_tg(const World::State& s, const TargetGroupRec& tg) {
  TargetGroup out;
  out.target_group_arn = tg.arn;
  out.target_group_name = tg.name;
  out.target_type = tg.target_type;
  out.protocol = tg.protocol;
  out.port = tg.port;
  out.vpc_id = s.id(Kind::kVpc, tg.vpc);
  out.load_balancer_arns = tg.lb_arns;
  return out;
}

std::string activity(World::State& s) { return s.uuid(); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// State: group mechanics

void World::State::lb_deregister(std::uint32_t a, Serial inst) {
  auto& asg = asgs[a];
  const std::string id = this->id(Kind::kInstance, inst);
  for (const auto& arn : asg.target_groups) {
    if (auto* tg = find_tg(*this, asg.scope, arn)) {
      for (auto& t : tg->targets) {
        if (t.id == id && t.state != "draining") {
          t.state = "draining";
          t.reason = "Target.DeregistrationInProgress";
          t.since = now_;
        }
      }
    }
  }
  for (const auto& name : asg.load_balancers) {
    if (auto* lb = find_clb(*this, asg.scope, name)) std::erase(lb->instances, inst);
  }
}

void World::State::lb_register(std::uint32_t a, Serial inst) {
  auto& asg = asgs[a];
  const std::string id = this->id(Kind::kInstance, inst);
  for (const auto& arn : asg.target_groups) {
    if (auto* tg = find_tg(*this, asg.scope, arn)) {
      std::erase_if(tg->targets, [&](const TargetRec& t) { return t.id == id; });
      tg->targets.push_back(TargetRec{id, tg->port, sym(subnets[instances[inst].subnet].az),
                                      "initial", "Elb.RegistrationInProgress", now_});
    }
  }
  for (const auto& name : asg.load_balancers) {
    if (auto* lb = find_clb(*this, asg.scope, name)) {
      if (std::find(lb->instances.begin(), lb->instances.end(), inst) == lb->instances.end())
        lb->instances.push_back(inst);
    }
  }
}

void World::State::asg_launch(std::uint32_t a) {
  auto& asg = asgs[a];
  const Serial subnet =
      asg.subnets.empty() ? kNoSerial : asg.subnets[asg.launched % asg.subnets.size()];
  if (subnet == kNoSerial) return;
  InstanceSpec spec = asg.launch;
  spec.name = fmt::format("{}-{}", asg.name, asg.launched + 1);
  spec.tags.push_back({"aws:autoscaling:groupName", asg.name});
  std::vector<Serial> groups;
  for (const auto& g : spec.security_group_ids) {
    if (auto f = find(Kind::kSg, g, asg.scope)) groups.push_back(*f);
  }
  if (groups.empty()) groups.push_back(vpcs[subnets[subnet].vpc].default_sg);
  std::optional<std::uint32_t> profile;
  if (!spec.instance_profile.empty()) {
    const auto& iam = accounts[scopes[asg.scope].account].iam;
    if (auto it = iam.profile_index.find(spec.instance_profile); it != iam.profile_index.end())
      profile = it->second;
  }
  if (spec.image_id.empty() && !scopes[asg.scope].images.empty())
    spec.image_id = id(Kind::kImage, scopes[asg.scope].images.front());
  const Serial inst =
      launch_instance(spec, asg.scope, subnet, groups, profile, InstState::kPending);
  instances[inst].reservation = next_reservation++;
  instances[inst].asg = a;
  ++asg.launched;
  asg.instances.push_back(AsgInstanceRec{inst, "Pending", "Healthy"});

  // The launch is the service-linked role's call, and CloudTrail shows it.
  auto& acct = accounts[scopes[asg.scope].account];
  std::uint32_t role = 0xffffffffu;
  if (auto it = acct.iam.role_index.find("AWSServiceRoleForAutoScaling");
      it != acct.iam.role_index.end()) {
    role = it->second;
  } else {
    IamRoleRec r;
    r.name = "AWSServiceRoleForAutoScaling";
    r.path = "/aws-service-role/autoscaling.amazonaws.com/";
    r.id = iam_id("AROA");
    r.created = now_;
    r.service_linked = true;
    auto trust = Policy::parse(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"autoscaling.amazonaws.com"},"Action":"sts:AssumeRole"}]})",
        PolicyKind::kResource);
    r.trust = PolicyDoc{"", *trust};
    r.attached.push_back("arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy");
    role = static_cast<std::uint32_t>(acct.iam.roles.size());
    acct.iam.role_index[r.name] = role;
    acct.iam.roles.push_back(std::move(r));
  }
  const auto ses =
      new_session(scopes[asg.scope].account, role, "AutoScaling", std::chrono::hours(1));
  Caller svc = session_caller(ses, "autoscaling.amazonaws.com", "autoscaling.amazonaws.com");
  Call call(*this, svc, asg.scope, op_desc("ec2", "RunInstances"));
  {
    auto w = call.params_writer();
    w.begin_object()
        .key("instancesSet")
        .begin_object()
        .key("items")
        .begin_array()
        .begin_object()
        .field("imageId", spec.image_id)
        .field("minCount", 1)
        .field("maxCount", 1)
        .end_object()
        .end_array()
        .end_object()
        .field("instanceType", spec.instance_type)
        .field("subnetId", id(Kind::kSubnet, subnet))
        .field("clientToken", uuid())
        .end_object();
  }
  call.response = fmt::format(
      R"({{"requestId":"{}","reservationId":"{}","ownerId":"{}","instancesSet":{{"items":[{{"instanceId":"{}","instanceState":{{"code":0,"name":"pending"}}}}]}}}})",
      call.request_id, id(Kind::kReservation, instances[inst].reservation), account_id(asg.scope),
      id(Kind::kInstance, inst));
  call.history_resources.emplace_back("AWS::EC2::Instance", id(Kind::kInstance, inst));
  call.finish();

  after(std::chrono::seconds(15), [this, inst] {
    if (instances[inst].state == InstState::kPending)
      set_instance_state(inst, InstState::kRunning, {});
  });
  after(std::chrono::seconds(60), [this, a, inst] {
    auto& g = asgs[a];
    for (auto& m : g.instances) {
      if (m.instance == inst && m.lifecycle == "Pending" &&
          instances[inst].state == InstState::kRunning) {
        m.lifecycle = "InService";
        lb_register(a, inst);
      }
    }
  });
}

void World::State::asg_reconcile(std::uint32_t a) {
  auto& asg = asgs[a];
  int active = 0;
  for (const auto& m : asg.instances) {
    if (m.lifecycle == "Pending" || m.lifecycle == "InService") ++active;
  }
  for (int n = active; n < asg.desired; ++n) asg_launch(a);
}

void World::State::asg_instance_changed(Serial inst) {
  const auto a = instances[inst].asg;
  if (a == 0xffffffffu) return;
  auto& asg = asgs[a];
  auto it = std::find_if(asg.instances.begin(), asg.instances.end(),
                         [&](const AsgInstanceRec& m) { return m.instance == inst; });
  if (it == asg.instances.end()) return;
  if (it->lifecycle != "InService" && it->lifecycle != "Pending") return;
  const auto st = instances[inst].state;
  if (st == InstState::kRunning || st == InstState::kPending) return;
  // A group member that stopped running fails its health check and is replaced; the group
  // terminates it even with termination protection.
  it->health = "Unhealthy";
  it->lifecycle = "Terminating";
  lb_deregister(a, inst);
  after(kAsgGrace, [this, a, inst] {
    auto& g = asgs[a];
    if (instances[inst].state != InstState::kTerminated &&
        instances[inst].state != InstState::kShuttingDown)
      begin_terminate(inst, "Server.ScheduledStop: Auto Scaling health check");
    std::erase_if(g.instances, [&](const AsgInstanceRec& m) { return m.instance == inst; });
    instances[inst].asg = 0xffffffffu;
    asg_reconcile(a);
  });
}

// ---------------------------------------------------------------------------------------------
// Auto Scaling API

namespace {

AutoScalingInstance to_asg_instance(const World::State& s, const AsgRec& g,
                                    const AsgInstanceRec& m) {
  return {s.id(Kind::kInstance, m.instance), g.name, m.lifecycle, m.health,
          s.sym(s.subnets[s.instances[m.instance].subnet].az)};
}

Result<std::uint32_t> need_asg(Call& c, const std::string& name) {
  for (std::uint32_t i = 0; i < c.s.asgs.size(); ++i) {
    if (c.s.asgs[i].scope == c.scope && c.s.asgs[i].name == name) return i;
  }
  return c.invalid(
      "ValidationError",
      fmt::format("AutoScalingGroup name not found - AutoScalingGroup {} not found", name));
}

void asg_params(Call& c, const std::string& group, const std::vector<std::string>& ids,
                std::optional<bool> decrement) {
  auto w = c.params_writer();
  w.begin_object().field("autoScalingGroupName", group).key("instanceIds").begin_array();
  for (const auto& id : ids) w.value(id);
  w.end_array();
  if (decrement) w.field("shouldDecrementDesiredCapacity", *decrement);
  w.end_object();
}

Result<std::vector<std::size_t>> members(Call& c, AsgRec& g, const std::vector<std::string>& ids,
                                         std::string_view need_state) {
  std::vector<std::size_t> out;
  if (ids.empty()) return c.invalid("ValidationError", "The instance ID list must not be empty");
  for (const auto& id : ids) {
    auto it = std::find_if(g.instances.begin(), g.instances.end(), [&](const AsgInstanceRec& m) {
      return c.s.id(Kind::kInstance, m.instance) == id;
    });
    if (it == g.instances.end())
      return c.invalid(
          "ValidationError",
          fmt::format("The instance {} is not part of Auto Scaling group {}.", id, g.name));
    if (!need_state.empty() && it->lifecycle != need_state)
      return c.invalid("ValidationError",
                       fmt::format("The instance {} is not in {}.", id, need_state));
    out.push_back(static_cast<std::size_t>(it - g.instances.begin()));
  }
  return out;
}

void write_activities(Call& c, const std::vector<AutoScalingActivity>& acts) {
  auto rw = c.response_writer();
  rw.begin_object().key("activities").begin_array();
  for (const auto& a : acts)
    rw.begin_object()
        .field("activityId", a.activity_id)
        .field("description", a.description)
        .field("statusCode", a.status_code)
        .end_object();
  rw.end_array().end_object();
}

}  // namespace

Result<std::vector<AutoScalingInstance>> SimAutoScaling::describe_auto_scaling_instances(
    const std::vector<std::string>& ids) {
  SIM_OP("autoscaling", "DescribeAutoScalingInstances");
  return s_.run<Result<std::vector<AutoScalingInstance>>>(
      kOp, [&](Call& c) -> Result<std::vector<AutoScalingInstance>> {
        auto w = c.params_writer();
        w.begin_object().key("instanceIds").begin_array();
        for (const auto& id : ids) w.value(id);
        w.end_array().end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        if (ids.size() > 50)
          return c.invalid("ValidationError", "The number of instance IDs must not exceed 50");
        std::vector<AutoScalingInstance> out;
        for (const auto& g : c.s.asgs) {
          if (g.scope != c.scope) continue;
          for (const auto& m : g.instances) {
            const auto id = c.s.id(Kind::kInstance, m.instance);
            if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
            out.push_back(to_asg_instance(c.s, g, m));
          }
        }
        return out;
      });
}

Result<std::vector<AutoScalingGroup>> SimAutoScaling::describe_auto_scaling_groups(
    const std::vector<std::string>& names) {
  SIM_OP("autoscaling", "DescribeAutoScalingGroups");
  return s_.run<Result<std::vector<AutoScalingGroup>>>(
      kOp, [&](Call& c) -> Result<std::vector<AutoScalingGroup>> {
        auto w = c.params_writer();
        w.begin_object().key("autoScalingGroupNames").begin_array();
        for (const auto& n : names) w.value(n);
        w.end_array().end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        std::vector<AutoScalingGroup> out;
        for (const auto& g : c.s.asgs) {
          if (g.scope != c.scope) continue;
          if (!names.empty() && std::find(names.begin(), names.end(), g.name) == names.end())
            continue;
          AutoScalingGroup x;
          x.auto_scaling_group_name = g.name;
          x.auto_scaling_group_arn = g.arn;
          x.min_size = g.min;
          x.max_size = g.max;
          x.desired_capacity = g.desired;
          for (const auto& m : g.instances) x.instances.push_back(to_asg_instance(c.s, g, m));
          x.target_group_arns = g.target_groups;
          x.load_balancer_names = g.load_balancers;
          x.tags = g.tags;
          out.push_back(std::move(x));
        }
        return out;
      });
}

Result<std::vector<AutoScalingActivity>> SimAutoScaling::detach_instances(
    const std::string& group, const std::vector<std::string>& ids, bool decrement) {
  SIM_OP("autoscaling", "DetachInstances");
  return s_.run<Result<std::vector<AutoScalingActivity>>>(
      kOp, [&](Call& c) -> Result<std::vector<AutoScalingActivity>> {
        asg_params(c, group, ids, decrement);
        FIREBREAK_TRY(auto a, need_asg(c, group));
        FIREBREAK_TRY_STATUS(c.authorize(c.s.asgs[a].arn));
        auto& g = c.s.asgs[a];
        FIREBREAK_TRY(auto idx, members(c, g, ids, {}));
        if (decrement && g.desired - static_cast<int>(idx.size()) < g.min)
          return c.invalid("ValidationError",
                           fmt::format("Currently, desiredSize equals minSize ({}). Detaching {} "
                                       "instance(s) with decrement would leave fewer instances "
                                       "than minSize.",
                                       g.min, idx.size()));
        std::vector<AutoScalingActivity> out;
        std::vector<Serial> detached;
        for (auto k : idx) {
          auto& m = g.instances[k];
          m.lifecycle = "Detaching";
          detached.push_back(m.instance);
          out.push_back(
              {activity(c.s),
               fmt::format("Detaching EC2 instance: {}", c.s.id(Kind::kInstance, m.instance)),
               "InProgress"});
        }
        if (decrement) g.desired -= static_cast<int>(idx.size());
        for (auto inst : detached) c.s.lb_deregister(a, inst);
        auto& st = c.s;
        st.after(std::chrono::seconds(10), [&st, a, detached] {
          auto& grp = st.asgs[a];
          for (auto inst : detached) {
            std::erase_if(grp.instances,
                          [&](const AsgInstanceRec& m) { return m.instance == inst; });
            st.instances[inst].asg = 0xffffffffu;
          }
        });
        c.s.asg_reconcile(a);
        write_activities(c, out);
        return out;
      });
}

Status SimAutoScaling::attach_instances(const std::string& group,
                                        const std::vector<std::string>& ids) {
  SIM_OP("autoscaling", "AttachInstances");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    asg_params(c, group, ids, std::nullopt);
    FIREBREAK_TRY(auto a, need_asg(c, group));
    FIREBREAK_TRY_STATUS(c.authorize(c.s.asgs[a].arn));
    auto& g = c.s.asgs[a];
    std::vector<Serial> serials;
    for (const auto& id : ids) {
      auto i = IdCodec::well_formed(Kind::kInstance, id) ? c.s.find(Kind::kInstance, id, c.scope)
                                                         : std::nullopt;
      if (!i) return c.invalid("ValidationError", fmt::format("Instance ID {} is invalid.", id));
      if (c.s.instances[*i].state != InstState::kRunning)
        return c.invalid("ValidationError",
                         fmt::format("Instance {} is not in a running state.", id));
      if (c.s.instances[*i].asg != 0xffffffffu)
        return c.invalid(
            "ValidationError",
            fmt::format("The instance {} is already part of an Auto Scaling group.", id));
      serials.push_back(*i);
    }
    if (g.desired + static_cast<int>(serials.size()) > g.max)
      return c.invalid(
          "ValidationError",
          fmt::format("AttachInstances would exceed the maximum size ({}) of group {}.", g.max,
                      g.name));
    g.desired += static_cast<int>(serials.size());
    for (auto i : serials) {
      g.instances.push_back(AsgInstanceRec{i, "InService", "Healthy"});
      c.s.instances[i].asg = a;
      c.s.lb_register(a, i);
    }
    return {};
  });
}

Result<std::vector<AutoScalingActivity>> SimAutoScaling::enter_standby(
    const std::string& group, const std::vector<std::string>& ids, bool decrement) {
  SIM_OP("autoscaling", "EnterStandby");
  return s_.run<Result<std::vector<AutoScalingActivity>>>(
      kOp, [&](Call& c) -> Result<std::vector<AutoScalingActivity>> {
        asg_params(c, group, ids, decrement);
        FIREBREAK_TRY(auto a, need_asg(c, group));
        FIREBREAK_TRY_STATUS(c.authorize(c.s.asgs[a].arn));
        auto& g = c.s.asgs[a];
        FIREBREAK_TRY(auto idx, members(c, g, ids, "InService"));
        if (decrement && g.desired - static_cast<int>(idx.size()) < g.min)
          return c.invalid("ValidationError",
                           fmt::format("Cannot decrement the desired capacity below the minimum "
                                       "size ({}) of group {}.",
                                       g.min, g.name));
        std::vector<AutoScalingActivity> out;
        for (auto k : idx) {
          auto& m = g.instances[k];
          m.lifecycle = "Standby";
          c.s.lb_deregister(a, m.instance);
          out.push_back({activity(c.s),
                         fmt::format("Moving EC2 instance to Standby: {}",
                                     c.s.id(Kind::kInstance, m.instance)),
                         "InProgress"});
        }
        if (decrement) g.desired -= static_cast<int>(idx.size());
        c.s.asg_reconcile(a);
        write_activities(c, out);
        return out;
      });
}

Result<std::vector<AutoScalingActivity>> SimAutoScaling::exit_standby(
    const std::string& group, const std::vector<std::string>& ids) {
  SIM_OP("autoscaling", "ExitStandby");
  return s_.run<Result<std::vector<AutoScalingActivity>>>(
      kOp, [&](Call& c) -> Result<std::vector<AutoScalingActivity>> {
        asg_params(c, group, ids, std::nullopt);
        FIREBREAK_TRY(auto a, need_asg(c, group));
        FIREBREAK_TRY_STATUS(c.authorize(c.s.asgs[a].arn));
        auto& g = c.s.asgs[a];
        FIREBREAK_TRY(auto idx, members(c, g, ids, "Standby"));
        if (g.desired + static_cast<int>(idx.size()) > g.max)
          return c.invalid(
              "ValidationError",
              fmt::format("ExitStandby would exceed the maximum size ({}) of group {}.", g.max,
                          g.name));
        std::vector<AutoScalingActivity> out;
        for (auto k : idx) {
          auto& m = g.instances[k];
          m.lifecycle = "InService";
          c.s.lb_register(a, m.instance);
          out.push_back({activity(c.s),
                         fmt::format("Moving EC2 instance out of Standby: {}",
                                     c.s.id(Kind::kInstance, m.instance)),
                         "InProgress"});
        }
        g.desired += static_cast<int>(idx.size());
        write_activities(c, out);
        return out;
      });
}

// ---------------------------------------------------------------------------------------------
// ELBv2

Result<std::vector<TargetGroup>> SimElbv2::describe_target_groups(
    const std::vector<std::string>& arns, const std::string& lb_arn) {
  SIM_OP("elasticloadbalancing", "DescribeTargetGroups");
  return s_.run<Result<std::vector<TargetGroup>>>(
      kOp, [&](Call& c) -> Result<std::vector<TargetGroup>> {
        auto w = c.params_writer();
        w.begin_object();
        if (!arns.empty()) {
          w.key("targetGroupArns").begin_array();
          for (const auto& a : arns) w.value(a);
          w.end_array();
        }
        if (!lb_arn.empty()) w.field("loadBalancerArn", lb_arn);
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        if (!lb_arn.empty()) {
          bool known = false;
          for (const auto& tg : c.s.target_groups)
            if (tg.scope == c.scope &&
                std::find(tg.lb_arns.begin(), tg.lb_arns.end(), lb_arn) != tg.lb_arns.end())
              known = true;
          if (!known)
            return c.invalid("LoadBalancerNotFound", "One or more load balancers not found");
        }
        std::vector<TargetGroup> out;
        for (const auto& a : arns) {
          if (!find_tg(c.s, c.scope, a))
            return c.invalid("TargetGroupNotFound", "One or more target groups not found");
        }
        for (const auto& tg : c.s.target_groups) {
          if (tg.scope != c.scope) continue;
          if (!arns.empty() && std::find(arns.begin(), arns.end(), tg.arn) == arns.end()) continue;
          if (!lb_arn.empty() &&
              std::find(tg.lb_arns.begin(), tg.lb_arns.end(), lb_arn) == tg.lb_arns.end())
            continue;
          out.push_back(to_tg(c.s, tg));
        }
        return out;
      });
}

Result<std::vector<TargetHealth>> SimElbv2::describe_target_health(const std::string& arn) {
  SIM_OP("elasticloadbalancing", "DescribeTargetHealth");
  return s_.run<Result<std::vector<TargetHealth>>>(
      kOp, [&](Call& c) -> Result<std::vector<TargetHealth>> {
        auto w = c.params_writer();
        w.begin_object().field("targetGroupArn", arn).end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        auto* tg = find_tg(c.s, c.scope, arn);
        if (tg == nullptr)
          return c.invalid("TargetGroupNotFound", fmt::format("Target groups '{}' not found", arn));
        purge(c.s, *tg);
        std::vector<TargetHealth> out;
        for (const auto& t : tg->targets) {
          out.push_back({TargetDescription{t.id, t.port, t.az}, t.state, t.reason});
        }
        return out;
      });
}

namespace {

void targets_params(Call& c, const std::string& arn,
                    const std::vector<TargetDescription>& targets) {
  auto w = c.params_writer();
  w.begin_object().field("targetGroupArn", arn).key("targets").begin_array();
  for (const auto& t : targets) {
    w.begin_object().field("id", t.id);
    if (t.port) w.field("port", t.port);
    w.end_object();
  }
  w.end_array().end_object();
}

}  // namespace

Status SimElbv2::register_targets(const std::string& arn,
                                  const std::vector<TargetDescription>& targets) {
  SIM_OP("elasticloadbalancing", "RegisterTargets");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    targets_params(c, arn, targets);
    FIREBREAK_TRY_STATUS(c.authorize(arn));
    auto* tg = find_tg(c.s, c.scope, arn);
    if (tg == nullptr)
      return c.invalid("TargetGroupNotFound", fmt::format("Target groups '{}' not found", arn));
    if (targets.empty()) return c.invalid("ValidationError", "Targets must not be empty");
    std::vector<TargetRec> add;
    for (const auto& t : targets) {
      std::string az;
      if (tg->target_type == "instance") {
        auto i = IdCodec::well_formed(Kind::kInstance, t.id)
                     ? c.s.find(Kind::kInstance, t.id, c.scope)
                     : std::nullopt;
        if (!i)
          return c.invalid(
              "InvalidTarget",
              fmt::format("The following targets are not valid instances: '{}'", t.id));
        if (c.s.instances[*i].state != InstState::kRunning)
          return c.invalid(
              "InvalidTarget",
              fmt::format("The following targets are not in a running state and cannot "
                          "be registered: '{}'",
                          t.id));
        if (c.s.subnets[c.s.instances[*i].subnet].vpc != tg->vpc)
          return c.invalid(
              "InvalidTarget",
              fmt::format("The following targets are not in the target group VPC '{}': '{}'",
                          c.s.id(Kind::kVpc, tg->vpc), t.id));
        az = c.s.sym(c.s.subnets[c.s.instances[*i].subnet].az);
      } else {
        auto ip = parse_ip(t.id);
        if (!ip || !c.s.vpcs[tg->vpc].cidr.contains(*ip))
          return c.invalid(
              "InvalidTarget",
              fmt::format("The IP address '{}' is not within the target group VPC", t.id));
      }
      if (t.port < 0 || t.port > 65535) return c.invalid("ValidationError", "Invalid port");
      add.push_back(TargetRec{t.id, t.port ? t.port : tg->port, az, "initial",
                              "Elb.RegistrationInProgress", c.s.now()});
    }
    for (auto& t : add) {
      std::erase_if(tg->targets,
                    [&](const TargetRec& x) { return x.id == t.id && x.port == t.port; });
      tg->targets.push_back(std::move(t));
    }
    return {};
  });
}

Status SimElbv2::deregister_targets(const std::string& arn,
                                    const std::vector<TargetDescription>& targets) {
  SIM_OP("elasticloadbalancing", "DeregisterTargets");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    targets_params(c, arn, targets);
    FIREBREAK_TRY_STATUS(c.authorize(arn));
    auto* tg = find_tg(c.s, c.scope, arn);
    if (tg == nullptr)
      return c.invalid("TargetGroupNotFound", fmt::format("Target groups '{}' not found", arn));
    purge(c.s, *tg);
    std::vector<TargetRec*> hit;
    for (const auto& t : targets) {
      const int port = t.port ? t.port : tg->port;
      auto it = std::find_if(tg->targets.begin(), tg->targets.end(),
                             [&](const TargetRec& x) { return x.id == t.id && x.port == port; });
      if (it == tg->targets.end())
        return c.invalid(
            "InvalidTarget",
            fmt::format("The following targets are not registered in target group '{}': '{}'",
                        tg->name, t.id));
      hit.push_back(&*it);
    }
    for (auto* t : hit) {
      if (t->state == "draining") continue;
      t->state = "draining";
      t->reason = "Target.DeregistrationInProgress";
      t->since = c.s.now();
    }
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Classic ELB

Result<std::vector<ClassicLoadBalancer>> SimClassicElb::describe_load_balancers(
    const std::vector<std::string>& names) {
  SIM_OP("elasticloadbalancing", "DescribeLoadBalancers");
  return s_.run<Result<std::vector<ClassicLoadBalancer>>>(
      kOp, [&](Call& c) -> Result<std::vector<ClassicLoadBalancer>> {
        auto w = c.params_writer();
        w.begin_object().key("loadBalancerNames").begin_array();
        for (const auto& n : names) w.value(n);
        w.end_array().end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        for (const auto& n : names) {
          if (!find_clb(c.s, c.scope, n))
            return c.invalid("LoadBalancerNotFound",
                             fmt::format("There is no ACTIVE Load Balancer named '{}'", n));
        }
        std::vector<ClassicLoadBalancer> out;
        for (const auto& lb : c.s.classic_lbs) {
          if (lb.scope != c.scope) continue;
          if (!names.empty() && std::find(names.begin(), names.end(), lb.name) == names.end())
            continue;
          ClassicLoadBalancer x;
          x.load_balancer_name = lb.name;
          x.dns_name = lb.dns;
          if (lb.vpc != kNoSerial) x.vpc_id = c.s.id(Kind::kVpc, lb.vpc);
          for (auto i : lb.instances) x.instance_ids.push_back(c.s.id(Kind::kInstance, i));
          out.push_back(std::move(x));
        }
        return out;
      });
}

Result<std::vector<ClassicInstanceHealth>> SimClassicElb::describe_instance_health(
    const std::string& name) {
  SIM_OP("elasticloadbalancing", "DescribeInstanceHealth");
  return s_.run<Result<std::vector<ClassicInstanceHealth>>>(
      kOp, [&](Call& c) -> Result<std::vector<ClassicInstanceHealth>> {
        auto w = c.params_writer();
        w.begin_object().field("loadBalancerName", name).end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        auto* lb = find_clb(c.s, c.scope, name);
        if (lb == nullptr)
          return c.invalid("LoadBalancerNotFound",
                           fmt::format("There is no ACTIVE Load Balancer named '{}'", name));
        std::vector<ClassicInstanceHealth> out;
        for (auto i : lb->instances) {
          const bool up = c.s.instances[i].state == InstState::kRunning;
          out.push_back({c.s.id(Kind::kInstance, i), up ? "InService" : "OutOfService",
                         up ? "N/A" : "Instance"});
        }
        return out;
      });
}

namespace {

Status clb_change(SimSession& ss, const OpDesc& op, const std::string& name,
                  const std::vector<std::string>& ids, bool add) {
  return ss.run<Status>(op, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("loadBalancerName", name).key("instances").begin_array();
    for (const auto& id : ids) w.begin_object().field("instanceId", id).end_object();
    w.end_array().end_object();
    FIREBREAK_TRY_STATUS(
        c.authorize(fmt::format("arn:aws:elasticloadbalancing:{}:{}:loadbalancer/{}",
                                c.session_region(), c.account_id(), name)));
    auto* lb = find_clb(c.s, c.scope, name);
    if (lb == nullptr)
      return c.invalid("LoadBalancerNotFound",
                       fmt::format("There is no ACTIVE Load Balancer named '{}'", name));
    std::vector<Serial> serials;
    for (const auto& id : ids) {
      auto i = IdCodec::well_formed(Kind::kInstance, id) ? c.s.find(Kind::kInstance, id, c.scope)
                                                         : std::nullopt;
      if (!i)
        return c.invalid("InvalidInstance",
                         fmt::format("The requested instance '{}' is not valid", id));
      const bool registered =
          std::find(lb->instances.begin(), lb->instances.end(), *i) != lb->instances.end();
      if (!add && !registered)
        return c.invalid(
            "InvalidInstance",
            fmt::format("The instance '{}' is not registered with the load balancer", id));
      serials.push_back(*i);
    }
    for (auto i : serials) {
      if (add) {
        if (std::find(lb->instances.begin(), lb->instances.end(), i) == lb->instances.end())
          lb->instances.push_back(i);
      } else {
        std::erase(lb->instances, i);
      }
    }
    auto rw = c.response_writer();
    rw.begin_object().key("instances").begin_array();
    for (auto i : lb->instances)
      rw.begin_object().field("instanceId", c.s.id(Kind::kInstance, i)).end_object();
    rw.end_array().end_object();
    return {};
  });
}

}  // namespace

Status SimClassicElb::register_instances(const std::string& name,
                                         const std::vector<std::string>& ids) {
  SIM_OP("elasticloadbalancing", "RegisterInstancesWithLoadBalancer");
  return clb_change(s_, kOp, name, ids, true);
}

Status SimClassicElb::deregister_instances(const std::string& name,
                                           const std::vector<std::string>& ids) {
  SIM_OP("elasticloadbalancing", "DeregisterInstancesFromLoadBalancer");
  return clb_change(s_, kOp, name, ids, false);
}

// ---------------------------------------------------------------------------------------------
// Builders

Result<std::string> World::add_target_group(const TargetGroupSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  const auto scope =
      s.scope_for(*a, spec.region.empty() ? s.accounts[*a].regions.front() : spec.region);
  auto resolve = [&](const std::string& v) {
    if (auto n = s.names.find(v); n != s.names.end()) return n->second;
    return v;
  };
  Serial vpc = kNoSerial;
  if (spec.vpc_id.empty()) {
    vpc = s.default_vpc(scope);
    if (vpc == kNoSerial && !s.scopes[scope].vpcs.empty()) vpc = s.scopes[scope].vpcs.front();
  } else if (auto v = s.find(Kind::kVpc, resolve(spec.vpc_id), scope)) {
    vpc = *v;
  }
  if (vpc == kNoSerial)
    return fail(ErrorCode::kNotFound, fmt::format("target group '{}': no VPC", spec.name));
  if (spec.target_type != "instance" && spec.target_type != "ip")
    return fail(ErrorCode::kInvalidArgument, "target_type must be instance or ip");
  TargetGroupRec tg;
  tg.scope = scope;
  tg.name = spec.name;
  tg.arn = tg_arn(s, scope, spec.name, s.ids.next_u64());
  tg.target_type = spec.target_type;
  tg.protocol = spec.protocol;
  tg.port = spec.port;
  tg.vpc = vpc;
  tg.dereg_delay = spec.deregistration_delay_seconds;
  if (spec.attached_to_load_balancer)
    tg.lb_arns.push_back(
        fmt::format("arn:aws:elasticloadbalancing:{}:{}:loadbalancer/app/{}-alb/{:016x}",
                    s.region_of(scope), s.account_id(scope), spec.name, s.ids.next_u64()));
  for (const auto& t : spec.targets) {
    std::string id = resolve(t);
    std::string az;
    if (spec.target_type == "instance") {
      auto i = s.find(Kind::kInstance, id, scope);
      if (!i)
        return fail(ErrorCode::kNotFound,
                    fmt::format("target group '{}': no instance '{}'", spec.name, t));
      az = s.sym(s.subnets[s.instances[*i].subnet].az);
    }
    tg.targets.push_back(
        TargetRec{id, spec.port, az, "healthy", "", s.now_ - std::chrono::hours(1)});
  }
  const auto arn = tg.arn;
  s.target_groups.push_back(std::move(tg));
  s.names[spec.name] = arn;
  return arn;
}

Status World::add_classic_load_balancer(const ClassicLbSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  const auto scope =
      s.scope_for(*a, spec.region.empty() ? s.accounts[*a].regions.front() : spec.region);
  if (find_clb(s, scope, spec.name))
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("load balancer '{}' already exists", spec.name));
  ClassicLbRec lb;
  lb.scope = scope;
  lb.name = spec.name;
  lb.dns = fmt::format("{}-{}.{}.elb.amazonaws.com", spec.name, s.ids.uniform(1000000000),
                       s.region_of(scope));
  lb.vpc = s.default_vpc(scope);
  if (lb.vpc == kNoSerial && !s.scopes[scope].vpcs.empty()) lb.vpc = s.scopes[scope].vpcs.front();
  if (!spec.vpc_id.empty()) {
    std::string v = spec.vpc_id;
    if (auto n = s.names.find(v); n != s.names.end()) v = n->second;
    if (auto f = s.find(Kind::kVpc, v, scope)) lb.vpc = *f;
  }
  for (const auto& id : spec.instance_ids) {
    std::string v = id;
    if (auto n = s.names.find(v); n != s.names.end()) v = n->second;
    auto i = s.find(Kind::kInstance, v, scope);
    if (!i)
      return fail(ErrorCode::kNotFound,
                  fmt::format("load balancer '{}': no instance '{}'", spec.name, id));
    lb.instances.push_back(*i);
  }
  s.classic_lbs.push_back(std::move(lb));
  return {};
}

Status World::add_auto_scaling_group(const AutoScalingGroupSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  const auto scope =
      s.scope_for(*a, spec.region.empty() ? s.accounts[*a].regions.front() : spec.region);
  if (find_asg(s, scope, spec.name))
    return fail(ErrorCode::kAlreadyExists,
                fmt::format("Auto Scaling group '{}' already exists", spec.name));
  if (spec.min_size < 0 || spec.min_size > spec.desired || spec.desired > spec.max_size)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("Auto Scaling group '{}': need min <= desired <= max", spec.name));
  auto resolve = [&](const std::string& v) {
    if (auto n = s.names.find(v); n != s.names.end()) return n->second;
    return v;
  };
  AsgRec g;
  g.scope = scope;
  g.name = spec.name;
  g.arn = fmt::format("arn:aws:autoscaling:{}:{}:autoScalingGroup:{}:autoScalingGroupName/{}",
                      s.region_of(scope), s.account_id(scope), s.uuid(), spec.name);
  g.min = spec.min_size;
  g.max = spec.max_size;
  g.desired = spec.desired;
  g.launch = spec.launch;
  for (auto& gid : g.launch.security_group_ids) gid = resolve(gid);
  if (!g.launch.image_id.empty()) g.launch.image_id = resolve(g.launch.image_id);
  for (const auto& sn : spec.subnet_ids) {
    auto f = s.find(Kind::kSubnet, resolve(sn), scope);
    if (!f)
      return fail(ErrorCode::kNotFound,
                  fmt::format("Auto Scaling group '{}': no subnet '{}'", spec.name, sn));
    g.subnets.push_back(*f);
  }
  if (g.subnets.empty()) {
    const Serial vpc = s.default_vpc(scope);
    if (vpc == kNoSerial)
      return fail(ErrorCode::kNotFound,
                  fmt::format("Auto Scaling group '{}': no subnets", spec.name));
    g.subnets = s.vpcs[vpc].subnets;
  }
  for (const auto& arn : spec.target_group_arns) g.target_groups.push_back(resolve(arn));
  g.load_balancers = spec.load_balancer_names;
  const auto idx = static_cast<std::uint32_t>(s.asgs.size());
  s.asgs.push_back(std::move(g));
  // The group's instances already run (world building does not record launches).
  for (int n = 0; n < spec.desired; ++n) {
    auto& grp = s.asgs[idx];
    InstanceSpec ispec = grp.launch;
    ispec.name = fmt::format("{}-{}", grp.name, n + 1);
    ispec.account = spec.account;
    ispec.region = s.region_of(scope);
    ispec.tags.push_back({"aws:autoscaling:groupName", grp.name});
    std::vector<Serial> groups;
    for (const auto& gid : ispec.security_group_ids)
      if (auto f = s.find(Kind::kSg, gid, scope)) groups.push_back(*f);
    const Serial subnet = grp.subnets[n % grp.subnets.size()];
    if (groups.empty()) groups.push_back(s.vpcs[s.subnets[subnet].vpc].default_sg);
    std::optional<std::uint32_t> profile;
    if (!ispec.instance_profile.empty()) {
      const auto& iam = s.accounts[*a].iam;
      auto it = iam.profile_index.find(ispec.instance_profile);
      if (it == iam.profile_index.end())
        return fail(ErrorCode::kNotFound,
                    fmt::format("Auto Scaling group '{}': no instance profile '{}'", spec.name,
                                ispec.instance_profile));
      profile = it->second;
    }
    if (ispec.image_id.empty()) {
      if (s.scopes[scope].images.empty()) {
        const auto is = static_cast<Serial>(s.images.size());
        s.images.push_back(ImageRec{scope, "amzn2-ami-hvm-x86_64-gp2"});
        s.scopes[scope].images.push_back(is);
      }
      ispec.image_id = s.id(Kind::kImage, s.scopes[scope].images.front());
    }
    const Serial inst =
        s.launch_instance(ispec, scope, subnet, groups, profile, InstState::kRunning);
    s.instances[inst].reservation = s.next_reservation++;
    s.instances[inst].asg = idx;
    s.asgs[idx].instances.push_back(AsgInstanceRec{inst, "InService", "Healthy"});
    s.asgs[idx].launched++;
    s.names[ispec.name] = s.id(Kind::kInstance, inst);
    const std::string iid = s.id(Kind::kInstance, inst);
    for (const auto& arn : s.asgs[idx].target_groups) {
      if (auto* tg = find_tg(s, scope, arn))
        tg->targets.push_back(TargetRec{iid, tg->port, s.sym(s.subnets[subnet].az), "healthy", "",
                                        s.now_ - std::chrono::hours(1)});
    }
    for (const auto& name : s.asgs[idx].load_balancers)
      if (auto* lb = find_clb(s, scope, name)) lb->instances.push_back(inst);
  }
  return {};
}

}  // namespace firebreak::cloud::sim
