// ec2.record_instance: read and record everything containment will change, before any change.
#include <fmt/format.h>

#include <algorithm>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

class RecordInstance final : public BasicAction {
 public:
  RecordInstance()
      : BasicAction(ActionSpec{
            .name = "ec2.record_instance",
            .description = "Record the instance's full state (network interfaces, groups, "
                           "volumes, profile, Auto Scaling and load balancer membership, Elastic "
                           "IPs, SSM coverage) before anything changes.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("check_ssm", ParamType::kBool,
                             "ask SSM whether the instance is managed (false: skip the call and "
                             "report it unmanaged, e.g. when no memory capture is wanted)",
                             true)},
            .outputs = {"instance_id", "state", "vpc_id", "subnet_id", "private_ips", "tags",
                        "termination_protection", "shutdown_behavior", "enis", "volumes",
                        "auto_scaling_group", "target_groups", "classic_load_balancers",
                        "addresses", "instance_profile", "role_name", "ssm_managed", "ssm_online"},
            .permissions = {"ec2:DescribeInstances", "ec2:DescribeInstanceAttribute",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DescribeIamInstanceProfileAssociations", "ec2:DescribeVolumes",
                            "ec2:DescribeAddresses", "autoscaling:DescribeAutoScalingInstances",
                            "elasticloadbalancing:DescribeTargetGroups",
                            "elasticloadbalancing:DescribeTargetHealth",
                            "elasticloadbalancing:DescribeLoadBalancers", "iam:GetInstanceProfile",
                            "ssm:DescribeInstanceInformation"},
            .mutating = false}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    std::vector<ApiCall> calls;
    for (const auto& p : spec().permissions) {
      const auto colon = p.find(':');
      if (p.starts_with("ssm:") && !flag(ctx, "check_ssm")) continue;
      calls.push_back(call(p.substr(0, colon), p.substr(colon + 1), "on " + id));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    auto& cloud = ctx.cloud();
    FIREBREAK_TRY(cloud::Instance inst, describe_instance(cloud.ec2(), id));
    FIREBREAK_TRY(std::string protection,
                  cloud.ec2().describe_instance_attribute(id, "disableApiTermination"));
    FIREBREAK_TRY(std::string shutdown,
                  cloud.ec2().describe_instance_attribute(id, "instanceInitiatedShutdownBehavior"));
    FIREBREAK_TRY(auto enis, instance_enis(cloud.ec2(), id));
    FIREBREAK_TRY(auto assocs, cloud.ec2().describe_iam_instance_profile_associations(
                                   {.filters = {{"instance-id", {id}}}}));
    FIREBREAK_TRY(auto volumes,
                  cloud.ec2().describe_volumes({.filters = {{"attachment.instance-id", {id}}}}));
    FIREBREAK_TRY(auto addresses,
                  cloud.ec2().describe_addresses({.filters = {{"instance-id", {id}}}}));
    FIREBREAK_TRY(auto asg, cloud.autoscaling().describe_auto_scaling_instances({id}));

    std::vector<std::string> ips;
    for (const auto& n : enis) {
      if (!n.private_ip.empty()) ips.push_back(n.private_ip);
    }
    if (ips.empty() && !inst.private_ip.empty()) ips.push_back(inst.private_ip);

    // Target groups holding the instance (instance targets) or one of its IPs (ip targets).
    Json target_groups = Json::array();
    FIREBREAK_TRY(auto groups, cloud.elbv2().describe_target_groups({}));
    for (const auto& tg : groups) {
      FIREBREAK_TRY(auto health, cloud.elbv2().describe_target_health(tg.target_group_arn));
      Json targets = Json::array();
      for (const auto& h : health) {
        const bool mine =
            h.target.id == id || std::find(ips.begin(), ips.end(), h.target.id) != ips.end();
        if (mine) {
          targets.push_back({{"id", h.target.id}, {"port", h.target.port}, {"state", h.state}});
        }
      }
      if (!targets.empty()) {
        target_groups.push_back(
            {{"arn", tg.target_group_arn}, {"target_type", tg.target_type}, {"targets", targets}});
      }
    }
    Json classic = Json::array();
    FIREBREAK_TRY(auto lbs, cloud.elb().describe_load_balancers({}));
    for (const auto& lb : lbs) {
      if (std::find(lb.instance_ids.begin(), lb.instance_ids.end(), id) != lb.instance_ids.end()) {
        classic.push_back(lb.load_balancer_name);
      }
    }
    std::vector<cloud::ManagedInstance> managed;
    if (flag(ctx, "check_ssm")) {
      FIREBREAK_TRY(managed, cloud.ssm().describe_instance_information({id}));
    }

    Json profile = nullptr;
    std::string role;
    for (const auto& a : assocs) {
      if (a.state == "associated" || a.state == "associating") {
        profile = {{"association_id", a.association_id}, {"arn", a.iam_instance_profile_arn}};
        FIREBREAK_TRY(role, role_of_instance_profile(cloud.iam(), a.iam_instance_profile_arn));
        break;
      }
    }
    Json eni_json = Json::array();
    for (const auto& n : enis) eni_json.push_back(to_json(n));
    Json vol_ids = Json::array(), vol_json = Json::array();
    for (const auto& v : volumes) {
      vol_ids.push_back(v.volume_id);
      vol_json.push_back(to_json(v));
    }
    Json addr = Json::array();
    for (const auto& a : addresses) {
      addr.push_back({{"association_id", a.association_id},
                      {"allocation_id", a.allocation_id},
                      {"public_ip", a.public_ip}});
    }
    bool ssm_managed = false, ssm_online = false;
    for (const auto& m : managed) {
      if (m.instance_id == id) {
        ssm_managed = true;
        ssm_online = m.ping_status == "Online";
      }
    }

    ApplyResult r;
    r.outputs = {{"instance_id", id},
                 {"state", inst.state},
                 {"vpc_id", inst.vpc_id},
                 {"subnet_id", inst.subnet_id},
                 {"private_ips", ips},
                 {"tags", to_json(inst.tags)},
                 {"termination_protection", protection == "true"},
                 {"shutdown_behavior", shutdown},
                 {"enis", eni_json},
                 {"volumes", vol_ids},
                 {"auto_scaling_group",
                  asg.empty() ? Json(nullptr) : Json(asg.front().auto_scaling_group_name)},
                 {"target_groups", target_groups},
                 {"classic_load_balancers", classic},
                 {"addresses", addr},
                 {"instance_profile", profile},
                 {"role_name", role.empty() ? Json(nullptr) : Json(role)},
                 {"ssm_managed", ssm_managed},
                 {"ssm_online", ssm_online}};
    ctx.record("observation",
               {{"instance", to_json(inst)}, {"volumes", vol_json}, {"recorded", r.outputs}});
    r.summary = fmt::format(
        "{} ({}) in {}: {} ENI(s), {} volume(s){}{}", id, inst.state, inst.vpc_id, enis.size(),
        volumes.size(),
        asg.empty() ? "" : ", in Auto Scaling group " + asg.front().auto_scaling_group_name,
        ssm_online ? ", SSM online" : "");
    return r;
  }

  Result<Verification> verify(ActionContext&, const Json& outputs) override {
    return Verification{outputs.contains("instance_id"), "state recorded"};
  }
};

}  // namespace

std::unique_ptr<Action> make_ec2_record_instance() { return std::make_unique<RecordInstance>(); }

}  // namespace firebreak::respond::actions
