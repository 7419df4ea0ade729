// Taking the instance out of service before isolating it: Auto Scaling (detach or standby, so
// the group neither terminates the evidence nor routes work to it) and load balancers (ELBv2
// target groups, by instance id or by IP, and classic ELBs).
#include <fmt/format.h>

#include <algorithm>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

class DetachFromAutoScaling final : public BasicAction {
 public:
  DetachFromAutoScaling()
      : BasicAction(ActionSpec{
            .name = "autoscaling.detach_instance",
            .description = "Take the instance out of its Auto Scaling group: detach it (the group "
                           "launches a replacement unless decrement is true) or move it to "
                           "Standby.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("mode", ParamType::kString, "detach or standby", "detach"),
                       param("decrement", ParamType::kBool,
                             "lower the desired capacity instead of launching a replacement",
                             false)},
            .outputs = {"group", "mode", "decrement"},
            .permissions = {"autoscaling:DescribeAutoScalingInstances",
                            "autoscaling:DetachInstances", "autoscaling:EnterStandby"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(auto asg, ctx.cloud().autoscaling().describe_auto_scaling_instances({id}));
    if (asg.empty()) return std::vector<ApiCall>{};
    const bool standby = str(ctx, "mode") == "standby";
    return std::vector<ApiCall>{
        call("autoscaling", standby ? "EnterStandby" : "DetachInstances",
             fmt::format("{} from {} (decrement={})", id, asg.front().auto_scaling_group_name,
                         flag(ctx, "decrement")))};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    const std::string mode = str(ctx, "mode");
    if (mode != "detach" && mode != "standby") {
      return fail(ErrorCode::kInvalidArgument, "mode must be detach or standby, not " + mode);
    }
    const bool decrement = flag(ctx, "decrement");
    auto& asg = ctx.cloud().autoscaling();
    FIREBREAK_TRY(auto current, asg.describe_auto_scaling_instances({id}));
    Json s = scratch(ctx);
    ApplyResult r;
    if (current.empty() || (mode == "standby" && current.front().lifecycle_state == "Standby")) {
      r.outputs = {
          {"group", s.value("group", Json(nullptr))}, {"mode", mode}, {"decrement", decrement}};
      r.summary = s.contains("group")
                      ? fmt::format("{} {}", mode == "standby" ? "in Standby in" : "detached from",
                                    s["group"].get<std::string>())
                  : current.empty() ? "not in an Auto Scaling group"
                                    : "already in Standby";
      return r;
    }
    const std::string group = current.front().auto_scaling_group_name;
    // Detaching and entering Standby take a moment (lifecycle hooks, deregistration): wait
    // until the group lets go, so verify sees the final state.
    const std::string& state = current.front().lifecycle_state;
    if (state == "Detaching" || state == "EnteringStandby") {
      ApplyResult w;
      w.wait = std::chrono::seconds(5);
      w.summary = fmt::format("{} ({})", group, state);
      return w;
    }
    FIREBREAK_TRY_STATUS(remember(ctx, "group", group));
    if (mode == "standby") {
      FIREBREAK_TRY(auto acts, asg.enter_standby(group, {id}, decrement));
      (void)acts;
    } else {
      FIREBREAK_TRY(auto acts, asg.detach_instances(group, {id}, decrement));
      (void)acts;
    }
    r.outputs = {{"group", group}, {"mode", mode}, {"decrement", decrement}};
    r.changed = true;
    r.wait = std::chrono::seconds(5);  // until the lifecycle change completes (above)
    r.summary = fmt::format("{} {} {} (decrement={})",
                            mode == "standby" ? "moved to Standby in" : "detached from", group, id,
                            decrement);
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    FIREBREAK_TRY(auto current, ctx.cloud().autoscaling().describe_auto_scaling_instances(
                                    {str(ctx, "instance_id")}));
    if (outputs.value("mode", "detach") == "standby") {
      if (current.empty() || current.front().lifecycle_state == "Standby") {
        return Verification{true, "in Standby"};
      }
      return Verification{false, "lifecycle state " + current.front().lifecycle_state};
    }
    if (current.empty()) return Verification{true, "in no Auto Scaling group"};
    return Verification{false,
                        fmt::format("still in {} ({})", current.front().auto_scaling_group_name,
                                    current.front().lifecycle_state)};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    const std::string id = str(ctx, "instance_id");
    if (!outputs.value("group", Json(nullptr)).is_string()) return ApplyResult{};
    const std::string group = outputs["group"];
    auto& asg = ctx.cloud().autoscaling();
    if (outputs.value("mode", "detach") == "standby") {
      FIREBREAK_TRY(auto acts, asg.exit_standby(group, {id}));
      (void)acts;
    } else {
      FIREBREAK_TRY_STATUS(asg.attach_instances(group, {id}));
    }
    return ApplyResult{Json::object(), true, std::nullopt, "returned " + id + " to " + group};
  }
};

// Where the instance is registered: target groups (by id or IP) and classic ELBs.
struct Membership {
  Json target_groups = Json::array();  // [{arn, targets: [{id, port}]}]
  Json classic = Json::array();        // [name]
};

Result<Membership> membership(cloud::CloudSession& cloud, const std::string& id,
                              bool include_draining) {
  FIREBREAK_TRY(cloud::Instance inst, describe_instance(cloud.ec2(), id));
  std::vector<std::string> ips;
  for (const auto& n : inst.network_interfaces) {
    if (!n.private_ip.empty()) ips.push_back(n.private_ip);
  }
  if (!inst.private_ip.empty()) ips.push_back(inst.private_ip);
  Membership m;
  FIREBREAK_TRY(auto groups, cloud.elbv2().describe_target_groups({}));
  for (const auto& tg : groups) {
    FIREBREAK_TRY(auto health, cloud.elbv2().describe_target_health(tg.target_group_arn));
    Json targets = Json::array();
    for (const auto& h : health) {
      const bool mine =
          h.target.id == id || std::find(ips.begin(), ips.end(), h.target.id) != ips.end();
      const bool gone = h.state == "unused" || (!include_draining && h.state == "draining");
      if (mine && !gone) targets.push_back({{"id", h.target.id}, {"port", h.target.port}});
    }
    if (!targets.empty())
      m.target_groups.push_back({{"arn", tg.target_group_arn}, {"targets", targets}});
  }
  FIREBREAK_TRY(auto lbs, cloud.elb().describe_load_balancers({}));
  for (const auto& lb : lbs) {
    if (std::find(lb.instance_ids.begin(), lb.instance_ids.end(), id) != lb.instance_ids.end()) {
      m.classic.push_back(lb.load_balancer_name);
    }
  }
  return m;
}

std::vector<cloud::TargetDescription> targets_of(const Json& tg) {
  std::vector<cloud::TargetDescription> out;
  for (const auto& t : tg["targets"]) out.push_back({t["id"], t.value("port", 0), ""});
  return out;
}

class DeregisterFromLoadBalancers final : public BasicAction {
 public:
  DeregisterFromLoadBalancers()
      : BasicAction(ActionSpec{
            .name = "elb.deregister_instance",
            .description = "Deregister the instance from every ELBv2 target group holding it "
                           "(instance or IP targets) and every classic load balancer.",
            .params = {param("instance_id", ParamType::kString, "the instance")},
            .outputs = {"target_groups", "classic_load_balancers"},
            .permissions = {"ec2:DescribeInstances", "elasticloadbalancing:DescribeTargetGroups",
                            "elasticloadbalancing:DescribeTargetHealth",
                            "elasticloadbalancing:DeregisterTargets",
                            "elasticloadbalancing:DescribeLoadBalancers",
                            "elasticloadbalancing:DeregisterInstancesFromLoadBalancer"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    FIREBREAK_TRY(Membership m, membership(ctx.cloud(), str(ctx, "instance_id"), false));
    std::vector<ApiCall> calls;
    for (const auto& tg : m.target_groups) {
      calls.push_back(call("elasticloadbalancing", "DeregisterTargets", tg["arn"]));
    }
    for (const auto& lb : m.classic) {
      calls.push_back(call("elasticloadbalancing", "DeregisterInstancesFromLoadBalancer", lb));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(Membership m, membership(ctx.cloud(), id, false));
    Json s = scratch(ctx);
    if (!s.contains("before")) {
      FIREBREAK_TRY_STATUS(
          remember(ctx, "before",
                   {{"target_groups", m.target_groups}, {"classic_load_balancers", m.classic}}));
      s = scratch(ctx);
    }
    for (const auto& tg : m.target_groups) {
      FIREBREAK_TRY_STATUS(ctx.cloud().elbv2().deregister_targets(tg["arn"], targets_of(tg)));
    }
    for (const auto& lb : m.classic) {
      FIREBREAK_TRY_STATUS(ctx.cloud().elb().deregister_instances(lb, {id}));
    }
    ApplyResult r;
    r.outputs = s["before"];
    r.changed = !m.target_groups.empty() || !m.classic.empty();
    r.summary = r.changed
                    ? fmt::format("deregistered from {} target group(s) and {} classic ELB(s)",
                                  m.target_groups.size(), m.classic.size())
                    : "in no load balancer";
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY(Membership m, membership(ctx.cloud(), str(ctx, "instance_id"), false));
    if (m.target_groups.empty() && m.classic.empty()) {
      return Verification{true, "receives no load-balanced traffic (draining or unused)"};
    }
    return Verification{false, fmt::format("still registered: {} {}", dump_json(m.target_groups),
                                           dump_json(m.classic))};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    const std::string id = str(ctx, "instance_id");
    for (const auto& tg : outputs.value("target_groups", Json::array())) {
      FIREBREAK_TRY_STATUS(ctx.cloud().elbv2().register_targets(tg["arn"], targets_of(tg)));
    }
    for (const auto& lb : outputs.value("classic_load_balancers", Json::array())) {
      FIREBREAK_TRY_STATUS(ctx.cloud().elb().register_instances(lb, {id}));
    }
    return ApplyResult{Json::object(), true, std::nullopt, "re-registered with load balancers"};
  }
};

}  // namespace

std::unique_ptr<Action> make_autoscaling_detach_instance() {
  return std::make_unique<DetachFromAutoScaling>();
}
std::unique_ptr<Action> make_elb_deregister_instance() {
  return std::make_unique<DeregisterFromLoadBalancers>();
}

}  // namespace firebreak::respond::actions
