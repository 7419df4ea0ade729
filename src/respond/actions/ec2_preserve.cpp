// ec2.preserve_instance: termination protection on, shutdown behaviour "stop",
// DeleteOnTermination off for every volume, so neither the attacker nor an Auto Scaling
// scale-in destroys the evidence. ModifyInstanceAttribute takes one attribute per call.
#include <fmt/format.h>

#include "common.h"

namespace firebreak::respond::actions {
namespace {

struct Current {
  bool protection = false;
  std::string shutdown;
  std::vector<std::string> deleting_devices;  // devices with DeleteOnTermination=true
};

Result<Current> read_current(cloud::Ec2& ec2, const std::string& id) {
  Current c;
  FIREBREAK_TRY(std::string p, ec2.describe_instance_attribute(id, "disableApiTermination"));
  c.protection = p == "true";
  FIREBREAK_TRY(c.shutdown,
                ec2.describe_instance_attribute(id, "instanceInitiatedShutdownBehavior"));
  FIREBREAK_TRY(cloud::Instance inst, describe_instance(ec2, id));
  for (const auto& d : inst.block_devices) {
    if (d.delete_on_termination) c.deleting_devices.push_back(d.device_name);
  }
  return c;
}

class PreserveInstance final : public BasicAction {
 public:
  PreserveInstance()
      : BasicAction(ActionSpec{
            .name = "ec2.preserve_instance",
            .description = "Turn on termination protection, set shutdown behaviour to stop and "
                           "DeleteOnTermination off on every volume.",
            .params = {param("instance_id", ParamType::kString, "the instance")},
            .outputs = {"before", "changed"},
            .permissions = {"ec2:DescribeInstanceAttribute", "ec2:DescribeInstances",
                            "ec2:ModifyInstanceAttribute"},
            .has_rollback = true}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(Current c, read_current(ctx.cloud().ec2(), id));
    std::vector<ApiCall> calls;
    if (!c.protection) {
      calls.push_back(
          call("ec2", "ModifyInstanceAttribute", "DisableApiTermination=true on " + id));
    }
    if (c.shutdown != "stop") {
      calls.push_back(call("ec2", "ModifyInstanceAttribute",
                           "InstanceInitiatedShutdownBehavior=stop on " + id));
    }
    if (!c.deleting_devices.empty()) {
      calls.push_back(call("ec2", "ModifyInstanceAttribute",
                           fmt::format("DeleteOnTermination=false for {} on {}",
                                       fmt::join(c.deleting_devices, ", "), id)));
    }
    return calls;
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    auto& ec2 = ctx.cloud().ec2();
    FIREBREAK_TRY(Current c, read_current(ec2, id));
    // The state before the first attempt is what rollback restores.
    Json s = scratch(ctx);
    if (!s.contains("before")) {
      FIREBREAK_TRY_STATUS(remember(ctx, "before",
                                    {{"termination_protection", c.protection},
                                     {"shutdown_behavior", c.shutdown},
                                     {"delete_on_termination", c.deleting_devices}}));
    }
    Json changed = Json::array();
    if (!c.protection) {
      FIREBREAK_TRY_STATUS(
          ec2.modify_instance_attribute({.instance_id = id, .disable_api_termination = true}));
      changed.push_back("termination_protection");
    }
    if (c.shutdown != "stop") {
      FIREBREAK_TRY_STATUS(ec2.modify_instance_attribute(
          {.instance_id = id, .instance_initiated_shutdown_behavior = "stop"}));
      changed.push_back("shutdown_behavior");
    }
    if (!c.deleting_devices.empty()) {
      cloud::ModifyInstanceAttributeRequest req{.instance_id = id};
      for (const auto& d : c.deleting_devices) req.block_device_mappings.push_back({d, false});
      FIREBREAK_TRY_STATUS(ec2.modify_instance_attribute(req));
      changed.push_back("delete_on_termination");
    }
    ApplyResult r;
    r.outputs = {{"before", scratch(ctx)["before"]}, {"changed", changed}};
    r.changed = !changed.empty();
    r.summary =
        changed.empty() ? "already preserved" : fmt::format("set {}", fmt::join(changed, ", "));
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    FIREBREAK_TRY(Current c, read_current(ctx.cloud().ec2(), str(ctx, "instance_id")));
    std::vector<std::string> problems;
    if (!c.protection) problems.push_back("termination protection is off");
    if (c.shutdown != "stop") problems.push_back("shutdown behaviour is " + c.shutdown);
    if (!c.deleting_devices.empty()) {
      problems.push_back(
          fmt::format("DeleteOnTermination still on for {}", fmt::join(c.deleting_devices, ", ")));
    }
    if (!problems.empty()) return Verification{false, fmt::format("{}", fmt::join(problems, "; "))};
    return Verification{true, "termination protection on, shutdown stop, volumes kept"};
  }

  Result<ApplyResult> rollback(ActionContext& ctx, const Json& outputs) override {
    const std::string id = str(ctx, "instance_id");
    auto& ec2 = ctx.cloud().ec2();
    const Json before = outputs.value("before", Json::object());
    ApplyResult r;
    if (!before.value("termination_protection", true)) {
      FIREBREAK_TRY_STATUS(
          ec2.modify_instance_attribute({.instance_id = id, .disable_api_termination = false}));
    }
    const std::string sb = before.value("shutdown_behavior", "stop");
    if (sb != "stop") {
      FIREBREAK_TRY_STATUS(ec2.modify_instance_attribute(
          {.instance_id = id, .instance_initiated_shutdown_behavior = sb}));
    }
    if (const auto& devs = before.value("delete_on_termination", Json::array()); !devs.empty()) {
      cloud::ModifyInstanceAttributeRequest req{.instance_id = id};
      for (const auto& d : devs) req.block_device_mappings.push_back({d.get<std::string>(), true});
      FIREBREAK_TRY_STATUS(ec2.modify_instance_attribute(req));
    }
    r.changed = true;
    r.summary = "restored termination protection, shutdown behaviour and DeleteOnTermination";
    return r;
  }
};

}  // namespace

std::unique_ptr<Action> make_ec2_preserve_instance() {
  return std::make_unique<PreserveInstance>();
}

}  // namespace firebreak::respond::actions
